"""Landing raw batches: verbatim payloads, versions by content, cursor moves, one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import IngestBatch, RawRecord, RawRecordVersion, SourceCursor
from sbt_sync.ingest.landing import CursorMove, CursorRegression, FetchedRecord, land_batch

T0 = datetime(2024, 11, 27, 8, 0, tzinfo=UTC)


def _rec(key: str, **payload: object) -> FetchedRecord:
    return FetchedRecord(key=key, payload={"id": key, **payload}, origin=f"page 1:{key}")


def test_first_batch_lands_every_record_verbatim_and_sets_the_cursor(migrated_database: Database) -> None:
    payload = {
        "id": "R-1",
        "nama": "Dr. H. Ahmad Fauzi, S.Pd.",
        "nip": "'19800101 200501 1 001",
        "skor": 1.50,
    }
    with migrated_database.session() as session:
        result = land_batch(
            session,
            source="bawaslu",
            records=[FetchedRecord("R-1", payload), _rec("R-2", hasil="terbukti")],
            cursor=CursorMove("2024-11-27T08:00:00+07:00", T0),
        )
    assert (result.fetched, result.new, result.changed, result.unchanged) == (2, 2, 0, 0)
    with migrated_database.session() as session:
        raw = session.scalars(select(RawRecord).where(RawRecord.record_key == "R-1")).one()
        assert json.loads(raw.payload) == payload  # nothing normalised at landing
        assert raw.version == 1
        cursor = session.get(SourceCursor, "bawaslu")
        assert cursor is not None and cursor.cursor == "2024-11-27T08:00:00+07:00" and cursor.watermark == T0
        assert cursor.version == 1


def test_changed_content_adds_a_version_and_unchanged_content_adds_nothing(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:
        land_batch(session, source="idis", records=[_rec("A", sk="1"), _rec("B", sk="2")], cursor=None)
    with migrated_database.session() as session:
        result = land_batch(
            session, source="idis", records=[_rec("A", sk="1"), _rec("B", sk="2-corrected")], cursor=None
        )
    assert (result.new, result.changed, result.unchanged) == (0, 1, 1)
    with migrated_database.session() as session:
        b = session.scalars(select(RawRecord).where(RawRecord.record_key == "B")).one()
        assert b.version == 2 and json.loads(b.payload)["sk"] == "2-corrected"
        history = session.scalars(
            select(RawRecordVersion).where(RawRecordVersion.raw_record_id == b.id).order_by("version")
        ).all()
        # The replaced content moved into the history, as of the batch that landed it; the current
        # one lives in raw_records only.
        assert [(v.version, json.loads(v.payload)["sk"]) for v in history] == [(1, "2")]
        first_batch = session.scalars(select(IngestBatch).order_by(IngestBatch.id)).first()
        assert first_batch is not None
        assert (history[0].batch_id, history[0].seen_at) == (first_batch.id, first_batch.started_at)
        assert session.query(RawRecordVersion).count() == 1  # A, unchanged, has no history
        assert result.landed_ids == [b.id]  # only the changed record goes on to validation


def test_duplicate_deliveries_within_a_batch_land_once(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        result = land_batch(
            session,
            source="kemendagri",
            records=[_rec("X", v=1), _rec("X", v=1), _rec("X", v=2), _rec("X", v=2)],
            cursor=None,
        )
    assert (result.fetched, result.new, result.changed, result.duplicates) == (4, 1, 1, 2)
    with migrated_database.session() as session:
        x = session.scalars(select(RawRecord)).one()
        assert x.version == 2 and json.loads(x.payload)["v"] == 2
        history = session.scalars(select(RawRecordVersion)).all()
        assert [(v.version, json.loads(v.payload)["v"]) for v in history] == [(1, 1)]


def test_same_key_in_another_source_is_another_record(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        land_batch(session, source="kasn", records=[_rec("1")], cursor=None)
        land_batch(session, source="bkn_wasdal", records=[_rec("1")], cursor=None)
    with migrated_database.session() as session:
        assert session.query(RawRecord).count() == 2


def test_source_update_instant_is_kept_for_new_and_changed_records(migrated_database: Database) -> None:
    # The SFTP delivery time (or a feed's own update time) is survivorship's recency tie-break.
    delivered = T0 - timedelta(days=3)
    with migrated_database.session() as session:
        record = FetchedRecord("f.csv#1", {"a": 1}, source_updated_at=delivered)
        land_batch(session, source="kasn", records=[record], cursor=None)
    with migrated_database.session() as session:
        assert session.scalars(select(RawRecord.source_updated_at)).one() == delivered
        changed = FetchedRecord("f.csv#1", {"a": 2}, source_updated_at=T0)
        land_batch(session, source="kasn", records=[changed], cursor=None)
    with migrated_database.session() as session:
        assert session.scalars(select(RawRecord.source_updated_at)).one() == T0


def test_a_failure_before_commit_lands_nothing_and_keeps_the_cursor(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        land_batch(session, source="bawaslu", records=[_rec("A")], cursor=CursorMove("c1", T0))

    def crashing_records() -> Iterator[FetchedRecord]:
        yield _rec("B")
        yield _rec("C")
        raise ConnectionError("connection reset while reading page 3")

    with pytest.raises(ConnectionError), migrated_database.session() as session:
        land_batch(
            session,
            source="bawaslu",
            records=crashing_records(),
            cursor=CursorMove("c2", T0 + timedelta(hours=1)),
        )
    with migrated_database.session() as session:
        assert sorted(session.scalars(select(RawRecord.record_key)).all()) == ["A"]
        cursor = session.get(SourceCursor, "bawaslu")
        assert cursor is not None and cursor.cursor == "c1" and cursor.version == 1
        assert session.query(IngestBatch).count() == 1


def test_cursor_never_moves_backwards(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        land_batch(session, source="idis", records=[], cursor=CursorMove("late", T0))
    with pytest.raises(CursorRegression, match="backwards"), migrated_database.session() as session:
        land_batch(
            session, source="idis", records=[_rec("Z")], cursor=CursorMove("early", T0 - timedelta(days=1))
        )
    with migrated_database.session() as session:
        assert session.query(RawRecord).count() == 0
        cursor = session.get(SourceCursor, "idis")
        assert cursor is not None and cursor.cursor == "late"


def test_large_batch_spans_several_chunks(migrated_database: Database) -> None:
    records = [_rec(f"K{i:05d}", n=i) for i in range(2500)]
    with migrated_database.session() as session:
        first = land_batch(session, source="bawaslu", records=records, cursor=None, chunk=1000)
    assert first.new == 2500 and len(first.landed_ids) == 2500
    with migrated_database.session() as session:
        again = land_batch(session, source="bawaslu", records=records, cursor=None, chunk=1000)
    assert (again.new, again.changed, again.unchanged, again.landed_ids) == (0, 0, 2500, [])
