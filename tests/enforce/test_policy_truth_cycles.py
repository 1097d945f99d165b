"""The truth's recap counts the unblocks SIASN acknowledges for an operator running the demo's schedule.

The demo (``sbt_sync/demo.py``) runs a full cycle at the scenario's start, midway and at ``as_of``; each
cycle decides on what the sources have published by its instant. A case blocked by one cycle whose end
event (a sanction dated before the block day, say) is published only later is blocked in SIASN, then
unblocked, and that cycle records a ``buka_blokir`` (``block_recorded`` in the policy). The truth must
count it: here the policy is replayed over the truth's golden facts at the same instants, carrying the
blocks it recorded from one cycle to the next and pushing each cycle's flags, and the cases whose
pushed block a later cycle lifts must be the truth's ``unblocked``, per event. Seed 3 is the demo
test's scenario: two PILKADA-2020 cases are blocked at the start cycle and their sanctions, dated
before the block day, are published before midway.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

import sbt_sync.sandbox.generate.pipeline as pipeline
from sbt_sync.demo import _instants
from sbt_sync.enforce import plan_enforcement
from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import WIB
from sbt_sync.sandbox.generate.registry import Registry
from sbt_sync.sandbox.generate.sources.common import Book
from sbt_sync.sandbox.generate.truth_writer import states_at, write_truth
from sbt_sync.settings import EnforcementSettings
from tests.enforce.test_policy_truth import Scenario, as_enforcement_case


@pytest.fixture(scope="module")
def demo_scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The demo test's scenario (small, seed 3), keeping the generator's cases, registry and evidence."""
    captured: dict[str, Any] = {}

    def capture(out: Any, cases: list[Case], reg: Registry, table: Any, book: Book, identity: Any) -> Any:
        captured.update(cases=cases, reg=reg, book=book)
        return write_truth(out, cases, reg, table, book, identity)

    out = tmp_path_factory.mktemp("truth-demo-scenario")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "write_truth", capture)
        pipeline.generate_sandbox(seed=3, scale="small", out=out)
    return Scenario(out, **captured)


def _replay(scenario: Scenario, instants: list[datetime]) -> tuple[set[str], set[str]]:
    """The policy over the truth's facts at each instant in turn: the cases it ever unblocks, and those
    it unblocks only because an earlier cycle recorded their block (the end came to light late)."""
    nip_of = {c.case_id: scenario.reg.nip_str(c.row) for c in scenario.cases}
    recorded: set[str] = set()
    unblocked: set[str] = set()
    late: set[str] = set()
    pushed: dict[str, tuple[str, ...]] = {}  # NIP -> the cases SIASN's block stands for
    for instant in instants:
        states = states_at(scenario.cases, scenario.reg, scenario.book, instant)
        inputs = [
            replace(
                as_enforcement_case(i, c, states[c.case_id], nip_of[c.case_id]),
                block_recorded=c.case_id in recorded,
            )
            for i, c in enumerate(scenario.cases, 1)
        ]
        plan = plan_enforcement(inputs, EnforcementSettings(), instant.astimezone(WIB).date())
        for outcome in plan.outcomes:
            key = outcome.case.case_key
            actions = {str(s.action) for s in outcome.steps}
            if "buka_blokir" in actions and "buka_blokir" not in {a["action"] for a in states[key].actions}:
                late.add(key)
            if "pemblokiran" in actions:
                recorded.add(key)
        # Pushed after each cycle: a NIP blocked before and not now is unblocked in SIASN, for the
        # cases its block stood for.
        now = {nip: d.blocking_case_keys for nip, d in plan.blocks.items() if d.blocked}
        for nip, keys in pushed.items():
            if nip not in now:
                unblocked.update(keys)
        pushed = now
    return unblocked, late


def test_truth_recap_counts_the_unblocks_recorded_over_the_demo_cycles(demo_scenario: Scenario) -> None:
    manifest = json.loads((demo_scenario.out / "manifest.json").read_text(encoding="utf-8"))
    instants = [instant for _, instant in _instants(manifest)]
    recap = json.loads((demo_scenario.out / "truth" / "recap.json").read_text(encoding="utf-8"))
    unblocked, late = _replay(demo_scenario, instants)
    event_of = {c.case_id: c.event for c in demo_scenario.cases}
    assert late, "the scenario must hold a block lifted by an end event published after it"
    assert {event_of[k] for k in late} == {"PILKADA-2020"}
    assert late <= unblocked  # blocked in SIASN by the first cycle, lifted by a later one
    per_event = Counter(event_of[k] for k in unblocked)
    want = {e: n["unblocked"] for e, n in recap["events"].items() if e != "TOTAL"}
    assert {e: per_event.get(e, 0) for e in want} == want
    assert recap["events"]["TOTAL"]["unblocked"] == len(unblocked)
    assert [datetime.fromisoformat(t) for t in recap["cycles"]] == instants  # the demo's own schedule


def test_the_final_blocks_do_not_depend_on_the_cycles(demo_scenario: Scenario) -> None:
    """Only the history changes: who is blocked at as_of is the as-of decision's, as before."""
    recap = json.loads((demo_scenario.out / "truth" / "recap.json").read_text(encoding="utf-8"))
    enforcement = json.loads((demo_scenario.out / "truth" / "enforcement.json").read_text(encoding="utf-8"))
    as_of = datetime.fromisoformat(enforcement["as_of"])
    states = states_at(demo_scenario.cases, demo_scenario.reg, demo_scenario.book, as_of)
    assert recap["events"]["TOTAL"]["blocked"] == sum(s.blocked for s in states.values()) > 0
    assert {n["nip"] for n in enforcement["nips"] if n["blocked"]} == {
        demo_scenario.reg.nip_str(c.row) for c in demo_scenario.cases if states[c.case_id].blocked
    }
