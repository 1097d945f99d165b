"""A cached bearer token with a lifetime: fetched lazily, renewed shortly before it expires."""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

from connectors.errors import AuthenticationError, HttpStatusError, ResponseFormatError
from connectors.http.classify import HttpResponse, single_answer
from connectors.redact import safe_url

DEFAULT_LIFETIME_SECONDS = 300.0
"""Assumed when a token endpoint does not say ``expires_in``: short, so a wrong guess costs little."""
REFRESH_MARGIN_SECONDS = 60.0
_HEADER_SAFE_TOKEN = re.compile(r"[\x21-\x7e]+")
"""Visible ASCII only: what a bearer token is (RFC 6750 2.1 is stricter still) and all a header can
carry safely. A line break would inject a header, non-ASCII text cannot be encoded at all."""


def basic_header(user: str, password: str, *, form_encode: bool) -> str:
    """An ``Authorization: Basic`` value. ``form_encode`` applies RFC 6749 2.3.1 (OAuth2 clients)."""
    if form_encode:
        user, password = quote(user, safe=""), quote(password, safe="")
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class TokenCache:
    """One token, fetched on first use and again once less than a margin of its life remains.

    The margin is a tenth of the lifetime, at most :data:`REFRESH_MARGIN_SECONDS`, so a request never
    leaves with a token about to expire in flight. Thread-safe: concurrent workers share one fetch.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def get(self, fetch: Callable[[], tuple[str, float]]) -> str:
        """The current token; calls ``fetch`` for ``(token, lifetime)`` if none is held or it is due.

        Errors of ``fetch`` propagate and leave no token cached.
        """
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                token, lifetime = fetch()
                margin = min(REFRESH_MARGIN_SECONDS, lifetime / 10)
                self._token, self._renew_at = token, self._clock() + lifetime - margin
            return self._token

    def invalidate(self) -> None:
        """Forget the token (after a 401) so the next :meth:`get` fetches a fresh one."""
        with self._lock:
            self._token = None


def token_from(response: HttpResponse, token_url: str) -> tuple[str, float]:
    """``(access_token, lifetime seconds)`` from an OAuth2 token answer; :class:`ResponseFormatError`
    if there is no token in it, or one that cannot travel in a header (anything but visible ASCII), or
    if it repeats a name (:func:`~connectors.http.classify.single_answer`)."""
    body = single_answer(response, "POST")
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ResponseFormatError(
            f"POST {safe_url(token_url)}: token answer has no access_token",
            method="POST",
            url=safe_url(token_url),
            status=response.status,
        )
    if not _HEADER_SAFE_TOKEN.fullmatch(token):
        # Never the token itself, nor the character at fault: a token is a secret.
        raise ResponseFormatError(
            f"POST {safe_url(token_url)}: token answer's access_token is not a usable bearer token "
            f"(it holds a space, a line break, a control or a non-ASCII character; {len(token)} characters)",
            method="POST",
            url=safe_url(token_url),
            status=response.status,
        )
    expires = body.get("expires_in") if isinstance(body, dict) else None
    if isinstance(expires, int | float) and not isinstance(expires, bool) and expires > 0:
        return token, float(expires)
    return token, DEFAULT_LIFETIME_SECONDS


def refused(exc: HttpStatusError, what: str) -> AuthenticationError:
    """The error for a token endpoint saying no: names the endpoint and its OAuth error, never secrets."""
    return AuthenticationError(
        f"{what} token endpoint refused the credentials: {exc}",
        method=exc.method,
        url=exc.url,
        status=exc.status,
        body=exc.body,
    )
