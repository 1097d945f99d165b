"""Schema migrations of the product database (Alembic), as functions the CLI and tests call."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sbt_sync.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


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


def is_current(database: Database) -> bool:
    return current_revision(database) == head_revision(database)
