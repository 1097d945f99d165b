"""Writing a plan: new control actions, the desired block state and its outbox rows, in one transaction.

Every write is a diff against what is stored, so re-running a plan changes nothing and queues nothing.
A flip of a NIP's desired flag bumps its ``block_state.version`` and writes the outbox row keyed by
(NIP, action, version) in the caller's transaction; unsent rows of the NIP are superseded first (not
one sent before without a definite answer: it goes first, :func:`_supersede`). When
the change guard trips, the run's rows wait as ``awaiting_approval`` behind one ``push_approvals`` row.
An unblock of a NIP whose block SIASN held before ours (our ``blokir`` was acknowledged as "already in
that state": a Kanreg's block) is written ``parked`` for a steward, never sent by itself
(:func:`held_before_ours`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, cast, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from connectors.redact import mask_nip, mask_nips
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import lock_outbox
from sbt_sync.db.models import BlockState, Case, OutboxEntry, PushApproval
from sbt_sync.enforce.annulments import note_annulments
from sbt_sync.enforce.guard import GuardVerdict, judge_changes
from sbt_sync.enforce.history import record_actions
from sbt_sync.enforce.model import BlockDecision, EnforcementPlan
from sbt_sync.enforce.outbox import idempotency_key, push_payload
from sbt_sync.settings import GuardSettings
from sbt_sync.states.outbox import (
    ALREADY_HELD,
    HELD_BEFORE_OURS,
    SENT,
    STALE_ON_FLIP,
    ApprovalStatus,
    OutboxState,
    PushAction,
    moving_to,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlagChange:
    nip: str
    action: PushAction
    version: int
    outbox_id: int | None
    """None when SIASN already holds the new flag (an unsent opposite change was superseded)."""


@dataclass
class EnforcementReport:
    """What one enforcement run decided and wrote."""

    as_of: str
    cases: int = 0
    new_actions: dict[str, int] = field(default_factory=dict)
    holds: int = 0
    held_cases: list[str] = field(default_factory=list)
    blocked_nips: int = 0
    changes: list[FlagChange] = field(default_factory=list)
    superseded: int = 0
    guard: GuardVerdict | None = None
    approval_id: int | None = None
    lifted_for_holds: int = 0
    """Unblocks because every case behind the block is now held: sent without the guard's approval."""
    annulments: dict[str, int] = field(default_factory=dict)
    """Annulments found, and annulments found withdrawn (enforcement resumed), by this run."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; NIPs masked."""
        return {
            "as_of": self.as_of,
            "cases": self.cases,
            "new_actions": dict(sorted(self.new_actions.items())),
            "holds": self.holds,
            "held_cases": [mask_nips(key) for key in self.held_cases[:20]],  # a case key can hold a NIP
            "blocked_nips": self.blocked_nips,
            "changes": {
                PushAction.BLOKIR: sum(1 for c in self.changes if c.action == PushAction.BLOKIR),
                PushAction.BUKA: sum(1 for c in self.changes if c.action == PushAction.BUKA),
                "sample": [f"{c.action} {mask_nip(c.nip)} v{c.version}" for c in self.changes[:10]],
            },
            "outbox_rows": sum(1 for c in self.changes if c.outbox_id is not None),
            "superseded": self.superseded,
            "guard": None
            if self.guard is None
            else {
                "tripped": self.guard.tripped,
                "reason": self.guard.reason,
                "percent": round(self.guard.percent, 1),
            },
            "approval_id": self.approval_id,
            "lifted_for_holds": self.lifted_for_holds,
            "annulments": dict(self.annulments),
        }


