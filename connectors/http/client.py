"""The one retrying HTTP client every HTTP connector goes through.

Explicit connect and read timeouts and a total deadline per attempt (a server dripping bytes cannot
hold a run), TLS verification always on (optionally against a private CA bundle), no redirects (a
redirect to another host would carry our auth headers along), no settings from the environment, and a
ceiling on the size of an answer's body (counted after ``Content-Encoding`` is undone, so a gzip bomb
costs at most the ceiling). Transient failures are retried (:func:`connectors.retry.retrying`): 5xx,
429, connection errors, timeouts and a 2xx whose JSON body is cut short; ``Retry-After`` is honoured.
Other 4xx are raised at once.
Requests must be safe to repeat: GETs, token fetches, or writes carrying an ``Idempotency-Key``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from connectors.errors import ConnectorError, HttpError, ResponseTooLargeError, TransientHttpError
from connectors.http.classify import HttpResponse, classify_response, connection_error, deadline_error
from connectors.http.deadline import DeadlineAdapter, within_deadline
from connectors.redact import mask_nips_in_logger, safe_url
from connectors.retry import RetryPolicy, RetryStats, retrying

if TYPE_CHECKING:
    from connectors.http.auth import Auth

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "sbt-sync/0.1 (BKN SBT data integration)"
DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024
"""Far above any page a source sends (a 1,000-record page is about a megabyte), far below what would
exhaust a worker's memory."""
_BODY_CHUNK_BYTES = 64 * 1024

_calls = threading.local()


@contextmanager
def calls_end_by(deadline: float | None) -> Iterator[None]:
    """Bound every request this thread makes inside the block (token fetches included) by
    ``deadline``, a :func:`time.monotonic` instant (None: no bound beyond an enclosing one).

    No attempt, first or retry, starts once the deadline has passed, and each attempt's connect, read
    and total timeouts are cut to the time left: a caller with a time budget (a cycle's push) is never
    held past it by a slow server. A request the deadline stopped raises the last failure it met, or a
    :class:`TransientHttpError` (reason ``deadline``) when it was never sent.
    """
    outer: float | None = getattr(_calls, "deadline", None)
    bound = deadline if outer is None else outer if deadline is None else min(outer, deadline)
    _calls.deadline = bound
    try:
        yield
    finally:
        _calls.deadline = outer


