"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database per test.

PostgreSQL tests run when ``SBT_TEST_DATABASE_URL`` is set (CI always sets it). Each test gets its own
database named after the CI database (:func:`database_name`, with the xdist worker's id when the suite
runs in parallel), so CI's cleanup also removes any a crashed test left behind. Templates are per worker
too: ``CREATE DATABASE ... TEMPLATE`` needs nobody else connected to the template, and each worker
connects only to its own.

Migrating an empty database to head costs about a second on PostgreSQL and half that on SQLite, and
hundreds of tests start from one. :class:`MigratedTemplates` migrates one database per backend per
session (with the product's own ``migrate.upgrade``) and hands each test a copy: the SQLite file
copied, or ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. A copy is byte-for-byte what the migration
left, so a test sees exactly the database it would have migrated itself; the migrations themselves
are tested from empty in ``tests/test_database.py`` and ``tests/ingest/test_history_migration.py``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database

TEST_DATABASE_URL_ENV = "SBT_TEST_DATABASE_URL"
T = TypeVar("T")


def database_name(base: URL, label: str) -> str:
    """A new database's name: the CI database's name first (CI drops every database whose name starts
    with it), then the xdist worker that made it (``gw0``; none in a serial run), the label and a random
    part, so no two tests, workers or runs ever pick the same name."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = "_".join([str(base.database), *([worker] if worker else []), label, uuid.uuid4().hex[:8]])
    assert len(name.encode()) <= 63, f"{name!r} is longer than PostgreSQL keeps (63 bytes)"
    return name


def postgres_base_url() -> URL | None:
    raw = os.environ.get(TEST_DATABASE_URL_ENV)
    return make_url(raw) if raw else None


def _admin_execute(base: URL, statement: str) -> None:
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


@contextmanager
def temporary_postgres_database(base: URL, label: str = "t", *, template: str | None = None) -> Iterator[URL]:
    """Create a database next to ``base`` (empty, or a copy of ``template``) and drop it afterwards."""
    name = database_name(base, label)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    copy_of = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
        yield base.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate_url(url: str) -> None:
    """Bring the database at ``url`` to the head revision."""
    database = Database(url)
    try:
        migrate.upgrade(database)
    finally:
        database.dispose()


MIGRATED = "migrated"


class MigratedTemplates:
    """Template databases per backend, built on first use; tests get copies of them.

    ``migrated`` is an empty database at head. :meth:`build` adds a named template: a copy of
    ``migrated`` that a seeding function fills once (a console world with its accounts, say), so tests
    that start from the same world copy it instead of rebuilding it.
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._sqlite: dict[str, Path] = {}
        self._postgres: dict[str, str] = {}
        self._built: dict[tuple[str, str], Any] = {}

    def _sqlite_template(self, name: str = MIGRATED) -> Path:
        if name not in self._sqlite:
            assert name == MIGRATED, f"template {name!r} was not built for sqlite"
            path = self._folder / f"{name}.db"
            database = Database(f"sqlite:///{path}")
            try:
                migrate.upgrade(database)
            finally:
                _checkpoint_and_dispose(database)
            self._sqlite[name] = path
        return self._sqlite[name]

    def _postgres_template(self, base: URL, name: str = MIGRATED) -> str:
        if name not in self._postgres:
            assert name == MIGRATED, f"template {name!r} was not built for postgresql"
            template_name = database_name(base, name)
            _admin_execute(base, f'CREATE DATABASE "{template_name}"')
            self._postgres[name] = template_name  # dropped by close() even if the migration fails
            migrate_url(base.set(database=template_name).render_as_string(hide_password=False))
        return self._postgres[name]

    def sqlite_copy(self, path: Path, template: str = MIGRATED) -> str:
        """A copy of ``template`` at ``path`` (its folder must exist); its URL."""
        shutil.copyfile(self._sqlite_template(template), path)
        path.chmod(0o600)
        return f"sqlite:///{path}"

    @contextmanager
    def postgres_copy(self, base: URL, label: str = "t", template: str = MIGRATED) -> Iterator[str]:
        """A PostgreSQL database of its own copied from ``template``, dropped afterwards; its URL."""
        source = self._postgres_template(base, template)
        with temporary_postgres_database(base, label, template=source) as url:
            yield url.render_as_string(hide_password=False)

    @contextmanager
    def copy(self, backend: str, folder: Path, label: str = "t", template: str = MIGRATED) -> Iterator[str]:
        """A database of ``backend`` of its own (SQLite as ``folder/sbt.db``) copied from ``template``."""
        if backend == "sqlite":
            folder.mkdir(parents=True, exist_ok=True)
            yield self.sqlite_copy(folder / "sbt.db", template)
            return
        base = postgres_base_url()
        assert base is not None, f"{TEST_DATABASE_URL_ENV} is not set"
        with self.postgres_copy(base, label, template) as url:
            yield url

    def build(self, name: str, backend: str, seed: Callable[[Database], T]) -> T:
        """Template ``name`` of ``backend``: a migrated database ``seed`` fills, once for the session.
        Returns what ``seed`` returned (the same object on every later call)."""
        key = (name, backend)
        if key in self._built:
            result: T = self._built[key]
            return result
        if backend == "sqlite":
            path = self._folder / f"{name}.db"
            url = self.sqlite_copy(path)
        else:
            base = postgres_base_url()
            assert base is not None, f"{TEST_DATABASE_URL_ENV} is not set"
            copy_name = database_name(base, name)
            source = self._postgres_template(base)
            _admin_execute(base, f'CREATE DATABASE "{copy_name}" TEMPLATE "{source}"')
            self._postgres[name] = copy_name
            url = base.set(database=copy_name).render_as_string(hide_password=False)
        database = Database(url)
        try:
            made = seed(database)
        finally:
            _checkpoint_and_dispose(database)
        if backend == "sqlite":
            self._sqlite[name] = path
        self._built[key] = made
        return made

    def close(self) -> None:
        base = postgres_base_url()
        if base is not None:
            for name in self._postgres.values():
                _admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._postgres.clear()


def _checkpoint_and_dispose(database: Database) -> None:
    """Close every connection; a SQLite file first folds its WAL in, so the file alone is the database."""
    if database.dialect == "sqlite":
        with database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()


@contextmanager
def database_for_test(
    backend: str, folder: Path, templates: MigratedTemplates, template: str | None = None
) -> Iterator[str]:
    """The URL of a database of the test's own on ``backend``: empty, or a copy of ``template``.
    SQLite's is ``folder/sbt.db``."""
    if template is not None:
        with templates.copy(backend, folder, template=template) as url:
            yield url
        return
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'sbt.db'}"
        return
    base = postgres_base_url()
    assert base is not None, f"{TEST_DATABASE_URL_ENV} is not set"
    with temporary_postgres_database(base) as made:
        yield made.render_as_string(hide_password=False)
