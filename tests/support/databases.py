"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database per test.

PostgreSQL tests run when ``SBT_TEST_DATABASE_URL`` is set (CI always sets it). Each test gets its own
database named after the CI database, so CI's cleanup also removes any a crashed test left behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

TEST_DATABASE_URL_ENV = "SBT_TEST_DATABASE_URL"


def postgres_base_url() -> URL | None:
    raw = os.environ.get(TEST_DATABASE_URL_ENV)
    return make_url(raw) if raw else None


@contextmanager
def temporary_postgres_database(base: URL, label: str = "t") -> Iterator[URL]:
    """Create an empty database next to ``base`` and drop it afterwards."""
    name = f"{base.database}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
