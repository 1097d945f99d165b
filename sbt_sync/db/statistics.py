"""Planner statistics that keep up with the product's own writes, whether autovacuum runs or not.

PostgreSQL plans each statement from its statistics (``pg_class.reltuples`` and ``pg_statistic``),
which only ``ANALYZE`` renews: autovacuum does it once a table has changed by 50 rows plus a tenth of
its size, at its next round. Where autovacuum is off (some managed or test servers), lags behind a
bulk load, or has not reached a table yet, a table thousands of rows long is still planned as the few
hundred rows it held when last analyzed. Estimates of one row then pick nested loops that read a table
once per row of another: the national benchmark's unchanged cycle spent 90 CPU-seconds in one I-MUT
listing (``staged_records`` analyzed at 280 rows, holding 17,000) that takes milliseconds when planned
on current figures.

:func:`refresh_statistics` analyzes, once per call, every table of the database that autovacuum's own
rule says is due (never analyzed, or changed by more than ``50 + 10 %`` of its rows since); a no-op on
SQLite and where autovacuum keeps up. Steps that read many tables after others wrote them
(reconciliation, the I-MUT evaluation, enforcement and the letters) call it before they start.
"""

from __future__ import annotations

import logging

from sqlalchemy import text

from sbt_sync.db.engine import Database

log = logging.getLogger(__name__)

ANALYZE_THRESHOLD_ROWS = 50
ANALYZE_SCALE_FACTOR = 0.1
"""autovacuum_analyze_threshold and autovacuum_analyze_scale_factor's defaults."""

_DUE = text(
    """
    SELECT c.relname
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_stat_user_tables AS s ON s.relid = c.oid
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      AND (
        (c.reltuples < 0 AND s.n_live_tup > 0)
        OR s.n_mod_since_analyze > :threshold + :scale * GREATEST(c.reltuples, 0)
      )
    ORDER BY c.relname
    """
)


def refresh_statistics(database: Database) -> list[str]:
    """``ANALYZE`` each table of the current schema whose statistics are due (module docstring), each
    in its own transaction; return the tables analyzed (none on SQLite)."""
    if database.engine.dialect.name != "postgresql":
        return []
    analyzed: list[str] = []
    with database.engine.connect() as connection:
        due = list(
            connection.execute(
                _DUE, {"threshold": ANALYZE_THRESHOLD_ROWS, "scale": ANALYZE_SCALE_FACTOR}
            ).scalars()
        )
        connection.commit()
        preparer = connection.dialect.identifier_preparer
        for table in due:
            connection.execute(text(f"ANALYZE {preparer.quote(table)}"))
            connection.commit()
            analyzed.append(table)
    if analyzed:
        log.info("planner statistics refreshed for %d table(s): %s", len(analyzed), ", ".join(analyzed))
    return analyzed