def apply_plan(
    session: Session,
    plan: EnforcementPlan,
    *,
    guard: GuardSettings,
    run_id: str | None = None,
    now: datetime | None = None,
) -> EnforcementReport:
    """Store ``plan`` (see the module doc); the caller owns the transaction. Returns the report."""
    now = now or utcnow()
    report = EnforcementReport(as_of=plan.as_of.isoformat(), cases=len(plan.outcomes))
    report.new_actions = record_actions(session, plan, run_id, now)
    report.annulments = note_annulments(session, plan, now)
    report.holds = len(plan.holds)
    report.held_cases = [step.case_key for step in plan.holds]
    report.blocked_nips = len(plan.blocked_nips)
    # Before reading block_state, as a readback queueing a drift correction does: one that commits
    # while we decide would otherwise bump a version we then bump again from the stale value.
    lock_outbox(session)
    states = {row.nip: row for row in session.scalars(select(BlockState))}
    blocked_before = sum(1 for row in states.values() if row.blocked)
    flips = _flips(plan.blocks, states)
    lifted = {decision.nip for decision, old in flips if _lifted_for_holds(decision, old)}
    guarded = [(decision, old) for decision, old in flips if decision.nip not in lifted]
    report.lifted_for_holds = len(lifted)
    report.guard = judge_changes(changes=len(guarded), blocked_before=blocked_before, guard=guard)
    approval = None
    if report.guard.tripped:
        approval = _approval(session, report.guard, guarded, run_id, now)
        report.approval_id = approval.id
    recommendation_nos = {o.case.case_id: o.case.recommendation_no for o in plan.outcomes}
    case_keys = _case_keys(session, plan, [i for _, old in flips for i in (old.case_ids if old else [])])
    report.changes, report.superseded = _write_flips(
        session, flips, case_keys, recommendation_nos, approval, run_id, now,
        decided_on=plan.as_of, unguarded=lifted,
    )  # fmt: skip
    _refresh_unchanged(plan.blocks, states, flips)
    return report


def _flips(
    blocks: Mapping[str, BlockDecision], states: Mapping[str, BlockState]
) -> list[tuple[BlockDecision, BlockState | None]]:
    """NIPs whose desired flag differs from the stored one (a NIP without cases is to be unblocked)."""
    flips: list[tuple[BlockDecision, BlockState | None]] = []
    for nip in sorted(set(blocks) | set(states)):
        decision = blocks.get(nip) or _no_case(nip)
        old = states.get(nip)
        if (old.blocked if old is not None else False) != decision.blocked:
            flips.append((decision, old))
    return flips


def _lifted_for_holds(decision: BlockDecision, old: BlockState | None) -> bool:
    """An unblock because every case that required the block is now held (an identity dispute or a
    critical conflict opened on it). DESIGN.md: no block ever rests on a disputed identity, so such
    an unblock never waits behind the change guard; the guard judges the run's other changes."""
    if decision.blocked or old is None or not old.blocked or not old.case_ids:
        return False
    return {int(i) for i in old.case_ids} <= set(decision.held_case_ids)


def _no_case(nip: str) -> BlockDecision:
    return BlockDecision(nip, False, (), (), (), (), "no case of this NIP remains")


def _approval(
    session: Session,
    verdict: GuardVerdict,
    flips: list[tuple[BlockDecision, BlockState | None]],
    run_id: str | None,
    now: datetime,
) -> PushApproval:
    blokir = sum(1 for decision, _ in flips if decision.blocked)
    approval = PushApproval(
        run_id=run_id,
        change_count=verdict.changes,
        blocked_before=verdict.blocked_before,
        percent=round(verdict.percent, 2),
        summary={
            "reason": verdict.reason,
            "rule": verdict.rule,
            "limit": verdict.limit,
            PushAction.BLOKIR: blokir,
            PushAction.BUKA: len(flips) - blokir,
        },
        status=ApprovalStatus.WAITING,
        requested_at=now,
    )
    session.add(approval)
    session.flush()
    return approval


def _case_keys(session: Session, plan: EnforcementPlan, extra_ids: list[int]) -> dict[int, str]:
    keys = {o.case.case_id: o.case.case_key for o in plan.outcomes}
    missing = sorted(set(extra_ids) - set(keys))
    if missing:
        keys.update(
            dict(session.execute(select(Case.id, Case.case_key).where(Case.id.in_(missing))).tuples().all())
        )
    return keys


BATCH = 500
"""NIPs per statement when many flags change at once (SQLite binds at most 32,766 values)."""


