"""Retrying, in one place: the policy value, the Retry-After-aware wait, and the tenacity factory.

Every retry loop of the project (the HTTP client, the SFTP reader, the pusher, the notifier) is a
:func:`retrying` built from a :class:`RetryPolicy`. The policy is a plain value so the Dagster
resources can build it from ``sbt.yaml`` and tests can make every wait a few milliseconds.
:class:`RetryStats` counts what was retried so assets can report it.

The wait honours a server's ``Retry-After`` (RFC 9110 section 10.2.3: delay-seconds or an HTTP date)
when the failure carries one, and otherwise backs off exponentially with jitter. A server asking for
more than ``max_retry_after`` ends the retries at once: the caller tries again later (the pusher
defers the row) instead of holding a worker that long.
"""

from __future__ import annotations

import logging
import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import RetryCallState, Retrying, retry_if_exception, retry_if_exception_type
from tenacity.retry import retry_base
from tenacity.stop import stop_base
from tenacity.wait import wait_base

_DELAY_SECONDS = re.compile(r"[0-9]+")  # ASCII digits only: "²".isdigit() is True, float("²") fails

RetryOn = type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool]
"""What to retry: exception types, or a predicate on the exception."""

RetryAfterOf = Callable[[BaseException], float | str | None]
"""Where a failure carries the server's wish: seconds already parsed, or the header text as sent."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry a transient failure.

    ``max_attempts`` counts the first try. Attempt ``n``'s backoff is ``initial_backoff *
    multiplier**(n-1)`` capped at ``max_backoff``, then randomly shortened by up to ``jitter`` of
    itself so that many clients do not retry in lockstep. A server's ``Retry-After`` replaces the
    backoff; one longer than ``max_retry_after`` ends the retries at once (the caller retries later).
    ``deadline`` bounds the whole loop: no retry starts once that many seconds have passed since the
    first attempt began, and a wait is shortened to end by then.
    """

    max_attempts: int = 6
    initial_backoff: float = 0.5
    multiplier: float = 2.0
    max_backoff: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 120.0
    deadline: float | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise ValueError("backoff durations must not be negative")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter is a fraction between 0 and 1")
        if self.deadline is not None and not self.deadline > 0:
            raise ValueError("deadline must be positive (or None for no deadline)")


def backoff_delay(attempt: int, policy: RetryPolicy, *, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based) when the server said nothing.

    ``rand`` returns a float in [0, 1); injecting it makes the jitter testable.
    """
    base = min(policy.max_backoff, policy.initial_backoff * policy.multiplier ** max(0, attempt - 1))
    return base * (1.0 - policy.jitter * rand())


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (RFC 9110 10.2.3), or None.

    Accepts delay-seconds (``"120"``) or an HTTP date (``"Wed, 21 Oct 2015 07:28:00 GMT"``); a date
    in the past means 0. Anything else (empty, negative, fractional, garbage) is None: the caller falls
    back to its own backoff rather than trusting a header it cannot read.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _DELAY_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a zone-less one is read as such
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def retry_after_of(exc: BaseException) -> float | str | None:
    """The ``retry_after`` a connector exception carries (seconds, or the header text), if any."""
    value = getattr(exc, "retry_after", None)
    return value if isinstance(value, int | float | str) and not isinstance(value, bool) else None


def reason_of(exc: BaseException) -> str:
    """The ``reason`` a connector exception carries (``server_error``, ``throttled``...)."""
    return str(getattr(exc, "reason", "transient"))


class _ServerDelay:
    """Reads the server's wish off the failure of a retry state: seconds, or None when it said
    nothing usable (no header, malformed, negative or not finite)."""

    def __init__(self, retry_after: RetryAfterOf, now: Callable[[], datetime]) -> None:
        self._retry_after = retry_after
        self._now = now

    def __call__(self, state: RetryCallState) -> float | None:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return None
        exc = outcome.exception()
        value = self._retry_after(exc) if exc is not None else None
        if isinstance(value, str):
            return parse_retry_after(value, now=self._now())
        if value is None or not math.isfinite(value) or value < 0:
            return None
        return float(value)


class wait_retry_after(wait_base):  # named like tenacity's own waits
    """Tenacity wait: the server's ``Retry-After`` when the failure carries one, else exponential
    backoff with jitter (:func:`backoff_delay`); never more than ``max_retry_after`` nor past the
    policy's deadline, never negative."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        retry_after: RetryAfterOf = retry_after_of,
        rand: Callable[[], float] = random.random,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.policy = policy
        self._server_delay = _ServerDelay(retry_after, now)
        self._rand = rand

    def __call__(self, retry_state: RetryCallState) -> float:
        asked = self._server_delay(retry_state)
        if asked is not None:
            wait = min(asked, self.policy.max_retry_after)
        else:
            wait = backoff_delay(retry_state.attempt_number, self.policy, rand=self._rand)
        if self.policy.deadline is not None:
            wait = min(wait, self.policy.deadline - (retry_state.seconds_since_start or 0.0))
        return max(0.0, wait)


