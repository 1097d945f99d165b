"""The sandbox's controllable clock: every simulator asks it what "now" is.

A demo moves the clock through PPK deadlines without waiting for real days. The clock either follows
real time from a pinned instant (the default, so timestamps keep moving) or stands still when frozen.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """A thread-safe clock shared by all simulators of one sandbox process."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._anchor = (start or datetime.now(UTC)).astimezone(UTC)
        self._anchor_mono = time.monotonic()
        self._frozen = frozen

    def now(self) -> datetime:
        """The sandbox's current instant, timezone-aware in UTC."""
        with self._lock:
            if self._frozen:
                return self._anchor
            return self._anchor + timedelta(seconds=time.monotonic() - self._anchor_mono)

    def set(self, instant: datetime, *, frozen: bool | None = None) -> None:
        """Jump to ``instant`` (naive values are taken as UTC); optionally freeze or unfreeze."""
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        with self._lock:
            self._anchor = instant.astimezone(UTC)
            self._anchor_mono = time.monotonic()
            if frozen is not None:
                self._frozen = frozen

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new instant."""
        self.set(self.now() + delta)
        return self.now()

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen
