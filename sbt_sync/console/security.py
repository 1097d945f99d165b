"""Passwords, API tokens, CSRF tokens, the session-signing key and login throttling.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile); an
API token is shown once and only its SHA-256 is stored, so a database leak yields no usable token.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sbt_sync.errors import ConfigError
from sbt_sync.settings import Settings

_HASHER = PasswordHasher()
TOKEN_PREFIX = "sbt_"  # noqa: S105 (a prefix, not a secret)
MIN_PASSWORD_LENGTH = 12
SECRET_FILE = "var/console-secret"  # noqa: S105 (where the key is kept, not the key)


def hash_password(password: str) -> str:
    """An argon2id hash; raises ValueError for a password shorter than MIN_PASSWORD_LENGTH."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    """Made on the first login against an unknown account, not at import (every CLI start imports this)."""
    return _HASHER.hash("not a real password, used to keep timing equal")


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still spends the time a check takes."""
    try:
        return _HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_fingerprint(password_hash: str | None) -> str:
    """A short digest of the stored hash: a session remembers it, so a password reset ends sessions."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def new_api_token() -> tuple[str, str]:
    """``(token, stored_hash)``: the token is shown once, the hash is what the database keeps."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies.

    Production needs ``console.secret_key_env`` set (a ConfigError names the key otherwise). The sandbox
    without one makes a random key once and keeps it in ``var/console-secret`` (mode 0600), so sessions
    survive a restart.
    """
    var = settings.console.secret_key_env
    if var:
        return settings.secret(var)
    if settings.environment == "production":
        raise ConfigError(
            f"{settings.config_path}: console.secret_key_env is required in production "
            "(the environment variable holding the session-signing key)"
        )
    path = settings.resolve_path(SECRET_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(text)
    tmp.replace(path)


class LoginThrottle:
    """Wrong passwords per key (an account or a client address) in a sliding window.

    In memory, per process: the account's lock is also written to the database (``users.locked_until``)
    by the login route, so every process of a deployment honours it.
    """

    def __init__(self, limit: int, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def blocked(self, *keys: str) -> bool:
        """True when any key already has ``limit`` failures in the window."""
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.limit for k in keys)

    def fail(self, *keys: str) -> bool:
        """Record a failure for each key; True when one of them has now reached the limit."""
        now = time.monotonic()
        with self._lock:
            reached = False
            for key in keys:
                times = self._recent(key, now)
                times.append(now)
                reached = reached or len(times) >= self.limit
            return reached

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
