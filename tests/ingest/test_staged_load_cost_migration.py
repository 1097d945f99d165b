"""Migration 0023 (cheaper staged rows to load): every stored row and value kept both ways, unchanged
records stay unchanged across it, and the invariant "one staged row per (source, key, item)" still
holds under the new key (raw record, item). Both backends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, CaseLink, QuarantinedRow, RawRecord, StagedRecord
from sbt_sync.ingest.pull import pull_http
from sbt_sync.ingest.staging import StagingResult, stage_pending
from sbt_sync.reconcile.golden.scope import closure
from tests.ingest.test_bulk_paths import FEED, _Pages, _record

PARTIAL = ("nip", "register_no", "recommendation_no", "resolved_nip", "name_normalised")


def _pull(database: Database, records: list[dict[str, object]]) -> StagingResult:
    pulled = pull_http(database, source="bkn_wasdal", feed=FEED, paginator=_Pages([records]))
    assert pulled.staging is not None and pulled.validation_error is None
    return pulled.staging


def _stored(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw, staged, quarantine, case and link row, every column (``fields`` as the dict it reads
    back)."""
    tables = {}
    with database.engine.connect() as connection:
        for table in ("raw_records", "staged_records", "quarantine", "cases", "case_links"):
            rows = connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings().all()  # noqa: S608
            tables[table] = [tuple(sorted(row.items())) for row in rows]
    return tables


def _records() -> list[dict[str, object]]:
    records = [_record(n) for n in range(1, 31)]
    records[4] = _record(5, hasil="mungkin")  # quarantined
    records[7] = _record(8, nip=None, nama="Siti Ñurhaliza")  # no NIP: a row without an index entry
    records[9] = _record(10, nomor_register_bawaslu="REG/7/2024")
    return records


def _indexes(database: Database) -> dict[str, tuple[list[str], bool]]:
    inspector = inspect(database.engine)
    found = {
        str(i["name"]): ([str(c) for c in i["column_names"]], bool(i["unique"]))
        for i in inspector.get_indexes("staged_records")
    }
    for u in inspector.get_unique_constraints("staged_records"):
        found[str(u["name"])] = ([str(c) for c in u["column_names"]], True)
    return found


def test_0023_keeps_every_row_and_unchanged_records_stay_unchanged(empty_database: Database) -> None:
    migrate.upgrade(empty_database, "0022")
    first = _pull(empty_database, _records())
    assert (first.staged_new, first.quarantined_records) == (29, 1)
    with empty_database.session() as session:  # rows that depend on staged rows (ON DELETE CASCADE)
        case = Case(case_key="c-1", event_code="PILKADA-2024", content_hash="h")
        session.add(case)
        for staged in session.scalars(select(StagedRecord).order_by(StagedRecord.id).limit(3)):
            session.add(
                CaseLink(
                    case=case,
                    staged_record_id=staged.id,
                    source=staged.source,
                    record_key=staged.record_key,
                    rule="x",
                )
            )
    before = _stored(empty_database)
    assert len(before["case_links"]) == 3

    migrate.upgrade(empty_database)
    assert _stored(empty_database) == before  # every row, every column, every value
    indexes = _indexes(empty_database)
    assert indexes["uq_staged_records_raw_record_id_item_no"] == (["raw_record_id", "item_no"], True)
    assert "ix_staged_records_raw_record_id" not in indexes
    # SQLite keeps the old key too: dropping it there means recreating the table, which would cascade.
    sqlite_only = "uq_staged_records_source_record_key_item_no"
    assert (sqlite_only in indexes) == (empty_database.engine.dialect.name == "sqlite")
    assert all(indexes[f"ix_staged_records_{column}"] == ([column], False) for column in PARTIAL)
    if empty_database.engine.dialect.name == "postgresql":
        with empty_database.engine.connect() as connection:
            kind = connection.scalar(text("SELECT pg_typeof(fields)::text FROM staged_records LIMIT 1"))
            partial = connection.scalars(
                text(
                    "SELECT indexname FROM pg_indexes"
                    " WHERE tablename = 'staged_records' AND indexdef LIKE '%WHERE%'"
                )
            ).all()
        # (and migration 0027's partial index of I-MUT's rows, at head)
        assert kind == "json" and {f"ix_staged_records_{c}" for c in PARTIAL} <= set(partial)

    # The same records again (the cursor back at the start): every raw hash matches, nothing lands.
    with empty_database.session() as session:
        session.execute(text("UPDATE source_cursors SET cursor = NULL"))
    pulled = pull_http(empty_database, source="bkn_wasdal", feed=FEED, paginator=_Pages([_records()]))
    assert (pulled.new, pulled.changed, pulled.unchanged) == (0, 0, 30)
    # Validated again from the stored payloads, every staged row's hash is the one stored before 0023.
    with empty_database.session() as session:
        session.execute(text("UPDATE raw_records SET validated_version = NULL"))
    again = stage_pending(empty_database, source="bkn_wasdal", feed=FEED)
    assert (again.staged_new, again.staged_changed, again.staged_unchanged) == (0, 0, 29)
    after = _stored(empty_database)
    assert after["staged_records"] == before["staged_records"]

    migrate.downgrade(empty_database, "0022")
    assert _stored(empty_database) == after
    migrate.upgrade(empty_database)
    assert _stored(empty_database) == after


def test_one_staged_row_per_raw_record_and_item(migrated_database: Database) -> None:
    _pull(migrated_database, [_record(1)])
    with migrated_database.session() as session:
        row = session.scalars(select(StagedRecord)).one()
        columns = {c.key: getattr(row, c.key) for c in StagedRecord.__table__.columns if c.key != "id"}
    with pytest.raises(IntegrityError), migrated_database.session() as session:
        session.add(StagedRecord(**columns))
        session.flush()


def test_reconciliation_finds_a_records_other_items_through_its_raw_record(
    migrated_database: Database,
) -> None:
    """The scope closure's "the other items of the same source record" now goes through raw_records'
    (source, key) index: a two-item record's rows reach each other, another record's do not."""
    _pull(migrated_database, [_record(1), _record(2)])
    with migrated_database.session() as session:
        raw = session.scalars(select(RawRecord).where(RawRecord.record_key == "BKN-00001")).one()
        first = session.scalars(select(StagedRecord).where(StagedRecord.raw_record_id == raw.id)).one()
        columns = {c.key: getattr(first, c.key) for c in StagedRecord.__table__.columns if c.key != "id"}
        second = StagedRecord(**(columns | {"item_no": 1, "nip": None, "recommendation_no": None}))
        session.add(second)
        session.flush()
        scope = closure(session, [second.id])
        other = session.scalars(select(StagedRecord.id).where(StagedRecord.record_key == "BKN-00002")).one()
        assert {first.id, second.id} <= scope.staged_ids and other not in scope.staged_ids
        assert session.scalar(select(QuarantinedRow.id)) is None
