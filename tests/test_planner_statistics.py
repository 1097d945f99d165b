"""Planner statistics keep up with the product's own writes where autovacuum does not (it is off on
some servers, this kind of CI machine's among them): the national benchmark's unchanged cycle spent
90 CPU-seconds in one I-MUT listing planned on statistics taken when staged_records held 280 rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from sbt_sync.db.engine import Database
from sbt_sync.db.statistics import refresh_statistics
from sbt_sync.imut.run import evaluate_database
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings


def _stale_probe(database: Database, rows: int) -> None:
    """A table analyzed while empty, then given ``rows`` rows (its counters flushed at once)."""
    with database.engine.connect() as connection:
        connection.execute(text("CREATE TABLE statistics_probe (id integer)"))
        connection.commit()
        connection.execute(text("ANALYZE statistics_probe"))
        connection.commit()
        connection.execute(text("INSERT INTO statistics_probe SELECT generate_series(1, :n)"), {"n": rows})
        connection.execute(text("SELECT pg_stat_force_next_flush()"))
        connection.commit()


def _planned_rows(database: Database) -> float:
    query = text("SELECT reltuples FROM pg_class WHERE relname = 'statistics_probe'")
    with database.engine.connect() as connection:
        return float(connection.execute(query).scalar_one())


def _postgresql(database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans without table statistics")


def test_a_table_changed_past_autovacuums_threshold_is_analyzed_once(migrated_database: Database) -> None:
    _postgresql(migrated_database)
    _stale_probe(migrated_database, 5_000)
    assert _planned_rows(migrated_database) == 0  # as last analyzed: empty

    assert "statistics_probe" in refresh_statistics(migrated_database)
    assert _planned_rows(migrated_database) == 5_000
    # Analyzed now: nothing is due again until it changes by 50 rows plus a tenth.
    assert "statistics_probe" not in refresh_statistics(migrated_database)
    with migrated_database.engine.connect() as connection:
        connection.execute(text("INSERT INTO statistics_probe SELECT generate_series(1, 40)"))
        connection.execute(text("SELECT pg_stat_force_next_flush()"))
        connection.commit()
    assert "statistics_probe" not in refresh_statistics(migrated_database)


def test_sqlite_has_nothing_to_analyze(migrated_database: Database) -> None:
    if migrated_database.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: the test above")
    assert refresh_statistics(migrated_database) == []


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(lambda db: reconcile_database(db, Settings()), id="reconciliation"),
        pytest.param(lambda db: evaluate_database(db, Settings()), id="imut_evaluation"),
    ],
)
def test_the_reading_steps_plan_on_current_statistics(
    migrated_database: Database, step: Callable[[Database], object]
) -> None:
    """Reconciliation and the I-MUT evaluation read tables other steps just wrote: they refresh what is
    due before their first query."""
    _postgresql(migrated_database)
    _stale_probe(migrated_database, 5_000)
    step(migrated_database)
    assert _planned_rows(migrated_database) == 5_000
