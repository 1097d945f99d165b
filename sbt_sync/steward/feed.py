"""The ordered, cursor-paged feed of block and unblock changes that SIASN can pull.

Items are outbox rows in creation order (the cursor is the last row id seen). The feed shows only
changes whose fate is final: acknowledged by SIASN, or superseded before sending (shown, marked, so a
consumer skips it). It stops before the first row still pending, awaiting a steward's approval, in
flight or parked, so an item never appears behind a consumer's cursor and no item it has read changes
meaning later. A consumer applies, in order, every item that is not superseded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.states.outbox import FINAL, OutboxState, PushAction


@dataclass
class FeedItem:
    seq: int
    nip: str
    action: PushAction
    block_version: int
    idempotency_key: str
    cases: list[str]
    superseded: bool
    created_at: datetime
    acked_at: datetime | None
    siasn_reference: str | None


@dataclass
class FeedPage:
    items: list[FeedItem]
    next_cursor: int
    """Pass it as ``after`` next time; equal to the request's when nothing new is final yet."""
    waiting_at: int | None
    """The id of the row the feed waits on (not final yet), if any."""


def block_change_feed(database: Database, *, after: int = 0, limit: int = 100) -> FeedPage:
    first_waiting = (
        select(func.min(OutboxEntry.id))
        .where(OutboxEntry.id > after, OutboxEntry.state.not_in(FINAL))
        .scalar_subquery()
    )
    # One statement, so one view of the outbox: read apart, a change committed between finding where
    # the feed stops and reading the rows before it (PostgreSQL reads each statement afresh) would be
    # handed out while still pending.
    query = (
        select(OutboxEntry, first_waiting)
        .where(OutboxEntry.id > after, or_(first_waiting.is_(None), OutboxEntry.id < first_waiting))
        .order_by(OutboxEntry.id)
        .limit(limit)
    )
    with database.session() as session:
        found = session.execute(query).tuples().all()
        rows = [row for row, _ in found]
        # With no row to show, where the feed waits is told for information only.
        barrier = found[0][1] if found else session.scalar(select(first_waiting))
    items = [
        FeedItem(
            seq=r.id,
            nip=r.nip,
            action=PushAction(r.action),
            block_version=r.block_version,
            idempotency_key=r.idempotency_key,
            cases=list(r.case_refs or []),
            superseded=r.state == OutboxState.SUPERSEDED,
            created_at=r.created_at,
            acked_at=r.acked_at,
            siasn_reference=r.siasn_reference,
        )
        for r in rows
    ]
    return FeedPage(items, rows[-1].id if rows else after, barrier)
