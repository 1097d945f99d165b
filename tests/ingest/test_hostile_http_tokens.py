"""Hostile OAuth2 token endpoints, served for real on loopback: tokens that cannot travel in a header.

A token is sent back verbatim in ``Authorization: Bearer``. One holding a line break would be a header
injection, one holding non-ASCII text cannot be encoded at all: either must end the run with an error
naming the token endpoint (never the token), without one request to the data endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import select

from connectors.errors import ResponseFormatError
from connectors.http.auth import ClientCredentials, OAuth2ClientCredentialsAuth
from connectors.http.client import HttpClient, HttpSettings
from connectors.http.paging import CursorPaginator
from sbt_sync.db.engine import Database
from sbt_sync.db.models import RawRecord
from sbt_sync.ingest.pull import pull_http
from tests.ingest.test_hostile_http import FAST, FEED, Answer, Handler, Loopback, record, serve

__all__ = ["serve"]  # the loopback fixture, shared with test_hostile_http

TOKENS = {
    "line break (header injection)": "abc\r\nX-Injected: 1",
    "bare line feed": "abc\ndef",
    "non-ASCII": "tok\u2603en",
    "space inside": "abc def",
    "NUL": "abc\x00def",
}


def data(h: Handler, q: dict[str, str]) -> None:
    """The data endpoint (GET): one record; the loopback counts the requests it gets."""
    h.send_json({"items": [record(1)], "next_cursor": None})


def serve_token(loopback: Loopback, token: str) -> None:
    """Adds POST /token to the loopback handler class of this server only."""

    class WithToken(Handler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = json.dumps({"access_token": token, "token_type": "bearer", "expires_in": 3600}).encode()
            self.send_body(body)

    loopback.RequestHandlerClass = WithToken


@pytest.mark.timeout(60)
@pytest.mark.parametrize("token", TOKENS.values(), ids=TOKENS.keys())
def test_a_token_that_cannot_be_a_header_ends_the_run_naming_the_endpoint_never_the_token(
    token: str, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(data)
    serve_token(server, token)
    token_url = server.url.replace("/list", "/token")
    auth = OAuth2ClientCredentialsAuth(ClientCredentials(token_url, "client", "s3cret"))
    with HttpClient(HttpSettings(), retry=FAST) as http, pytest.raises(ResponseFormatError) as raised:
        pull_http(
            migrated_database,
            source="bkn_wasdal",
            feed=FEED,
            paginator=CursorPaginator(http, server.url, auth=auth, page_size=2),
        )
    message = str(raised.value)
    assert message.startswith(f"POST {token_url}: ")
    assert "access_token" in message
    assert token not in message and "s3cret" not in message and "2603" not in message
    assert server.requests == 0  # counted by do_GET: the data endpoint was never asked
    with migrated_database.session() as session:
        assert session.scalars(select(RawRecord)).all() == []


def test_an_ordinary_bearer_token_is_sent_as_it_came(serve: Callable[[Answer], Loopback]) -> None:
    token = "eyJhbGciOi.J9-_~+/abc=="
    seen: list[str] = []

    def answer(h: Handler, q: dict[str, str]) -> None:
        seen.append(h.headers["Authorization"])
        h.send_json({"items": []})

    server = serve(answer)
    serve_token(server, token)
    auth = OAuth2ClientCredentialsAuth(ClientCredentials(server.url.replace("/list", "/token"), "c", "s"))
    with HttpClient(HttpSettings(), retry=FAST) as http:
        http.request("GET", server.url, auth=auth)
    assert seen == [f"Bearer {token}"]
