"""Acceptance probe: a steward's link correction stays in force while what it relied on holds (both
backends). A correction that assigns a record to another ASN relies on whom the record names (its NIP,
name and instansi as written), as a decision on the record's identity conflict does: a source edit of
another field (a PPK deadline, a verification date) keeps it, while an edit of whom the record names
reopens it with the reason."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import LinkCorrection, StagedRecord
from sbt_sync.settings import Settings
from sbt_sync.steward.links import CorrectionRequest, correct_link, list_corrections
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    Spec,
    _reset,
    _snapshot,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def _ids(database: Database) -> list[int]:
    with database.session() as session:
        return list(session.scalars(select(StagedRecord.id).order_by(StagedRecord.id)))


def _source_edits(database: Database, staged_id: int, version: str, **changes: Any) -> None:
    """The source re-delivers the record with ``changes`` to its fields (a new content hash), as
    staging writes a changed row."""
    with database.session() as session:
        row = session.get(StagedRecord, staged_id)
        assert row is not None
        row.fields = {**(row.fields or {}), **changes}
        row.content_hash = f"{row.content_hash[:56]}{version:>08}"
        row.needs_reconcile = True


@pytest.fixture
def assigned_to_b(migrated_database: Database, project_settings: Settings) -> tuple[Database, int]:  # noqa: F811
    """A finding and a proven, overdue recommendation both written with NIP A (Budi) on register 0,
    and a finding of B (Siti) on register 1. A steward found that the recommendation is about Siti
    (the NIP was mistyped) and assigned it to her: B is blocked, A is not."""
    _reset(migrated_database)
    _write(migrated_database, 0, Spec("finding", "a", 0, 0), 1)
    _write(migrated_database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(migrated_database, 2, Spec("finding", "b", 1, 1), 1)
    run_at(migrated_database, project_settings, 0)
    assert blocked_nips(migrated_database, project_settings) == {NIP_A}
    _, recommendation, _ = _ids(migrated_database)
    correct_link(
        migrated_database,
        CorrectionRequest("assign_person", recommendation, target_nip=NIP_B),
        reason="the recommendation letter names Siti; NIP mistyped",
        actor="ani",
    )
    run_at(migrated_database, project_settings, 1)
    assert blocked_nips(migrated_database, project_settings) == {NIP_B}
    return migrated_database, recommendation


@pytest.mark.parametrize(
    "changes",
    [
        {"follow_up_deadline": "2024-11-22"},  # BKN moves the PPK's deadline
        {"verified_at": "2024-10-30T09:00:00+07:00"},  # the verification date is corrected
    ],
)
def test_assigning_a_record_to_another_asn_survives_a_source_edit_of_another_field(
    assigned_to_b: tuple[Database, int],
    project_settings: Settings,  # noqa: F811
    changes: dict[str, Any],
) -> None:
    database, recommendation = assigned_to_b
    _source_edits(database, recommendation, "2", **changes)
    run_at(database, project_settings, 2)

    [correction] = list_corrections(database, staged_record_id=recommendation)
    assert (correction["status"], correction["reopened_reason"]) == ("active", None)
    # Before the fix the correction reopened, the machine linked the record back to Budi by its NIP,
    # and Budi, whom the steward had found the record was not about, was blocked again.
    assert blocked_nips(database, project_settings) == {NIP_B}
    incremental = _snapshot(database)
    run_at(database, project_settings, 3, full=True)
    assert _snapshot(database) == incremental


def test_assigning_a_record_reopens_when_the_source_changes_whom_it_names(
    assigned_to_b: tuple[Database, int],
    project_settings: Settings,  # noqa: F811
) -> None:
    database, recommendation = assigned_to_b
    # BKN re-sends the recommendation: still NIP A, now under Siti's name.
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 2)
    run_at(database, project_settings, 2)

    [correction] = list_corrections(database, staged_record_id=recommendation)
    assert correction["status"] == "reopened"
    assert "changed since" in str(correction["reopened_reason"])
    # The machine sees NIP A under another name: a name-mismatch dispute holds the case, nobody blocked.
    assert blocked_nips(database, project_settings) == set()


def test_an_assignment_recorded_with_the_earlier_whole_content_basis_keeps_holding(
    assigned_to_b: tuple[Database, int],
    project_settings: Settings,  # noqa: F811
) -> None:
    """A deployment upgraded with corrections whose basis covers the record's whole content: they
    keep holding (nothing reopens at the upgrade), and then survive an edit of another field too."""
    database, recommendation = assigned_to_b
    with database.session() as session:
        row = session.get(StagedRecord, recommendation)
        correction = session.scalars(select(LinkCorrection)).one()
        assert row is not None
        earlier = hashlib.sha256(json.dumps([[row.id, row.content_hash, False]]).encode()).hexdigest()
        correction.basis_hash = earlier
        row.needs_reconcile = True
    run_at(database, project_settings, 2)
    [listed] = list_corrections(database, staged_record_id=recommendation)
    assert listed["status"] == "active" and blocked_nips(database, project_settings) == {NIP_B}

    _source_edits(database, recommendation, "3", follow_up_deadline="2024-11-22")
    run_at(database, project_settings, 3)
    [listed] = list_corrections(database, staged_record_id=recommendation)
    assert listed["status"] == "active" and blocked_nips(database, project_settings) == {NIP_B}
