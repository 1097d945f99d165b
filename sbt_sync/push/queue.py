"""The outbox as a work queue: claim due rows, and record what SIASN answered.

A claimed row is ``in_flight`` with a lease (``next_attempt_at`` is when the lease ends) and its
holder's token (``claimed_by``). A row left ``in_flight`` by a killed pusher is claimed again after its
lease, or at once by a pusher started with ``recover`` when its holder is known to be gone; it is
re-sent with its stored key and body, so SIASN replays instead of applying twice.
Rows of one NIP go out in order: only a NIP's oldest open row is ever claimable. Due rows are
claimed longest due first (``next_attempt_at``, then id): a row given a rest (a transient failure, or
a 403 before any write of its run was acknowledged) goes behind the rows due before its rest ended, so
one row that keeps failing is never always first in line.

Every write of a claimed row's outcome is conditional on the claim the writer holds (:func:`_held`:
still ``in_flight`` under its holder token and its lease's end, which no later claim shares). A pusher
that stalled past its lease may find the row taken over by another pusher (or recovered, or already
acknowledged): its write then changes nothing but the row's attempt count (the tries it did make) and
says so (False), for the pusher to log and count. Only SIASN's acknowledgement is recorded whatever
became of the row (:func:`mark_acked`): it is the truth about SIASN.

``attempts`` counts the tries sent to SIASN: a claim counts its first try up front (so a crash while
sending still counts it), the outcome adds the tries beyond it, and a claim given back unsent
(:func:`release`) gives its try back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, func, select, update
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
    """Tries counted so far, this claim's first included."""
    holder: str
    """The holder token the claim wrote (``claimed_by``)."""
    lease_until: datetime
    """The end of the claim's lease as written (``next_attempt_at``): with ``holder``, what tells this
    claim from any later one of the same row (a later claim's lease ends later)."""
    maybe_applied: bool = False
    """An earlier try may have been applied (the row's ``maybe_applied`` when it was claimed)."""
    send_by: float = math.inf
    """The :func:`time.monotonic` instant by which every try under this claim must have ended (the
    pusher sets it inside the claim's lease)."""


def _held(claim: ClaimedRow) -> ColumnElement[bool]:
    """The row is still held under ``claim``: nobody recovered, claimed or recorded it since."""
    return and_(
        OutboxEntry.id == claim.id,
        OutboxEntry.state == _S.IN_FLIGHT,
        OutboxEntry.claimed_by == claim.holder,
        OutboxEntry.next_attempt_at == claim.lease_until,
    )


def _count_tries(session: Session, row_id: int, tries: int) -> None:
    """Count ``tries`` made under a claim that was lost meanwhile: they were sent all the same."""
    if tries:
        session.execute(
            update(OutboxEntry).where(OutboxEntry.id == row_id).values(attempts=OutboxEntry.attempts + tries)
        )


def _landed(result: object) -> bool:
    return cast(int, result.rowcount) == 1  # type: ignore[attr-defined]  # a CursorResult at runtime


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
    """Claim up to ``limit`` due rows (pending, or in flight with an expired lease), longest due first
    (``next_attempt_at``, then id; one NIP's rows still go out in id order: module docstring).

    Safe beside other claimers (two pushers on one outbox): on SQLite the claim takes the write lock
    before it reads (another pusher's claim waits its turn instead of failing 'database is locked');
    on PostgreSQL each row is taken by a conditional update that only one claimer can win."""
    lock_for_write(session, OutboxEntry)
    due = and_(
        OutboxEntry.state.in_(moving_to(_S.IN_FLIGHT, _S.PENDING, _S.IN_FLIGHT)),
        OutboxEntry.next_attempt_at <= now,
    )
    candidates = session.scalars(
        select(OutboxEntry).where(due).order_by(OutboxEntry.next_attempt_at, OutboxEntry.id).limit(limit * 4)
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
    holder, lease_until = holder_token(), now + lease
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
                next_attempt_at=lease_until,
                attempts=row.attempts + 1,
                claimed_by=holder,
            )
            .execution_options(synchronize_session=False)
        )
        if _landed(won):  # another pusher may have been faster
            action = PushAction(row.action)
            claimed.append(
                ClaimedRow(
                    row.id,
                    row.nip,
                    action,
                    row.idempotency_key,
                    dict(row.payload),
                    row.attempts + 1,
                    holder=holder,
                    lease_until=lease_until,
                    maybe_applied=bool(row.maybe_applied),
                )
            )
    return claimed


