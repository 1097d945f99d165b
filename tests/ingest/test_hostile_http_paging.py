"""Paging answers that once stuck or cut short a since-style source, served for real on loopback: a
``Link`` to another host (I'DIS) and a page-number listing without a usable page count (Bawaslu).

What must hold: a clear error naming the link or field; no kept cursor holding a foreign URL, so the
run after the agency fixes its server lands everything; no listing ending at a short page when more
records follow, and none running without end.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from connectors.errors import ResponseFormatError
from connectors.http.paging_since import LinkHeaderPaginator, PageNumberPaginator, SinceState
from sbt_sync.db.engine import Database
from sbt_sync.db.models import RawRecord, SourceCursor
from sbt_sync.ingest.pull import pull_http
from schemas.feeds import FEEDS
from tests.ingest.test_hostile_http import SERVER_TIME, Answer, Handler, Loopback, client, serve  # noqa: F401

FOREIGN = "http://10.255.255.1:9/list?p=2"
"""A next link to another host (unroutable: following it would hang, not just leak a token)."""


def idis_record(n: int) -> dict[str, object]:
    return {
        "id": f"IDIS-{n}",
        "nip": "198001012005011001",
        "nama": "Ahmad",
        "jenisHukuman": "22",
        "nomorSk": f"SK-{n}",
        "tanggalSk": "02-12-2024",
        "updatedAt": "2024-12-02T09:00:00+07:00",
    }


def _landed(database: Database) -> list[str]:
    with database.session() as session:
        return sorted(session.scalars(select(RawRecord.record_key)))


def _cursor(database: Database, source: str) -> str | None:
    with database.session() as session:
        kept = session.get(SourceCursor, source)
        return None if kept is None else kept.cursor


@pytest.mark.timeout(60)
def test_foreign_next_link_fails_clearly_and_the_run_after_the_fix_lands_everything(
    serve: Callable[[Answer], Loopback],  # noqa: F811 - the fixture imported above
    migrated_database: Database,
) -> None:
    state = {"fixed": False}

    def answer(h: Handler, q: dict[str, str]) -> None:
        if "p" in q:
            h.send_json({"data": [idis_record(3)], "serverTime": SERVER_TIME})
            return
        following = f"{h.server.url}?p=2" if state["fixed"] else FOREIGN
        records = [idis_record(1), idis_record(2)]
        h.send_json({"data": records, "serverTime": SERVER_TIME}, {"Link": f'<{following}>; rel="next"'})

    server = serve(answer)
    with client() as http, pytest.raises(ResponseFormatError) as refused:
        pull_http(
            migrated_database,
            source="idis",
            feed=FEEDS["idis"],
            paginator=LinkHeaderPaginator(http, server.url),
        )
    assert "refusing to follow a next link to http://10.255.255.1:9/list" in str(refused.value)
    kept = _cursor(migrated_database, "idis")
    assert kept is None or "10.255.255.1" not in kept  # the cursor never holds the foreign URL
    assert server.requests == 1

    state["fixed"] = True  # the agency corrects its Link header
    with client() as http:
        result = pull_http(
            migrated_database,
            source="idis",
            feed=FEEDS["idis"],
            paginator=LinkHeaderPaginator(http, server.url),
        )
    assert (result.pages, result.new) == (2, 3)
    assert _landed(migrated_database) == ["IDIS-1", "IDIS-2", "IDIS-3"]
    assert _cursor(migrated_database, "idis") == SERVER_TIME


@pytest.mark.timeout(30)
def test_kept_cursor_holding_a_foreign_link_lists_the_snapshot_again_from_our_own_origin(
    serve: Callable[[Answer], Loopback],  # noqa: F811 - the fixture imported above
) -> None:
    """A cursor stored before foreign links were refused ahead of landing does not stick the source."""
    asked: list[str] = []

    def answer(h: Handler, q: dict[str, str]) -> None:
        asked.append(q.get("updatedSince", ""))
        h.send_json({"data": [idis_record(1)], "serverTime": SERVER_TIME})

    server = serve(answer)
    poisoned = SinceState("2024-12-01T00:00:00+07:00", "2024-12-02T00:00:00+07:00", FOREIGN).dump()
    with client() as http:
        pages = list(LinkHeaderPaginator(http, server.url).pages(poisoned))
    assert [(len(p.items), p.last, p.cursor) for p in pages] == [(1, True, SERVER_TIME)]
    assert asked == ["2024-12-01T00:00:00+07:00"]


def _bawaslu(n: int) -> dict[str, object]:
    return {"nomor_register": f"REG-{n}", "updated_at": "2024-12-02T09:00:00+07:00"}


@pytest.mark.timeout(60)
def test_page_number_listing_without_a_total_reads_on_to_the_empty_page_when_the_server_caps_page_size(
    serve: Callable[[Answer], Loopback],  # noqa: F811 - the fixture imported above
    migrated_database: Database,
) -> None:
    """We ask for 3 records a page; the server serves at most 2 and sends no ``page.total_pages``."""
    records = [_bawaslu(n) for n in range(1, 6)]
    asked: list[tuple[int, str | None]] = []

    def answer(h: Handler, q: dict[str, str]) -> None:
        page = int(q["page"])
        asked.append((page, q.get("updated_since")))
        if q.get("updated_since"):  # the next run: nothing changed since
            h.send_json({"items": [], "page": {"number": page}, "server_time": "2024-12-05T11:00:00+07:00"})
            return
        items = records[(page - 1) * 2 : page * 2]
        h.send_json({"items": items, "page": {"number": page, "size": 2}, "server_time": SERVER_TIME})

    server = serve(answer)
    for _ in range(2):
        with client() as http:
            pull_http(
                migrated_database,
                source="bawaslu",
                feed=FEEDS["bawaslu"],
                paginator=PageNumberPaginator(http, server.url, page_size=3),
                validate=False,
            )
        assert _landed(migrated_database) == [f"REG-{n}" for n in range(1, 6)]
    # Pages 1-3 hold 2, 2 and 1 records; the empty page 4 ends the listing; the next run asks once.
    assert asked == [(1, None), (2, None), (3, None), (4, None), (1, SERVER_TIME)]
    assert _cursor(migrated_database, "bawaslu") == "2024-12-05T11:00:00+07:00"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("total", ["3", 2.5, True, [3]], ids=["string", "float", "boolean", "list"])
def test_page_count_that_is_not_an_integer_is_an_error_naming_the_field_and_nothing_moves(
    total: object,
    serve: Callable[[Answer], Loopback],  # noqa: F811 - the fixture imported above
    migrated_database: Database,
) -> None:
    def answer(h: Handler, q: dict[str, str]) -> None:
        body = {"items": [_bawaslu(1)], "page": {"total_pages": total}, "server_time": SERVER_TIME}
        h.send_json(body)

    server = serve(answer)
    not_a_count = r"'page\.total_pages' is .*not an integer"
    with client() as http, pytest.raises(ResponseFormatError, match=not_a_count):
        pull_http(
            migrated_database,
            source="bawaslu",
            feed=FEEDS["bawaslu"],
            paginator=PageNumberPaginator(http, server.url, page_size=3),
            validate=False,
        )
    assert _landed(migrated_database) == []
    assert _cursor(migrated_database, "bawaslu") is None


LINKS_THAT_BACKTRACK = {
    "opening brackets only": "<" * 60_000,
    "brackets before the real link": "<" * 60_000 + '<{next}>; rel="next"',
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("link", LINKS_THAT_BACKTRACK.values(), ids=LINKS_THAT_BACKTRACK.keys())
def test_a_link_header_of_unclosed_brackets_is_read_in_linear_time(
    link: str,
    serve: Callable[[Answer], Loopback],  # noqa: F811 - the fixture imported above
    migrated_database: Database,
) -> None:
    # The link pattern scanned from every "<" to the end of the header: 60,000 of them (one header
    # line's worth) took about half a minute of CPU per page, outside the request's deadline.
    def answer(h: Handler, q: dict[str, str]) -> None:
        if "p" in q:
            h.send_json({"data": [idis_record(3)], "serverTime": SERVER_TIME})
            return
        header = link.format(next=f"{h.server.url}?p=2")
        h.send_json({"data": [idis_record(1), idis_record(2)], "serverTime": SERVER_TIME}, {"Link": header})

    server = serve(answer)
    started = time.monotonic()
    with client() as http:
        pull_http(
            migrated_database,
            source="idis",
            feed=FEEDS["idis"],
            paginator=LinkHeaderPaginator(http, server.url),
        )
    assert time.monotonic() - started < 5
    expected = ["IDIS-1", "IDIS-2", "IDIS-3"] if "{next}" in link else ["IDIS-1", "IDIS-2"]
    assert _landed(migrated_database) == expected
