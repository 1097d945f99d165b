"""Acceptance probe (DESIGN.md, "Enforcement": unblock when a sanction is recorded or the recommendation
annulled), end to end to the SIASN simulator on both backends: the PPK's sanction, or the annulment, is
dated before the case's block day but reaches sbt-sync only after enforcement blocked the ASN (an
upload to I'DIS days late is common); or BKN corrects the recommendation to not proven. SIASN unblocks
him, and the history says so: a ``buka_blokir`` is recorded for the case, and the national recap counts
the case as unblocked, as it counts one whose sanction came after the block."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, ControlAction, StagedRecord
from sbt_sync.enforce import run_enforcement
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.reports.recap import build_recap
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import EnforcementSettings, Settings
from sbt_sync.states.control import ControlAction as Action
from tests.enforce.builders import case
from tests.push.conftest import pusher
from tests.push.helpers import UNGUARDED, assert_siasn_matches
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
from tests.reconcile.test_probe_corrections_siasn import _siasn_blocked, siasn  # noqa: F401

pytestmark = pytest.mark.integration

BLOCK_DAY = date(2024, 11, 25)
"""Recommended 2024-11-01: deadline 11-11, teguran 11-18, pemblokiran 11-25."""


def _cycle(database: Database, settings: Settings, box: Sandbox, minutes: int) -> None:
    now = T0 + timedelta(minutes=minutes)
    reconcile_database(database, settings, as_of=AS_OF, now=now)
    with database.session() as session:
        run_enforcement(session, UNGUARDED, AS_OF, now=now)
    pusher(database, box).run()
    assert_siasn_matches(database, box)


def _budi_actions(database: Database) -> list[str]:
    with database.session() as session:
        query = (
            select(ControlAction.action)
            .join(Case, Case.id == ControlAction.case_id)
            .where(Case.nip == NIP_A)
            .order_by(ControlAction.id)
        )
        return list(session.scalars(query))


@pytest.mark.parametrize("end", ["sanction", "annulment", "not_proven"])
def test_an_end_dated_before_the_block_day_but_reported_after_it_unblocks_and_records_the_unblock(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,  # noqa: F811
    end: str,
) -> None:
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    _write(database, 3, Spec("recommendation", "b", 1, 1), 1)
    _cycle(database, project_settings, siasn, 0)
    assert _siasn_blocked(siasn) == {NIP_A, NIP_B}
    assert Action.PEMBLOKIRAN in _budi_actions(database)

    before = (BLOCK_DAY - timedelta(days=5)).isoformat()
    if end == "sanction":
        _write(database, 4, Spec("sanction", "a", 0, 0), 1)
        staged = StagedRecord.record_key == "idis-4"
        fields = {"record_type": "sanction", "sanction_code": "21", "sanction_date": before}
        with database.session() as session:
            session.execute(update(StagedRecord).where(staged).values(fields=fields))
    elif end == "not_proven":  # BKN corrects its recommendation: no end event, and no longer proven
        _write(database, 1, Spec("recommendation", "a", 0, 0, result="tidak_terbukti"), 2)
    else:
        _write(database, 1, Spec("recommendation", "a", 0, 0, result="dibatalkan"), 2)
        with database.session() as session:
            row = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "bkn_wasdal-1")).one()
            row.fields = {**row.fields, "annulled_on": before}
    _cycle(database, project_settings, siasn, 1)

    assert _siasn_blocked(siasn) == {NIP_B}
    assert Action.BUKA_BLOKIR in _budi_actions(database)
    total = build_recap(database).events
    assert sum(row.counts["unblocked"] for name, row in total.items() if name != "TOTAL") >= 1


def test_the_policy_unblocks_a_recorded_block_whose_end_predates_its_day_with_a_step() -> None:
    # Pure: the case was blocked by an earlier run (block_recorded); its sanction, dated before the
    # block day, is known now.
    late = case(
        status="dijatuhi_hukuman",
        sanction_recorded=True,
        sanction_on=date(2024, 12, 20),  # the builders' block day is 2024-12-25
        block_recorded=True,
    )
    as_of = date(2025, 1, 10)
    (outcome,) = plan_enforcement([late], EnforcementSettings(), as_of).outcomes
    assert not outcome.blocking
    unblocks = [s for s in outcome.steps if s.action == Action.BUKA_BLOKIR]
    assert len(unblocks) == 1 and unblocks[0].due_on == as_of
    assert "reported after" in unblocks[0].reason
    not_proven = replace(late, verification_result="tidak_terbukti", sanction_recorded=False)
    (corrected,) = plan_enforcement([not_proven], EnforcementSettings(), as_of).outcomes
    assert (corrected.stage, corrected.blocking) == ("tidak_terbukti", False)
    assert [(s.action, s.due_on) for s in corrected.steps] == [(Action.BUKA_BLOKIR, as_of)]
    # Never blocked by enforcement: no unblock to record.
    (quiet,) = plan_enforcement([replace(late, block_recorded=False)], EnforcementSettings(), as_of).outcomes
    assert Action.BUKA_BLOKIR not in {s.action for s in quiet.steps}
