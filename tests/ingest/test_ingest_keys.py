"""The ingest tables' references hold on both backends: a staged row names a raw record that exists, a
raw record names an ingest batch that exists, deleting raw records takes their staged rows with them,
and a referenced batch cannot be deleted. SQLite enforces them with its foreign keys; PostgreSQL with
per-statement triggers (migration 0029), which must refuse and cascade exactly as the keys did, for
rows written by COPY as well as by INSERT."""

from __future__ import annotations

import io

import pytest
from psycopg2.errors import ForeignKeyViolation, LockNotAvailable
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from sbt_sync.db.engine import Database
from sbt_sync.db.models import IngestBatch, RawRecord, StagedRecord


def _batch(database: Database) -> int:
    with database.session() as session:
        batch = IngestBatch(source="bkn_wasdal")
        session.add(batch)
        session.flush()
        return batch.id


def _raw(database: Database, key: str, batch_id: int | None) -> int:
    with database.session() as session:
        raw = RawRecord(
            source="bkn_wasdal", record_key=key, content_hash="h" * 64, payload="{}", last_batch_id=batch_id
        )
        session.add(raw)
        session.flush()
        return raw.id


def _staged_row(raw_id: int, key: str, item_no: int = 0) -> dict[str, object]:
    return {
        "source": "bkn_wasdal",
        "record_key": key,
        "item_no": item_no,
        "raw_record_id": raw_id,
        "raw_version": 1,
        "content_hash": "s" * 64,
        "fields": {},
    }


def _count(database: Database, model: type[StagedRecord] | type[RawRecord]) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_staged_rows_must_name_raw_records_that_exist(migrated_database: Database) -> None:
    batch = _batch(migrated_database)
    raw = _raw(migrated_database, "A", batch)
    with migrated_database.session() as session:
        session.execute(insert(StagedRecord), [_staged_row(raw, "A", 0), _staged_row(raw, "A", 1)])
    # One statement naming a present raw record and a missing one fails as a whole.
    with pytest.raises(IntegrityError), migrated_database.session() as session:
        session.execute(insert(StagedRecord), [_staged_row(raw, "A", 2), _staged_row(raw + 999, "B")])
    assert _count(migrated_database, StagedRecord) == 2
    # Moving a staged row to a raw record that does not exist fails; to one that does, passes.
    other = _raw(migrated_database, "C", batch)
    with pytest.raises(IntegrityError), migrated_database.session() as session:
        session.execute(update(StagedRecord).where(StagedRecord.item_no == 1).values(raw_record_id=raw + 999))
    with migrated_database.session() as session:
        session.execute(update(StagedRecord).where(StagedRecord.item_no == 1).values(raw_record_id=other))
        # An update that leaves the reference alone is not checked against anything.
        session.execute(update(StagedRecord).values(needs_reconcile=False))


def test_deleting_raw_records_deletes_their_staged_rows(migrated_database: Database) -> None:
    batch = _batch(migrated_database)
    kept, gone = _raw(migrated_database, "K", batch), _raw(migrated_database, "G", batch)
    with migrated_database.session() as session:
        session.execute(
            insert(StagedRecord),
            [_staged_row(kept, "K"), _staged_row(gone, "G", 0), _staged_row(gone, "G", 1)],
        )
    with migrated_database.session() as session:
        session.execute(delete(RawRecord).where(RawRecord.id == gone))
    with migrated_database.session() as session:
        assert session.scalars(select(StagedRecord.raw_record_id)).all() == [kept]


def test_the_cascade_refuses_a_snapshot_that_could_miss_staged_rows_on_postgresql(
    migrated_database: Database,
) -> None:
    if migrated_database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's own foreign key cascades")
    raw = _raw(migrated_database, "A", _batch(migrated_database))
    with migrated_database.session() as session:
        session.execute(insert(StagedRecord), [_staged_row(raw, "A")])
    repeatable = migrated_database.engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with pytest.raises(DBAPIError, match="only under READ COMMITTED"), repeatable as connection:
        connection.execute(delete(RawRecord))
    assert (_count(migrated_database, RawRecord), _count(migrated_database, StagedRecord)) == (1, 1)


def test_raw_records_must_name_ingest_batches_that_exist(migrated_database: Database) -> None:
    batch = _batch(migrated_database)
    _raw(migrated_database, "A", batch)
    _raw(migrated_database, "N", None)  # no batch named: nothing to check
    with pytest.raises(IntegrityError):
        _raw(migrated_database, "B", batch + 999)
    with pytest.raises(IntegrityError), migrated_database.session() as session:
        moved = update(RawRecord).where(RawRecord.record_key == "A").values(last_batch_id=batch + 999)
        session.execute(moved)
    # A batch a raw record names cannot be deleted; one nobody names can.
    with pytest.raises(IntegrityError), migrated_database.session() as session:
        session.execute(delete(IngestBatch).where(IngestBatch.id == batch))
    unused = _batch(migrated_database)
    with migrated_database.session() as session:
        session.execute(delete(IngestBatch).where(IngestBatch.id == unused))
    assert _count(migrated_database, RawRecord) == 2


def _copy(database: Database, table: str, columns: list[str], rows: list[list[object]]) -> None:
    text_rows = "".join("\t".join("\\N" if v is None else str(v) for v in row) + "\n" for row in rows)
    with database.engine.begin() as connection:
        cursor = connection.connection.cursor()
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(text_rows))


