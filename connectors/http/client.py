"""The one retrying HTTP client every HTTP connector goes through.

Explicit connect and read timeouts and a total deadline per attempt (a server dripping bytes cannot
hold a run), TLS verification always on (optionally against a private CA
bundle), no redirects (a redirect to another host would carry our auth headers along), no settings from
the environment. Transient failures are retried (:func:`connectors.retry.retrying`): 5xx, 429,
connection errors, timeouts and a 2xx whose JSON body is cut short; ``Retry-After`` is honoured. Other
4xx are raised at once.
Requests must be safe to repeat: GETs, token fetches, or writes carrying an ``Idempotency-Key``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from connectors.errors import ConnectorError, HttpError, TransientHttpError
from connectors.http.classify import HttpResponse, classify_response, connection_error, deadline_error
from connectors.http.deadline import DeadlineAdapter, within_deadline
from connectors.redact import mask_nips_in_logger, safe_url
from connectors.retry import RetryPolicy, RetryStats, retrying

if TYPE_CHECKING:
    from connectors.http.auth import Auth

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "sbt-sync/0.1 (BKN SBT data integration)"


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
        for TLS failures (a wrong CA is configuration, not bad luck, so it is not retried).
        """
        loop = retrying(
            self.retry,
            retry_on=_retryable,
            stats=self.stats,
            logger=log,
            sleep=self._sleep,
            rand=self._rand,
        )
        try:
            return loop(
                self._attempt, method, url, params, json, data, dict(headers or {}), auth, frozenset(accept)
            )
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
            try:
                with within_deadline(self.settings.total_timeout) as deadline:
                    response = self._session.request(
                        method,
                        url,
                        params=params,
                        json=json,
                        data=data,
                        headers=sent,
                        timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                        allow_redirects=False,
                    )
            except requests.RequestException as exc:
                if deadline.expired:
                    raise deadline_error(method, url, self.settings.total_timeout) from exc
                raise connection_error(method, url, exc) from exc
            if deadline.expired:  # cut off mid-headers, what reached us can parse as a (short) answer
                raise deadline_error(method, url, self.settings.total_timeout)
            if response.status_code == 401 and auth is not None and not renewed and auth.invalidate():
                # Tokens expire early (revoked, server restarted): fetch fresh ones and try once more.
                log.info("%s %s: 401, renewing tokens and retrying once", method, safe_url(url))
                self.stats.add("token_refresh")
                continue
            return classify_response(method, url, response, accept)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _retryable(exc: BaseException) -> bool:
    """Transient, and not already retried by a nested request (a token fetch inside an API call)."""
    return isinstance(exc, TransientHttpError) and not exc.exhausted