def _write_flips(
    session: Session,
    flips: list[tuple[BlockDecision, BlockState | None]],
    case_keys: Mapping[int, str],
    recommendation_nos: Mapping[int, str | None],
    approval: PushApproval | None,
    run_id: str | None,
    now: datetime,
    *,
    decided_on: date | None = None,
    unguarded: Collection[str] = (),
) -> tuple[list[FlagChange], int]:
    """Write every flip: its new ``block_state`` version, its NIP's unsent rows superseded, and its
    outbox row unless SIASN already holds the flag; returns the changes and the rows superseded.
    The rows wait behind ``approval`` when there is one, except those of the NIPs in ``unguarded``.

    A few statements for all flips together, not a handful per flip: a first load changes thousands of
    flags inside enforcement's one transaction, which on SQLite holds the database's write lock; per-row
    flushes took 7-15 ms a flag. Same rows, same order (by NIP) and same transaction as one flip at a
    time.
    """
    if not flips:
        return [], 0
    lock_outbox(session)  # before block_state: ids commit in order (see lock_outbox)
    flipped: list[tuple[str, PushAction, list[int], BlockState]] = []
    for decision, old in flips:
        nip = decision.nip
        action = PushAction.setting(decision.blocked)
        # An unblock refers to the cases that had required the block.
        case_ids = list(decision.blocking_case_ids) if decision.blocked else list(old.case_ids if old else [])
        if old is None:
            old = BlockState(
                nip=nip, blocked=decision.blocked, case_ids=case_ids, reason=decision.reason, version=1
            )
            old.since = old.updated_at = now
            session.add(old)
        else:
            old.blocked, old.case_ids, old.reason = decision.blocked, case_ids, decision.reason
            old.version, old.since, old.updated_at = old.version + 1, now, now
        flipped.append((nip, action, case_ids, old))
    session.flush()  # the new versions, which the supersede below names
    nips = [nip for nip, *_ in flipped]
    superseded = _supersede(session, nips)
    holds = _siasn_holds(session, nips)
    prior = held_before_ours(session, [nip for nip, action, *_ in flipped if action == PushAction.BUKA])
    changes: list[FlagChange] = []
    rows: list[dict[str, Any]] = []
    keys: dict[str, str] = {}
    for nip, action, case_ids, state in flipped:
        changes.append(FlagChange(nip, action, state.version, None))
        if holds.get(nip, PushAction.BUKA) == action:
            continue
        parked = nip in prior  # never lifted by itself: a steward decides (held_before_ours)
        waits = approval is not None and nip not in unguarded and not parked
        refs = [case_keys.get(i, str(i)) for i in case_ids]
        numbers = [n for i in case_ids if (n := recommendation_nos.get(i))]
        keys[nip] = idempotency_key(action, state.version)
        rows.append(
            {
                "idempotency_key": keys[nip],
                "nip": nip,
                "action": action,
                "case_refs": refs,
                "payload": push_payload(nip, action, refs, numbers),
                "state": OutboxState.PARKED
                if parked
                else OutboxState.AWAITING_APPROVAL
                if waits
                else OutboxState.PENDING,
                "last_error": HELD_BEFORE_OURS if parked else None,
                "attempts": 0,
                "next_attempt_at": now,
                "approval_id": approval.id if waits and approval is not None else None,
                "block_version": state.version,
                "created_at": now,
                "run_id": run_id,
                "maybe_applied": False,
                "decided_on": decided_on,
            }
        )
    if prior:
        log.warning(
            "%d unblock(s) parked for a steward, not sent: SIASN held the block before ours (%s)",
            len(prior),
            ", ".join(mask_nip(nip) for nip in sorted(prior)[:10]),
        )
    if rows:
        # One executemany, in the flips' order (by NIP), so ids follow it as they did row by row.
        session.execute(insert(OutboxEntry), rows)
        ids = _outbox_ids(session, list(keys.values()))
        changes = [
            replace(change, outbox_id=ids[keys[change.nip]]) if change.nip in keys else change
            for change in changes
        ]
    return changes, superseded


def _outbox_ids(session: Session, keys: list[str]) -> dict[str, int]:
    """The ids of the outbox rows with these idempotency keys."""
    ids: dict[str, int] = {}
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        query = select(OutboxEntry.idempotency_key, OutboxEntry.id).where(
            OutboxEntry.idempotency_key.in_(chunk)
        )
        ids.update(session.execute(query).tuples().all())
    return ids


