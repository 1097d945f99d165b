"""A steward's decision on whom a record names reopens when what the record writes about its person
changes, and says in words what changed, never the NIP or name it now writes: the reason shows on the
queue, in lists and in logs (both backends).

A recommendation carries Budi's NIP under Siti's name (``name_mismatch``); a steward says it is
Budi's. The source then re-sends it under a third name: the conflict reopens saying the record's name
changed, and neither the stored reason nor the run's log lines carry the NIP or a name.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict, StagedRecord, StewardDecision
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from tests.reconcile.corrections_world import run_at
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration

PERSONAL = (NIP_A, NIP_B, "Siti", "SITI", "Rina", "RINA", "Sitti", "Budi", "BUDI")
"""What must not appear in a stored reopen reason or a log line."""


def _identity_conflict(database: Database, record_key: str) -> Conflict:
    with database.session() as session:
        query = (
            select(Conflict)
            .join(StagedRecord, StagedRecord.id == Conflict.staged_record_id)
            .where(StagedRecord.record_key == record_key, Conflict.kind == "name_mismatch")
        )
        conflict = session.scalars(query).one()
        session.expunge(conflict)
        return conflict


def _rename(database: Database, record_key: str, name: str) -> None:
    """The source re-sends ``record_key`` with only the name it writes changed."""
    with database.session() as session:
        row = session.scalars(select(StagedRecord).where(StagedRecord.record_key == record_key)).one()
        row.name, row.raw_version, row.needs_reconcile = name, row.raw_version + 1, True
        row.content_hash = f"renamed-{row.raw_version}"


def _assert_no_personal_data(text: str) -> None:
    leaked = [value for value in PERSONAL if value in text]
    assert not leaked, (leaked, text)


def test_a_decided_identity_reopens_on_a_new_name_saying_so_without_the_name_or_nip(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)  # Budi's NIP, Siti's name
    run_at(database, project_settings, 0)
    conflict = _identity_conflict(database, "bkn_wasdal-1")
    assert conflict.status == "open"
    resolve_conflict(database, conflict.id, value=NIP_A, reason="NIP is right, name mistyped", actor="ani")
    run_at(database, project_settings, 1)
    assert _identity_conflict(database, "bkn_wasdal-1").status == "resolved"

    _rename(database, "bkn_wasdal-1", "Rina Wulandari")  # still not the NIP holder's name
    with caplog.at_level(logging.DEBUG):
        run_at(database, project_settings, 2)
    reopened = _identity_conflict(database, "bkn_wasdal-1")
    assert reopened.status == "open"
    why = reopened.reopened_reason or ""
    assert why.startswith("the record changed since the steward's decision of "), why
    assert why.endswith(": its name changed"), why
    _assert_no_personal_data(why)
    _assert_no_personal_data(caplog.text)


def test_a_decision_taken_on_a_record_changed_since_it_was_shown_keeps_no_fingerprints(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    # The source re-sends the record under a new name before any reconciliation shows it: the
    # steward decided on the old name, so the decision keeps no fingerprint of the new one, and the
    # next run reopens the conflict without claiming to know which part changed.
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)
    run_at(database, project_settings, 0)
    conflict = _identity_conflict(database, "bkn_wasdal-1")
    _rename(database, "bkn_wasdal-1", "Rina Wulandari")
    resolve_conflict(database, conflict.id, value=NIP_A, reason="NIP is right, name mistyped", actor="ani")
    with database.session() as session:
        decision = session.scalars(
            select(StewardDecision).where(StewardDecision.conflict_id == conflict.id)
        ).one()
        assert "written" not in decision.decision
    run_at(database, project_settings, 1)
    reopened = _identity_conflict(database, "bkn_wasdal-1")
    assert reopened.status == "open"
    assert (reopened.reopened_reason or "").endswith(": what it writes about its person changed")
    _assert_no_personal_data(reopened.reopened_reason or "")