class stop_by_policy(stop_base):  # named like tenacity's own stops
    """Tenacity stop: after ``max_attempts``, at the deadline, or at once when the server asks for a
    longer pause than ``max_retry_after``."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        retry_after: RetryAfterOf = retry_after_of,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.policy = policy
        self._server_delay = _ServerDelay(retry_after, now)

    def __call__(self, retry_state: RetryCallState) -> bool:
        if retry_state.attempt_number >= self.policy.max_attempts:
            return True
        deadline = self.policy.deadline
        if deadline is not None and (retry_state.seconds_since_start or 0.0) >= deadline:
            return True
        asked = self._server_delay(retry_state)
        return asked is not None and asked > self.policy.max_retry_after


def retrying(
    policy: RetryPolicy,
    *,
    retry_on: RetryOn,
    stats: RetryStats | None = None,
    logger: logging.Logger | None = None,
    reason: Callable[[BaseException], str] = reason_of,
    retry_after: RetryAfterOf = retry_after_of,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Retrying:
    """A ``tenacity.Retrying`` for ``policy``: call it with the operation and its arguments.

    Retries the failures ``retry_on`` selects (every other exception, and the last failure, is
    re-raised as it is); waits per :class:`wait_retry_after`; stops per :class:`stop_by_policy`.
    Before each wait, ``stats`` counts the failure under ``reason(exc)`` and ``logger`` warns with the
    exception's text (connector messages carry redacted URLs and masked NIPs only), the attempt and
    the wait. ``retry_after`` says where a failure carries the server's ``Retry-After``; ``sleep``,
    ``rand`` and ``now`` are injectable for tests. ``statistics["attempt_number"]`` of the returned
    object tells how many attempts the last call made.
    """
    retry: retry_base
    if isinstance(retry_on, type | tuple):
        retry = retry_if_exception_type(retry_on)
    else:
        retry = retry_if_exception(retry_on)

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        if exc is None:  # pragma: no cover - only failures are retried
            return
        if stats is not None:
            stats.add(reason(exc))
        if logger is not None:
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            attempts = (state.attempt_number, policy.max_attempts)
            logger.warning("%s; attempt %d of %d, retrying in %.2f s", exc, *attempts, wait)

    return Retrying(
        stop=stop_by_policy(policy, retry_after=retry_after, now=now),
        wait=wait_retry_after(policy, retry_after=retry_after, rand=rand, now=now),
        retry=retry,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


class RetryStats:
    """Thread-safe counts of retries by reason (``server_error``, ``throttled``, ``connection``...)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, reason: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[reason] += amount

    @property
    def retries(self) -> int:
        """Retries of every reason except token refreshes."""
        with self._lock:
            return sum(n for reason, n in self._counts.items() if reason != "token_refresh")

    def snapshot(self) -> dict[str, int]:
        """The counts so far, by reason (a copy)."""
        with self._lock:
            return dict(self._counts)
