"""Retry policy shared by the HTTP and SFTP connectors: bounded attempts, exponential backoff, jitter.

The policy is a plain value so the Dagster resources can build it from ``sbt.yaml`` and tests can make
every wait a few milliseconds. :class:`RetryStats` counts what was retried so assets can report it.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a connector retries a transient failure.

    ``max_attempts`` counts the first try. Attempt ``n``'s backoff is ``initial_backoff *
    multiplier**(n-1)`` capped at ``max_backoff``, then randomly shortened by up to ``jitter`` of
    itself so that many clients do not retry in lockstep. A server's ``Retry-After`` replaces the
    backoff; one longer than ``max_retry_after`` ends the retries at once (the caller retries later).
    """

    max_attempts: int = 6
    initial_backoff: float = 0.5
    multiplier: float = 2.0
    max_backoff: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise ValueError("backoff durations must not be negative")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter is a fraction between 0 and 1")


def backoff_delay(
    attempt: int,
    policy: RetryPolicy,
    *,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    ``retry_after`` (the server's wish, already parsed) wins over the computed backoff. ``rand`` returns
    a float in [0, 1); injecting it makes the jitter testable.
    """
    if retry_after is not None:
        return max(0.0, retry_after)
    base = min(policy.max_backoff, policy.initial_backoff * policy.multiplier ** max(0, attempt - 1))
    return base * (1.0 - policy.jitter * rand())


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
