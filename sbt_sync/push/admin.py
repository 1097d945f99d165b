"""Steward actions on the push and what they read: status, dry run, approve, reject and retry.

Approving, rejecting and retrying are human actions: each writes an ``audit_log`` entry in its own
transaction. Errors a user can act on are :class:`~sbt_sync.errors.SbtError` with one-line messages.
Each action reads the rows it then changes while a pusher may be claiming and recording rows: on SQLite
it takes the write lock first (:func:`~sbt_sync.db.engine.lock_for_write`), so it waits its turn
instead of failing 'database is locked'; each must be the first thing its transaction does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from connectors.redact import mask_nip
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import lock_for_write
from sbt_sync.db.models import (
    AuditEntry,
    BlockState,
    Case,
    OutboxEntry,
    PushApproval,
    SiasnObservation,
    User,
)
from sbt_sync.db.models.people import object_ids
from sbt_sync.errors import SbtError
from sbt_sync.reconcile.identity.store import chunks
from sbt_sync.states.outbox import (
    APPROVAL_ROW_STATE,
    HELD_BEFORE_OURS,
    OPEN,
    ApprovalStatus,
    OutboxState,
    PushAction,
    check_approval_move,
    check_outbox_move,
    moving_to,
)

SAMPLE = 20


def outbox_status(session: Session) -> dict[str, Any]:
    """Rows per state, approvals waiting, parked rows (sample) and the latest readback's drift."""
    by_state = select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)
    counts: dict[str, int] = {state: count for state, count in session.execute(by_state).tuples()}
    waiting = session.scalars(
        select(PushApproval).where(PushApproval.status == ApprovalStatus.WAITING).order_by(PushApproval.id)
    )
    parked = session.scalars(
        select(OutboxEntry)
        .where(OutboxEntry.state == OutboxState.PARKED)
        .order_by(OutboxEntry.id)
        .limit(SAMPLE)
    )
    latest = session.scalar(select(func.max(SiasnObservation.observed_at)))
    drift = (
        session.scalar(
            select(func.count()).where(SiasnObservation.observed_at == latest, SiasnObservation.drift)
        )
        if latest is not None
        else None
    )
    return {
        "outbox": {state.value: counts.get(state, 0) for state in OutboxState},
        "approvals_waiting": [_approval(a) | {"held": _held(session, a)} for a in waiting],
        "parked": [_row(r) for r in parked],
        "readback": {"at": latest.isoformat() if latest else None, "drift": drift},
    }


def planned_pushes(session: Session) -> list[dict[str, Any]]:
    """What a push would send now and later (dry run): pending, in flight and awaiting approval."""
    rows = session.scalars(select(OutboxEntry).where(OutboxEntry.state.in_(OPEN)).order_by(OutboxEntry.id))
    return [_row(r) for r in rows]


@dataclass(frozen=True)
class Verdict:
    """What a steward says about a guarded push, in the words each channel needs."""

    status: ApprovalStatus
    """``approved`` releases the held rows, ``rejected`` withdraws them."""
    verb: str
    """``approve`` or ``reject``: the audit log's ``push.<verb>``, the console's ``push.<verb>_done``."""
    moved_key: str
    """The result key that counts the rows moved: ``released`` or ``withdrawn``."""
    done: str
    """The CLI's one line, formatted with the result."""


APPROVE = Verdict(
    ApprovalStatus.APPROVED, "approve", "released", "approval {id} approved: {released} row(s) released"
)
REJECT = Verdict(
    ApprovalStatus.REJECTED, "reject", "withdrawn", "approval {id} rejected: {withdrawn} row(s) withdrawn"
)


def decide_approval(
    session: Session,
    approval_id: int | None,
    verdict: Verdict,
    *,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
) -> dict[str, Any]:
    """Approve or reject a push the change guard held back (audited); the console and the CLI both
    decide through here. Without an id, the only waiting approval.

    Approving releases the held rows (``pending``, due now). Rejecting withdraws them
    (``superseded``), and each withdrawn change's block state goes back to the flag SIASN still holds
    (a new version), so the next enforcement run sees the change again and, while the data still asks
    for it, proposes it again behind the guard: a rejected unblock is never silently taken as done.
    The result is the approval, the rows moved (under ``verdict.moved_key``) and, for a rejection,
    how many block states were ``restored``.
    """
    lock_for_write(session, OutboxEntry)  # SQLite: reads then writes beside a pusher (module docstring)
    approval = _waiting(session, approval_id)
    held = (
        list(
            session.scalars(
                select(OutboxEntry).where(
                    OutboxEntry.approval_id == approval.id,
                    OutboxEntry.state == OutboxState.AWAITING_APPROVAL,
                )
            )
        )
        if verdict.status == ApprovalStatus.REJECTED
        else []
    )
    moved = _decide(
        session, approval, verdict, reason=reason, actor=actor, channel=channel,
        client_address=client_address,
    )  # fmt: skip
    result = _approval(approval) | {verdict.moved_key: moved}
    if verdict.status == ApprovalStatus.REJECTED:
        result["restored"] = _restore_block_states(session, held, approval.id)
    return result


