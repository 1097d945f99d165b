"""Schema migrations of the product database (Alembic), as functions the CLI and tests call."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

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


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's ``include_object`` hook: everything but :data:`DIALECT_ONLY_INDEXES` and
    :data:`SQLITE_ONLY_CONSTRAINTS`."""
    if type_ == "unique_constraint" and name in SQLITE_ONLY_CONSTRAINTS:
        return False
    return not (type_ == "index" and name in DIALECT_ONLY_INDEXES)


def alembic_config(database: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic interpolates % in options; the URL is not needed when a connection is passed.
    cfg.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return cfg


def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (idempotent: at head it does nothing)."""
    with database.engine.begin() as connection:
        cfg = alembic_config(database)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def downgrade(database: Database, revision: str) -> None:
    """Migrate the database down to ``revision`` (``base`` removes every table)."""
    with database.engine.begin() as connection:
        cfg = alembic_config(database)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(database: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database)).get_current_head()
