"""Migration 0003: the registry's search indexes, on each backend, up and down."""

from __future__ import annotations

from sqlalchemy import text

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database

ANCHORS = {
    "ix_asn_registry_instansi_name_head",
    "ix_asn_registry_instansi_name_tail",
    "ix_asn_registry_name_head",
    "ix_asn_registry_name_tail",
}
GIN = "ix_asn_registry_name_normalised_trgm"
TAIL = "ix_asn_registry_nip_tail"


def _indexes(database: Database) -> set[str]:
    """From the catalogue: SQLAlchemy's reflection skips SQLite's expression indexes."""
    catalogue = (
        "SELECT indexname FROM pg_indexes WHERE tablename = 'asn_registry'"
        if database.dialect == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'asn_registry'"
    )
    with database.session() as session:
        return set(session.execute(text(catalogue)).scalars())


def test_0003_adds_the_nip_tail_everywhere_and_the_token_anchors_on_postgresql(
    migrated_database: Database,
) -> None:
    found = _indexes(migrated_database)
    postgres = migrated_database.dialect == "postgresql"
    assert TAIL in found
    assert (found >= ANCHORS) is postgres
    assert GIN not in found  # 0002's trigram index is replaced, or never was (SQLite)
    assert {TAIL, GIN, *ANCHORS} <= migrate.DIALECT_ONLY_INDEXES


def test_0003_downgrade_restores_0002s_trigram_index(migrated_database: Database) -> None:
    migrate.downgrade(migrated_database, "0002")
    found = _indexes(migrated_database)
    assert TAIL not in found and not (ANCHORS & found)
    assert (GIN in found) is (migrated_database.dialect == "postgresql")
    migrate.upgrade(migrated_database)
    assert TAIL in _indexes(migrated_database)
