"""Hostile HTTP sources, served for real on loopback: answers that drip, listings that loop, pages
holding values ``json.loads`` chokes on, workers that could outlive their run, a database that is down.

Each case has its own deadline (pytest-timeout), so a regression shows as a failed case, not a hung
suite. What must hold for every input: a clear error or quarantine entry naming the page and field,
every good record kept, nothing landed before lost, no run without end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from assets.ingestion import DB_RETRY, build_ingestion_assets
from connectors.errors import TransientHttpError
from connectors.http import jsonbody
from connectors.http.client import HttpClient, HttpSettings
from connectors.http.paging import CursorPaginator, Paginator, PagingLoopError
from connectors.http.paging_since import LinkHeaderPaginator, PageNumberPaginator
from connectors.retry import RetryPolicy
from sbt_sync.cli.common import database_error
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord, SourceCursor, StagedRecord
from sbt_sync.ingest.pull import pull_http
from sbt_sync.ingest.staging import stage_pending
from sbt_sync.settings import load_settings
from schemas.feeds import FEEDS
from tests.conftest import REPO_ROOT

FEED = FEEDS["bkn_wasdal"]
FAST = RetryPolicy(max_attempts=2, initial_backoff=0.001, max_backoff=0.01)
SERVER_TIME = "2024-12-05T10:00:00+07:00"


def record(n: int, **changes: object) -> dict[str, object]:
    """A valid BKN Wasdal record."""
    data: dict[str, object] = {
        "id": f"BKN-{n:05d}",
        "nomor_rekomendasi": f"REK-{n:06d}/BKN/2024",
        "nomor_register_bawaslu": None,
        "pemilihan": "PILKADA-2024",
        "nip": "198001012005011001",
        "nama": "Dr. H. Ahmad Fauzi, S.Pd.",
        "instansi_id": "A5EB03E23B5AF6A0E040640A040252AD",
        "tanggal_verifikasi": "2024-12-01T10:00:00+07:00",
        "hasil": "terbukti",
        "rekomendasi_sanksi": None,
        "tanggal_rekomendasi": "2024-12-02",
        "batas_tindak_lanjut": "2024-12-12",
        "updated_at": "2024-12-02T09:00:00+07:00",
    }
    data.update(changes)
    return data


# --- a loopback server whose every answer is a function of the request ---------------------------

Answer = Callable[["Handler", dict[str, str]], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Loopback

    def do_GET(self) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        self.server.requests += 1
        self.server.answer(self, query)

    def send_body(self, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, body: object, headers: dict[str, str] | None = None) -> None:
        self.send_body(json.dumps(body).encode(), headers)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Loopback(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: Answer) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.answer = answer
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/list"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client cut off mid-answer is what several cases are about


@pytest.fixture
def serve() -> Iterator[Callable[[Answer], Loopback]]:
    servers: list[Loopback] = []

    def start(answer: Answer) -> Loopback:
        server = Loopback(answer)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def client(total: float = 10.0) -> HttpClient:
    return HttpClient(HttpSettings(connect_timeout=2, read_timeout=5, total_timeout=total), retry=FAST)


# --- endless listings --------------------------------------------------------------------------


def same_full_page(h: Handler, q: dict[str, str]) -> None:
    """Ignores ``page``: page 1, full, forever, and always "more to come"."""
    items = [record(n) for n in range(1, 4)]
    h.send_json({"items": items, "page": {"total_pages": 10_000}, "server_time": SERVER_TIME})


def same_short_page_without_total(h: Handler, q: dict[str, str]) -> None:
    """Ignores ``page`` and sends no total: a short page 1 forever (only an empty page would end it)."""
    h.send_json({"items": [record(1), record(2)], "page": {"number": 1}, "server_time": SERVER_TIME})


def cycling_cursor(h: Handler, q: dict[str, str]) -> None:
    """Cursors (start) -> B -> C -> B: each page different, the listing a circle."""
    following, first = {"": ("B", 1), "B": ("C", 3), "C": ("B", 5)}[q.get("cursor", "")]
    h.send_json({"items": [record(first), record(first + 1)], "next_cursor": following})


def self_link(h: Handler, q: dict[str, str]) -> None:
    """Every page's next link points at the page itself (query in another order)."""
    link = f'<{h.server.url}?limit=3#again>; rel="next"'
    h.send_json({"data": [record(int(q.get("n", "1")))], "serverTime": SERVER_TIME}, {"Link": link})


def numeric_cursor(h: Handler, q: dict[str, str]) -> None:
    """A server counting its pages: ``next_cursor`` is the number 12345, then null."""
    if q.get("cursor") == "12345":
        h.send_json({"items": [record(3)], "next_cursor": None})
    else:
        h.send_json({"items": [record(1), record(2)], "next_cursor": 12345})


