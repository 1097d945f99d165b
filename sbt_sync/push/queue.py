"""The outbox as a work queue: claim due rows, and record what SIASN answered.

A claimed row is ``in_flight`` with a lease (``next_attempt_at`` is when the lease ends) and its
holder's token (``claimed_by``). A row left ``in_flight`` by a killed pusher is claimed again after its
lease, or at once by a pusher started with ``recover`` when its holder is known to be gone; it is
re-sent with its stored key and body, so SIASN replays instead of applying twice.
Rows of one NIP go out in order: only a NIP's oldest open row is ever claimable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from sbt_sync.db.engine import lock_for_write
from sbt_sync.db.models import OutboxEntry
from sbt_sync.holders import holder_gone, holder_token
from sbt_sync.states.outbox import OPEN, OutboxState, PushAction, moving_to

_S = OutboxState


@dataclass(frozen=True)
class ClaimedRow:
    """One row this pusher now owns: exactly what to send."""

    id: int
    nip: str
    action: PushAction
    idempotency_key: str
    payload: dict[str, Any]
    attempts: int
    """Claims so far, this one included."""
    send_by: float = math.inf
    """The :func:`time.monotonic` instant by which every try under this claim must have ended (the
    pusher sets it inside the claim's lease)."""


def recover_in_flight(session: Session, now: datetime) -> int:
    """Make due again the ``in_flight`` rows whose holder is gone (:func:`sbt_sync.holders.holder_gone`)
    or whose lease ran out: a pusher taking over a dead one's rows at once. A row a live pusher is
    still sending is left to it. A recovered row may have been applied (``maybe_applied``)."""
    lock_for_write(session, OutboxEntry)  # SQLite: read and write as one step beside another pusher
    rows = session.execute(
        select(
            OutboxEntry.id, OutboxEntry.claimed_by, OutboxEntry.next_attempt_at, OutboxEntry.attempts
        ).where(OutboxEntry.state.in_(moving_to(_S.PENDING, _S.IN_FLIGHT)))
    ).all()
    recovered = 0
    for row_id, holder, until, attempts in rows:
        if not (until <= now or holder_gone(holder)):
            continue
        # Only the claim we judged abandoned: another pusher may have recovered and claimed the row
        # since (it is sending it now), and every claim counts an attempt.
        result = session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.id == row_id, OutboxEntry.state == _S.IN_FLIGHT, OutboxEntry.attempts == attempts
            )
            .values(state=_S.PENDING, next_attempt_at=now, maybe_applied=True)
        )
        recovered += cast(int, result.rowcount)  # type: ignore[attr-defined]  # a CursorResult at runtime
    return recovered


def claim(session: Session, *, limit: int, now: datetime, lease: timedelta) -> list[ClaimedRow]:
    """Claim up to ``limit`` due rows (pending, or in flight with an expired lease), oldest first.

    Safe beside other claimers (two pushers on one outbox): on SQLite the claim takes the write lock
    before it reads (another pusher's claim waits its turn instead of failing 'database is locked');
    on PostgreSQL each row is taken by a conditional update that only one claimer can win."""
    lock_for_write(session, OutboxEntry)
    due = and_(
        OutboxEntry.state.in_(moving_to(_S.IN_FLIGHT, _S.PENDING, _S.IN_FLIGHT)),
        OutboxEntry.next_attempt_at <= now,
    )
    candidates = session.scalars(
        select(OutboxEntry).where(due).order_by(OutboxEntry.id).limit(limit * 4)
    ).all()
    if not candidates:
        return []
    first_open = dict(
        session.execute(
            select(OutboxEntry.nip, func.min(OutboxEntry.id))
            .where(OutboxEntry.nip.in_({c.nip for c in candidates}), OutboxEntry.state.in_(OPEN))
            .group_by(OutboxEntry.nip)
        )
        .tuples()
        .all()
    )
    claimed: list[ClaimedRow] = []
    for row in candidates:
        if len(claimed) >= limit or first_open.get(row.nip) != row.id:
            continue
        won = session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.id == row.id, OutboxEntry.state == row.state, OutboxEntry.attempts == row.attempts
            )
            .values(
                state=_S.IN_FLIGHT,
                next_attempt_at=now + lease,
                attempts=row.attempts + 1,
                claimed_by=holder_token(),
            )
            .execution_options(synchronize_session=False)
        )
        if won.rowcount == 1:  # type: ignore[attr-defined]  # another pusher may have been faster
            action = PushAction(row.action)
            claimed.append(
                ClaimedRow(row.id, row.nip, action, row.idempotency_key, dict(row.payload), row.attempts + 1)
            )
    return claimed


def mark_acked(
    session: Session,
    row_id: int,
    *,
    reference: str,
    now: datetime,
    note: str | None = None,
    extra_attempts: int = 0,
) -> None:
    """Record SIASN's acknowledgement (``note``: e.g. SIASN already held the flag), whatever became
    of the row since it was claimed (a late answer: :data:`sbt_sync.states.outbox.OUTBOX_MOVES`
    allows ``-> acked`` from every state a claimed row can be in), so there is no condition on its
    state."""
    session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id == row_id)
        .values(
            state=_S.ACKED,
            siasn_reference=reference,
            acked_at=now,
            last_error=note,
            attempts=OutboxEntry.attempts + extra_attempts,
        )
    )


def mark_parked(session: Session, row_id: int, *, message: str, extra_attempts: int = 0) -> None:
    """Park a row SIASN refused; ``message`` is SIASN's own explanation, shown to stewards verbatim."""
    session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id == row_id, OutboxEntry.state.in_(moving_to(_S.PARKED, _S.IN_FLIGHT)))
        .values(
            state=_S.PARKED,
            last_error=message,
            attempts=OutboxEntry.attempts + extra_attempts,
            maybe_applied=False,  # SIASN refused this key: a replay would have answered as before
        )
    )


def mark_deferred(
    session: Session, row_id: int, *, error: str, retry_at: datetime, extra_attempts: int = 0
) -> None:
    """Give a row back as ``pending`` until ``retry_at`` (transient failures outlasted this run's
    retries). It was sent without a definite answer, so SIASN may have applied it (``maybe_applied``)."""
    session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id == row_id, OutboxEntry.state.in_(moving_to(_S.PENDING, _S.IN_FLIGHT)))
        .values(
            state=_S.PENDING,
            maybe_applied=True,
            last_error=error,
            next_attempt_at=retry_at,
            attempts=OutboxEntry.attempts + extra_attempts,
        )
    )


def open_count(session: Session) -> int:
    """Rows a pusher still has to deliver: pending (due now or later) or in flight. Rows awaiting a
    steward's approval are not counted: no pusher may send them yet."""
    query = select(func.count()).where(OutboxEntry.state.in_((_S.PENDING, _S.IN_FLIGHT)))
    return int(session.scalar(query.select_from(OutboxEntry)) or 0)


def release(session: Session, row_ids: Iterable[int], now: datetime) -> None:
    """Give claimed rows back untouched (the run stops before sending them)."""
    ids = list(row_ids)
    if ids:
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(ids), OutboxEntry.state.in_(moving_to(_S.PENDING, _S.IN_FLIGHT)))
            .values(state=_S.PENDING, next_attempt_at=now)
        )
