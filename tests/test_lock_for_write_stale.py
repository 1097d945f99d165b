"""``lock_for_write`` called in a transaction that has already read, after another connection
committed a write: SQLite can never give that transaction the write lock (its snapshot is stale,
SQLITE_BUSY_SNAPSHOT), so it says so at once ('database is locked') instead of waiting out the whole
write wait and then blaming another writer (:class:`DatabaseBusy`)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from sbt_sync.db.engine import Database, lock_for_write, writes_wait_at_most
from sbt_sync.db.models import Case
from sbt_sync.db.models.letters import Letter

WAIT_SECONDS = 5.0
"""A write wait the old code spends in full before giving up (a failure, not a measure)."""


def test_lock_for_write_on_a_stale_snapshot_refuses_at_once(migrated_database: Database) -> None:
    if migrated_database.dialect != "sqlite":
        pytest.skip("SQLite's write lock; a no-op on PostgreSQL")
    path = migrated_database.engine.url.database
    assert path
    with writes_wait_at_most(WAIT_SECONDS), migrated_database.session() as session:
        session.scalar(select(func.count()).select_from(Case))  # the snapshot is taken
        other = sqlite3.connect(path, isolation_level=None)
        try:  # another connection commits a write: the snapshot is stale now
            other.execute("BEGIN IMMEDIATE")
            other.execute("INSERT INTO letter_sequences (year, last_value) VALUES (2031, 0)")
            other.execute("COMMIT")
        finally:
            other.close()
        with pytest.raises(OperationalError, match="database is locked"):
            lock_for_write(session, Letter)
        session.rollback()
    with migrated_database.session() as session:  # a transaction begun afresh takes it
        lock_for_write(session, Letter)