def test_copy_is_checked_like_insert_on_postgresql(migrated_database: Database) -> None:
    if migrated_database.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    batch = _batch(migrated_database)
    raw = _raw(migrated_database, "A", batch)
    now = "2026-12-06 00:00:00+00"
    columns = ["source", "record_key", "item_no", "raw_record_id", "raw_version", "content_hash", "fields"]
    columns += ["staged_at", "withdrawn", "needs_reconcile"]
    good = ["bkn_wasdal", "A", 0, raw, 1, "s" * 64, "{}", now, "f", "t"]
    _copy(migrated_database, "staged_records", columns, [good])
    with pytest.raises(ForeignKeyViolation):
        _copy(migrated_database, "staged_records", columns, [[*good[:2], 1, raw + 999, *good[4:]]])
    raw_columns = ["source", "record_key", "content_hash", "payload", "version", "last_batch_id"]
    raw_columns += ["first_seen_at", "last_seen_at"]
    with pytest.raises(ForeignKeyViolation):
        _copy(migrated_database, "raw_records", raw_columns, [["s", "X", "h", "{}", 1, batch + 9, now, now]])
    assert _count(migrated_database, StagedRecord) == 1
    assert _count(migrated_database, RawRecord) == 1


def test_truncating_raw_records_empties_their_staged_rows_on_postgresql(migrated_database: Database) -> None:
    if migrated_database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    batch = _batch(migrated_database)
    raw = _raw(migrated_database, "A", batch)
    with migrated_database.session() as session:
        session.execute(insert(StagedRecord), [_staged_row(raw, "A")])
    with migrated_database.engine.begin() as connection:
        connection.execute(text("TRUNCATE raw_records CASCADE"))
    assert _count(migrated_database, StagedRecord) == 0
    raw = _raw(migrated_database, "B", _batch(migrated_database))
    with migrated_database.session() as session:
        session.execute(insert(StagedRecord), [_staged_row(raw, "B")])
    with migrated_database.engine.begin() as connection:
        connection.execute(text("TRUNCATE ingest_batches CASCADE"))
    assert (_count(migrated_database, RawRecord), _count(migrated_database, StagedRecord)) == (0, 0)


def _delete_waits(database: Database, raw_id: int) -> bool:
    """True when deleting raw record ``raw_id`` from another connection has to wait for a lock."""
    with database.engine.connect() as connection:
        connection.execute(text("SET lock_timeout = '300ms'"))
        try:
            connection.execute(delete(RawRecord).where(RawRecord.id == raw_id))
        except DBAPIError as exc:
            if isinstance(exc.orig, LockNotAvailable):
                connection.rollback()
                return True
            raise
        connection.rollback()
        return False


@pytest.mark.parametrize("parent", ["committed before", "updated in the same transaction"])
def test_a_staged_row_keeps_its_raw_record_from_being_deleted_until_it_commits_on_postgresql(
    migrated_database: Database, parent: str
) -> None:
    """Like the key it replaces: between a staged row's insert and its commit, nobody can delete the raw
    record it names; once committed, deleting the raw record takes the staged row with it. The raw
    record is either another transaction's (locked FOR KEY SHARE by the check) or one this transaction
    updated (locked by the update itself: migration 0031 checks it without locking it again)."""
    if migrated_database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: no concurrent delete")
    raw = _raw(migrated_database, "A", _batch(migrated_database))
    assert not _delete_waits(migrated_database, raw)  # nothing holds it yet
    with migrated_database.session() as session:
        if parent == "updated in the same transaction":
            session.execute(update(RawRecord).where(RawRecord.id == raw).values(version=2))
        session.execute(insert(StagedRecord), [_staged_row(raw, "A")])
        assert _delete_waits(migrated_database, raw)
    assert _count(migrated_database, StagedRecord) == 1
    with migrated_database.session() as session:
        session.execute(delete(RawRecord).where(RawRecord.id == raw))
    assert (_count(migrated_database, RawRecord), _count(migrated_database, StagedRecord)) == (0, 0)


def test_one_statement_naming_new_committed_and_missing_raw_records_on_postgresql(
    migrated_database: Database,
) -> None:
    """Raw records this transaction inserted count as present without a lock, others' are locked, and a
    missing one still refuses the whole statement."""
    if migrated_database.engine.dialect.name != "postgresql":
        pytest.skip("the per-statement check is PostgreSQL's")
    batch = _batch(migrated_database)
    theirs = _raw(migrated_database, "T", batch)
    refused = pytest.raises(IntegrityError, match="fk_staged_records_raw_record_id_raw_records")
    with refused, migrated_database.session() as session:
        mine = RawRecord(source="bkn_wasdal", record_key="M", content_hash="h" * 64, payload="{}")
        session.add(mine)
        session.flush()
        rows = [_staged_row(mine.id, "M"), _staged_row(theirs, "T"), _staged_row(theirs + 999, "X")]
        session.execute(insert(StagedRecord), rows)
    with migrated_database.session() as session:
        mine = RawRecord(source="bkn_wasdal", record_key="M", content_hash="h" * 64, payload="{}")
        session.add(mine)
        session.flush()
        session.execute(insert(StagedRecord), [_staged_row(mine.id, "M"), _staged_row(theirs, "T")])
        assert _delete_waits(migrated_database, theirs)
    assert _count(migrated_database, StagedRecord) == 2
