"""The I-MUT evaluation (full and incremental) and the I-MUT report read I-MUT's staged rows through an
index on PostgreSQL, however many rows the other sources staged.

Migration 0023 replaced staged_records' unique key (source, record_key, item_no), the last index whose
leading column was ``source``, and the queries that listed every I-MUT row (``source = 'imut'``) became
scans of every staged row of every source; migration 0027 adds a partial index of I-MUT's rows. Each
statement these paths send that reads staged_records is planned here (EXPLAIN, with its own
parameters) over 20,000 staged rows of another source.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from sbt_sync.db.engine import Database
from sbt_sync.db.models.ingest import IMUT_SOURCE
from sbt_sync.imut import report as ir
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from schemas.feeds import FEEDS
from tests.imut.builders import ingest, payload

OTHER_ROWS = 20_000
ACTIONS = 40
NOW = datetime(2024, 11, 27, 8, 0, tzinfo=UTC)


def _fill_other_source(database: Database) -> None:
    """``OTHER_ROWS`` reconciled bkn_wasdal rows, raw and staged, as a load leaves them."""
    with database.engine.begin() as connection:
        batch = connection.execute(
            text(
                "INSERT INTO ingest_batches (source, started_at, fetched, new, changed, unchanged,"
                " quarantined, pages, retries) VALUES ('bkn_wasdal', now(), 0, 0, 0, 0, 0, 0, 0) RETURNING id"
            )
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO raw_records (source, record_key, content_hash, payload, version, first_seen_at,"
                " last_seen_at, last_batch_id, validated_version)"
                " SELECT 'bkn_wasdal', 'BKN-' || g, md5(g::text), '{}', 1, now(), now(), :batch, 1"
                " FROM generate_series(1, :n) AS g"
            ),
            {"batch": batch, "n": OTHER_ROWS},
        )
        connection.execute(
            text(
                "INSERT INTO staged_records (source, record_key, item_no, raw_record_id, raw_version,"
                " content_hash, nip, fields, staged_at, withdrawn, needs_reconcile)"
                " SELECT source, record_key, 0, id, 1, content_hash,"
                " '1980010120050' || lpad((id % 100000)::text, 5, '0'), '{}', now(), false, false"
                " FROM raw_records WHERE source = 'bkn_wasdal'"
            )
        )


def _seq_scans(plan: Any) -> list[str]:
    """The relations a plan (EXPLAIN's JSON) reads with a sequential scan."""
    found = []
    if isinstance(plan, dict):
        if plan.get("Node Type") == "Seq Scan":
            found.append(str(plan.get("Relation Name")))
        for value in plan.values():
            found += _seq_scans(value)
    elif isinstance(plan, list):
        for value in plan:
            found += _seq_scans(value)
    return found


class _Statements:
    """The statements an engine sends that read staged_records, with their parameters."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.recording = True

    def __call__(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if (
            self.recording
            and not many
            and "staged_records" in statement
            and statement.lstrip().upper().startswith(("SELECT", "UPDATE"))
        ):
            self.seen.append((statement, parameters))


@pytest.fixture
def recorded(migrated_database: Database) -> Iterator[tuple[Database, _Statements]]:
    if migrated_database.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL plans (SQLite keeps its (source, record_key, item_no) key)")
    _fill_other_source(migrated_database)
    ingest(migrated_database, *(payload(n) for n in range(1, ACTIONS + 1)))
    with migrated_database.engine.begin() as connection:
        connection.execute(text("ANALYZE raw_records"))
        connection.execute(text("ANALYZE staged_records"))
    statements = _Statements()
    event.listen(migrated_database.engine, "before_cursor_execute", statements)
    try:
        yield migrated_database, statements
    finally:
        event.remove(migrated_database.engine, "before_cursor_execute", statements)


def test_the_imut_index_names_the_imut_feeds_source() -> None:
    assert FEEDS["imut"].source == IMUT_SOURCE  # migration 0027's partial index is on this value


def test_the_imut_evaluation_and_report_read_imut_rows_through_an_index(
    recorded: tuple[Database, _Statements],
) -> None:
    database, statements = recorded
    elections, workdays = load_election_calendar(), load_working_days()
    for full in (True, False):  # the first run lists every action; the second only what changed
        with database.session() as session:
            stats = evaluate_findings(
                session, elections=elections, workdays=workdays, as_of=date(2024, 11, 27), full=full
            )
        assert stats.actions == (ACTIONS if full else 0)
    report = ir.build_report(database, elections, now=NOW)
    assert sum(row.actions for row in report.regions) == ACTIONS  # all in the Pilkada 2024 window
    statements.recording = False
    assert statements.seen
    scans: dict[str, list[str]] = {}
    with database.engine.connect() as connection:
        for statement, parameters in statements.seen:
            plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar_one()
            if "staged_records" in _seq_scans(plan):
                scans[statement] = _seq_scans(plan)
    assert scans == {}
