"""Acceptance probe: the later of two stewards' words on whom a record names wins (both backends).

A recommendation carries Budi's NIP under Siti's name. Ani assigns it to Siti by a link correction;
later Budi (the steward) reads the SK, reopens the record's identity conflict and decides it is Budi's.
Before the fix the older correction kept winning: the next run closed the reopened conflict again as
resolved, the decision was refused ("resolved, not open"), and Siti stayed blocked on a record the
latest steward said was not hers. Now the reopening holds the case (nobody blocked), the decision
applies (Budi blocked), and the correction says it was overruled and why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, Conflict, StagedRecord
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import (
    CorrectionRequest,
    correct_link,
    list_corrections,
    preview_reopen,
    reopen_decision,
)
from schemas.nip import mask_nip
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    T0,
    Spec,
    _reset,
    _snapshot,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def test_reopening_and_deciding_a_records_identity_after_assigning_it_overrules_the_assignment(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)  # Budi's finding
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)  # Budi's NIP, Siti's name
    _write(database, 2, Spec("finding", "b", 1, 1), 1)  # Siti's finding of another register
    run_at(database, project_settings, 0)
    with database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == "name_mismatch")).one()
        recommendation = conflict.staged_record_id
    assert recommendation is not None
    correct_link(
        database,
        CorrectionRequest("assign_person", recommendation, target_nip=NIP_B),
        reason="the name is right, the NIP mistyped",
        actor="ani",
        now=T0 + timedelta(minutes=1),
    )
    run_at(database, project_settings, 2)
    assert blocked_nips(database, project_settings) == {NIP_B}

    shown = preview_reopen(database, project_settings, conflict.id, as_of=AS_OF)
    assert [(c.nip, c.blocked_before, c.blocked_after) for c in shown.flag_changes] == [
        (mask_nip(NIP_B), True, False)
    ]
    reopen_decision(
        database, conflict.id, reason="the SK names Budi", actor="budi", now=T0 + timedelta(minutes=3)
    )
    run_at(database, project_settings, 4)
    with database.session() as session:
        row = session.get(Conflict, conflict.id)
        assert row is not None and row.status == "open"
        case = session.scalars(select(Case).where(Case.nip == NIP_A)).one()
        assert case.held  # whom the recommendation names is disputed again
    assert blocked_nips(database, project_settings) == set()
    [correction] = list_corrections(database, staged_record_id=recommendation)
    assert correction["status"] == "reopened"
    assert "identity conflict" in str(correction["reopened_reason"])

    resolve_conflict(
        database, conflict.id, value=NIP_A, reason="the SK names Budi", actor="budi",
        now=T0 + timedelta(minutes=5),
    )  # fmt: skip
    run_at(database, project_settings, 6)
    with database.session() as session:
        staged = session.get(StagedRecord, recommendation)
        assert staged is not None and staged.resolved_nip == NIP_A
    assert blocked_nips(database, project_settings) == {NIP_A}
    incremental = _snapshot(database)
    run_at(database, project_settings, 7, full=True)
    assert _snapshot(database) == incremental
