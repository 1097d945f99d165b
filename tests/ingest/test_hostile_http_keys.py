"""Hostile record keys, served for real on loopback: an ``id`` no text column can store.

A record's key is stored as text, outside its JSON payload: a key holding a NUL (valid JSON,
``"\\u0000"``) would make PostgreSQL refuse the whole page on every run. That one record must be set
aside naming the page and the field, and every other record of the page must land.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from connectors.errors import ResponseFormatError
from connectors.http.paging import CursorPaginator
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord, SourceCursor, StagedRecord
from sbt_sync.ingest.pull import pull_http
from sbt_sync.ingest.staging import stage_pending
from tests.ingest.test_hostile_http import FEED, Answer, Handler, Loopback, client, record, serve

__all__ = ["serve"]  # the loopback fixture, shared with test_hostile_http

KEYS = {
    "NUL": "BKN-\x0000002",
    "line break": "BKN-\n00002",
}


def pages(bad: str) -> Answer:
    def answer(h: Handler, q: dict[str, str]) -> None:
        if q.get("cursor") == "p2":
            h.send_json({"items": [record(4)], "next_cursor": None})
            return
        h.send_body(
            json.dumps({"items": [record(1), record(2, id=bad), record(3)], "next_cursor": "p2"}).encode()
        )

    return answer


def _pull_twice(server: Loopback, database: Database) -> tuple[list[str], list[QuarantinedRow]]:
    """Two runs of the page (the second finds nothing new), staging after each: the staged keys and
    the open quarantine entries."""
    for _run in range(2):
        with client() as http:
            paginator = CursorPaginator(http, server.url, page_size=3)
            pull_http(database, source="bkn_wasdal", feed=FEED, paginator=paginator)
        stage_pending(database, source="bkn_wasdal", feed=FEED)
    with database.session() as session:
        staged = session.scalars(select(StagedRecord.record_key).order_by(StagedRecord.record_key)).all()
        quarantined = session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open")).all()
        return list(staged), list(quarantined)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("bad", KEYS.values(), ids=KEYS.keys())
def test_a_key_with_a_control_character_sets_its_record_aside_and_the_page_lands(
    bad: str, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    server = serve(pages(bad))
    for _run in range(2):
        with client() as http:
            pull_http(
                migrated_database,
                source="bkn_wasdal",
                feed=FEED,
                paginator=CursorPaginator(http, server.url, page_size=3),
            )
        stage_pending(migrated_database, source="bkn_wasdal", feed=FEED)
    with migrated_database.session() as session:
        kept = session.scalars(select(RawRecord.record_key).order_by(RawRecord.record_key)).all()
        staged = session.scalars(select(StagedRecord.record_key).order_by(StagedRecord.record_key)).all()
        quarantined = session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open")).all()
        cursor = session.get(SourceCursor, "bkn_wasdal")
    # The bad record is kept too, under a key made of its content (never the raw key), and set aside.
    assert len(kept) == 4 and kept[:3] == ["BKN-00001", "BKN-00003", "BKN-00004"]
    assert kept[3].startswith("sha256:")
    if "\x00" in bad:  # the NUL itself is no storable value: quarantined, naming page and field
        assert staged == ["BKN-00001", "BKN-00003", "BKN-00004"]
        (entry,) = quarantined
        assert (entry.record_key, entry.check, entry.column) == (kept[3], "json_value", "id")
        assert entry.reason == "page 1: id: a NUL character (\\u0000), which no text column stores"
    else:  # a line break is storable text: staged, under its content key
        assert staged == ["BKN-00001", "BKN-00003", "BKN-00004", kept[3]]
        assert quarantined == []
    assert cursor is not None and cursor.cursor == "p2"


@pytest.mark.timeout(30)
def test_a_nul_in_any_field_quarantines_its_record_naming_the_field_and_the_rest_stages(
    serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    def answer(h: Handler, q: dict[str, str]) -> None:
        items = [record(1), record(2, nama="Ahmad\x00Fauzi"), record(3)]
        h.send_json({"items": items, "next_cursor": None})

    staged, quarantined = _pull_twice(serve(answer), migrated_database)
    assert staged == ["BKN-00001", "BKN-00003"]
    (entry,) = quarantined
    assert (entry.record_key, entry.column) == ("BKN-00002", "nama")
    assert "Ahmad" not in entry.reason


@pytest.mark.timeout(30)
def test_a_nul_in_a_field_name_quarantines_its_record_and_the_rest_stages(
    serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    def answer(h: Handler, q: dict[str, str]) -> None:
        odd = record(2)
        odd["catatan\x00internal"] = "x"
        h.send_json({"items": [record(1), odd, record(3)], "next_cursor": None})

    staged, quarantined = _pull_twice(serve(answer), migrated_database)
    assert staged == ["BKN-00001", "BKN-00003"]
    (entry,) = quarantined
    assert (entry.record_key, entry.column) == ("BKN-00002", "catatan\\x00internal")


@pytest.mark.timeout(30)
def test_two_ids_alike_in_their_first_255_characters_stay_two_records_and_both_stage(
    serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    # The key column holds 255 characters: cutting longer ids there made the second record a new
    # version of the first, and Siti's record vanished from what was staged.
    siti, budi = "BKN-" + "7" * 300 + "A", "BKN-" + "7" * 300 + "B"
    big = 10**300  # an integer id, 301 digits

    def answer(h: Handler, q: dict[str, str]) -> None:
        items = [record(1), record(2, id=siti, nama="Siti"), record(3, id=budi, nama="Budi")]
        items.append(record(4, id=big))
        h.send_json({"items": items, "next_cursor": None})

    staged, quarantined = _pull_twice(serve(answer), migrated_database)
    assert quarantined == []
    assert len(staged) == 4 and len(set(staged)) == 4
    with migrated_database.session() as session:
        kept = {
            json.loads(payload)["id"]: (key, version)
            for key, payload, version in session.execute(
                select(RawRecord.record_key, RawRecord.payload, RawRecord.version)
            )
        }
    assert set(kept) == {"BKN-00001", siti, budi, big}
    assert all(version == 1 for _key, version in kept.values())  # neither replaced the other
    assert all(len(key) <= 255 for key, _version in kept.values())
    assert kept[siti][0].startswith("BKN-777") and kept[siti][0] != kept[budi][0]


NOT_RECORDS = {
    "a string": ("oops", "a string"),
    "null": (None, "null"),
    "a number": (5, "a number"),
    "a list": ([{"id": "BKN-00009"}], "a list"),
    "a boolean": (True, "a boolean"),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("item", "said"), NOT_RECORDS.values(), ids=NOT_RECORDS.keys())
def test_an_item_that_is_not_a_record_is_set_aside_naming_its_place_and_the_records_beside_it_land(
    item: object, said: str, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    # One element of the record list that is not an object refused the whole page on every run: the
    # good records beside it and every page after it never landed, and the source was stuck there.
    def answer(h: Handler, q: dict[str, str]) -> None:
        if q.get("cursor") == "p2":
            h.send_json({"items": [record(4)], "next_cursor": None})
            return
        h.send_json({"items": [record(1), item, record(3)], "next_cursor": "p2"})

    staged, quarantined = _pull_twice(serve(answer), migrated_database)
    assert staged == ["BKN-00001", "BKN-00003", "BKN-00004"]
    (entry,) = quarantined  # once, though both runs read the page
    assert (entry.check, entry.column) == ("json_value", "(record)")
    said_fully = f"{said} where a record (an object) belongs (record 2 of the page)"
    assert entry.reason == f"page 1: (record): {said_fully}"
    with migrated_database.session() as session:
        cursor = session.get(SourceCursor, "bkn_wasdal")
    assert cursor is not None and cursor.cursor == "p2"  # the listing ran on past the page


@pytest.mark.timeout(30)
def test_a_record_list_that_is_not_a_list_still_refuses_the_page_naming_it(
    serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    def answer(h: Handler, q: dict[str, str]) -> None:
        h.send_json({"items": {"id": "BKN-00001"}, "next_cursor": None})

    refused = "expected a list of objects under 'items'"
    with client() as http, pytest.raises(ResponseFormatError, match=refused):
        pull_http(
            migrated_database,
            source="bkn_wasdal",
            feed=FEED,
            paginator=CursorPaginator(http, serve(answer).url, page_size=3),
        )


@pytest.mark.timeout(60)
def test_a_page_whose_every_record_names_fields_of_its_own_is_validated_in_bounded_time_and_memory(
    serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    # Validation built one frame of records x every field any record named: 1,000 records with 30
    # fields of their own (a 700 kB page) made 30 million cells, seconds of CPU and hundreds of MB,
    # growing with the square of the page; such fields are only reported as drift, never validated.
    def answer(h: Handler, q: dict[str, str]) -> None:
        items = [{**record(n), **{f"catatan_{n}_{j}": "x" for j in range(30)}} for n in range(1, 1001)]
        h.send_json({"items": items, "next_cursor": None})

    server = serve(answer)
    started = time.monotonic()
    with client() as http:
        result = pull_http(
            migrated_database,
            source="bkn_wasdal",
            feed=FEED,
            paginator=CursorPaginator(http, server.url, page_size=1000),
        )
    assert time.monotonic() - started < 3
    assert result.staging is not None and result.staging.staged_new == 1000
    assert len(result.staging.unknown_columns) == 30_000