def _supersede(session: Session, nips: list[str]) -> int:
    """Supersede the unsent rows of ``nips`` (their flags just changed), each naming its NIP's new
    ``block_state`` version; returns how many.

    A pending row that was sent without a definite answer (``maybe_applied``) is kept: its request
    may still be on its way inside SIASN (a read that timed out), and would land after the change
    that supersedes it, undoing it. Kept, it goes first under its own key (SIASN applies it, or
    replays it if the late copy came first), the new change after it (a NIP's oldest open row goes
    first), and the late copy is then a replay that changes nothing."""
    stale = moving_to(OutboxState.SUPERSEDED, *STALE_ON_FLIP)
    unsent = or_(OutboxEntry.state != OutboxState.PENDING, OutboxEntry.maybe_applied.is_(False))
    version = select(BlockState.version).where(BlockState.nip == OutboxEntry.nip).scalar_subquery()
    count = 0
    for start in range(0, len(nips), BATCH):
        chunk = nips[start : start + BATCH]
        count += session.execute(  # type: ignore[attr-defined]  # a CursorResult at runtime
            update(OutboxEntry)
            .where(OutboxEntry.nip.in_(chunk), OutboxEntry.state.in_(stale), unsent)
            .values(
                state=OutboxState.SUPERSEDED,
                last_error=literal("superseded by block_state version ") + cast(version, String),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    # Outbox rows this session had loaded read their state afresh (the update named no objects).
    for row in list(session.identity_map.values()):
        if isinstance(row, OutboxEntry):
            session.expire(row, ["state", "last_error"])
    return count


def _siasn_holds(session: Session, nips: list[str]) -> dict[str, PushAction | None]:
    """The flag SIASN is known to hold for each of ``nips`` that has a row SIASN has or may have
    applied (None: unknown); a NIP not in the answer is unblocked in SIASN.

    The NIP's latest row SIASN has or may have applied decides: one in flight or acknowledged with
    its action (an in-flight row is delivered before anything after it). A row sent without a
    definite answer (``maybe_applied``: deferred, or recovered from a run that stopped) leaves SIASN's
    flag unknown, so the change is written: SIASN answers "already in that state" if it was. A
    pending one is kept and delivered first (:func:`_supersede`), but it may yet be refused, so the
    change is written behind it all the same. With no row ever sent, SIASN's flag is unblocked.
    """
    sent_or_maybe = or_(OutboxEntry.state.in_(SENT), OutboxEntry.maybe_applied.is_(True))
    holds: dict[str, PushAction | None] = {}
    for start in range(0, len(nips), BATCH):
        chunk = nips[start : start + BATCH]
        latest = (
            select(func.max(OutboxEntry.id))
            .where(OutboxEntry.nip.in_(chunk), sent_or_maybe)
            .group_by(OutboxEntry.nip)
        )
        for nip, action, state in session.execute(
            select(OutboxEntry.nip, OutboxEntry.action, OutboxEntry.state).where(OutboxEntry.id.in_(latest))
        ).tuples():
            # A row that may have applied, but is not known to have, leaves the flag unknown.
            holds[nip] = PushAction(action) if state in SENT else None
    return holds


def held_before_ours(session: Session, nips: list[str]) -> set[str]:
    """The NIPs of ``nips`` (to be unblocked) whose block in SIASN is known not to be ours alone: our
    latest ``blokir`` was acknowledged as "already in that state" (SIASN held a block before ours: a
    Kanreg may block a NIP, DOMAIN.md) and no change of ours since our last acknowledged ``buka`` may
    have placed it (an earlier ``blokir`` that may have been applied). Lifting such a block would lift
    someone else's, so its ``buka`` is parked for a steward. Anything less certain is unblocked as
    before: a lost unblock weighs as much as a wrong block, neither is guessed."""
    sent_or_maybe = or_(OutboxEntry.state.in_(SENT), OutboxEntry.maybe_applied.is_(True))
    prior: set[str] = set()
    for start in range(0, len(nips), BATCH):
        chunk = nips[start : start + BATCH]
        rows = session.execute(
            select(OutboxEntry.nip, OutboxEntry.action, OutboxEntry.state, OutboxEntry.last_error)
            .where(OutboxEntry.nip.in_(chunk), sent_or_maybe)
            .order_by(OutboxEntry.id)
        ).tuples()
        held: dict[str, bool] = {}
        ours: dict[str, bool] = {}
        for nip, action, state, note in rows:
            acked = state == OutboxState.ACKED
            if action == PushAction.BUKA:
                # A buka acknowledged leaves SIASN unblocked; one that may have applied leaves it unknown.
                held[nip], ours[nip] = False, not acked
            elif acked and (note or "").startswith(ALREADY_HELD):
                held[nip] = not ours.get(nip, False)
            else:  # our block placed, or maybe placed
                held[nip], ours[nip] = False, True
        prior.update(nip for nip, before in held.items() if before)
    return prior


def _refresh_unchanged(
    blocks: Mapping[str, BlockDecision],
    states: Mapping[str, BlockState],
    flips: list[tuple[BlockDecision, BlockState | None]],
) -> None:
    """Keep the cases and reason of a still-blocked NIP current (no version bump, nothing to send)."""
    flipped = {decision.nip for decision, _ in flips}
    for nip, row in states.items():
        decision = blocks.get(nip)
        if nip in flipped or decision is None or not decision.blocked:
            continue
        ids = list(decision.blocking_case_ids)
        if row.case_ids != ids or row.reason != decision.reason:
            row.case_ids, row.reason = ids, decision.reason
