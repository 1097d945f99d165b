"""The cycle's database report costs what it must: on PostgreSQL a big table is reported from the
planner's estimate without being read; small tables and SQLite are counted exactly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import event, insert, text

from assets.reports import database_status_report
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import SiasnObservation
from sbt_sync.db.status import database_status
from sbt_sync.resources import DatabaseResource, SbtSettingsResource
from tests.conftest import REPO_ROOT
from tests.enforce.rows import nip

ROWS = 3000
THRESHOLD = 1000
TABLE = SiasnObservation.__tablename__


def _fill(database: Database) -> None:
    """``ROWS`` observations, then fresh statistics (autovacuum would do it in production)."""
    now = utcnow()
    rows = [
        {"nip": nip(i % 90 + 1), "blocked": True, "desired_blocked": True, "drift": False, "observed_at": now}
        for i in range(ROWS)
    ]
    with database.session() as session:
        session.execute(insert(SiasnObservation), rows)
    if database.dialect == "postgresql":
        with database.engine.connect() as connection:
            connection.execute(text(f"ANALYZE {TABLE}"))
            connection.commit()


@contextmanager
def _statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def test_a_big_table_is_estimated_on_postgresql_and_counted_on_sqlite(migrated_database: Database) -> None:
    _fill(migrated_database)
    with _statements(migrated_database) as seen:
        status = database_status(migrated_database, estimate_above=THRESHOLD)
    counted = [s for s in seen if "count(" in s.lower() and TABLE in s]
    if migrated_database.dialect == "postgresql":
        assert status.estimated == (TABLE,)
        assert abs(status.row_counts[TABLE] - ROWS) <= ROWS * 0.1
        assert counted == []  # never read
    else:
        assert status.estimated == ()
        assert status.row_counts[TABLE] == ROWS
        assert len(counted) == 1
    # Every other table is small: counted exactly, on both backends.
    assert status.row_counts["outbox"] == 0 and "outbox" not in status.estimated
    exact = database_status(migrated_database)
    assert exact.estimated == () and exact.row_counts[TABLE] == ROWS
    assert set(exact.row_counts) == set(status.row_counts)


def test_the_cycle_report_names_the_tables_it_estimated(
    migrated_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(migrated_database)
    monkeypatch.setattr("assets.reports.ESTIMATE_ABOVE", THRESHOLD)
    settings = SbtSettingsResource(config_path=str(REPO_ROOT / "sbt.yaml"))
    url = migrated_database.engine.url.render_as_string(hide_password=False)
    result = dg.materialize(
        [database_status_report], resources={"db": DatabaseResource(settings=settings, url=url)}
    )
    metadata = result.asset_materializations_for_node("reports__database_status")[0].metadata
    expected = [TABLE] if migrated_database.dialect == "postgresql" else []
    assert metadata["estimated_tables"] == dg.JsonMetadataValue(expected)
