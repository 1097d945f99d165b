"""Acceptance probe: a steward's decision on a case's conflict applies again when a merge that took the
case away is undone (both backends), in an incremental run exactly as in a full rerun.

Budi's case: BKN says proven, KASN says not proven; a steward decided "terbukti" (Budi blocked). Then a
steward merged Budi's case into Siti's (the merged case is keyed by Siti's register: Budi's case row
and the key of its conflict go away), and undid the merge. Before the fix the incremental run that
applied the undo re-raised the conflict as open, not finding the decision (its conflict had lost its
case row), so Budi's case stayed held and the steward was asked again; a full rerun applied the
decision and blocked Budi: the two disagreed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, Conflict, StagedRecord
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import CorrectionRequest, correct_link, undo_correction
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    NIP_A,
    T0,
    Spec,
    _reset,
    _snapshot,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def test_a_case_decision_applies_again_after_a_merge_that_renamed_its_case_is_undone(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "b", 1, 1), 1)  # Siti's finding: its register key sorts first
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)  # BKN: Budi's violation proven
    _write(database, 2, Spec("recommendation", "a", 0, 0, "tidak_terbukti"), 1)
    with database.session() as session:  # ... and KASN's recommendation of the same number: not proven
        kasn = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "bkn_wasdal-2")).one()
        kasn.source = "kasn"
    _write(database, 3, Spec("finding", "a", 0, 0), 1)  # Budi's finding
    run_at(database, project_settings, 0)
    with database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == "critical_field")).one()
        finding_b, _, _, finding_a = session.scalars(select(StagedRecord.id).order_by(StagedRecord.id)).all()
    resolve_conflict(
        database, conflict.id, value="terbukti", reason="KASN's row predates the hearing", actor="ani",
        now=T0 + timedelta(minutes=1),
    )  # fmt: skip
    run_at(database, project_settings, 2)
    assert blocked_nips(database, project_settings) == {NIP_A}

    merge = correct_link(
        database, CorrectionRequest("merge", finding_a, finding_b), reason="one incident?", actor="budi"
    )
    run_at(database, project_settings, 3)
    with database.session() as session:
        assert session.get(Conflict, conflict.id).status == "auto_closed"  # type: ignore[union-attr]
    undo_correction(database, merge, reason="two incidents after all", actor="budi")
    run_at(database, project_settings, 4)

    with database.session() as session:
        row = session.get(Conflict, conflict.id)
        assert row is not None
        assert row.status == "resolved", row.reopened_reason
        budi = session.scalars(select(Case).where(Case.nip == NIP_A)).one()
        assert not budi.held
    assert blocked_nips(database, project_settings) == {NIP_A}
    incremental = _snapshot(database)
    run_at(database, project_settings, 5, full=True)
    assert _snapshot(database) == incremental
