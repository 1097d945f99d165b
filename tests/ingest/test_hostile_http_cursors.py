"""Hostile cursors, served for real on loopback: a ``next_cursor`` no text column can store.

The cursor is stored with the page's records, in one transaction, so a cursor the database refuses
(PostgreSQL takes no NUL in text) would lose the page on every run, and a line break in one would
forge log lines. Such a cursor must be an error naming the page and the field, never followed nor
stored, with the records of its page and the pages before kept.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from connectors.errors import ResponseFormatError
from connectors.http.paging import CursorPaginator
from connectors.http.paging_since import PageNumberPaginator
from sbt_sync.db.engine import Database
from sbt_sync.db.models import RawRecord, SourceCursor
from sbt_sync.ingest.pull import pull_http
from tests.ingest.test_hostile_http import FEED, Answer, Handler, Loopback, client, record, serve

__all__ = ["serve"]  # the loopback fixture, shared with test_hostile_http

CURSORS = {
    "NUL": "p3\x00x",
    "line break": "p3\nx",
    "escape": "p3\x1b[2Jx",
}


def cursors(bad: str) -> Answer:
    """Page 1 (records 1-2) -> page 2 (records 3-4) -> a cursor no column stores."""

    def answer(h: Handler, q: dict[str, str]) -> None:
        if q.get("cursor") == "p2":
            h.send_json({"items": [record(3), record(4)], "next_cursor": bad})
        elif q.get("cursor") is None:
            h.send_json({"items": [record(1), record(2)], "next_cursor": "p2"})
        else:
            h.send_json({"items": [record(9)], "next_cursor": None})

    return answer


@pytest.mark.timeout(30)
@pytest.mark.parametrize("bad", CURSORS.values(), ids=CURSORS.keys())
def test_a_cursor_with_control_characters_is_an_error_naming_the_page_and_field(
    bad: str, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(cursors(bad))
    for _run in range(2):  # the next run resumes where the first stopped and stops there again
        with client() as http, pytest.raises(ResponseFormatError) as raised:
            pull_http(
                migrated_database,
                source="bkn_wasdal",
                feed=FEED,
                paginator=CursorPaginator(http, server.url, page_size=2),
            )
        message = str(raised.value)
        assert message.startswith(f"GET {server.url}"), message
        assert "next_cursor" in message and "control character" in message
        assert bad not in message
    with migrated_database.session() as session:
        kept = session.scalars(select(RawRecord.record_key).order_by(RawRecord.record_key)).all()
        cursor = session.get(SourceCursor, "bkn_wasdal")
    # Page 2's records are good: they land, with the cursor page 2 was asked with (read again next run).
    assert kept == ["BKN-00001", "BKN-00002", "BKN-00003", "BKN-00004"]
    assert cursor is not None and cursor.cursor == "p2"


SERVER_TIMES = {
    "NUL": "2024-12-05T10:00:00+07:00\x00",
    "line break": "2024-12-05T10:00:00+07:00\nINFO forged",
}


def pages_with_server_time(server_time: str) -> Answer:
    """Two pages of Bawaslu-style paging whose ``server_time`` (the snapshot) is hostile."""

    def answer(h: Handler, q: dict[str, str]) -> None:
        page = int(q["page"])
        items = [record(2 * page - 1), record(2 * page)] if page <= 2 else []
        h.send_json({"items": items, "page": {"total_pages": 2}, "server_time": server_time})

    return answer


@pytest.mark.timeout(30)
@pytest.mark.parametrize("server_time", SERVER_TIMES.values(), ids=SERVER_TIMES.keys())
def test_a_server_time_with_control_characters_is_an_error_naming_the_field_and_nothing_moves(
    server_time: str, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(pages_with_server_time(server_time))
    for _run in range(2):
        with client() as http, pytest.raises(ResponseFormatError) as raised:
            pull_http(
                migrated_database,
                source="bkn_wasdal",
                feed=FEED,
                paginator=PageNumberPaginator(http, server.url, page_size=2),
            )
        message = str(raised.value)
        assert message.startswith(f"GET {server.url}"), message
        assert "'server_time'" in message and "control character" in message
        assert server_time not in message
    with migrated_database.session() as session:
        assert session.get(SourceCursor, "bkn_wasdal") is None  # never stored, the listing starts over


NOT_INSTANTS = {
    "a word": "kemarin",
    "an impossible date": "2024-13-45T10:00:00+07:00",
    "spaces": "   ",
    "a number": "1733367600",
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("server_time", NOT_INSTANTS.values(), ids=NOT_INSTANTS.keys())
def test_a_server_time_that_is_no_instant_is_an_error_naming_the_field_and_is_never_the_next_since(
    server_time: str, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    # It became the stored cursor, sent back as every later run's updated_since: a server refusing it
    # (HTTP 400) kept the source stuck for good, even after its clock was fixed.
    asked: list[str | None] = []
    hostile = pages_with_server_time(server_time)
    fixed = pages_with_server_time("2024-12-05T10:00:00+07:00")
    answer = [hostile]

    def recording(h: Handler, q: dict[str, str]) -> None:
        asked.append(q.get("updated_since"))
        answer[0](h, q)

    server = serve(recording)
    for _run in range(2):
        with client() as http, pytest.raises(ResponseFormatError) as raised:
            pull_http(
                migrated_database,
                source="bkn_wasdal",
                feed=FEED,
                paginator=PageNumberPaginator(http, server.url, page_size=2),
            )
        message = str(raised.value)
        assert message.startswith(f"GET {server.url}"), message
        assert "'server_time' is not an ISO-8601 instant" in message
    with migrated_database.session() as session:
        assert session.get(SourceCursor, "bkn_wasdal") is None
    assert set(asked) == {None}
    answer[0] = fixed  # the agency fixes its clock: the next run lands everything
    with client() as http:
        pull_http(
            migrated_database,
            source="bkn_wasdal",
            feed=FEED,
            paginator=PageNumberPaginator(http, server.url, page_size=2),
        )
    with migrated_database.session() as session:
        kept = session.scalars(select(RawRecord.record_key).order_by(RawRecord.record_key)).all()
        cursor = session.get(SourceCursor, "bkn_wasdal")
    assert kept == ["BKN-00001", "BKN-00002", "BKN-00003", "BKN-00004"]
    assert cursor is not None and cursor.cursor == "2024-12-05T10:00:00+07:00"
