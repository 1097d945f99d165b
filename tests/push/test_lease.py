"""A push without a time budget against a SIASN that throttles every call and answers slowly: every try
of a claimed row ends before that claim's lease does, so no second pusher can take over a row this one
is still sending. A row a worker has not started before its lease ends is given back untouched, and a
later run (SIASN healthy) delivers each change exactly once with its key."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from connectors.http import Page
from connectors.retry import RetryPolicy
from connectors.siasn import BlockStatus, PushResult, SiasnClient
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.push import Pusher
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH, pusher, siasn_client
from tests.push.helpers import assert_siasn_matches, outbox_rows, queue_blocks

pytestmark = pytest.mark.integration

LEASE = 2.5
"""Seconds a claim is the pusher's: far shorter than the tries a throttled row gets in one run."""
OPTIONS = replace(FAST_PUSH, concurrency=1, lease_seconds=LEASE, max_attempts=3, max_retry_after=5)
CLIENT_RETRY = RetryPolicy(max_attempts=2, initial_backoff=0.001, max_backoff=0.01, max_retry_after=5)

Send = Callable[[str, Mapping[str, Any], str], PushResult]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class LeaseWatch:
    """The real SIASN client; each block call notes the lease of the claim it was sent under (read
    from the outbox as the call starts) and when the call ended."""

    def __init__(self, inner: SiasnClient, database: Database) -> None:
        self._inner = inner
        self._db = database
        self.calls: list[tuple[datetime, datetime]] = []
        self.stats = inner.stats

    def _watched(self, send: Send, number: str, body: Mapping[str, Any], key: str) -> PushResult:
        with self._db.session() as session:
            lease_ends = session.scalars(
                select(OutboxEntry.next_attempt_at).where(OutboxEntry.idempotency_key == key)
            ).one()
        try:
            return send(number, body, key)
        finally:
            self.calls.append((_aware(lease_ends), utcnow()))

    def blokir(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        return self._watched(self._inner.blokir, nip, body, idempotency_key)

    def buka(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        return self._watched(self._inner.buka, nip, body, idempotency_key)

    def data_utama(self, nip: str) -> dict[str, Any] | None:
        return self._inner.data_utama(nip)

    def registry_pages(self, cursor: str | None = None) -> Iterator[Page]:
        return self._inner.registry_pages(cursor)

    def status(self, nip: str) -> BlockStatus | None:
        return self._inner.status(nip)


def test_a_throttled_push_without_budget_ends_every_try_within_the_claims_lease(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1), nip(2)])
    siasn_sandbox.faults.set("siasn", throttle_rate=1.0, retry_after_seconds=1, latency_ms=300)
    watch = LeaseWatch(siasn_client(siasn_sandbox, retry=CLIENT_RETRY), db)

    report = Pusher(db, watch, OPTIONS).run()

    assert watch.calls, "nothing was sent"
    late = [(lease, ended) for lease, ended in watch.calls if ended >= lease]
    assert late == [], "a try outlived its claim's lease: another pusher could have taken the row over"
    # The second row waited for the worker past its lease: given back untouched, claimed anew.
    assert (report.acked, report.deferred, report.not_started) == (0, 2, 1)
    rows = outbox_rows(db)
    assert [(r.state, r.maybe_applied) for r in rows] == [("pending", True)] * 2
    assert all("throttled" in (r.last_error or "") or "429" in (r.last_error or "") for r in rows)

    siasn_sandbox.faults.reset()
    with db.session() as session:  # a minute later: the rows' rest is over
        session.execute(update(OutboxEntry).values(next_attempt_at=utcnow()))
    assert pusher(db, siasn_sandbox).run().acked == 2
    assert_siasn_matches(db, siasn_sandbox)
