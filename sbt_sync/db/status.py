"""What the product database holds: schema revision and row counts, for the CLI, assets and doctor."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, inspect, select

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

    @property
    def current(self) -> bool:
        return self.revision is not None and self.revision == self.head


def database_status(database: Database) -> DatabaseStatus:
    """The schema revision and, when migrated, the row count of every table."""
    revision = migrate.current_revision(database)
    head = migrate.head_revision(database)
    counts: dict[str, int] = {}
    if revision == head:
        existing = set(inspect(database.engine).get_table_names())
        with database.session() as session:
            for name, table in sorted(Base.metadata.tables.items()):
                if name in existing:
                    counts[name] = int(session.scalar(select(func.count()).select_from(table)) or 0)
    return DatabaseStatus(
        url=redact_url(database.url),
        dialect=database.dialect,
        revision=revision,
        head=head,
        row_counts=counts,
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
