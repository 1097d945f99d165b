"""Another writer holding the product database for a while, as a long enforcement run does.

On SQLite it is a connection of its own (plain ``sqlite3``, not the product's engine) that takes the
database's write lock (``BEGIN IMMEDIATE`` and a write) and keeps it; on PostgreSQL a transaction that
holds the locks an enforcement run holds for its whole transaction (the product-writes and outbox
advisory locks). Either way it commits after ``seconds``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text

from sbt_sync.db import engine as db_engine
from sbt_sync.db.engine import OUTBOX_LOCK_KEY, PRODUCT_WRITES_LOCK_KEY, Database

SHORT_BUSY_TIMEOUT_MS = 200
"""A busy timeout far below the hold, so a writer that only waits the busy timeout gives up during it."""


@dataclass
class Hold:
    released_at: float | None = None
    """``time.monotonic()`` when the holder committed."""


def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut SQLite's busy timeout to :data:`SHORT_BUSY_TIMEOUT_MS` for engines made from now on: a hold
    of a few seconds then stands for an enforcement run holding the lock past the real 30 s."""
    monkeypatch.setattr(db_engine, "SQLITE_BUSY_TIMEOUT_MS", SHORT_BUSY_TIMEOUT_MS)


@contextmanager
def long_write_transaction(database: Database, seconds: float) -> Iterator[Hold]:
    """Within the block another connection holds the write lock until ``seconds`` after it began."""
    hold = Hold()
    taken = threading.Event()
    failures: list[BaseException] = []

    def keep() -> None:
        try:
            if database.dialect == "sqlite":
                path = database.engine.url.database
                assert path
                raw = sqlite3.connect(path, isolation_level=None, timeout=60)
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    raw.execute("UPDATE outbox SET id = id WHERE 0")
                    taken.set()
                    time.sleep(seconds)
                    raw.execute("COMMIT")
                    hold.released_at = time.monotonic()
                finally:
                    raw.close()
                return
            engine = create_engine(database.engine.url)
            try:
                with engine.connect() as connection, connection.begin():
                    for key in (PRODUCT_WRITES_LOCK_KEY, OUTBOX_LOCK_KEY):
                        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
                    taken.set()
                    time.sleep(seconds)
                hold.released_at = time.monotonic()
            finally:
                engine.dispose()
        except BaseException as exc:  # handed to the test's thread
            failures.append(exc)
            taken.set()

    holder = threading.Thread(target=keep, name="long-write-transaction")
    holder.start()
    assert taken.wait(30), "the holder never took the lock"
    try:
        yield hold
    finally:
        holder.join()
    assert failures == [], failures