def mark_acked(
    session: Session,
    claim: ClaimedRow,
    *,
    reference: str,
    now: datetime,
    note: str | None = None,
    extra_attempts: int = 0,
) -> bool:
    """Record SIASN's acknowledgement (``note``: e.g. SIASN already held the flag) whatever became of
    the row since it was claimed (a late answer: :data:`sbt_sync.states.outbox.OUTBOX_MOVES` allows
    ``-> acked`` from every state a claimed row can be in): SIASN applied the change. A row already
    acknowledged keeps its first acknowledgement (only the tries are counted). Returns whether the
    claim was still held."""
    held = _landed(
        session.execute(
            update(OutboxEntry)
            .where(_held(claim))
            .values(
                state=_S.ACKED,
                siasn_reference=reference,
                acked_at=now,
                last_error=note,
                attempts=OutboxEntry.attempts + extra_attempts,
            )
        )
    )
    if held:
        return True
    late = session.execute(
        update(OutboxEntry)
        .where(
            OutboxEntry.id == claim.id,
            OutboxEntry.state.in_(moving_to(_S.ACKED, _S.PENDING, _S.IN_FLIGHT, _S.PARKED, _S.SUPERSEDED)),
        )
        .values(
            state=_S.ACKED,
            siasn_reference=reference,
            acked_at=now,
            last_error=note,
            attempts=OutboxEntry.attempts + extra_attempts,
        )
    )
    if not _landed(late):  # acknowledged already (by the pusher that took it over): the first stands
        _count_tries(session, claim.id, extra_attempts)
    return False


def mark_parked(
    session: Session, claim: ClaimedRow, *, message: str, extra_attempts: int = 0, maybe_applied: bool = False
) -> bool:
    """Park a row SIASN refused, or answered without an acknowledgement (``maybe_applied``: SIASN may
    have applied it); ``message`` is SIASN's own explanation, shown to stewards verbatim. Only under
    the claim the caller holds; False (nothing parked) when the claim was lost."""
    held = _landed(
        session.execute(
            update(OutboxEntry)
            .where(_held(claim), OutboxEntry.state.in_(moving_to(_S.PARKED, _S.IN_FLIGHT)))
            .values(
                state=_S.PARKED,
                last_error=message,
                attempts=OutboxEntry.attempts + extra_attempts,
                # Refused under this key: a replay would have answered as before, nothing applied.
                maybe_applied=maybe_applied,
            )
        )
    )
    if not held:
        _count_tries(session, claim.id, extra_attempts)
    return held


def mark_deferred(
    session: Session,
    claim: ClaimedRow,
    *,
    error: str,
    retry_at: datetime,
    extra_attempts: int = 0,
    maybe_applied: bool = True,
) -> bool:
    """Give a row back as ``pending`` until ``retry_at`` (transient failures outlasted this run's
    retries). It was sent without a definite answer, so SIASN may have applied it (``maybe_applied``;
    False only when every try got a definite refusal and none before may have applied: the flag is
    then left as it was).
    Only under the claim the caller holds; False (nothing changed but the tries counted) when the claim
    was lost: the row is another pusher's now, or recovered (``maybe_applied`` already)."""
    held = _landed(
        session.execute(
            update(OutboxEntry)
            .where(_held(claim), OutboxEntry.state.in_(moving_to(_S.PENDING, _S.IN_FLIGHT)))
            .values(
                state=_S.PENDING,
                maybe_applied=True if maybe_applied else OutboxEntry.maybe_applied,
                last_error=error,
                next_attempt_at=retry_at,
                attempts=OutboxEntry.attempts + extra_attempts,
            )
        )
    )
    if not held:
        _count_tries(session, claim.id, extra_attempts)
    return held


def open_count(session: Session) -> int:
    """Rows a pusher still has to deliver: pending (due now or later) or in flight. Rows awaiting a
    steward's approval are not counted: no pusher may send them yet."""
    query = select(func.count()).where(OutboxEntry.state.in_((_S.PENDING, _S.IN_FLIGHT)))
    return int(session.scalar(query.select_from(OutboxEntry)) or 0)


def release(session: Session, claims: Iterable[ClaimedRow], now: datetime, *, tries: int = 0) -> list[int]:
    """Give claimed rows back, due at once (the run stops before sending them, or SIASN refused our
    credentials: ``tries`` were sent). The attempt count keeps exactly the ``tries`` made: a row never
    sent gives back the try its claim counted. The tries before a refusal of our credentials failed
    without a definite answer, so SIASN may have applied them (``maybe_applied``). Only the rows still
    held under the caller's claim are given back; returns the ids of the others (claims lost: left as
    they are, the tries counted)."""
    values: dict[str, Any] = {
        "state": _S.PENDING,
        "next_attempt_at": now,
        "attempts": OutboxEntry.attempts + tries - 1,
    }
    if tries > 1:
        values["maybe_applied"] = True
    lost: list[int] = []
    for claim in claims:
        result = session.execute(
            update(OutboxEntry)
            .where(_held(claim), OutboxEntry.state.in_(moving_to(_S.PENDING, _S.IN_FLIGHT)))
            .values(values)
        )
        if not _landed(result):
            lost.append(claim.id)
            _count_tries(session, claim.id, max(0, tries - 1))
    return lost