def approve(
    session: Session,
    approval_id: int | None,
    *,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
) -> dict[str, Any]:
    """Release the rows a guard held back (:func:`decide_approval` with :data:`APPROVE`)."""
    return decide_approval(
        session, approval_id, APPROVE, reason=reason, actor=actor, channel=channel,
        client_address=client_address,
    )  # fmt: skip


def reject(
    session: Session,
    approval_id: int,
    *,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
) -> dict[str, Any]:
    """Withdraw the rows a guard held back (:func:`decide_approval` with :data:`REJECT`)."""
    return decide_approval(
        session, approval_id, REJECT, reason=reason, actor=actor, channel=channel,
        client_address=client_address,
    )  # fmt: skip


def _restore_block_states(session: Session, rows: Sequence[OutboxEntry], approval_id: int) -> int:
    restored = 0
    for row in rows:
        state = session.get(BlockState, row.nip)
        if state is None or state.version != row.block_version:
            continue  # a later change already moved this NIP on
        blocked_in_siasn = row.action == PushAction.BUKA
        case_ids = (
            list(session.scalars(select(Case.id).where(Case.case_key.in_(list(row.case_refs or [])))))
            if blocked_in_siasn
            else []
        )
        state.blocked, state.case_ids, state.version = blocked_in_siasn, case_ids, state.version + 1
        state.reason = (
            f"push approval {approval_id} rejected: {row.action} withdrawn; the next run decides again"
        )
        state.since = state.updated_at = utcnow()
        restored += 1
    return restored


def retry(
    session: Session,
    row_ids: Sequence[int] = (),
    *,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
) -> int:
    """Make parked rows (and pending rows waiting out a backoff) due now; all of them without ids.

    A parked row whose NIP's desired flag has changed since it was parked is never sent: it is
    superseded instead (a retry must not send a change that has been overtaken). Ids that name no
    row, or a row neither parked nor waiting out a backoff, are refused (nothing is changed)."""
    lock_for_write(session, OutboxEntry)  # SQLite: reads then writes beside a pusher (module docstring)
    now = utcnow()
    if row_ids:
        rows = {
            r.id: r for r in session.scalars(select(OutboxEntry).where(OutboxEntry.id.in_(list(row_ids))))
        }
        missing = sorted(set(row_ids) - set(rows))
        if missing:
            raise SbtError(f"no outbox row {missing[0]}", code="outbox_missing", id=missing[0])
        for row_id in sorted(rows):
            row = rows[row_id]
            waiting = row.state == _BACKING_OFF and row.next_attempt_at > now
            if row.state != _PARKED and not waiting:
                raise SbtError(
                    f"outbox row {row.id} is {row.state} and not waiting out a backoff: only a parked or "
                    "backing-off row can be retried",
                    code="retry_not_waiting",
                    id=row.id,
                )
    superseded = _supersede_overtaken(session, row_ids)
    renewed = _renew_refused_keys(session, row_ids)
    # The rows made due are read first, so the audit entry names each one even for "all" of them.
    query = select(OutboxEntry.id).where(
        or_(
            OutboxEntry.state == _PARKED,
            and_(OutboxEntry.state == _BACKING_OFF, OutboxEntry.next_attempt_at > now),
        )
    )
    if row_ids:
        query = query.where(OutboxEntry.id.in_(list(row_ids)))
    due = sorted(session.scalars(query))
    for chunk in chunks(due):  # SQLite binds at most 32,766 values
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(list(chunk)))
            .values(state=OutboxState.PENDING, next_attempt_at=now)
        )
    after: dict[str, Any] = {"rows": len(due), "ids": due}
    if superseded:
        after["superseded"] = superseded
    if renewed:
        after["new_idempotency_keys"] = renewed
    session.add(
        AuditEntry(
            at=now,
            actor_id=_actor_id(session, actor),
            actor_name=actor,
            action="push.retry",
            object_type="outbox",
            object_id=object_ids(row_ids) if row_ids else "all",
            after=after,
            reason=reason,
            channel=channel,
            client_address=client_address,
        )
    )
    return len(due)


