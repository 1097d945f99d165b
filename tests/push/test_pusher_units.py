"""The pusher's retry, rate and concurrency rules, with a fake SIASN at the seam."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.http.paging import Page
from connectors.siasn import BlockStatus, PermanentPushError, PushResult, TransientPushError
from sbt_sync.db.engine import Database
from sbt_sync.push import Pusher, PushOptions
from sbt_sync.push.ratelimit import RateLimiter
from tests.enforce.rows import nip
from tests.push.helpers import outbox_rows, queue_blocks


class FakeSiasn:
    """Answers writes after ``delay``; ``failures`` scripts exceptions per idempotency key."""

    def __init__(self, *, delay: float = 0.0, failures: Mapping[str, list[Exception]] | None = None) -> None:
        self.delay = delay
        self.failures = {k: list(v) for k, v in (failures or {}).items()}
        self.calls: list[str] = []
        self.active = self.peak = 0
        self._lock = threading.Lock()

    def _write(self, action: str, nip_: str, key: str) -> PushResult:
        with self._lock:
            self.calls.append(key)
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.delay)
            scripted = self.failures.get(key)
            if scripted:
                raise scripted.pop(0)
            return PushResult(
                nip_, "blokir" if action == "blokir" else "buka", f"ref-{key}", None, True, False, "ok"
            )
        finally:
            with self._lock:
                self.active -= 1

    def blokir(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        return self._write("blokir", nip, idempotency_key)

    def buka(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        return self._write("buka", nip, idempotency_key)

    def data_utama(self, nip: str) -> dict[str, Any] | None:
        return None

    def registry_pages(self, cursor: str | None = None) -> Iterator[Page]:
        return iter(())

    def status(self, nip: str) -> BlockStatus | None:
        return None


def transient(key: str, retry_after: float | None = None) -> TransientPushError:
    return TransientPushError(
        "busy", retry_after=retry_after, nip=nip(1), action="blokir", idempotency_key=key
    )


def test_transient_failures_are_retried_with_the_same_key_honouring_retry_after(
    migrated_database: Database,
) -> None:
    queue_blocks(migrated_database, [nip(1)])
    key = outbox_rows(migrated_database)[0].idempotency_key
    fake = FakeSiasn(failures={key: [transient(key, retry_after=7), transient(key)]})
    sleeps: list[float] = []
    options = PushOptions(rate_per_second=1000, initial_backoff=0.5, max_backoff=4)
    report = Pusher(migrated_database, fake, options, sleep=sleeps.append).run()
    assert (report.acked, report.retries) == (1, 2)
    assert fake.calls == [key, key, key]
    waits = [s for s in sleeps if s > 0.01]  # rate-limit slots are tiny
    assert waits[0] == 7.0 and 0.5 <= waits[1] <= 1.5  # Retry-After, then backoff with jitter
    assert outbox_rows(migrated_database)[0].attempts == 3


def test_a_row_failing_beyond_its_attempts_waits_as_pending_for_a_later_run(
    migrated_database: Database,
) -> None:
    queue_blocks(migrated_database, [nip(1)])
    key = outbox_rows(migrated_database)[0].idempotency_key
    fake = FakeSiasn(failures={key: [transient(key)] * 3})
    options = PushOptions(max_attempts=3, rate_per_second=1000, initial_backoff=0.001, defer_seconds=60)
    report = Pusher(migrated_database, fake, options).run()
    assert (report.acked, report.deferred) == (0, 1)
    (row,) = outbox_rows(migrated_database)
    assert row.state == "pending" and row.last_error == "busy" and row.attempts == 3
    assert Pusher(migrated_database, fake, options).run().sent == 0  # not due before its backoff


def test_a_retry_after_longer_than_allowed_defers_at_once(migrated_database: Database) -> None:
    queue_blocks(migrated_database, [nip(1)])
    key = outbox_rows(migrated_database)[0].idempotency_key
    fake = FakeSiasn(failures={key: [transient(key, retry_after=3600)]})
    report = Pusher(migrated_database, fake, PushOptions(max_retry_after=60)).run()
    assert report.deferred == 1 and fake.calls == [key]


def test_permanent_refusal_is_parked_without_retry(migrated_database: Database) -> None:
    queue_blocks(migrated_database, [nip(1)])
    key = outbox_rows(migrated_database)[0].idempotency_key
    refusal = PermanentPushError(
        "no",
        status=422,
        siasn_message="Idempotency-Key sudah dipakai",
        nip=nip(1),
        action="blokir",
        idempotency_key=key,
    )
    fake = FakeSiasn(failures={key: [refusal]})
    report = Pusher(migrated_database, fake).run()
    assert report.parked == 1 and fake.calls == [key]
    assert outbox_rows(migrated_database)[0].last_error == "SIASN 422: Idempotency-Key sudah dipakai"


def test_concurrency_never_exceeds_the_setting(migrated_database: Database) -> None:
    queue_blocks(migrated_database, [nip(i) for i in range(1, 21)])
    fake = FakeSiasn(delay=0.02)
    report = Pusher(migrated_database, fake, PushOptions(concurrency=3, rate_per_second=1000)).run()
    assert report.acked == 20 and 2 <= fake.peak <= 3


def test_rows_of_one_nip_are_sent_in_order_one_at_a_time(migrated_database: Database) -> None:
    from tests.push.helpers import toggle_sanctions

    queue_blocks(migrated_database, [nip(1)])
    from datetime import date

    toggle_sanctions(migrated_database, [nip(1)], as_of=date(2025, 1, 21))  # supersedes the unsent blokir
    toggle_sanctions(migrated_database, [nip(1)], as_of=date(2025, 1, 22))  # blocked again: v3
    fake = FakeSiasn()
    Pusher(migrated_database, fake).run()
    assert [r.state for r in outbox_rows(migrated_database)] == ["superseded", "acked"]
    assert [k.split("-")[1:3] for k in fake.calls] == [["blokir", "v3"]]


def test_rate_limiter_spaces_calls() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == [0.0, 0.25, 0.5, 0.75] and slept == [0.25, 0.5, 0.75]
