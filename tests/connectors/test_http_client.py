"""The shared HTTP client against a real loopback server: what is retried, how long it waits, what not."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise
from pathlib import Path

import pytest

from connectors.errors import (
    AuthenticationError,
    ConnectorError,
    HttpError,
    HttpStatusError,
    ThrottledError,
    TransientHttpError,
)
from connectors.http import ClientCredentials, HttpClient, HttpSettings, OAuth2ClientCredentialsAuth
from connectors.retry import RetryPolicy
from sbt_sync.sandbox.http.tls import ensure_tls
from tests.connectors.helpers_http import FAST_RETRY, Reply, ScriptedServer

pytestmark = pytest.mark.integration

OK = Reply(200, {"items": [1]})


def client(sleeps: list[float] | None = None, *, ca_bundle: Path | None = None) -> HttpClient:
    """A client with millisecond backoffs whose sleeps are recorded instead of slept."""
    record: Callable[[float], None] = sleeps.append if sleeps is not None else (lambda _: None)
    settings = HttpSettings(connect_timeout=2, read_timeout=2, ca_bundle=ca_bundle)
    return HttpClient(settings, retry=FAST_RETRY, sleep=record)


def test_server_errors_are_retried_until_success_and_counted(scripted: ScriptedServer) -> None:
    scripted.script("/r", Reply(503, {"message": "busy"}), Reply(502), OK)
    http = client()
    assert http.request("GET", scripted.url + "/r").json == {"items": [1]}
    assert len(scripted.seen) == 3
    assert http.stats.snapshot() == {"server_error": 2}
    assert http.stats.retries == 2


def test_throttling_waits_exactly_the_retry_after_seconds(scripted: ScriptedServer) -> None:
    scripted.script("/r", Reply(429, {"code": "900803"}, {"Retry-After": "2"}), OK)
    sleeps: list[float] = []
    client(sleeps).request("GET", scripted.url + "/r")
    assert sleeps == [2.0]


def test_retry_after_as_http_date_is_honoured(scripted: ScriptedServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    scripted.script("/r", Reply(503, None, {"Retry-After": when}), OK)
    sleeps: list[float] = []
    client(sleeps).request("GET", scripted.url + "/r")
    assert 1.0 < sleeps[0] <= 3.0


def test_retry_after_beyond_the_cap_gives_up_at_once(scripted: ScriptedServer) -> None:
    scripted.script("/r", Reply(429, {"message": "quota"}, {"Retry-After": "3600"}))
    with pytest.raises(ThrottledError) as caught:
        client().request("GET", scripted.url + "/r")
    assert caught.value.retry_after == 3600.0
    assert caught.value.attempts == 1
    assert len(scripted.seen) == 1


NIP = "198001012005011001"


def waits_between(scripted: ScriptedServer) -> list[float]:
    """Seconds between consecutive requests, as the server saw them arrive."""
    arrivals = [seen.at for seen in scripted.seen]
    return [later - earlier for earlier, later in pairwise(arrivals)]


@pytest.mark.xdist_group("serial")  # bounds a wait in seconds: runs alone (tests/support/scheduling.py)
@pytest.mark.parametrize(("status", "reason"), [(429, "throttled"), (503, "server_error")])
def test_the_client_really_waits_the_retry_after_second_before_asking_again(
    scripted: ScriptedServer, caplog: pytest.LogCaptureFixture, status: int, reason: str
) -> None:
    path = f"/pns/data-utama/{NIP}"
    scripted.script(path, Reply(status, {"message": "busy"}, {"Retry-After": "1"}), OK)
    http = HttpClient(HttpSettings(connect_timeout=2, read_timeout=2), retry=FAST_RETRY)  # real sleep
    with caplog.at_level(logging.WARNING, logger="connectors.http.client"):
        assert http.request("GET", scripted.url + path).json == {"items": [1]}
    [waited] = waits_between(scripted)
    assert 1.0 <= waited < 1.8  # the server's second, not FAST_RETRY's milliseconds
    assert http.stats.snapshot() == {reason: 1}
    [warning] = caplog.messages
    assert "retrying in 1.00 s" in warning and NIP not in warning and "**************1001" in warning


@pytest.mark.xdist_group("serial")  # bounds a wait in seconds: runs alone (tests/support/scheduling.py)
def test_an_http_date_retry_after_is_waited_for_until_that_instant(scripted: ScriptedServer) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    scripted.script("/r", Reply(503, None, {"Retry-After": format_datetime(when, usegmt=True)}), OK)
    HttpClient(HttpSettings(connect_timeout=2, read_timeout=2), retry=FAST_RETRY).request(
        "GET", scripted.url + "/r"
    )
    [waited] = waits_between(scripted)
    assert 0.9 <= waited < 2.5  # until that whole second, however far into the current one we are


@pytest.mark.parametrize("header", ["soon", "-1", "1.5", "\u00b2", "Thu, 99 Foo 2024 25:61:00 GMT", ""])
def test_a_malformed_retry_after_falls_back_to_the_backoff(scripted: ScriptedServer, header: str) -> None:
    scripted.script("/r", Reply(429, {"code": "900803"}, {"Retry-After": header}), Reply(429), OK)
    sleeps: list[float] = []
    http = client(sleeps)
    assert http.request("GET", scripted.url + "/r").status == 200
    assert len(sleeps) == 2 and all(0 < s <= FAST_RETRY.max_backoff for s in sleeps)
    assert http.stats.snapshot() == {"throttled": 2}


@pytest.mark.xdist_group("serial")  # bounds a wait in seconds: runs alone (tests/support/scheduling.py)
def test_the_policy_deadline_bounds_a_server_that_keeps_asking_to_wait(scripted: ScriptedServer) -> None:
    scripted.script("/r", Reply(503, {"message": "maintenance"}, {"Retry-After": "1"}))
    policy = RetryPolicy(max_attempts=10, initial_backoff=0.001, max_retry_after=5, deadline=1.5)
    http = HttpClient(HttpSettings(connect_timeout=2, read_timeout=2), retry=policy)
    started = time.monotonic()
    with pytest.raises(TransientHttpError) as caught:
        http.request("GET", scripted.url + "/r")
    assert 1.4 <= time.monotonic() - started < 3.0
    # attempts at 0 s and 1 s, then a wait cut to the deadline's remaining half second, then no more
    assert caught.value.attempts == 3 == len(scripted.seen)
    assert 0.3 <= waits_between(scripted)[1] < 0.8


def test_client_errors_are_never_retried(scripted: ScriptedServer) -> None:
    scripted.script("/r", Reply(400, {"message": "page_size must be between 1 and 500"}))
    with pytest.raises(HttpStatusError, match=r"HTTP 400: page_size must be between 1 and 500") as caught:
        client().request("GET", scripted.url + "/r")
    assert caught.value.retryable is False
    assert len(scripted.seen) == 1


def test_truncated_json_body_is_fetched_again(scripted: ScriptedServer) -> None:
    scripted.script("/r", Reply(200, raw=b'{"items": [1, 2'), OK)
    http = client()
    assert http.request("GET", scripted.url + "/r").json == {"items": [1]}
    assert http.stats.snapshot() == {"invalid_body": 1}


def test_dropped_connection_is_retried(scripted: ScriptedServer) -> None:
    scripted.script("/r", Reply(drop=True), OK)
    http = client()
    assert http.request("GET", scripted.url + "/r").status == 200
    assert http.stats.snapshot() == {"connection": 1}


def test_exhausted_retries_name_the_url_without_query_secrets(scripted: ScriptedServer) -> None:
    scripted.script("/r", Reply(500, {"message": "down"}))
    with pytest.raises(TransientHttpError) as caught:
        client().request("GET", scripted.url + "/r?api_key=topsecret&page=1")
    error = caught.value
    assert error.attempts == FAST_RETRY.max_attempts
    assert error.status == 500
    assert "topsecret" not in str(error)
    assert "/r?api_key=***&page=1" in str(error)


def test_redirects_are_not_followed(scripted: ScriptedServer) -> None:
    scripted.script("/r", Reply(302, None, {"Location": "https://elsewhere.invalid/"}))
    with pytest.raises(HttpStatusError, match="HTTP 302"):
        client().request("GET", scripted.url + "/r")


def test_oauth2_token_is_fetched_lazily_once_and_renewed_after_a_401(scripted: ScriptedServer) -> None:
    scripted.script(
        "/token",
        Reply(200, {"access_token": "tok-1", "expires_in": 3600}),
        Reply(200, {"access_token": "tok-2", "expires_in": 3600}),
    )
    scripted.script("/r", OK, Reply(401, {"error": "invalid_token"}), OK)
    auth = OAuth2ClientCredentialsAuth(ClientCredentials(scripted.url + "/token", "client id", "s3cr:t"))
    http = client()
    assert scripted.seen == []  # nothing fetched before the first call
    http.request("GET", scripted.url + "/r", auth=auth)
    http.request("GET", scripted.url + "/r", auth=auth)
    calls = [(seen.path, seen.headers.get("Authorization")) for seen in scripted.seen]
    assert calls[1] == ("/r", "Bearer tok-1")
    assert calls[2] == ("/r", "Bearer tok-1")  # still valid: no second fetch
    assert calls[3][0] == "/token"
    assert calls[4] == ("/r", "Bearer tok-2")
    assert http.stats.snapshot() == {"token_refresh": 1}
    assert b"grant_type=client_credentials" in scripted.seen[0].body
    assert "tok-1" not in repr(auth) and "s3cr" not in repr(auth)


def test_oauth2_token_is_renewed_before_it_expires(scripted: ScriptedServer) -> None:
    scripted.script(
        "/token",
        Reply(200, {"access_token": "tok-1", "expires_in": 100}),
        Reply(200, {"access_token": "tok-2", "expires_in": 100}),
    )
    scripted.script("/r", OK)
    now = [0.0]
    auth = OAuth2ClientCredentialsAuth(
        ClientCredentials(scripted.url + "/token", "c", "s"), clock=lambda: now[0]
    )
    http = client()
    http.request("GET", scripted.url + "/r", auth=auth)
    now[0] = 91.0  # within the last tenth of the lifetime
    http.request("GET", scripted.url + "/r", auth=auth)
    assert [seen.headers.get("Authorization") for seen in scripted.seen if seen.path == "/r"] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]


def test_refused_client_credentials_raise_authentication_error_without_retrying(
    scripted: ScriptedServer,
) -> None:
    scripted.script("/token", Reply(401, {"error": "invalid_client", "error_description": "unknown client"}))
    auth = OAuth2ClientCredentialsAuth(ClientCredentials(scripted.url + "/token", "c", "wrong"))
    with pytest.raises(
        AuthenticationError, match=r"OAuth2 token endpoint refused the credentials.*invalid_client"
    ):
        client().request("GET", scripted.url + "/r", auth=auth)
    assert [seen.path for seen in scripted.seen] == ["/token"]


def test_tls_is_verified_against_the_configured_ca(scripted: ScriptedServer, tmp_path: Path) -> None:
    material = ensure_tls(tmp_path / "tls")
    scripted.ssl_context = material.server_context()
    scripted.script("/r", OK)
    assert client(ca_bundle=material.ca_bundle).request("GET", scripted.url + "/r").status == 200
    other = ensure_tls(tmp_path / "other")  # another CA: the server is not trusted
    with pytest.raises(HttpError, match="TLS verification failed") as caught:
        client(ca_bundle=other.ca_bundle).request("GET", scripted.url + "/r")
    assert not isinstance(caught.value, TransientHttpError)  # configuration, not bad luck: no retries


def test_missing_ca_bundle_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match=r"CA bundle .* does not exist"):
        client(ca_bundle=tmp_path / "nope.pem")
