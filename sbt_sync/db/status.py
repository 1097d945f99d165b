"""What the product database holds: schema revision and row counts, for the CLI, assets and doctor.

Exact counts read every row, which costs seconds once the national registry (4.3 M ASN) is mirrored.
The cycle's ``reports/database_status`` therefore asks for estimates above a size (``estimate_above``):
on PostgreSQL a table the planner knows to hold at least that many rows is reported from its statistics
(``pg_class.reltuples`` per page, scaled to the table's current size, as the planner itself estimates),
without reading it; smaller tables, tables never analysed, and every table on SQLite (the small
deployments) are counted exactly. ``sbt-sync db status`` still counts everything exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database, redact_url
from sbt_sync.db.models import Base
from sbt_sync.errors import SbtError


@dataclass(frozen=True)
class DatabaseStatus:
    url: str
    dialect: str
    revision: str | None
    head: str | None
    row_counts: dict[str, int] = field(default_factory=dict)
    estimated: tuple[str, ...] = ()
    """Tables whose count is the planner's estimate, not an exact count."""

    @property
    def current(self) -> bool:
        return self.revision is not None and self.revision == self.head


ESTIMATE_ABOVE = 100_000
"""The cycle's report estimates tables of at least this many rows (PostgreSQL)."""

_ESTIMATES = text(
    """
    SELECT c.relname,
           CASE WHEN c.relpages > 0
                THEN c.reltuples / c.relpages
                     * (pg_relation_size(c.oid) / current_setting('block_size')::float8)
                ELSE c.reltuples END
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.reltuples >= 0
    """
)


def estimated_rows(session: Session, table: str) -> int:
    """Rows of ``table``: the planner's estimate on PostgreSQL (a count of 4 million rows costs seconds),
    an exact count elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        estimates = {str(name): float(rows) for name, rows in session.execute(_ESTIMATES).tuples()}
        if table in estimates:
            return round(estimates[table])
    return int(session.scalar(select(func.count()).select_from(Base.metadata.tables[table])) or 0)


def database_status(database: Database, *, estimate_above: int | None = None) -> DatabaseStatus:
    """The schema revision and, when migrated, the row count of every table: exact, or with
    ``estimate_above`` the planner's estimate of each table known to hold at least that many rows."""
    revision = migrate.current_revision(database)
    head = migrate.head_revision(database)
    counts: dict[str, int] = {}
    estimated: list[str] = []
    if revision == head:
        existing = set(inspect(database.engine).get_table_names())
        with database.session() as session:
            estimates: dict[str, float] = {}
            if estimate_above is not None and database.dialect == "postgresql":
                estimates = {str(name): float(rows) for name, rows in session.execute(_ESTIMATES).tuples()}
            for name, table in sorted(Base.metadata.tables.items()):
                if name not in existing:
                    continue
                guess = estimates.get(name)
                if guess is not None and estimate_above is not None and guess >= estimate_above:
                    counts[name] = round(guess)
                    estimated.append(name)
                else:
                    counts[name] = int(session.scalar(select(func.count()).select_from(table)) or 0)
    return DatabaseStatus(
        url=redact_url(database.url),
        dialect=database.dialect,
        revision=revision,
        head=head,
        row_counts=counts,
        estimated=tuple(estimated),
    )


def require_current_schema(database: Database) -> None:
    """Raise :class:`SbtError` unless the database is migrated to the latest revision."""
    revision = migrate.current_revision(database)
    head = migrate.head_revision(database)
    if revision != head:
        raise SbtError(
            f"database {redact_url(database.url)} is at schema revision {revision or 'none'}, "
            f"expected {head}: run `sbt-sync db upgrade`"
        )
