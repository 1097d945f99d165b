"""The schema-drift check's history (``drift.earlier_shares``): which columns the source's latest earlier
rows carried, read from the database. Both backends; on PostgreSQL, that reading a source's latest
rows sorts their ids, never their payloads (it ran over every raw record of the source: about 0.45
CPU-seconds per 100,000 records when whole payloads went through the sort)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from sbt_sync.db.engine import Database
from sbt_sync.ingest.drift import HISTORY_RECORDS, earlier_shares
from sbt_sync.ingest.landing import FetchedRecord, land_batch
from tests.ingest.test_bulk_paths import FEED, _record

SOURCE = "bkn_wasdal"


def _land(database: Database, run_id: str, records: list[dict[str, Any]]) -> None:
    with database.session() as session:
        land_batch(
            session,
            source=SOURCE,
            records=[FetchedRecord(str(r["id"]), r) for r in records],
            cursor=None,
            run_id=run_id,
        )


def test_the_latest_rows_of_other_runs_say_which_columns_the_source_sends(
    migrated_database: Database,
) -> None:
    # An old run whose rows carried "catatan", a later one whose rows did not, then the run judged.
    _land(migrated_database, "old", [_record(n, catatan="x") for n in range(1, 2 * HISTORY_RECORDS + 1)])
    later = [_record(n) for n in range(5000, 5000 + HISTORY_RECORDS // 2)]
    _land(migrated_database, "later", later)
    _land(migrated_database, "now", [_record(n) for n in range(9000, 9010)])
    with migrated_database.session() as session:
        shares = earlier_shares(session, FEED, SOURCE, "now", ["catatan", "nip"])
    # The latest 1,000 earlier rows: the later run's 500 (no "catatan"), then 500 of the old run's.
    assert shares == {"catatan": (0.5, HISTORY_RECORDS), "nip": (1.0, HISTORY_RECORDS)}
    with migrated_database.session() as session:
        # Every run counts without one: the 10 rows judged, the later 500, then 490 of the old run.
        assert earlier_shares(session, FEED, SOURCE, None, ["catatan"]) == {
            "catatan": (0.49, HISTORY_RECORDS)
        }


def _sorted_outputs(plan: Any) -> list[str]:
    """Every column a Sort or Incremental Sort node of an EXPLAIN (VERBOSE, FORMAT JSON) plan carries."""
    found: list[str] = []
    if isinstance(plan, dict):
        if plan.get("Node Type") in ("Sort", "Incremental Sort"):
            found += [str(c) for c in plan.get("Output", [])]
        for value in plan.values():
            found += _sorted_outputs(value)
    elif isinstance(plan, list):
        for value in plan:
            found += _sorted_outputs(value)
    return found


def test_reading_the_history_sorts_ids_not_payloads(migrated_database: Database) -> None:
    if migrated_database.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL plans")
    _land(migrated_database, "old", [_record(n, catatan="x") for n in range(1, 3000)])
    with migrated_database.engine.begin() as connection:
        connection.execute(text("ANALYZE raw_records"))
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "raw_records.payload" in statement:
            sent.append((statement, parameters))

    event.listen(migrated_database.engine, "before_cursor_execute", record)
    try:
        with migrated_database.session() as session:
            earlier_shares(session, FEED, SOURCE, "now", ["catatan"])
    finally:
        event.remove(migrated_database.engine, "before_cursor_execute", record)
    assert len(sent) == 1
    with migrated_database.engine.connect() as connection:
        statement, parameters = sent[0]
        plan = connection.exec_driver_sql(
            f"EXPLAIN (VERBOSE, FORMAT JSON) {statement}", parameters
        ).scalar_one()
    sorted_columns = _sorted_outputs(plan)
    assert sorted_columns and not [c for c in sorted_columns if "payload" in c]
