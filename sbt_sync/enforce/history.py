"""Recording a plan's control steps as the case's history (``control_actions``): never deleted, each
step once, and each block and unblock once per *cycle*.

A case can be blocked again after it was unblocked: an annulment withdrawn (the case is proven
again), a sanction annulled on objection that a steward says still binds, a result corrected back to
proven. The policy then requires the block again, and its plan names the same ``pemblokiran`` step
(its day is the schedule's, already recorded); SIASN is blocked a second time. That block is recorded
as the next cycle, dated by the run that makes it, and the unblock that ends it in the same cycle,
dated by its end event but never before that block. Warnings and reprimands are recorded once
(cycle 1): the PPK has had them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import ControlAction
from sbt_sync.enforce.model import ControlStep, EnforcementPlan
from sbt_sync.states.control import ControlAction as Step

AGAIN = "blocked again after its unblock: "
"""What a block of a later cycle says before the policy's reason (the console words it)."""


def again_reason(reason: str) -> str:
    """The reason recorded for a block after an unblock: :data:`AGAIN`, then the policy's ``reason``."""
    return AGAIN + reason


@dataclass
class _Moves:
    """A case's recorded blocks and unblocks: the latest cycle, its block's day, and whether an
    unblock closed it."""

    cycle: int = 0
    blocked_on: date | None = None
    closed: bool = False


def record_actions(
    session: Session, plan: EnforcementPlan, run_id: str | None, now: datetime
) -> dict[str, int]:
    """Insert the plan's control steps not recorded yet (module docstring); returns the counts added."""
    known: set[tuple[int, str]] = set()
    cycles: set[tuple[int, str, int]] = set()
    moves: dict[int, _Moves] = {}
    query = select(ControlAction.case_id, ControlAction.action, ControlAction.cycle, ControlAction.due_on)
    recorded = session.execute(query).tuples().all()
    # Each cycle's block before its unblock, cycles in order.
    for case_id, action, cycle, due_on in sorted(recorded, key=lambda r: (r[2], r[1] != Step.PEMBLOKIRAN)):
        known.add((case_id, action))
        cycles.add((case_id, action, cycle))
        if action in (Step.PEMBLOKIRAN, Step.BUKA_BLOKIR):
            _moved(moves.setdefault(case_id, _Moves()), action, cycle, due_on)
    blocking = {outcome.case.case_id for outcome in plan.outcomes if outcome.blocking}
    added: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []

    def add(step: ControlStep, cycle: int, due_on: date, reason: str) -> None:
        rows.append(
            {
                "case_id": step.case_id,
                "action": step.action,
                "cycle": cycle,
                "due_on": due_on,
                "reason": reason,
                "as_of": plan.as_of,
                "decided_at": now,
                "run_id": run_id,
            }
        )
        added[step.action] += 1

    for step in plan.steps:
        if step.action in (Step.PEMBLOKIRAN, Step.BUKA_BLOKIR):
            state = moves.setdefault(step.case_id, _Moves())
            move = _move(step, state, blocking, plan.as_of)
            if move is not None and (step.case_id, step.action, move[0]) not in cycles:
                cycle, due_on, reason = move
                cycles.add((step.case_id, step.action, cycle))
                add(step, cycle, due_on, reason)
                _moved(state, step.action, cycle, due_on)
            continue
        if (step.case_id, step.action) not in known:
            known.add((step.case_id, step.action))
            add(step, 1, step.due_on, step.reason)
    if rows:
        session.execute(insert(ControlAction), rows)  # one executemany, not a flush per row
    return dict(added)


def _moved(state: _Moves, action: str, cycle: int, due_on: date) -> None:
    if action == Step.PEMBLOKIRAN:
        state.cycle, state.blocked_on, state.closed = cycle, due_on, False
    elif cycle == state.cycle or state.cycle == 0:  # state.cycle 0: an unblock with no block on record
        state.closed = True


def _move(step: ControlStep, state: _Moves, blocking: set[int], as_of: date) -> tuple[int, date, str] | None:
    """The cycle, day and reason to record ``step`` (a block or an unblock) with; None: recorded."""
    if step.action == Step.PEMBLOKIRAN:
        if state.cycle == 0:
            return 1, step.due_on, step.reason
        if state.closed and step.case_id in blocking:
            return state.cycle + 1, as_of, again_reason(step.reason)
        return None
    if state.closed:
        return None
    if state.cycle == 0:
        return 1, step.due_on, step.reason  # an unblock with no block on record: recorded once
    return state.cycle, max(step.due_on, state.blocked_on or step.due_on), step.reason
