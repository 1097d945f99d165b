"""Passwords, API tokens, CSRF tokens, the cookie-signing key and login throttling.

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
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sbt_sync.errors import ConfigError
from sbt_sync.private_files import kept_random_key
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
    """The key that signs the session cookie (which carries the server-side session's id).

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
    return kept_random_key(settings.resolve_path(SECRET_FILE))


ADDRESS_LIMIT_FACTOR = 10
"""A client address may fail this many times an account's limit, over all accounts, before it is slowed."""
MAX_TRACKED_KEYS = 10_000
"""Past this many counters, spent ones are swept (a sprayer of made-up names must not grow memory)."""


class LoginThrottle:
    """Wrong passwords counted in a sliding window per account, per client address, and per (address,
    account) pair, so that one account's failures never refuse another account's right password.

    - **Account** (``limit`` failures in the window): further attempts on that account are refused,
      from every address, until the window has passed; the login route also locks the account in the
      database (``users.locked_until``) so every process honours it. Only that account is affected.
    - **Address** (``address_limit`` failures over all accounts, by default ten times ``limit``): the
      address is slowed, not blocked. Attempts from it are refused only for the names that have
      already failed *from that address* in the window (the pair counter); a name without a failure
      from there is still checked. Behind a reverse proxy or a shared office NAT, where every user
      has one address, a colleague's right password goes through however many wrong ones someone
      else typed there (unless their own name failed there in the same minute); a password sprayer
      from one address gets one guess per name per window once the address is hot, and ``limit``
      per name before.
    - Names that match no account are counted and refused exactly like real ones, so the answers do
      not tell an attacker which accounts exist.

    The price, as with any account lock: someone who fails on purpose can keep one named account
    waiting; never any other. Names are counted case-insensitively. In memory, per process (the
    database lock is what every process shares).
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float = 60.0,
        *,
        address_limit: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.address_limit = address_limit if address_limit is not None else limit * ADDRESS_LIMIT_FACTOR
        self.window = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, ...], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    @staticmethod
    def _keys(address: str, account: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        name = account.lower()
        return ("account", name), ("address", address), ("pair", address, name)

    def _count(self, key: tuple[str, ...], now: float) -> int:
        times = self._failures.get(key)
        if times is None:
            return 0
        while times and now - times[0] > self.window:
            times.popleft()
        return len(times)

    def refused(self, *, address: str, account: str) -> bool:
        """True when an attempt on ``account`` from ``address`` must be refused without checking it."""
        account_key, address_key, pair_key = self._keys(address, account)
        now = self._clock()
        with self._lock:
            if self._count(account_key, now) >= self.limit:
                return True
            return self._count(address_key, now) >= self.address_limit and self._count(pair_key, now) > 0

    def fail(self, *, address: str, account: str) -> bool:
        """Record a wrong password; True when the account has now reached its limit (lock it)."""
        now = self._clock()
        with self._lock:
            if len(self._failures) > MAX_TRACKED_KEYS:
                self._sweep(now)
            for key in self._keys(address, account):
                self._count(key, now)
                self._failures[key].append(now)
            return self._count(self._keys(address, account)[0], now) >= self.limit

    def succeed(self, *, address: str, account: str) -> None:
        """A right password: the account's and the pair's failures are forgotten, the address's are not
        (logging into one's own account must not launder an address's failures on others)."""
        account_key, _, pair_key = self._keys(address, account)
        with self._lock:
            self._failures.pop(account_key, None)
            self._failures.pop(pair_key, None)

    def _sweep(self, now: float) -> None:
        for key in [k for k in self._failures if self._count(k, now) == 0]:
            del self._failures[key]
