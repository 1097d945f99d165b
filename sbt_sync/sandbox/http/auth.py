"""Bearer tokens with lifetimes, and the header parsing every simulator's auth shares.

Token lifetimes run on real (monotonic) time, not the sandbox clock: tokens are a transport concern,
and jumping the sandbox clock by days must not log every client out. The ``token_ttl_seconds`` fault
shortens the lifetime of tokens both when they are issued and when they are checked, so a test can
switch it on and watch tokens it already holds expire.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote

_PRUNE_ABOVE = 10_000  # tokens kept before expired ones are swept


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented secret with the expected one."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(user, password)`` from an ``Authorization: Basic ...`` header, or None if absent/garbled."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    # RFC 6749 2.3.1: client credentials in Basic auth are form-urlencoded first.
    return unquote(user), unquote(password)


def bearer_token(header: str | None) -> str | None:
    """The token of a ``Bearer <token>`` header value (scheme case-insensitive), else None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


@dataclass(frozen=True, slots=True)
class _Issued:
    issued_at: float
    lifetime: float


class TokenIssuer:
    """Issues opaque bearer tokens of one kind and checks them; thread-safe."""

    def __init__(self, *, kind: str, lifetime_seconds: int) -> None:
        self.kind = kind
        self.lifetime_seconds = lifetime_seconds
        self._lock = threading.Lock()
        self._tokens: dict[str, _Issued] = {}

    def issue(self, ttl_override: int | None = None) -> tuple[str, int]:
        """A new token and its lifetime in seconds (shortened by ``ttl_override`` when set)."""
        lifetime = self._effective(self.lifetime_seconds, ttl_override)
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            if len(self._tokens) > _PRUNE_ABOVE:
                self._tokens = {t: i for t, i in self._tokens.items() if now - i.issued_at < i.lifetime}
            self._tokens[token] = _Issued(now, lifetime)
        return token, int(lifetime)

    def is_valid(self, token: str | None, ttl_override: int | None = None) -> bool:
        """True if ``token`` was issued here and has not outlived its (possibly shortened) lifetime."""
        if token is None:
            return False
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None:
            return False
        age = time.monotonic() - issued.issued_at
        return age < self._effective(issued.lifetime, ttl_override)

    @staticmethod
    def _effective(lifetime: float, ttl_override: int | None) -> float:
        return lifetime if ttl_override is None else min(lifetime, max(0, ttl_override))
