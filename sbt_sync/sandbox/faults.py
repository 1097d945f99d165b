"""Fault switches for the sandbox, per endpoint, settable from the CLI and the control endpoint.

Endpoint names are the simulator names: ``bawaslu``, ``bkn_wasdal``, ``idis``, ``imut``, ``siasn`` and
``sftp``
(``*`` sets every endpoint at once). Each request asks :meth:`FaultSwitches.get` for its endpoint's
current faults and draws from the switch's own seeded random stream, so a test run is repeatable.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

ENDPOINTS: tuple[str, ...] = ("bawaslu", "bkn_wasdal", "idis", "imut", "siasn", "sftp")


@dataclass(frozen=True, slots=True)
class Faults:
    """The faults switched on for one endpoint; every rate is a probability per request."""

    error_5xx_rate: float = 0.0
    """Answer 500/502/503 instead of serving the request."""
    throttle_rate: float = 0.0
    """Answer 429 (WSO2 code 900803 on SIASN) with ``Retry-After: retry_after_seconds``."""
    retry_after_seconds: int = 1
    latency_ms: int = 0
    """Added to every response."""
    token_ttl_seconds: int | None = None
    """Issued tokens expire after this many seconds (None: the simulator's normal lifetime)."""
    truncate_rate: float = 0.0
    """Send a 200 with a JSON body cut short."""
    drop_after_apply_rate: float = 0.0
    """Apply a write, then drop the connection before answering (SIASN blokir/buka)."""
    disconnect_rate: float = 0.0
    """SFTP: drop the session mid-transfer."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_FIELD_NAMES = frozenset(f.name for f in fields(Faults))


class FaultSwitches:
    """Thread-safe registry of :class:`Faults` per endpoint, with a seeded random stream."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Faults] = {name: Faults() for name in ENDPOINTS}
        self._random = random.Random(seed)

    def get(self, endpoint: str) -> Faults:
        with self._lock:
            return self._faults[endpoint]

    def set(self, endpoint: str, **changes: Any) -> None:
        """Change some faults of ``endpoint`` (or ``*``); unknown names raise ``ValueError``."""
        unknown = set(changes) - _FIELD_NAMES
        if unknown:
            raise ValueError(f"unknown fault switch(es): {', '.join(sorted(unknown))}")
        targets = ENDPOINTS if endpoint == "*" else (endpoint,)
        with self._lock:
            for name in targets:
                if name not in self._faults:
                    raise ValueError(f"unknown endpoint {name!r}; expected one of {', '.join(ENDPOINTS)}")
                self._faults[name] = replace(self._faults[name], **changes)

    def reset(self) -> None:
        with self._lock:
            self._faults = {name: Faults() for name in ENDPOINTS}

    def roll(self, rate: float) -> bool:
        """True with probability ``rate``, from the switches' seeded stream."""
        if rate <= 0.0:
            return False
        with self._lock:
            return self._random.random() < rate

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: faults.to_dict() for name, faults in self._faults.items()}
