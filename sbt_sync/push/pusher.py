"""The pusher: drains the outbox to SIASN with bounded concurrency, a rate limit and retries
(``connectors.retry``).

Each claimed row is sent with its stored ``Idempotency-Key`` and body. Transient failures
(:class:`TransientPushError`: 5xx, 429, dropped connections, even after the HTTP client's own retries)
are retried with exponential backoff and jitter, honouring SIASN's ``Retry-After``; a row still failing
goes back to ``pending`` for a later run. SIASN's refusals (:class:`PermanentPushError`) park the row
with SIASN's message. Refused credentials stop the run: nothing is parked for a problem of ours.

A 403 on a write (:class:`ForbiddenPushError`) is read by what the run has seen: once another write of
the run was acknowledged, our credentials demonstrably work and the 403 is SIASN refusing that NIP (an
instansi our account may not write): the row is parked with SIASN's message, and the run goes on.
Before any acknowledgement it may be our credentials: the run stops, nothing is parked, and the row
rests ``defer_seconds`` under its key, so the next run sends the rows due before it first and can tell
the two apart.
Every outcome is committed as soon as it is known, so a crash loses at most the rows in flight, and
those are re-sent with the same key.

A run may have a time ``budget`` (a cycle's push: ``push.cycle_budget_seconds``): once it is spent no row
is claimed or started and no retry begins (the SIASN client's own retries included), and each try's
timeouts are cut to the time left, so the budget bounds the run. The rows a worker had not started go
back untouched, and a row whose retries the budget cut short waits as ``pending`` for as long as SIASN
last asked, so a throttling SIASN delays the push, not the rest of the cycle. Either way the row keeps
its key.

With or without a budget, every try of a claimed row ends inside the claim's lease (``lease_seconds``,
:data:`LEASE_USED`): past it another pusher may take the row over, and two pushers would send it at
once. A row whose tries the lease cut short waits as ``pending`` like one whose retries ran out; a row
no worker started before then goes back untouched and is claimed again, under a new lease.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from connectors.errors import AuthenticationError, ConnectorError
from connectors.http import calls_end_by
from connectors.redact import mask_nip, mask_nips
from connectors.retry import RetryPolicy, RetryStats, reason_of, retrying
from connectors.siasn import (
    ForbiddenPushError,
    PermanentPushError,
    PushResult,
    SiasnApi,
    TransientPushError,
)
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.drain import Delivery, Outcome, drain
from sbt_sync.push import queue
from sbt_sync.push.queue import ClaimedRow
from sbt_sync.push.ratelimit import RateLimiter
from sbt_sync.settings import PushSettings
from sbt_sync.states.outbox import (
    ALREADY_HELD,
    PARKED_FORBIDDEN_NIP,
    PARKED_REFUSED,
    PARKED_UNACKNOWLEDGED,
    PARKED_UNSENDABLE,
    PushAction,
)

log = logging.getLogger(__name__)

_NOT_STARTED = "not sent: the run's time budget or the claim's lease was spent"
LEASE_USED = 0.9
"""The share of a claim's lease its tries may take; the rest covers recording the outcome before
another pusher may take the row over."""


class _TimeUp(Exception):
    """The run's budget or the claim's lease ended before a row's next try: no new try starts."""


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
    max_defer_seconds: float = 86_400.0
    """The longest a row waits on SIASN's ``Retry-After``: a day covers any quota window; a longer
    wish (decades, or more seconds than a date can hold) is a gateway's garbage, not a reason to
    leave a block unsent for ever."""

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
    budget_exhausted: bool = False
    """The run's time budget ended it while rows were still due or being retried."""
    left_pending: int = 0
    """Rows still to deliver when the run ended (pending or in flight, due now or later)."""
    failure_reasons: dict[str, int] = field(default_factory=dict)
    """Why the rows this run did not deliver failed (``throttled``, ``server_error``...), by row."""
    not_started: int = 0
    """Rows claimed but given back unsent when the budget ended."""
    lost_claims: int = 0
    """Rows whose claim ran out before their outcome was recorded and that another pusher had taken over
    (or recovered, or acknowledged) meanwhile: their outcome was not written over that pusher's."""
    parked_sample: list[str] = field(default_factory=list)
    acked_sample: list[str] = field(default_factory=list)

    @property
    def left_because(self) -> str:
        """Why rows are left, for people: the failures of this run's undelivered rows, commonest first
        (``throttled: 8``), or the budget alone when no row failed."""
        reasons = sorted(self.failure_reasons.items(), key=lambda item: (-item[1], item[0]))
        text = ", ".join(f"{reason}: {count}" for reason, count in reasons)
        if self.budget_exhausted:
            return f"time budget spent ({text})" if text else "time budget spent"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "left_because": self.left_because}


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
        self._deadline: float | None = None
        self._reasons: Counter[str] = Counter()
        self._reasons_lock = threading.Lock()
        self._accepted = threading.Event()
        """Set once a write of this run was acknowledged: SIASN takes our credentials."""

    def run(
        self,
        *,
        recover: bool = False,
        limit: int | None = None,
        progress: Callable[[PushReport], None] | None = None,
        budget: float | None = None,
    ) -> PushReport:
        """Send every due row (at most ``limit``); ``recover`` first takes over rows left in flight by
        a pusher that is gone (:mod:`sbt_sync.holders`): they are re-sent at once instead of after
        their lease, while a live pusher's rows stay with it. Returns the report; ``aborted`` says why a run
        stopped early (SIASN refused our credentials). ``progress`` sees the report after each row ends.
        ``budget`` (seconds, None: none) ends the run early, rows left pending (module docstring): no
        try, nor a retry of the SIASN client's, starts after it, and a try under way is cut off at it.
        """
        report = PushReport()
        self._deadline = None if budget is None else time.monotonic() + budget
        self._reasons = Counter()
        self._accepted.clear()
        if recover:
            report.recovered = self._db.write(lambda session: queue.recover_in_flight(session, utcnow()))
            if report.recovered:
                log.info(
                    "re-sending %d row(s) left in flight by an interrupted push (same keys)", report.recovered
                )
        lease = timedelta(seconds=self._opt.lease_seconds)

        def claim(room: int) -> list[ClaimedRow]:
            if self._spent():
                return []
            # Read before the claim's own clock, so ``send_by`` falls inside the lease it records.
            send_by = time.monotonic() + lease.total_seconds() * LEASE_USED
            rows = self._db.write(lambda session: queue.claim(session, limit=room, now=utcnow(), lease=lease))
            return [replace(row, send_by=send_by) for row in rows]

        def record(row: ClaimedRow, delivery: Delivery[PushResult]) -> None:
            self._record(row, delivery, report)
            if progress is not None:
                progress(report)

        def release(rows: Sequence[ClaimedRow]) -> None:
            lost = self._db.write(lambda session: queue.release(session, rows, utcnow()))
            for row in rows:
                if row.id in lost:
                    self._lost(row, "not given back (never sent)", report)

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
        with self._db.session() as session:
            report.left_pending = queue.open_count(session)
        report.budget_exhausted = self._spent() and report.left_pending > 0
        report.failure_reasons = dict(self._reasons)
        if report.budget_exhausted:
            log.warning(
                "push budget of %.0f s spent: %d row(s) left pending for the next run (%s)",
                budget or 0,
                report.left_pending,
                report.left_because or "not reached",
            )
        return report

    def _count(self, failure: BaseException) -> None:
        """Count why a row was not delivered (``throttled``...); workers call it concurrently."""
        with self._reasons_lock:
            self._reasons[reason_of(failure)] += 1

    def _spent(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _deliver(self, row: ClaimedRow) -> Delivery[PushResult]:
        ends = row.send_by if self._deadline is None else min(self._deadline, row.send_by)
        remaining = ends - time.monotonic()
        if remaining <= 0:  # the budget or the lease ended while the row waited for a worker: not sent
            return Delivery(Outcome.DEFERRED, 0, message=_NOT_STARTED)
        policy = replace(self._opt.retry_policy(), deadline=remaining)
        loop = retrying(policy, retry_on=TransientPushError, sleep=self._sleep)
        send = self._siasn.blokir if row.action == PushAction.BLOKIR else self._siasn.buka
        tries = 0
        failures: list[TransientPushError] = []

        def attempt() -> PushResult:
            nonlocal tries
            self._limiter.acquire()
            if time.monotonic() >= ends:  # time ran out while we waited (a backoff, Retry-After, the rate)
                raise _TimeUp
            tries += 1
            try:
                # The HTTP client's own tries end in time too, each cut to the time left.
                with calls_end_by(ends):
                    return send(row.nip, row.payload, row.idempotency_key)
            except TransientPushError as exc:
                failures.append(exc)
                raise

        try:
            result = loop(attempt)
            self._accepted.set()
            return Delivery(Outcome.DONE, tries, answer=result)
        except _TimeUp:
            if not failures:  # never sent: given back untouched
                return Delivery(Outcome.DEFERRED, 0, message=_NOT_STARTED)
            last = failures[-1]
            self._count(last.__cause__ or last)
            return Delivery(Outcome.DEFERRED, tries, message=str(last), retry_after=last.retry_after)
        except PermanentPushError as exc:
            if exc.maybe_applied:  # not a refusal: the answer lacks what an acknowledgement holds
                message = PARKED_UNACKNOWLEDGED.format(status=exc.status, message=exc.siasn_message)
                return Delivery(Outcome.PARKED, tries, message=message, ambiguous=1)
            message = PARKED_REFUSED.format(status=exc.status, message=exc.siasn_message)
            return Delivery(Outcome.PARKED, tries, message=message)
        except ValueError as exc:  # a malformed NIP or body: no retry can fix it
            return Delivery(Outcome.PARKED, tries, message=PARKED_UNSENDABLE.format(detail=exc))
        except ForbiddenPushError as exc:
            # SIASN refuses before it looks at the key: an earlier try may still have been applied.
            doubt = int(bool(failures) or row.maybe_applied)
            if self._accepted.is_set():  # our credentials work: SIASN refuses this NIP
                message = PARKED_FORBIDDEN_NIP.format(status=exc.status, message=exc.siasn_message)
                return Delivery(Outcome.PARKED, tries, message=message, ambiguous=doubt)
            # Maybe our credentials: stop, and let the next run send the rows due before this one.
            # The message becomes the run's ``aborted`` (asset metadata): SIASN's words masked.
            return Delivery(
                Outcome.ABORTED,
                tries,
                message=mask_nips(str(exc)),
                retry_after=self._opt.defer_seconds,
                ambiguous=doubt,
            )
        except AuthenticationError as exc:
            return Delivery(Outcome.ABORTED, tries, message=str(exc))
        except TransientPushError as exc:
            self._count(exc.__cause__ or exc)
            return Delivery(Outcome.DEFERRED, tries, message=str(exc), retry_after=exc.retry_after)
        except ConnectorError as exc:  # e.g. an answer not shaped as the contract says
            self._count(exc)
            return Delivery(Outcome.DEFERRED, tries, message=str(exc))

    @staticmethod
    def _lost(row: ClaimedRow, outcome: str, report: PushReport) -> None:
        """The claim on ``row`` ran out and another pusher has the row now: nothing was written over it
        (no NIP in the log: the outbox id tells stewards which row)."""
        report.lost_claims += 1
        log.warning(
            "outbox %d: claim lost (its lease ran out and another pusher took the row over): %s",
            row.id,
            outcome,
        )

    def _record(self, row: ClaimedRow, outcome: Delivery[PushResult], report: PushReport) -> None:
        label = f"{row.action} {mask_nip(row.nip)} (outbox {row.id}, key {row.idempotency_key})"
        extra = outcome.extra_attempts
        report.retries += extra
        now = utcnow()
        self._db.write(lambda session: self._write_outcome(session, row, outcome, report, label, now))

    def _write_outcome(
        self,
        session: Session,
        row: ClaimedRow,
        outcome: Delivery[PushResult],
        report: PushReport,
        label: str,
        now: datetime,
    ) -> None:
        """Record ``outcome`` under ``row``'s claim; its first statement is the write (see
        :meth:`~sbt_sync.db.engine.Database.write`)."""
        extra = outcome.extra_attempts
        if outcome.outcome == Outcome.DONE and outcome.answer is not None:
            result = outcome.answer
            note = None if result.changed is not False else f"{ALREADY_HELD}: {result.message}"
            if not queue.mark_acked(
                session, row, reference=result.reference, now=now, note=note, extra_attempts=extra
            ):  # SIASN applied it all the same: acknowledged unless it was already
                self._lost(row, "SIASN's acknowledgement recorded all the same", report)
            report.acked += 1
            report.replayed += int(result.replayed)
            report.unchanged += int(result.changed is False)
            if len(report.acked_sample) < 10:
                report.acked_sample.append(f"{label}: {result.reference}")
        elif outcome.outcome == Outcome.PARKED:
            parked = queue.mark_parked(
                session,
                row,
                message=outcome.message,
                extra_attempts=extra,
                maybe_applied=outcome.ambiguous > 0,
            )
            if not parked:
                self._lost(row, "refusal not recorded (parked by nobody)", report)
                return
            report.parked += 1
            # SIASN's message may name the person ("PNS dengan NIP ..."): the outbox row keeps it
            # whole for the stewards; the log and the asset metadata get it masked.
            log.warning("parked %s: %s", label, mask_nips(outcome.message))
            if len(report.parked_sample) < 10:
                report.parked_sample.append(f"{label}: {mask_nips(outcome.message)}")
        elif outcome.outcome == Outcome.DEFERRED and outcome.tries == 0:
            if queue.release(session, [row], now):  # never sent: due again at once, untouched
                self._lost(row, "not given back (never sent)", report)
                return
            report.not_started += 1
        elif outcome.outcome == Outcome.DEFERRED:
            # Cut short by the budget, the row honours SIASN's last Retry-After only: its retries
            # did not run out, the next run tries again; otherwise it rests ``defer_seconds``.
            rest = 0.0 if self._spent() else self._opt.defer_seconds
            wait = min(max(outcome.retry_after or 0, rest), self._opt.max_defer_seconds)
            retry_at = now + timedelta(seconds=wait)
            if not queue.mark_deferred(
                session, row, error=outcome.message, retry_at=retry_at, extra_attempts=extra
            ):
                self._lost(row, "transient failure not recorded (left to its holder)", report)
                return
            report.deferred += 1
            log.warning("deferred %s until %s: %s", label, retry_at.isoformat(), mask_nips(outcome.message))
        elif outcome.retry_after is not None:  # a 403 before any acknowledgement: it rests, same key
            retry_at = now + timedelta(seconds=min(outcome.retry_after, self._opt.max_defer_seconds))
            if not queue.mark_deferred(
                session,
                row,
                error=outcome.message,
                retry_at=retry_at,
                extra_attempts=extra,
                maybe_applied=outcome.ambiguous > 0,
            ):
                self._lost(row, "refusal not recorded (left to its holder)", report)
            else:
                report.deferred += 1
            log.error(
                "push stopped: SIASN answered 403 before any write of this run was accepted (our "
                "credentials, or only this NIP); %s rests until %s: %s",
                label,
                retry_at.isoformat(),
                mask_nips(outcome.message),
            )
        else:
            if queue.release(session, [row], now, tries=outcome.tries):
                self._lost(row, "not given back (credentials refused)", report)
            log.error("push stopped: SIASN refused our credentials: %s", mask_nips(outcome.message))
