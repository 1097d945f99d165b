"""The policy agrees with the sandbox's ground truth: same golden facts, same steps, stages and blocks.

The generator's truth (``sbt_sync/sandbox/generate/truth.py``) derives, per case and instant, the golden
recommendation and sanction, the conflicts and the DEFAULT policy's decisions. Here each truth state is
turned into the :class:`EnforcementCase` the reconciliation would produce, and the policy must decide
exactly what the truth decided, at ``as_of`` and at other instants of the scenario.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import sbt_sync.sandbox.generate.pipeline as pipeline
from sbt_sync.enforce import EnforcementCase, plan_enforcement
from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import AS_OF, WIB
from sbt_sync.sandbox.generate.registry import Registry
from sbt_sync.sandbox.generate.sources.common import Book
from sbt_sync.sandbox.generate.truth import REC_PRIORITY, SANKSI_PRIORITY, CaseState
from sbt_sync.sandbox.generate.truth_writer import states_at, write_truth
from sbt_sync.settings import EnforcementSettings


@dataclass
class Scenario:
    out: Path
    cases: list[Case]
    reg: Registry
    book: Book


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """A generated ``small`` scenario, keeping the generator's cases, registry and evidence."""
    captured: dict[str, Any] = {}

    def capture(out: Any, cases: list[Case], reg: Registry, table: Any, book: Book, identity: Any) -> Any:
        captured.update(cases=cases, reg=reg, book=book)
        return write_truth(out, cases, reg, table, book, identity)

    out = tmp_path_factory.mktemp("truth-scenario")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "write_truth", capture)
        pipeline.generate_sandbox(seed=11, scale="small", out=out)
    return Scenario(out, **captured)


def as_enforcement_case(number: int, case: Case, state: CaseState, nip: str) -> EnforcementCase:
    """What the reconciliation makes of the truth's golden facts for this case."""
    rec = state.golden(state.rec, REC_PRIORITY)
    sanksi = state.golden(state.sanksi, SANKSI_PRIORITY)
    result = rec["hasil"] if rec else None
    return EnforcementCase(
        case_id=number,
        case_key=case.case_id,
        nip=nip,
        status="menunggu_tindak_lanjut_ppk",
        verification_result=result,
        recommendation_date=date.fromisoformat(rec["rec_date"]) if rec and rec.get("rec_date") else None,
        held=bool(state.conflicts or state.disputes)
        and any(v["hasil"] == "terbukti" for v in state.rec.values()),
        sanction_recorded=sanksi is not None,
        sanction_on=date.fromisoformat(sanksi["since"]) if sanksi else None,  # revisions keep the first
        annulled=result == "dibatalkan",
        annulled_on=rec["at"].astimezone(WIB).date() if rec and result == "dibatalkan" else None,
        left_service=case.left_on is not None,
        left_service_on=case.left_on,
    )


def compare(scenario: Scenario, instant: datetime) -> int:
    """Assert the policy equals the truth at ``instant``; returns how many NIPs the truth blocks."""
    states = states_at(scenario.cases, scenario.reg, scenario.book, instant)
    nip_of = {c.case_id: scenario.reg.nip_str(c.row) for c in scenario.cases}
    inputs = [
        as_enforcement_case(i, c, states[c.case_id], nip_of[c.case_id])
        for i, c in enumerate(scenario.cases, 1)
    ]
    plan = plan_enforcement(inputs, EnforcementSettings(), instant.astimezone(WIB).date())
    mismatches = []
    for outcome in plan.outcomes:
        truth = states[outcome.case.case_key]
        ours = [
            {"action": s.action, "date": s.due_on.isoformat()} for s in outcome.steps if s.action != "hold"
        ]
        got = (outcome.stage, outcome.held, outcome.blocking, ours)
        want = (truth.stage, truth.held, truth.blocked, truth.actions)
        if truth.stage in ("tidak_dilaporkan",):  # no source has published the case yet
            want = ("menunggu_verifikasi", *want[1:])
        if got != want:
            mismatches.append((outcome.case.case_key, got, want))
    assert mismatches == []
    truth_blocked: dict[str, bool] = defaultdict(bool)
    for case in scenario.cases:
        truth_blocked[nip_of[case.case_id]] |= states[case.case_id].blocked
    assert {nip for nip, b in truth_blocked.items() if b} == set(plan.blocked_nips)
    assert {s.case_key for s in plan.holds} == {c for c, s in states.items() if s.held}
    return len(plan.blocked_nips)


def test_policy_equals_the_ground_truth_at_as_of(scenario: Scenario) -> None:
    blocked = compare(scenario, AS_OF)
    enforcement = json.loads((scenario.out / "truth" / "enforcement.json").read_text(encoding="utf-8"))
    assert blocked == sum(1 for n in enforcement["nips"] if n["blocked"]) > 0


@pytest.mark.parametrize("days", [-300, -120, -30, -7, 14, 45])
def test_policy_equals_the_ground_truth_at_other_instants(scenario: Scenario, days: int) -> None:
    compare(scenario, AS_OF + timedelta(days=days))
