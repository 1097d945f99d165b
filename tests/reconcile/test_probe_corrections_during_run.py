"""Acceptance probe: a correction a steward asks for while a reconciliation runs is applied by the next
run (PostgreSQL; SQLite serialises writers, so a correction waits for the run there).

The run had already read which records changed when Ani's correction committed; at its end it cleared
the "changed" flag of every record in its scope, the flag the correction had just set on its record
among them. Before the fix no later incremental run looked at that record again: the correction waited
unapplied (the preview's promised block change never came) until something else touched the record or
a full rerun. Now every run also takes in the records of corrections not yet applied. Since session 18
``correct_link`` takes the product-writes lock a run holds, as the console's confirmation always did, so
the correction asked for mid-run commits once the run has; it must still be applied by the next run."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import LinkCorrection, StagedRecord
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from sbt_sync.steward.links import CorrectionRequest, correct_link
from tests.reconcile.corrections_world import blocked_nips
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    T0,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def test_a_correction_recorded_while_a_run_works_is_applied_by_the_next_run(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database = migrated_database
    if database.dialect != "postgresql":
        pytest.skip("SQLite serialises writers: the correction waits for the run to commit")
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0)
    assert blocked_nips(database, project_settings) == {NIP_A}
    with database.session() as session:
        recommendation = session.scalars(
            select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-1")
        ).one()

    # Bawaslu re-sends Budi's finding: the next run takes in its register, the recommendation too.
    _write(database, 0, Spec("finding", "a", 0, 0), 2)
    recorded: list[int] = []
    stewards: list[threading.Thread] = []

    def correct() -> None:
        request = CorrectionRequest("assign_person", recommendation, target_nip=NIP_B)
        recorded.append(correct_link(database, request, reason="the letter names Siti", actor="ani"))

    def meanwhile(stage: str, rows: int) -> None:
        # The run has read its scope: the steward asks now, from a request of its own (another
        # thread). correct_link takes the product-writes lock the run holds, so it waits for the run.
        if stage == "records in scope loaded" and not stewards:
            stewards.append(threading.Thread(target=correct, name="steward"))
            stewards[0].start()

    reconcile_database(
        database, project_settings, as_of=AS_OF, now=T0 + timedelta(minutes=1), progress=meanwhile
    )
    stewards[0].join(timeout=120)
    assert not stewards[0].is_alive() and recorded
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0 + timedelta(minutes=2))

    with database.session() as session:
        correction = session.get(LinkCorrection, recorded[0])
        assert correction is not None and correction.applied_at is not None
    assert blocked_nips(database, project_settings) == {NIP_B}