RETRY_KEY_MARK = "-retry"


def retry_key(key: str, attempts: int) -> str:
    """The idempotency key a steward's retry of a refused row goes out under: the row's first key with
    ``-retry<attempts>`` (one per retry, since every send counts an attempt)."""
    return f"{key.partition(RETRY_KEY_MARK)[0]}{RETRY_KEY_MARK}{attempts}"


def _renew_refused_keys(session: Session, row_ids: Sequence[int]) -> dict[int, str]:
    """Give the parked rows being retried a fresh idempotency key; their ids and new keys.

    A parked row is one SIASN refused (a 4xx or ``success: false``: nothing applied, or the same key
    would have replayed the success) or one never sendable. SIASN stores the answer of a refused key
    too and replays it for the same key and body, so a retry under the old key could never succeed
    after the cause was fixed (the NIP added to SIASN's registry): the refusal would come back for
    ever. Nothing was applied under the old key, so a new one cannot apply the change twice. Rows
    waiting out a backoff keep their key: their last try may have been applied with the answer lost.
    So does a row parked on an answer that was no refusal but no acknowledgement either
    (``maybe_applied``): SIASN may have applied it, and only the same key cannot apply it twice. A row
    parked before it was ever sent (no attempt: an unblock of a block SIASN held before ours) keeps its
    key: SIASN has stored nothing under it.
    """
    query = select(OutboxEntry).where(
        OutboxEntry.state == _PARKED, OutboxEntry.maybe_applied.is_(False), OutboxEntry.attempts > 0
    )
    if row_ids:
        query = query.where(OutboxEntry.id.in_(list(row_ids)))
    renewed: dict[int, str] = {}
    for row in session.scalars(query):
        key = retry_key(row.idempotency_key, row.attempts)
        if key != row.idempotency_key:
            row.idempotency_key = key
            renewed[row.id] = key
    session.flush()
    return renewed


def _supersede_overtaken(session: Session, row_ids: Sequence[int]) -> list[int]:
    """Supersede the parked rows (of ``row_ids``; all without) whose action no longer sets the NIP's
    desired flag (``block_state``); their ids."""
    query = select(OutboxEntry).where(OutboxEntry.state == OutboxState.PARKED)
    if row_ids:
        query = query.where(OutboxEntry.id.in_(list(row_ids)))
    overtaken: list[int] = []
    for row in session.scalars(query.order_by(OutboxEntry.id)):
        state = session.get(BlockState, row.nip)
        desired = state is not None and state.blocked
        if (row.action == PushAction.BLOKIR) != desired or (
            state is not None and state.version != row.block_version
        ):
            check_outbox_move(row.state, OutboxState.SUPERSEDED)
            row.state = OutboxState.SUPERSEDED
            row.last_error = f"superseded: the desired flag changed since SIASN refused it ({row.last_error})"
            overtaken.append(row.id)
    session.flush()
    return overtaken


def withdraw(
    session: Session,
    row_ids: Sequence[int],
    *,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
) -> int:
    """Withdraw parked rows a steward has decided SIASN will never take (e.g. a NIP SIASN does not
    know): they become ``superseded`` and are never sent; audited with the reason. The NIP's desired
    flag is unchanged, so a readback keeps reporting the drift until the registry or a case changes."""
    if not row_ids:
        raise SbtError("name the parked outbox rows to withdraw", code="withdraw_ids")
    lock_for_write(session, OutboxEntry)  # SQLite: reads then writes beside a pusher (module docstring)
    now = utcnow()
    rows = list(session.scalars(select(OutboxEntry).where(OutboxEntry.id.in_(list(row_ids)))))
    missing = sorted(set(row_ids) - {r.id for r in rows})
    if missing:
        raise SbtError(f"no outbox row {missing[0]}", code="outbox_missing", id=missing[0])
    for row in rows:
        if row.state != OutboxState.PARKED:
            raise SbtError(
                f"outbox row {row.id} is {row.state}, not parked: only a parked row can be withdrawn",
                code="withdraw_not_parked",
                id=row.id,
            )
    for row in rows:
        check_outbox_move(row.state, OutboxState.SUPERSEDED)
        row.state = OutboxState.SUPERSEDED
        row.last_error = f"withdrawn by {actor}: {reason} (SIASN had answered: {row.last_error})"
    session.add(
        AuditEntry(
            at=now,
            actor_id=_actor_id(session, actor),
            actor_name=actor,
            action="push.withdraw",
            object_type="outbox",
            object_id=object_ids(r.id for r in rows),
            after={"rows": len(rows), "ids": [r.id for r in rows], "nips": [mask_nip(r.nip) for r in rows]},
            reason=reason,
            channel=channel,
            client_address=client_address,
        )
    )
    session.flush()
    return len(rows)


