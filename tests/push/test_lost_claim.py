"""A pusher that stalled past its claim's lease has lost the row to whoever took it over: nothing it
records afterwards (a release, a deferral, a refusal) may undo the new holder's claim, or the row would
be pending (claimable, supersedable as never sent) while the new holder is sending it. The tries it did
make are still counted, and a claim given back unsent counts none."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from connectors.http import Page
from connectors.retry import RetryPolicy
from connectors.siasn import BlockStatus, PushResult, SiasnClient
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.push import Pusher, queue
from sbt_sync.push.queue import ClaimedRow
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH, siasn_client
from tests.push.helpers import assert_siasn_matches, outbox_rows, queue_blocks, toggle_sanctions

pytestmark = pytest.mark.integration

LEASE = timedelta(minutes=15)


class BeforeFirstSend:
    """The real SIASN client; just before its first block call is sent, ``action`` runs (another
    actor's work, in its own transactions)."""

    def __init__(self, inner: SiasnClient, action: Callable[[], None]) -> None:
        self._inner = inner
        self._action: Callable[[], None] | None = action
        self.stats = inner.stats

    def blokir(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        action, self._action = self._action, None
        if action is not None:
            action()
        return self._inner.blokir(nip, body, idempotency_key)

    def buka(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        return self._inner.buka(nip, body, idempotency_key)

    def data_utama(self, nip: str) -> dict[str, Any] | None:
        return self._inner.data_utama(nip)

    def registry_pages(self, cursor: str | None = None) -> Iterator[Page]:
        return self._inner.registry_pages(cursor)

    def status(self, nip: str) -> BlockStatus | None:
        return self._inner.status(nip)


def _stalled_claim(database: Database) -> ClaimedRow:
    """The claim of a pusher that stalled: the row was due half an hour ago, the pusher claimed it
    twenty minutes ago, its lease ended five minutes ago."""
    claimed_at = utcnow() - LEASE - timedelta(minutes=5)
    with database.session() as session:
        session.execute(update(OutboxEntry).values(next_attempt_at=claimed_at - timedelta(minutes=10)))
        (claimed,) = queue.claim(session, limit=1, now=claimed_at, lease=LEASE)
    return claimed


def test_a_stalled_pushers_give_back_cannot_lose_the_unblock_of_a_block_another_pusher_is_sending(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    """The stalled pusher gives its row back while another pusher, which took it over, is sending the
    block; the PPK's sanction arrives meanwhile. The block reaches SIASN, so the unblock must follow."""
    db = migrated_database
    queue_blocks(db, [nip(1)])
    stalled = _stalled_claim(db)
    lost: list[int] = []

    def stalled_pusher_wakes_then_sanction_arrives() -> None:
        with db.session() as session:
            lost.extend(queue.release(session, [stalled], utcnow()))
        toggle_sanctions(db, [nip(1)], as_of=date(2025, 1, 22))

    watch = BeforeFirstSend(siasn_client(siasn_sandbox), stalled_pusher_wakes_then_sanction_arrives)
    first = Pusher(db, watch, replace(FAST_PUSH, concurrency=1)).run()

    assert lost == [stalled.id]  # the stalled pusher's claim was lost: nothing given back
    assert first.acked == 2  # the block, then the unblock queued behind it
    assert [(r.action, r.state) for r in outbox_rows(db)] == [("blokir", "acked"), ("buka", "acked")]
    assert_siasn_matches(db, siasn_sandbox)


def test_a_pusher_whose_claim_was_taken_over_while_it_retried_records_nothing_but_its_tries(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1)])
    taken: list[ClaimedRow] = []

    def another_pusher_takes_over() -> None:  # its clock is past this claim's lease
        with db.session() as session:
            taken.extend(queue.claim(session, limit=1, now=utcnow() + timedelta(hours=1), lease=LEASE))

    siasn_sandbox.faults.set("siasn", error_5xx_rate=1.0)
    client = siasn_client(siasn_sandbox, retry=RetryPolicy(max_attempts=1, max_retry_after=1))
    watch = BeforeFirstSend(client, another_pusher_takes_over)
    report = Pusher(db, watch, replace(FAST_PUSH, concurrency=1, max_attempts=2)).run()

    assert (report.deferred, report.lost_claims) == (0, 1)
    (row,) = outbox_rows(db)
    (other,) = taken
    # Still the other pusher's: in flight under its lease. Counted: the two claims' tries and the
    # stalled pusher's second try.
    assert (row.state, row.next_attempt_at, row.claimed_by) == ("in_flight", other.lease_until, other.holder)
    assert (row.attempts, row.last_error, row.maybe_applied) == (3, None, False)
    with db.session() as session:
        assert queue.mark_acked(session, other, reference="REF-1", now=utcnow())
    assert [(r.state, r.siasn_reference) for r in outbox_rows(db)] == [("acked", "REF-1")]


StaleWrite = Callable[[Session, ClaimedRow], bool]
"""A stalled pusher's write of its outcome (two tries made); True when it landed."""

STALE_WRITES: dict[str, StaleWrite] = {
    "release": lambda session, claim: not queue.release(session, [claim], utcnow()),
    "deferred": lambda session, claim: queue.mark_deferred(
        session, claim, error="timed out", retry_at=utcnow(), extra_attempts=1
    ),
    "parked": lambda session, claim: queue.mark_parked(session, claim, message="SIASN 422", extra_attempts=1),
}


@pytest.mark.parametrize("write", STALE_WRITES.values(), ids=STALE_WRITES.keys())
def test_a_stalled_pushers_write_leaves_the_rows_new_claim_alone(
    migrated_database: Database, write: StaleWrite
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1)])
    stalled = _stalled_claim(db)
    with db.session() as session:
        (taken,) = queue.claim(session, limit=1, now=utcnow(), lease=LEASE)
    assert (taken.id, taken.attempts) == (stalled.id, 2)

    with db.session() as session:
        assert not write(session, stalled)

    (row,) = outbox_rows(db)
    assert (row.state, row.next_attempt_at, row.last_error) == ("in_flight", taken.lease_until, None)
    with db.session() as session:
        assert queue.mark_acked(session, taken, reference="REF-1", now=utcnow())
    (acked,) = outbox_rows(db)
    with db.session() as session:  # a late acknowledgement (SIASN replayed it): the first one stands
        assert not queue.mark_acked(session, stalled, reference="REF-1", now=utcnow() + LEASE)
        assert not write(session, stalled)
    (row,) = outbox_rows(db)
    assert (row.state, row.siasn_reference, row.acked_at) == ("acked", "REF-1", acked.acked_at)


def test_a_claim_given_back_unsent_counts_no_attempt_and_a_taken_over_one_counts_its_try(
    migrated_database: Database,
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1)])
    with db.session() as session:
        claimed = queue.claim(session, limit=1, now=utcnow(), lease=LEASE)
        assert queue.release(session, claimed, utcnow()) == []
    assert [(r.state, r.attempts) for r in outbox_rows(db)] == [("pending", 0)]
    _stalled_claim(db)  # sent, then its pusher stalled
    with db.session() as session:
        (taken,) = queue.claim(session, limit=1, now=utcnow(), lease=LEASE)
    assert taken.attempts == 2  # the stalled claim's try counts: it may have reached SIASN
