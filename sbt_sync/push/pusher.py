"""The pusher: drains the outbox to SIASN with bounded concurrency, a rate limit and retries
(``connectors.retry``).

Each claimed row is sent with its stored ``Idempotency-Key`` and body. Transient failures
(:class:`TransientPushError`: 5xx, 429, dropped connections, even after the HTTP client's own retries)
are retried with exponential backoff and jitter, honouring SIASN's ``Retry-After``; a row still failing
goes back to ``pending`` for a later run. SIASN's refusals (:class:`PermanentPushError`) park the row
with SIASN's message. Refused credentials stop the run: nothing is parked for a problem of ours.
Every outcome is committed as soon as it is known, so a crash loses at most the rows in flight, and
those are re-sent with the same key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from connectors.errors import AuthenticationError, ConnectorError
from connectors.redact import mask_nip, mask_nips
from connectors.retry import RetryPolicy, RetryStats, retrying
from connectors.siasn import PermanentPushError, PushResult, SiasnApi, TransientPushError
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.drain import Delivery, Outcome, drain
from sbt_sync.push import queue
from sbt_sync.push.queue import ClaimedRow
from sbt_sync.push.ratelimit import RateLimiter
from sbt_sync.settings import PushSettings
from sbt_sync.states.outbox import PushAction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushOptions:
    """How hard and how fast to push (``sbt.yaml``'s ``push`` section plus timings tests shorten)."""

    concurrency: int = 4
    rate_per_second: float = 10.0
    max_attempts: int = 8
    """Tries per row within one run (each already retried by the HTTP client)."""
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    max_retry_after: float = 300.0
    """A longer ``Retry-After`` ends the row's retries in this run; it waits as pending instead."""
    lease_seconds: float = 900.0
    """How long a claimed row is ours before another pusher may take it over."""
    defer_seconds: float = 60.0
    """How long a row that outlasted its retries waits before a later run tries again."""

    @classmethod
    def from_settings(cls, push: PushSettings, **overrides: Any) -> PushOptions:
        base = cls(
            concurrency=push.concurrency, rate_per_second=push.rate_per_second, max_attempts=push.max_attempts
        )
        return base if not overrides else cls(**{**base.__dict__, **overrides})

    def retry_policy(self) -> RetryPolicy:
        """The tries of one row within a run: SIASN's Retry-After when it gave one, else backoff; a
        Retry-After longer than ``max_retry_after`` ends them (the row waits as pending)."""
        return RetryPolicy(
            max_attempts=self.max_attempts,
            initial_backoff=self.initial_backoff,
            max_backoff=self.max_backoff,
            max_retry_after=self.max_retry_after,
        )


@dataclass
class PushReport:
    """What one drain did; NIPs appear masked only."""

    recovered: int = 0
    sent: int = 0
    acked: int = 0
    replayed: int = 0
    unchanged: int = 0
    """Acknowledged, but SIASN already held that flag."""
    parked: int = 0
    deferred: int = 0
    retries: int = 0
    http_retries: dict[str, int] = field(default_factory=dict)
    """The SIASN client's own retries by reason (``server_error``, ``throttled``, ``token_refresh``...)."""
    aborted: str | None = None
    parked_sample: list[str] = field(default_factory=list)
    acked_sample: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Pusher:
    """Drains the outbox of ``database`` to ``siasn``; one :meth:`run` per drain."""

    def __init__(
        self,
        database: Database,
        siasn: SiasnApi,
        options: PushOptions | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._db = database
        self._siasn = siasn
        self._opt = options or PushOptions()
        self._sleep = sleep
        self._limiter = RateLimiter(self._opt.rate_per_second, sleep=sleep)

    def run(
        self,
        *,
        recover: bool = False,
        limit: int | None = None,
        progress: Callable[[PushReport], None] | None = None,
    ) -> PushReport:
        """Send every due row (at most ``limit``); ``recover`` first takes over rows left in flight by
        a pusher that is gone (:mod:`sbt_sync.holders`): they are re-sent at once instead of after
        their lease, while a live pusher's rows stay with it. Returns the report; ``aborted`` says why a run
        stopped early (SIASN refused our credentials). ``progress`` sees the report after each row ends.
        """
        report = PushReport()
        if recover:
            with self._db.session() as session:
                report.recovered = queue.recover_in_flight(session, utcnow())
            if report.recovered:
                log.info(
                    "re-sending %d row(s) left in flight by an interrupted push (same keys)", report.recovered
                )
        lease = timedelta(seconds=self._opt.lease_seconds)

        def claim(room: int) -> list[ClaimedRow]:
            with self._db.session() as session:
                return queue.claim(session, limit=room, now=utcnow(), lease=lease)

        def record(row: ClaimedRow, delivery: Delivery[PushResult]) -> None:
            self._record(row, delivery, report)
            if progress is not None:
                progress(report)

        def release(rows: Sequence[ClaimedRow]) -> None:
            with self._db.session() as session:
                queue.release(session, [row.id for row in rows], utcnow())

        report.sent, report.aborted = drain(
            claim=claim,
            deliver=self._deliver,
            record=record,
            release=release,
            workers=self._opt.concurrency,
            window=self._opt.concurrency * 2,
            limit=limit,
            thread_name="siasn-push",
        )
        stats = getattr(self._siasn, "stats", None)
        if isinstance(stats, RetryStats):
            report.http_retries = stats.snapshot()
        return report

    def _deliver(self, row: ClaimedRow) -> Delivery[PushResult]:
        loop = retrying(self._opt.retry_policy(), retry_on=TransientPushError, sleep=self._sleep)
        send = self._siasn.blokir if row.action == PushAction.BLOKIR else self._siasn.buka
        tries = 0

        def attempt() -> PushResult:
            nonlocal tries
            tries += 1
            self._limiter.acquire()
            return send(row.nip, row.payload, row.idempotency_key)

        try:
            result = loop(attempt)
            return Delivery(Outcome.DONE, tries, answer=result)
        except PermanentPushError as exc:
            return Delivery(Outcome.PARKED, tries, message=f"SIASN {exc.status}: {exc.siasn_message}")
        except ValueError as exc:  # a malformed NIP or body: no retry can fix it
            return Delivery(Outcome.PARKED, tries, message=f"not sendable: {exc}")
        except AuthenticationError as exc:
            return Delivery(Outcome.ABORTED, tries, message=str(exc))
        except TransientPushError as exc:
            return Delivery(Outcome.DEFERRED, tries, message=str(exc), retry_after=exc.retry_after)
        except ConnectorError as exc:  # e.g. an answer not shaped as the contract says
            return Delivery(Outcome.DEFERRED, tries, message=str(exc))

    def _record(self, row: ClaimedRow, outcome: Delivery[PushResult], report: PushReport) -> None:
        label = f"{row.action} {mask_nip(row.nip)} (outbox {row.id}, key {row.idempotency_key})"
        extra = outcome.extra_attempts
        report.retries += extra
        now = utcnow()
        with self._db.session() as session:
            if outcome.outcome == Outcome.DONE and outcome.answer is not None:
                result = outcome.answer
                note = (
                    None if result.changed is not False else f"SIASN already in that state: {result.message}"
                )
                queue.mark_acked(
                    session, row.id, reference=result.reference, now=now, note=note, extra_attempts=extra
                )
                report.acked += 1
                report.replayed += int(result.replayed)
                report.unchanged += int(result.changed is False)
                if len(report.acked_sample) < 10:
                    report.acked_sample.append(f"{label}: {result.reference}")
            elif outcome.outcome == Outcome.PARKED:
                queue.mark_parked(session, row.id, message=outcome.message, extra_attempts=extra)
                report.parked += 1
                # SIASN's message may name the person ("PNS dengan NIP ..."): the outbox row keeps it
                # whole for the stewards; the log and the asset metadata get it masked.
                log.warning("parked %s: %s", label, mask_nips(outcome.message))
                if len(report.parked_sample) < 10:
                    report.parked_sample.append(f"{label}: {mask_nips(outcome.message)}")
            elif outcome.outcome == Outcome.DEFERRED:
                retry_at = now + timedelta(seconds=max(outcome.retry_after or 0, self._opt.defer_seconds))
                queue.mark_deferred(
                    session, row.id, error=outcome.message, retry_at=retry_at, extra_attempts=extra
                )
                report.deferred += 1
                log.warning(
                    "deferred %s until %s: %s", label, retry_at.isoformat(), mask_nips(outcome.message)
                )
            else:
                queue.release(session, [row.id], now)
                log.error("push stopped: SIASN refused our credentials: %s", mask_nips(outcome.message))
