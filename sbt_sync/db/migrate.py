"""Schema migrations of the product database (Alembic), as functions the CLI and tests call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from sbt_sync.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DIALECT_ONLY_INDEXES = frozenset(
    {
        "ix_asn_registry_name_normalised_trgm",  # 0002, PostgreSQL: GIN trigram (0003 drops it)
        "ix_asn_registry_instansi_name_head",  # 0003, PostgreSQL: text_pattern_ops token anchors
        "ix_asn_registry_instansi_name_tail",
        "ix_asn_registry_name_head",
        "ix_asn_registry_name_tail",
        "ix_asn_registry_nip_tail",  # 0003, every dialect: the expression substr(nip, 9, 10)
    }
)
"""Indexes migrations create that the models leave out (PostgreSQL's trigram and pattern-operator
indexes, which no other dialect has, and an expression index), so schema comparison ignores them."""


SQLITE_ONLY_CONSTRAINTS = frozenset({"uq_staged_records_source_record_key_item_no"})
"""Unique keys SQLite keeps that the models dropped: only a table recreate drops one there, and that
recreate would cascade deletes from the table's dependants (migration 0023)."""


STATEMENT_CHECKED_KEYS = frozenset(
    {"fk_staged_records_raw_record_id_raw_records", "fk_raw_records_last_batch_id_ingest_batches"}
)
"""Foreign keys the models declare that PostgreSQL enforces with per-statement triggers instead
(migration 0029: the same guarantees, without a query per row a COPY writes); SQLite keeps them."""


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's ``include_object`` hook: everything but :data:`DIALECT_ONLY_INDEXES`,
    :data:`SQLITE_ONLY_CONSTRAINTS` and :data:`STATEMENT_CHECKED_KEYS`."""
    if type_ == "unique_constraint" and name in SQLITE_ONLY_CONSTRAINTS:
        return False
    if type_ == "foreign_key_constraint" and name in STATEMENT_CHECKED_KEYS:
        return False
    return not (type_ == "index" and name in DIALECT_ONLY_INDEXES)


def alembic_config(database: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic interpolates % in options; the URL is not needed when a connection is passed.
    cfg.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return cfg


class BrokenReferences(RuntimeError):
    """A migration would have left rows pointing at rows that do not exist (nothing was committed)."""


@contextmanager
def _migrating(database: Database) -> Iterator[Connection]:
    """One transaction for a migration run; on SQLite, with foreign-key enforcement off meanwhile.

    Alembic's batch mode changes a SQLite table by copying it, dropping the old one and renaming the
    copy. With foreign keys enforced, that drop is an implicit ``DELETE``: it would delete every
    ``ON DELETE CASCADE`` dependant (a case's links and control actions, with migration 0005) and fail
    on any other. SQLite only honours the pragma outside a transaction, so it is set before the
    transaction begins; before committing, ``PRAGMA foreign_key_check`` must find every reference
    whole, or nothing is committed. Enforcement is back on for the connection afterwards either way.
    """
    with database.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        tables = ", ".join(sorted({str(row[0]) for row in broken}))
                        raise BrokenReferences(
                            f"the migration would leave {len(broken)} rows referring to missing rows "
                            f"(tables: {tables}); nothing was changed"
                        )
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (idempotent: at head it does nothing)."""
    with _migrating(database) as connection:
        cfg = alembic_config(database)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def downgrade(database: Database, revision: str) -> None:
    """Migrate the database down to ``revision`` (``base`` removes every table)."""
    with _migrating(database) as connection:
        cfg = alembic_config(database)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(database: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database)).get_current_head()
