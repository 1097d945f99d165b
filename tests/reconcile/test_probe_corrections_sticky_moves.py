"""Acceptance probe: a steward's move of a record stays in force while what linking reads of the
records it involves holds (both backends), not while every field of them does.

I'DIS records Siti's sanction under the number of Budi's recommendation; a steward moves it to Siti's
case (Siti unblocked, Budi blocked again). Later I'DIS corrects the sanction's SK number and revises
its code after an objection: neither changes which case the sanction belongs to, so the move holds.
Before the fix such an edit reopened the move, the machine attached the sanction to Budi's case by its
number again, and Siti, who was sanctioned, was blocked again. When I'DIS corrects the number itself,
the move reopens (the steward's reason no longer applies) and the machine links by the new number."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import StagedRecord
from sbt_sync.settings import Settings
from sbt_sync.steward.links import CorrectionRequest, correct_link, list_corrections
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    NIP_A,
    RECS,
    Spec,
    _reset,
    _snapshot,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def _idis_edits(database: Database, staged_id: int, version: str, **changes: Any) -> None:
    """I'DIS re-sends the sanction with ``changes`` (fields, or the recommendation number column)."""
    with database.session() as session:
        row = session.get(StagedRecord, staged_id)
        assert row is not None
        number = changes.pop("recommendation_no", None)
        if number is not None:
            row.recommendation_no = number
        row.fields = {**(row.fields or {}), **changes}
        row.content_hash = f"{row.content_hash[:56]}{version:>08}"
        row.needs_reconcile = True


@pytest.fixture
def moved_to_siti(migrated_database: Database, project_settings: Settings) -> tuple[Database, int]:  # noqa: F811
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)  # Budi: register 1, recommendation 1
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)  # Siti: register 2, recommendation 2
    _write(database, 3, Spec("recommendation", "b", 1, 1), 1)
    _write(database, 4, Spec("sanction", "b", 0, 0), 1)  # Siti's sanction under Budi's number
    with database.session() as session:
        sanction = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "idis-4")).one()
        sanction.fields = {**sanction.fields, "sanction_date": "2025-01-10", "sanction_sk_no": "800/1/2025"}
        sanction_id = sanction.id
        siti_recommendation = session.scalars(
            select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-3")
        ).one()
    run_at(database, project_settings, 0)
    correct_link(
        database,
        CorrectionRequest("move_record", sanction_id, siti_recommendation),
        reason="the SK names Siti; I'DIS typed Budi's number",
        actor="ani",
    )
    run_at(database, project_settings, 1)
    assert blocked_nips(database, project_settings) == {NIP_A}
    return database, sanction_id


def test_a_moved_sanction_stays_moved_when_its_sk_number_and_code_are_revised(
    moved_to_siti: tuple[Database, int],
    project_settings: Settings,  # noqa: F811
) -> None:
    database, sanction = moved_to_siti
    _idis_edits(database, sanction, "2", sanction_sk_no="800/1/2025-REV", sanction_code="22")
    run_at(database, project_settings, 2)

    [correction] = list_corrections(database, staged_record_id=sanction)
    assert (correction["status"], correction["reopened_reason"]) == ("active", None)
    assert blocked_nips(database, project_settings) == {NIP_A}  # before the fix: Siti blocked again
    incremental = _snapshot(database)
    run_at(database, project_settings, 3, full=True)
    assert _snapshot(database) == incremental


def test_a_moved_sanction_reopens_when_its_recommendation_number_is_corrected(
    moved_to_siti: tuple[Database, int],
    project_settings: Settings,  # noqa: F811
) -> None:
    database, sanction = moved_to_siti
    _idis_edits(database, sanction, "2", recommendation_no=RECS[1])  # I'DIS fixes the number
    run_at(database, project_settings, 2)

    [correction] = list_corrections(database, staged_record_id=sanction)
    assert correction["status"] == "reopened" and "changed since" in str(correction["reopened_reason"])
    assert blocked_nips(database, project_settings) == {NIP_A}  # the machine links it by the right number now
