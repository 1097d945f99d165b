"""Fixtures shared by the whole suite: databases on both backends and a throwaway project folder."""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from tests.support import processes
from tests.support.databases import postgres_base_url, temporary_postgres_database

REPO_ROOT = Path(__file__).resolve().parent.parent
LEFTOVER_GRACE_SECONDS = 15.0
_SESSION_MARK = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Mark this session's environment, so that every process a test starts can be found at the end."""
    token = os.environ.setdefault(processes.MARK, uuid.uuid4().hex)
    config.stash[_SESSION_MARK] = token


PRODUCT_LOGGERS = ("sbt_sync", "connectors")


@pytest.fixture(autouse=True)
def _product_loggers_as_configured() -> Iterator[None]:
    """Each test starts with the product's loggers at their defaults (no level of their own).

    A Dagster instance built from dagster.yaml applies ``python_logs`` in-process: it sets the managed
    ``sbt_sync`` and ``connectors`` loggers to INFO and that stays for the rest of the process, which
    would silently drop the DEBUG records a later test captures.
    """
    yield
    for name in PRODUCT_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test left a process running (reported, then stopped)."""
    token = session.config.stash.get(_SESSION_MARK, None)
    if token is None:
        return
    deadline = time.monotonic() + LEFTOVER_GRACE_SECONDS
    while (left := processes.marked(token)) and time.monotonic() < deadline:
        time.sleep(0.5)
    if not left:
        return
    lines = [f"  pid {p.pid} (parent {p.parent}): {p.command[:200]}" for p in left]
    processes.stop([p.pid for p in left])
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = "the tests left these processes running (now stopped):\n" + "\n".join(lines)
    if reporter is not None:
        reporter.write_sep("=", "processes left behind", red=True)
        reporter.write_line(message)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            postgres_base_url() is None, reason="SBT_TEST_DATABASE_URL is not set (CI always sets it)"
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sbt.db'}"
        return
    base = postgres_base_url()
    assert base is not None
    with temporary_postgres_database(base) as url:
        yield url.render_as_string(hide_password=False)


@pytest.fixture
def empty_database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def migrated_database(empty_database: Database) -> Database:
    migrate.upgrade(empty_database)
    return empty_database


@pytest.fixture
def production_database(tmp_path: Path) -> Iterator[Database]:
    """A migrated database on the production backend: PostgreSQL when configured, else SQLite.

    For the election-scale end-to-end tests only: each costs minutes, and every code path they run is
    also run on both backends by the small-scale tests, so CI runs them once, where production runs.
    """
    base = postgres_base_url()
    if base is None:
        database = Database(f"sqlite:///{tmp_path / 'sbt.db'}")
        migrate.upgrade(database)
        yield database
        database.dispose()
        return
    with temporary_postgres_database(base) as url:
        database = Database(url.render_as_string(hide_password=False))
        migrate.upgrade(database)
        yield database
        database.dispose()


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A project folder with the committed sbt.yaml and dagster.yaml, as a new deployment starts."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("sbt.yaml", "dagster.yaml"):
        shutil.copy(REPO_ROOT / name, project / name)
    return project
