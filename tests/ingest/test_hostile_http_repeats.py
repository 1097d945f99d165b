"""A name repeated in one JSON object of an HTTP page, served for real on loopback.

``json.loads`` keeps the last value of a repeated name, so a record sending ``"nip"`` twice would land
one of two NIPs as if it were the only one (the SFTP JSON Lines reader already refuses such a line).
In a record, at any depth, the record is quarantined naming the page, the record's place on it and
the field, and the good records beside it land. In the page's envelope (two ``items``, two cursors)
nothing says which records or which cursor the agency meant: the page is refused with an error naming
the field, and the pages landed before it, with their cursor, are kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import pytest
from sqlalchemy import select

from connectors.errors import ResponseFormatError
from connectors.http.paging import CursorPaginator
from connectors.http.paging_since import PageNumberPaginator
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord, SourceCursor, StagedRecord
from sbt_sync.ingest.pull import pull_http
from sbt_sync.ingest.staging import stage_pending
from tests.ingest.test_hostile_http import FEED, SERVER_TIME, Answer, Handler, Loopback, client, record, serve

__all__ = ["serve"]  # the loopback fixture, shared with test_hostile_http

OTHER_NIP = "199002022015022002"
SEPARATORS = {"json.dumps": (", ", ": "), "compact": (",", ":"), "spaced": (" , ", " : ")}


def body(page: Mapping[str, object], layout: str, replace: dict[str, str]) -> bytes:
    """``page`` as JSON text in ``layout``, each ``"@@name": 0`` placeholder replaced by raw text."""
    text = json.dumps(page, separators=SEPARATORS[layout])
    colon = SEPARATORS[layout][1]
    for placeholder, raw in replace.items():
        text = text.replace(f'"{placeholder}"{colon}0', raw)
    return text.encode()


def repeat(name: str, first: str, second: str, colon: str = ": ") -> str:
    return f'"{name}"{colon}{first}, "{name}"{colon}{second}'


RECORD_REPEATS = {
    # (the raw text standing for record 2's placeholder field, the quarantined column)
    "nip twice": (repeat("nip", '"198001012005011001"', f'"{OTHER_NIP}"'), "nip"),
    "the same value twice": (repeat("hasil", '"terbukti"', '"terbukti"'), "hasil"),
    "the key field twice": (repeat("id", '"BKN-00002"', '"BKN-00099"'), "id"),
    "inside a nested object": (
        '"catatan": {"ke": "a", ' + repeat("oleh", '"b"', '"c"') + "}",
        "catatan.oleh",
    ),
    "inside a list of objects": (
        '"lampiran": [{"n": 1}, {' + repeat("n", "2", "3", " : ") + "}]",
        "lampiran[1].n",
    ),
}


def record_pages(raw: str, column: str, layout: str) -> Answer:
    """Page 1: records 1-3, record 2 holding ``raw`` (a repeated name) instead of the field ``column``
    starts in; page 2: record 4."""
    field = column.split(".")[0].split("[")[0]

    def answer(h: Handler, q: dict[str, str]) -> None:
        if q.get("cursor") == "p2":
            h.send_json({"items": [record(4)], "next_cursor": None})
            return
        second = {key: value for key, value in record(2).items() if key != field}
        page = {"items": [record(1), {"@@": 0, **second}, record(3)], "next_cursor": "p2"}
        h.send_body(body(page, layout, {"@@": raw}))

    return answer


@pytest.mark.timeout(60)
@pytest.mark.parametrize("layout", SEPARATORS)
@pytest.mark.parametrize(("raw", "column"), RECORD_REPEATS.values(), ids=RECORD_REPEATS.keys())
def test_a_record_repeating_a_name_is_quarantined_naming_page_place_and_field_and_the_rest_land(
    raw: str, column: str, layout: str, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(record_pages(raw, column, layout))
    for _run in range(2):  # the next run neither crashes nor quarantines the record again
        with client() as http:
            pull_http(
                migrated_database,
                source="bkn_wasdal",
                feed=FEED,
                paginator=CursorPaginator(http, server.url, page_size=3),
            )
        stage_pending(migrated_database, source="bkn_wasdal", feed=FEED)
    with migrated_database.session() as session:
        staged = session.scalars(select(StagedRecord.record_key).order_by(StagedRecord.record_key)).all()
        quarantined = session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open")).all()
        cursor = session.get(SourceCursor, "bkn_wasdal")
    assert staged == ["BKN-00001", "BKN-00003", "BKN-00004"]
    assert len(quarantined) == 1, [entry.reason for entry in quarantined]
    (entry,) = quarantined
    assert (entry.source, entry.check, entry.column) == ("bkn_wasdal", "json_value", column)
    if column != "id":
        assert entry.record_key == "BKN-00002"
    field = column.rsplit(".", 1)[-1].split("]")[-1]
    assert entry.reason.startswith(f"page 1: {column}: "), entry.reason
    assert f"'{field}' appears 2 times in one object" in entry.reason
    assert "record 2 of the page" in entry.reason
    assert OTHER_NIP not in entry.reason  # the values are not quoted (a NIP is personal data)
    assert cursor is not None and cursor.cursor == "p2"


ENVELOPE_REPEATS = {
    # (page 2's answer, the field the error must name)
    "two item lists": ('{"items": [%s], "items": [%s], "next_cursor": null}', "items"),
    "two next cursors": ('{"items": [%s, %s], "next_cursor": "p3", "next_cursor": null}', "next_cursor"),
    "two resume cursors": (
        '{"items": [%s, %s], "next_cursor": null, "sync_cursor": "a", "sync_cursor": "b"}',
        "sync_cursor",
    ),
}


def envelope_pages(template: str) -> Answer:
    """Page 1: records 1-2; page 2: records 3-4 in an envelope repeating a name."""

    def answer(h: Handler, q: dict[str, str]) -> None:
        if q.get("cursor") == "p2":
            h.send_body((template % (json.dumps(record(3)), json.dumps(record(4)))).encode())
        else:
            h.send_json({"items": [record(1), record(2)], "next_cursor": "p2"})

    return answer


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("template", "field"), ENVELOPE_REPEATS.values(), ids=ENVELOPE_REPEATS.keys())
def test_an_envelope_repeating_a_name_refuses_the_page_naming_the_field_and_keeps_what_landed(
    template: str, field: str, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(envelope_pages(template))
    for _run in range(2):  # the next run resumes after page 1 and stops at page 2 again
        with client() as http, pytest.raises(ResponseFormatError) as raised:
            pull_http(
                migrated_database,
                source="bkn_wasdal",
                feed=FEED,
                paginator=CursorPaginator(http, server.url, page_size=2),
            )
        message = str(raised.value)
        assert message.startswith(f"GET {server.url}"), message
        assert f"'{field}' appears 2 times" in message and "refused" in message
    with migrated_database.session() as session:
        kept = session.scalars(select(RawRecord.record_key).order_by(RawRecord.record_key)).all()
        cursor = session.get(SourceCursor, "bkn_wasdal")
    assert kept == ["BKN-00001", "BKN-00002"]
    assert cursor is not None and cursor.cursor == "p2"


def page_number_pages(h: Handler, q: dict[str, str]) -> None:
    """Bawaslu-style paging; page 2's nested envelope object repeats ``total_pages``."""
    page = int(q["page"])
    if page == 1:
        h.send_json({"items": [record(1)], "page": {"total_pages": 2}, "server_time": SERVER_TIME})
        return
    items = json.dumps([record(2)])
    envelope = f'"page": {{"total_pages": 2, "total_pages": 3}}, "server_time": "{SERVER_TIME}"'
    h.send_body(f'{{"items": {items}, {envelope}}}'.encode())


@pytest.mark.timeout(30)
def test_a_repeat_nested_in_the_envelope_refuses_the_page_naming_its_path(
    serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(page_number_pages)
    with client() as http, pytest.raises(ResponseFormatError) as raised:
        pull_http(
            migrated_database,
            source="bkn_wasdal",
            feed=FEED,
            paginator=PageNumberPaginator(http, server.url, page_size=1),
        )
    assert "page.total_pages" in str(raised.value) and "'total_pages' appears 2 times" in str(raised.value)
    with migrated_database.session() as session:
        kept = session.scalars(select(RawRecord.record_key)).all()
    assert kept == ["BKN-00001"]
