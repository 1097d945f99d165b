"""Hostile HTTP bodies, served for real on loopback: bodies too large to hold (a gzip bomb sent as
``Content-Encoding``, a chunked answer that never ends).

What must hold: the run ends with an error naming the request and the ceiling, the pages landed before
are kept, and memory stays bounded by the configured ceiling rather than by what the server sends.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from connectors.errors import ResponseTooLargeError
from connectors.http.client import DEFAULT_MAX_BODY_BYTES, HttpClient, HttpSettings
from connectors.http.paging import CursorPaginator
from sbt_sync.db.engine import Database
from sbt_sync.db.models import RawRecord
from sbt_sync.errors import ConfigError
from sbt_sync.ingest.connections import http_source
from sbt_sync.ingest.pull import pull_http
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT
from tests.ingest.test_hostile_http import FAST, FEED, Answer, Handler, Loopback, record, serve

__all__ = ["serve"]  # the loopback fixture, shared with test_hostile_http

CEILING = 1024 * 1024
INFLATED = 64 * CEILING
"""What the bomb inflates to: 64 times the ceiling (the old client held and parsed all of it)."""


def _bomb(encoding: str) -> bytes:
    inflated = b'{"items": [], "pad": "' + b"0" * INFLATED + b'", "next_cursor": null}'
    if encoding == "gzip":
        return gzip.compress(inflated, compresslevel=9)
    return zlib.compress(inflated, 9)


def bomb_on_page_2(encoding: str) -> Answer:
    body = _bomb(encoding)

    def answer(h: Handler, q: dict[str, str]) -> None:
        if q.get("cursor") != "p2":
            h.send_json({"items": [record(1), record(2)], "next_cursor": "p2"})
            return
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Encoding", encoding)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return answer


def endless_chunked_on_page_2(h: Handler, q: dict[str, str]) -> None:
    """Page 2 is a chunked JSON answer that never ends, sent as fast as the socket takes it."""
    if q.get("cursor") != "p2":
        h.send_json({"items": [record(1), record(2)], "next_cursor": "p2"})
        return
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b" " * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    h.wfile.write(b'6\r\n{"a": \r\n')
    while True:
        h.wfile.write(frame)


def client() -> HttpClient:
    # The total deadline is long on purpose: the size ceiling, not the clock, must end these answers.
    settings = HttpSettings(connect_timeout=2, read_timeout=5, total_timeout=60, max_body_bytes=CEILING)
    return HttpClient(settings, retry=FAST)


ANSWERS: dict[str, Answer] = {
    "gzip bomb": bomb_on_page_2("gzip"),
    "deflate bomb": bomb_on_page_2("deflate"),
    "endless chunked body": endless_chunked_on_page_2,
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_a_body_over_the_ceiling_ends_the_run_naming_the_request_and_keeps_the_pages_before(
    answer: Answer, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(answer)
    with client() as http, pytest.raises(ResponseTooLargeError) as raised:
        pull_http(
            migrated_database,
            source="bkn_wasdal",
            feed=FEED,
            paginator=CursorPaginator(http, server.url, page_size=2),
        )
    message = str(raised.value)
    assert message.startswith(f"GET {server.url}")
    assert "cursor=p2" in message
    assert f"more than {CEILING} bytes" in message
    assert raised.value.attempts == 1  # the same answer would come again: not retried
    with migrated_database.session() as session:
        kept = session.scalars(select(RawRecord.record_key).order_by(RawRecord.record_key)).all()
    assert kept == ["BKN-00001", "BKN-00002"]


def test_a_body_at_the_ceiling_is_read_whole(serve: Callable[[Answer], Loopback]) -> None:
    items = [record(n) for n in range(1, 4)]
    body = json.dumps({"items": items, "next_cursor": None}).encode()
    server = serve(lambda h, q: h.send_body(body))
    settings = HttpSettings(max_body_bytes=len(body))
    with HttpClient(settings, retry=FAST) as http:
        answer = http.request("GET", server.url)
    assert answer.json == {"items": items, "next_cursor": None}


def test_the_default_ceiling_is_far_above_any_page() -> None:
    assert HttpSettings().max_body_bytes == 256 * 1024 * 1024


def test_the_ceiling_is_set_per_source_in_sbt_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sources.<name>.max_body_bytes`` reaches the client the daemon builds for that source (the
    default where it is unset); a ceiling too small to hold a page is refused when the file loads."""
    text = (REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    document["sources"]["bawaslu"]["max_body_bytes"] = 4 * CEILING
    for name in ("bawaslu", "bkn_wasdal"):  # the sandbox's CA is not made here; the system store is
        document["sources"][name]["ca_bundle"] = None
    config = tmp_path / "sbt.yaml"
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    secrets = {
        "SBT_BAWASLU_API_KEY": "k",
        "SBT_BKN_WASDAL_CLIENT_ID": "c",
        "SBT_BKN_WASDAL_CLIENT_SECRET": "s",
    }
    for name, value in secrets.items():  # the clients read their secrets from the environment
        monkeypatch.setenv(name, value)
    settings = load_settings(config, env=secrets)
    configured, _ = http_source(settings, "bawaslu")
    default, _ = http_source(settings, "bkn_wasdal")
    with configured, default:
        assert configured.settings.max_body_bytes == 4 * CEILING
        assert default.settings.max_body_bytes == DEFAULT_MAX_BODY_BYTES
    document["sources"]["bawaslu"]["max_body_bytes"] = 10
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(ConfigError, match="max_body_bytes"):
        load_settings(config, env=secrets)