def endless_distinct_pages(h: Handler, q: dict[str, str]) -> None:
    """Every page new, never a last one: only the page ceiling ends a run."""
    page = int(q["page"])
    h.send_json({"items": [record(page)], "page": {"total_pages": 10**9}, "server_time": SERVER_TIME})


def page_number(server: Loopback, http: HttpClient) -> Paginator:
    return PageNumberPaginator(http, server.url, page_size=3)


def cursor(server: Loopback, http: HttpClient) -> Paginator:
    return CursorPaginator(http, server.url, page_size=2)


def link_header(server: Loopback, http: HttpClient) -> Paginator:
    return LinkHeaderPaginator(http, server.url, page_size=3)


@dataclass(frozen=True)
class Listing:
    answer: Answer
    paginator: Callable[[Loopback, HttpClient], Paginator]
    error: str | None
    """Part of the error that stops the source; None: the pull succeeds."""
    landed: int
    """Records landed (kept) by the run, error or not."""
    max_requests: int


LISTINGS = {
    # Page 2 equals page 1: stopped at page 2, page 1's records kept.
    "page number, same page forever": Listing(same_full_page, page_number, "same records as page 1", 3, 2),
    # No total, so a short page is not the end: page 2 equals page 1 and stops the run there.
    "page number without total, same short page forever": Listing(
        same_short_page_without_total, page_number, "same records as page 1", 2, 2
    ),
    # Page 3's next cursor is page 2's again.
    "cursor going round": Listing(cycling_cursor, cursor, "'B' was already followed", 6, 3),
    # The next link is the first page again, spelled differently.
    "Link header pointing at its page": Listing(self_link, link_header, "a link loop", 1, 1),
    # 12345 is a cursor, not "no next page": page 2 is fetched.
    "numeric next_cursor": Listing(numeric_cursor, cursor, None, 3, 2),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", LISTINGS.values(), ids=LISTINGS.keys())
def test_a_looping_listing_stops_with_an_error_naming_the_loop_and_keeps_what_came_before(
    case: Listing, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(case.answer)
    with client() as http:
        paginator = case.paginator(server, http)
        if case.error is None:
            pull_http(migrated_database, source="bkn_wasdal", feed=FEED, paginator=paginator)
        else:
            with pytest.raises(PagingLoopError, match=case.error):
                pull_http(migrated_database, source="bkn_wasdal", feed=FEED, paginator=paginator)
    assert server.requests <= case.max_requests
    with migrated_database.session() as session:
        assert len(session.scalars(select(RawRecord)).all()) == case.landed


@pytest.mark.timeout(30)
def test_a_run_stops_at_its_page_ceiling_and_the_next_run_continues(
    serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(endless_distinct_pages)
    with client() as http:
        paginator = PageNumberPaginator(http, server.url, page_size=1)
        first = pull_http(migrated_database, source="bkn_wasdal", feed=FEED, paginator=paginator, max_pages=3)
        second = pull_http(
            migrated_database, source="bkn_wasdal", feed=FEED, paginator=paginator, max_pages=3
        )
    assert (first.pages, first.new, first.page_ceiling_reached) == (3, 3, True)
    assert (second.pages, second.new, second.page_ceiling_reached) == (3, 3, True)
    with migrated_database.session() as session:
        keys = session.scalars(select(RawRecord.record_key).order_by(RawRecord.record_key)).all()
    assert keys == [f"BKN-{n:05d}" for n in range(1, 7)]


def test_the_page_ceiling_and_total_deadline_are_configured_per_http_source() -> None:
    settings = load_settings(REPO_ROOT / "sbt.yaml", env={})
    bawaslu = settings.sources["bawaslu"]
    assert bawaslu.kind == "http"
    assert (bawaslu.paging.max_pages, bawaslu.total_timeout_seconds) == (10_000, 120.0)


# --- answers that never finish ------------------------------------------------------------------


def drip_body(h: Handler, q: dict[str, str]) -> None:
    """Headers at once, then the body one byte every 0.2 s: no read ever waits 5 s."""
    body = json.dumps({"items": [record(1)], "next_cursor": None}).encode()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    for byte in body:
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        time.sleep(0.2)


def drip_headers(h: Handler, q: dict[str, str]) -> None:
    """The status line and headers one byte every 0.2 s, forever."""
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    while True:
        h.wfile.write(b"X")
        h.wfile.flush()
        time.sleep(0.2)


DRIPS = {"body": drip_body, "headers": drip_headers}


@pytest.mark.xdist_group("serial")  # bounds a wait in seconds: runs alone (tests/support/scheduling.py)
@pytest.mark.timeout(30)
@pytest.mark.parametrize("answer", DRIPS.values(), ids=DRIPS.keys())
def test_a_byte_drip_server_is_cut_off_at_the_total_deadline(
    answer: Answer, serve: Callable[[Answer], Loopback]
) -> None:
    server = serve(answer)
    started = time.monotonic()
    with client(total=1.0) as http, pytest.raises(TransientHttpError) as raised:
        http.request("GET", server.url)
    elapsed = time.monotonic() - started
    assert raised.value.reason == "deadline"
    assert "total deadline of 1 s" in str(raised.value)
    assert raised.value.attempts == FAST.max_attempts
    assert elapsed < 2 * FAST.max_attempts + 1  # each attempt cut at ~1 s, not at the drip's pace


# --- values json.loads chokes on -----------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


@dataclass(frozen=True)
class Hostile:
    nama: bytes
    """The raw JSON text sent as record 2's ``nama``."""
    check: str
    reason: str
    value: str | None = None


HOSTILE = {
    "nested 100,000 deep": Hostile(DEEP, "json_value", "nested more than 64 levels deep"),
    "5,000-digit number": Hostile(b"9" * 5000, "json_value", "a number of 5000 digits"),
    "lone surrogate": Hostile(b'"Ahmad \\ud800 Fauzi"', "json_value", "text that is not Unicode"),
    "a cp1252 byte in UTF-8": Hostile(b'"Jos\xe9 Ximenes"', "json_value", "text that is not Unicode"),
    "NaN": Hostile(b"NaN", "json_value", "NaN is not a JSON number"),
    "a list as a name": Hostile(b'["Ahmad", "Fauzi"]', "json_type", "a list where", '["Ahmad", "Fauzi"]'),
    "an object as a name": Hostile(b'{"first": "Ahmad"}', "json_type", "an object where"),
}


def hostile_pages(nama: bytes) -> Answer:
    """Page 1: records 1-3, record 2's ``nama`` hostile; page 2: record 4."""

    def answer(h: Handler, q: dict[str, str]) -> None:
        if q.get("cursor") == "p2":
            h.send_json({"items": [record(4)], "next_cursor": None})
            return
        marked = json.dumps({"items": [record(1), record(2, nama="@@"), record(3)], "next_cursor": "p2"})
        h.send_body(marked.encode().replace(b'"@@"', nama))

    return answer


@pytest.mark.timeout(60)
@pytest.mark.parametrize("while_landing", [True, False], ids=["while-landing", "afterwards"])
@pytest.mark.parametrize("case", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_value_quarantines_its_record_naming_page_and_field_and_keeps_the_rest(
    case: Hostile,
    while_landing: bool,
    serve: Callable[[Answer], Loopback],
    migrated_database: Database,
) -> None:
    server = serve(hostile_pages(case.nama))
    for _run in range(2):  # the next run neither crashes nor quarantines the record again
        with client() as http:
            pull_http(
                migrated_database,
                source="bkn_wasdal",
                feed=FEED,
                paginator=CursorPaginator(http, server.url, page_size=3),
                validate=while_landing,
            )
        if not while_landing:
            stage_pending(migrated_database, source="bkn_wasdal", feed=FEED)
    with migrated_database.session() as session:
        staged = session.scalars(select(StagedRecord.record_key).order_by(StagedRecord.record_key)).all()
        quarantined = session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open")).all()
        cursor = session.get(SourceCursor, "bkn_wasdal")
    assert staged == ["BKN-00001", "BKN-00003", "BKN-00004"]
    assert len(quarantined) == 1
    (entry,) = quarantined
    assert (entry.record_key, entry.check) == ("BKN-00002", case.check)
    # The column is the field, or the path into it where the bad value sits ("nama[0][0]...").
    assert entry.column is not None and entry.column.startswith("nama")
    assert case.reason in entry.reason
    if case.check == "json_value":
        assert entry.reason.startswith("page 1: nama")
    if case.value is not None:
        assert entry.value == case.value
    assert cursor is not None and cursor.cursor == "p2"


ORDINARY = [
    # An emoji sent as an escaped surrogate pair sends the body down the careful path: it must read
    # exactly as json.loads reads it.
    b'{"items": [{"nama": "Siti \\ud83d\\ude00", "n": -0.5e-3, "z": 0, "t": true, "f": false}]}',
    b' [ {"a" : [ ] , "b" : { } , "c" : null } , "\\u00e9\\n\\"\\\\" , 12 , 1E2 ] ',
    b'{"nested": {"a": [[1, [2, {"b": "\\ud83d\\ude00"}]]]}, "big": 123456789012345678901234567890}',
    '{"nama": "Jos\u00e9 Ximenes \u2014 \u00fc", "x": "\\ud800\\udc00"}'.encode(),
]


@pytest.mark.parametrize("body", ORDINARY)
def test_the_careful_reader_reads_ordinary_json_as_json_loads_does(body: bytes) -> None:
    assert jsonbody._careful_loads(body.decode()) == json.loads(body)
    assert jsonbody.loads(body) == json.loads(body)


def unreadable_second_page(h: Handler, q: dict[str, str]) -> None:
    if q.get("cursor") == "p2":
        h.send_body(b'{"items": [{"id": "BKN-9", "nama": "Ah')  # cut short, every time
    else:
        h.send_json({"items": [record(1), record(2)], "next_cursor": "p2"})


@pytest.mark.timeout(30)
def test_a_page_that_is_not_json_is_quarantined_once_and_the_pages_before_it_kept(
    serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(unreadable_second_page)
    for _run in range(2):
        with client() as http, pytest.raises(TransientHttpError, match="not valid JSON"):
            pull_http(
                migrated_database,
                source="bkn_wasdal",
                feed=FEED,
                paginator=CursorPaginator(http, server.url, page_size=2),
            )
    with migrated_database.session() as session:
        entries = session.scalars(select(QuarantinedRow).where(QuarantinedRow.check == "page_readable")).all()
        kept = session.scalars(select(RawRecord.record_key).order_by(RawRecord.record_key)).all()
    assert kept == ["BKN-00001", "BKN-00002"]
    assert len(entries) == 1
    assert entries[0].file_name is not None and entries[0].file_name.startswith("page after cursor p2: GET ")
    assert "not JSON after 2 attempts" in entries[0].reason


# --- a validation worker dies with its run -------------------------------------------------------

_ORPHAN_SCRIPT = """
import os, sys, time
from sbt_sync.ingest.checking import Delivered, DeliveryChecker
from schemas.feeds import FEEDS
checker = DeliveryChecker(FEEDS["bkn_wasdal"], parallel=True)
records = [Delivered("k", {"id": "k"}, None)]
checker.submit(records).result()
checker.submit(records).result()  # the second batch forks the worker
(worker,) = checker._pool._processes
print(worker, flush=True)
time.sleep(600)  # the run hangs here until it is killed at its timeout
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but not yet reaped by its adopter.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.timeout(60)
@pytest.mark.skipif(sys.platform != "linux", reason="forked workers and /proc")
def test_a_validation_worker_does_not_outlive_a_run_killed_at_its_timeout() -> None:
    run = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    assert run.stdout is not None
    worker = int(run.stdout.readline())
    assert _alive(worker)
    run.send_signal(signal.SIGKILL)  # what a run timeout's hard kill does
    run.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker), "the validation worker outlived its run"


# --- the database is down ------------------------------------------------------------------------


def test_a_database_that_is_down_is_one_line_naming_it_without_its_password() -> None:
    env = {**os.environ, "SBT_DATABASE_URL": "postgresql+psycopg2://sbt:hunter2@127.0.0.1:9/sbt"}
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "sbt-sync"),
            "--config",
            str(REPO_ROOT / "sbt.yaml"),
            "conflicts",
            "list",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot connect to the product database postgresql+psycopg2://sbt:***@")
    assert "hunter2" not in done.stderr and "sqlalche.me" not in done.stderr
    assert "SBT_DATABASE_URL" in lines[0]


def test_a_failing_statement_is_one_line_too() -> None:
    database = Database("sqlite://")
    with pytest.raises(OperationalError) as raised, database.session() as session:
        session.execute(select(RawRecord))
    message = database_error(raised.value, "sqlite:///var/sbt.db")
    assert "\n" not in message
    assert message.startswith("the product database sqlite:///var/sbt.db failed: no such table: raw_records")


# --- validated/ rides out a database blip like raw/ ----------------------------------------------


def test_validated_assets_retry_like_raw_assets() -> None:
    """One op lands and validates a source; its retry policy rides out a database blip for both."""
    settings = load_settings(REPO_ROOT / "sbt.yaml", env={})
    policies: dict[str, Any] = {}
    for definition in build_ingestion_assets(settings):
        for key in definition.keys:
            policies[key.to_user_string()] = definition.op.retry_policy
    assert policies["validated/bawaslu"] == policies["raw/bawaslu"] == DB_RETRY
    assert all(policies[name] == DB_RETRY for name in policies if name.startswith(("raw/", "validated/")))