_PARKED, _BACKING_OFF = moving_to(OutboxState.PENDING, OutboxState.PARKED, OutboxState.PENDING)
"""What a retry makes due now: parked rows, and pending rows waiting out a backoff."""


def _waiting(session: Session, approval_id: int | None) -> PushApproval:
    if approval_id is not None:
        approval = session.get(PushApproval, approval_id)
        if approval is None:
            raise SbtError(
                f"push approval {approval_id} does not exist", code="approval_missing", id=approval_id
            )
        if approval.status != ApprovalStatus.WAITING:
            raise SbtError(
                f"push approval {approval_id} is already {approval.status}",
                code="approval_done",
                id=approval_id,
                status=approval.status,
            )
        return approval
    waiting = list(session.scalars(select(PushApproval).where(PushApproval.status == ApprovalStatus.WAITING)))
    if not waiting:
        raise SbtError("no push waits for approval", code="approval_none")
    if len(waiting) > 1:
        raise SbtError(
            "several pushes wait for approval (ids " + ", ".join(str(a.id) for a in waiting) + "): name one"
        )
    return waiting[0]


def _actor_id(session: Session, actor: str) -> int | None:
    return session.scalar(select(User.id).where(User.username == actor))


def _decide(
    session: Session,
    approval: PushApproval,
    verdict: Verdict,
    *,
    reason: str,
    actor: str,
    channel: str,
    client_address: str | None,
) -> int:
    if not reason.strip():
        raise SbtError("a reason is required", code="reason_required")
    before, status = approval.status, verdict.status
    check_approval_move(before, status)
    if verdict.status == ApprovalStatus.APPROVED and not _held(session, approval):
        # Every change it held was overtaken by a later run (or SIASN already had it): approving
        # would release nothing, so it is refused and nothing is recorded. Rejecting closes it (the
        # push monitor offers that alone), recorded like any decision, withdrawing no row.
        raise SbtError(
            f"push approval {approval.id} holds no change waiting for approval any more (a later run "
            "replaced them, or SIASN already has them): nothing to approve; reject it to close it",
            code="approval_empty",
            id=approval.id,
        )
    row_state = APPROVAL_ROW_STATE[status]
    now = utcnow()
    approval.status, approval.decided_at, approval.reason = status, now, reason
    approval.decided_by_id = _actor_id(session, actor)
    moved = sorted(  # read first: the audit entry names every row the decision moves
        session.scalars(
            select(OutboxEntry.id).where(
                OutboxEntry.approval_id == approval.id,
                OutboxEntry.state.in_(moving_to(row_state, OutboxState.AWAITING_APPROVAL)),
            )
        )
    )
    for chunk in chunks(moved):
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(list(chunk)))
            .values(state=row_state, next_attempt_at=now)
        )
    session.add(
        AuditEntry(
            at=now,
            actor_id=approval.decided_by_id,
            actor_name=actor,
            action=f"push.{verdict.verb}",
            object_type="push_approval",
            object_id=str(approval.id),
            before={"status": before},
            after={"status": status, "rows": len(moved), "ids": moved},
            reason=reason,
            channel=channel,
            client_address=client_address,
        )
    )
    return len(moved)


def _held(session: Session, approval: PushApproval) -> int:
    """How many outbox rows still wait for ``approval``'s decision."""
    held: int = (
        session.scalar(
            select(func.count()).where(
                OutboxEntry.approval_id == approval.id, OutboxEntry.state == OutboxState.AWAITING_APPROVAL
            )
        )
        or 0
    )
    return held


def _approval(a: PushApproval) -> dict[str, Any]:
    return {
        "id": a.id,
        "status": a.status,
        "change_count": a.change_count,
        "blocked_before": a.blocked_before,
        "percent": a.percent,
        "summary": a.summary,
        "requested_at": a.requested_at.isoformat(),
    }


def _row(r: OutboxEntry) -> dict[str, Any]:
    return {
        "id": r.id,
        "nip": mask_nip(r.nip),
        "action": r.action,
        "state": r.state,
        "cases": r.case_refs,
        "idempotency_key": r.idempotency_key,
        "attempts": r.attempts,
        "last_error": r.last_error,
        "held_before_ours": r.state == OutboxState.PARKED
        and (r.last_error or "").startswith(HELD_BEFORE_OURS),
        "approval_id": r.approval_id,
    }