def _time_left() -> float | None:
    """Seconds left before this thread's :func:`calls_end_by` deadline (None: no deadline)."""
    deadline: float | None = getattr(_calls, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Transport settings of one HTTP source (``sbt.yaml``: ``*_timeout_seconds``, ``ca_bundle``)."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0
    """Seconds one attempt may take from connecting to the last byte of the answer, however the
    server paces its bytes (``sbt.yaml``: ``total_timeout_seconds``)."""
    ca_bundle: Path | None = None
    """PEM bundle to verify servers against; None uses the system store. Verification is never off."""
    user_agent: str = DEFAULT_USER_AGENT
    proxies: Mapping[str, str] | None = None
    """Explicit proxies (``{"https": "http://proxy:3128"}``); environment proxies are ignored."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """The largest body (after ``Content-Encoding`` is undone) an answer may have; a larger one raises
    :class:`ResponseTooLargeError` once that many bytes were read, whatever the server sends after."""


def build_session(settings: HttpSettings) -> requests.Session:
    """A ``requests.Session`` configured from ``settings``.

    Raises :class:`ConnectorError` if ``ca_bundle`` names a file that does not exist (requests would
    otherwise fail only at the first call, with a less helpful message).
    """
    if settings.ca_bundle is not None and not settings.ca_bundle.is_file():
        raise ConnectorError(f"TLS CA bundle {settings.ca_bundle} does not exist")
    # urllib3 logs each request's path at DEBUG, and SIASN's paths carry NIPs (/pns/data-utama/{nip}).
    mask_nips_in_logger("urllib3.connectionpool")
    session = requests.Session()
    # The environment (REQUESTS_CA_BUNDLE, HTTPS_PROXY, ~/.netrc) must not change where secrets go.
    session.trust_env = False
    session.verify = str(settings.ca_bundle) if settings.ca_bundle else True
    session.headers["User-Agent"] = settings.user_agent
    session.headers["Accept"] = "application/json"
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if settings.proxies:
        session.proxies.update(settings.proxies)
    return session


class HttpClient:
    """Sends requests with auth, timeouts and retries; thread-safe enough to share among workers."""

    def __init__(
        self,
        settings: HttpSettings | None = None,
        *,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings or HttpSettings()
        self.retry = retry or RetryPolicy()
        self.stats = RetryStats()
        self._session = session or build_session(self.settings)
        self._sleep = sleep
        self._rand = rand

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Auth | None = None,
        accept: Collection[int] = (),
    ) -> HttpResponse:
        """Send one request, retrying transient failures; return the 2xx (or ``accept``-ed) answer.

        On a 401 the ``auth`` strategy may renew its tokens and the request is resent once. Raises
        :class:`TransientHttpError` (:class:`ThrottledError` for 429) once retries ran out or the
        server asked for a longer wait than the policy allows; :class:`AuthenticationError` for
        refused credentials; :class:`HttpStatusError` for any other 4xx or a 3xx; :class:`HttpError`
        for TLS failures (a wrong CA is configuration, not bad luck, so it is not retried). Inside
        :func:`calls_end_by`, no attempt starts after its deadline (see there).
        """
        policy = self.retry
        left = _time_left()
        if left is not None:
            if left <= 0:
                raise _OutOfTime(method, url)
            policy = replace(policy, deadline=min(left, policy.deadline or left))
        loop = retrying(
            policy,
            retry_on=_retryable,
            stats=self.stats,
            logger=log,
            sleep=self._sleep,
            rand=self._rand,
        )
        failures: list[TransientHttpError] = []

        def attempt() -> HttpResponse:
            try:
                return self._attempt(
                    method, url, params, json, data, dict(headers or {}), auth, frozenset(accept)
                )
            except TransientHttpError as exc:
                failures.append(exc)
                raise

        try:
            return loop(attempt)
        except _OutOfTime:
            earlier = [f for f in failures if not isinstance(f, _OutOfTime)]
            if not earlier:
                raise
            last = earlier[-1]  # the deadline stopped a retry: what went wrong is the last failure
            last.attempts = len(earlier)
            last.exhausted = True
            raise last from last.__cause__
        except TransientHttpError as exc:
            if not exc.exhausted:  # raised by a nested token fetch, it already counts its own attempts
                exc.attempts = loop.statistics.get("attempt_number", 1)
                exc.exhausted = True
            raise
        except HttpError as exc:
            exc.attempts = loop.statistics.get("attempt_number", 1)
            raise

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int] | None,
        json: Any,
        data: Mapping[str, str] | None,
        headers: dict[str, str],
        auth: Auth | None,
        accept: frozenset[int],
    ) -> HttpResponse:
        for renewed in (False, True):
            sent = dict(headers)
            if auth is not None:
                sent.update(auth.headers(self))
            left = _time_left()
            if left is not None and left <= 0:  # the caller's deadline passed (a retry's wait, a token)
                raise _OutOfTime(method, url)
            settings = self.settings
            connect, read, total = settings.connect_timeout, settings.read_timeout, settings.total_timeout
            if left is not None:
                connect, read, total = min(connect, left), min(read, left), min(total, left)
            unsendable: HttpError | None = None
            try:
                with within_deadline(total) as deadline:
                    response = self._session.request(
                        method,
                        url,
                        params=params,
                        json=json,
                        data=data,
                        headers=sent,
                        timeout=(connect, read),
                        allow_redirects=False,
                        stream=True,
                    )
                    _read_body(method, response, settings.max_body_bytes)
            except requests.exceptions.InvalidHeader as exc:
                # Its text quotes the header's value (a key or a token): raised below, outside this
                # block, so it is neither the cause nor the context of what is raised.
                unsendable = connection_error(method, url, exc)
            except requests.RequestException as exc:
                if deadline.expired:
                    raise deadline_error(method, url, total) from exc
                raise connection_error(method, url, exc) from exc
            if unsendable is not None:
                raise unsendable
            if deadline.expired:  # cut off mid-headers, what reached us can parse as a (short) answer
                raise deadline_error(method, url, total)
            if response.status_code == 401 and auth is not None and not renewed and auth.invalidate():
                # Tokens expire early (revoked, server restarted): fetch fresh ones and try once more.
                log.info("%s %s: 401, renewing tokens and retrying once", method, safe_url(url))
                self.stats.add("token_refresh")
                continue
            return classify_response(method, url, response, accept)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _read_body(method: str, response: requests.Response, limit: int) -> None:
    """Read ``response``'s (decoded) body into it, or raise :class:`ResponseTooLargeError` as soon as
    more than ``limit`` bytes arrived (the connection is then dropped, not drained)."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(_BODY_CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                where = f"{method} {safe_url(response.url)}"
                raise ResponseTooLargeError(
                    f"{where}: HTTP {response.status_code} with a body of more than {limit} bytes "
                    "(decompressed); not read further",
                    method=method,
                    url=safe_url(response.url),
                    status=response.status_code,
                )
            chunks.append(chunk)
    except BaseException:
        response.close()
        raise
    response._content = b"".join(chunks)


class _OutOfTime(TransientHttpError):
    """A request (or a retry of it) not sent: the deadline of :func:`calls_end_by` has passed."""

    def __init__(self, method: str, url: str) -> None:
        where = f"{method} {safe_url(url)}"
        super().__init__(
            f"{where}: not sent, the caller's time is up", reason="deadline", method=method, url=safe_url(url)
        )
        self.attempts = 0
        self.exhausted = True  # never retried: no time is left for it


def _retryable(exc: BaseException) -> bool:
    """Transient, and not already retried by a nested request (a token fetch inside an API call)."""
    return isinstance(exc, TransientHttpError) and not exc.exhausted
