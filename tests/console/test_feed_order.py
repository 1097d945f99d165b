"""The SIASN pull feed never moves its cursor past a change a concurrent transaction has taken an id
for but not committed yet: outbox ids commit in order (``db.engine.lock_outbox``)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.states.outbox import FINAL
from sbt_sync.steward.feed import block_change_feed
from tests.console.conftest import NIP_A, NIP_B, World
from tests.push.helpers import meanwhile_after


def _row(nip: str, action: str, version: int) -> OutboxEntry:
    return OutboxEntry(idempotency_key=f"sbt-{action}-v{version}-{nip[-4:]}", nip=nip, action=action,
                       case_refs=["CASE"], payload={}, state="acked", block_version=version)  # fmt: skip


def test_a_change_committed_late_is_not_left_behind_the_feed_cursor(world: World) -> None:
    if world.database.dialect == "sqlite":
        pytest.skip("SQLite serialises writers: two outbox writers cannot overlap")
    with world.database.session() as session:  # settle the seeded parked row
        parked = session.get(OutboxEntry, world.ids["outbox"])
        assert parked is not None
        parked.state = "acked"
    start = block_change_feed(world.database, after=0).next_cursor

    def fast_writer() -> None:  # e.g. the daemon's readback beside `sbt-sync enforce run`
        with world.database.session() as fast:
            fast.add(_row(NIP_B, "buka", 11))

    with world.database.session() as slow:
        early = _row(NIP_A, "blokir", 10)
        slow.add(early)
        slow.flush()  # the id is taken, the row not yet visible to others
        fast = threading.Thread(target=fast_writer)
        fast.start()
        fast.join(timeout=1.0)
        waited = fast.is_alive()
        page = block_change_feed(world.database, after=start)  # SIASN pulls meanwhile
        early_id = early.id
    fast.join(timeout=10.0)
    assert not fast.is_alive()
    later = block_change_feed(world.database, after=page.next_cursor)
    seen = [i.seq for i in page.items] + [i.seq for i in later.items]
    assert early_id in seen, f"row {early_id} committed after the cursor moved to {page.next_cursor}"
    assert waited, "the second outbox writer did not wait for the first to commit"
    assert [i.seq for i in later.items] == sorted(i.seq for i in later.items)


def test_a_change_committed_while_the_feed_reads_is_not_shown_before_it_is_final(world: World) -> None:
    """The feed decides where it stops and reads the rows before that point from one view of the
    outbox: a pending change committed between the two (an enforcement run beside SIASN's pull) is
    not handed out as if final, and no item a consumer has read changes meaning later."""
    with world.database.session() as session:  # settle the seeded parked row: nothing waits
        parked = session.get(OutboxEntry, world.ids["outbox"])
        assert parked is not None
        parked.state = "acked"
    start = block_change_feed(world.database, after=0).next_cursor
    writer = Database(world.database.url)

    def enforcement() -> None:  # queues a block SIASN has not acknowledged yet
        with writer.session() as session:
            pending = _row(NIP_A, "blokir", 12)
            pending.state = "pending"
            session.add(pending)

    try:
        with meanwhile_after(world.database, "SELECT", enforcement):  # its first read
            page = block_change_feed(world.database, after=start)
    finally:
        writer.dispose()
    with world.database.session() as session:
        states = {r.id: r.state for r in session.scalars(select(OutboxEntry))}
    assert [(i.seq, states[i.seq]) for i in page.items if states[i.seq] not in FINAL] == []
    assert page.next_cursor == start
