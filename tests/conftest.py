"""Fixtures shared by the whole suite: databases on both backends (copies of one migrated template per
backend), small generated sandboxes by seed, and a throwaway project folder."""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from tests.support import processes
from tests.support.databases import MIGRATED, MigratedTemplates, database_for_test, postgres_base_url
from tests.support.sandbox import GeneratedSandboxes

REPO_ROOT = Path(__file__).resolve().parent.parent
LEFTOVER_GRACE_SECONDS = 15.0
_SESSION_MARK = pytest.StashKey[str]()


_RUN_MARK = pytest.StashKey[str]()
"""The controller's token (the same as ``_SESSION_MARK`` but in an xdist worker)."""
_LEFT_BY_WORKERS = pytest.StashKey[list[str]]()
_WORKER_LEFTOVERS = "sbt_leftovers"
"""The key of a worker's ``workeroutput`` under which it hands its leftovers to the controller."""


def _xdist_worker(config: pytest.Config) -> str | None:
    """This process's xdist worker id (``gw0``, ...); None in the controller or a serial run."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    return None if workerinput is None else str(workerinput["workerid"])


def _xdist_controller(config: pytest.Config) -> bool:
    """Whether this process hands the tests to xdist workers (``-n`` N > 0) and runs none itself."""
    return config.pluginmanager.has_plugin("dsession")


def pytest_configure(config: pytest.Config) -> None:
    """Mark this session's environment, so that every process a test starts can be found at the end.
    An xdist worker inherits the controller's token and marks its own tests' processes with a token of
    its own (tests/support/processes.py)."""
    token = os.environ.setdefault(processes.MARK, uuid.uuid4().hex)
    config.stash[_RUN_MARK] = token
    if (worker := _xdist_worker(config)) is not None:
        token = processes.worker_token(token, worker)
        os.environ[processes.MARK] = token
    config.stash[_SESSION_MARK] = token
    config.stash[_LEFT_BY_WORKERS] = []
    if worker is None:
        _make_the_repos_sandbox_keys()


def _make_the_repos_sandbox_keys() -> None:
    """Make the keys a sandbox deployment keeps in ``var/`` (the console's session key, the access
    log's NIP key) for the committed sbt.yaml, before any test runs.

    Many tests load the committed sbt.yaml, and the first to need a key makes it in the repository's
    var/. With xdist two workers could make it at once (the same temporary file, two different keys,
    one read before the other replaced it); made here, in the controller before the workers start (or
    in a serial session), every test only reads it. The product's own functions make them."""
    from sbt_sync.console.security import session_secret
    from sbt_sync.pdp.access import access_key
    from sbt_sync.settings import load_settings

    settings = load_settings(REPO_ROOT / "sbt.yaml", env={})
    if settings.environment != "production" and not settings.console.secret_key_env:
        session_secret(settings)
    if settings.environment != "production" and not settings.pdp.access_key_env:
        access_key(settings)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` as this suite wants it (tests/support/scheduling.py): a module's tests on
    one worker, a marked group's on one worker, the ``serial`` group last and alone. Other ``--dist``
    modes are xdist's own."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.support.scheduling import ModuleOrGroupScheduling

    return ModuleOrGroupScheduling(config, log, config.stash[_RUN_MARK])


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """An xdist worker tells the controller which groups its tests are in (tests/support/scheduling.py)."""
    if (worker := _xdist_worker(config)) is not None and config.getvalue("loadgroup"):
        from tests.support.scheduling import write_notes

        write_notes(config.stash[_RUN_MARK], worker, items)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """The controller keeps what a finished worker found left behind; it reports them all at the end."""
    output: dict[str, Any] = getattr(node, "workeroutput", None) or {}
    node.config.stash[_LEFT_BY_WORKERS].extend(output.get(_WORKER_LEFTOVERS, []))


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


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test left a process running (reported, then stopped).

    An xdist worker checks the processes its own tests started and hands what it found to the
    controller (its terminal is not shown); the controller reports those and anything its workers' tests
    left that no worker stopped (a crashed worker's), never the workers themselves."""
    config = session.config
    token = config.stash.get(_SESSION_MARK, None)
    if token is None:
        return
    controller = _xdist_controller(config)
    find = processes.left_by_workers if controller else processes.marked
    deadline = time.monotonic() + LEFTOVER_GRACE_SECONDS
    while (left := find(token)) and time.monotonic() < deadline:
        time.sleep(0.5)
    where = f"[{worker}] " if (worker := _xdist_worker(config)) is not None else ""
    lines = [f"  {where}pid {p.pid} (parent {p.parent}): {p.command[:200]}" for p in left]
    if left:
        processes.stop([p.pid for p in left])
    if worker is not None:
        workeroutput: dict[str, Any] = getattr(config, "workeroutput")  # noqa: B009 (xdist sets it)
        workeroutput[_WORKER_LEFTOVERS] = lines
        return
    if controller:
        from tests.support.scheduling import remove_notes

        remove_notes(config.stash[_RUN_MARK])
    lines = [*config.stash.get(_LEFT_BY_WORKERS, []), *lines]
    if not lines:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
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


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    """One database at head per backend for the session; tests get copies (tests/support/databases.py)."""
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated-template"))
    yield templates
    templates.close()


@pytest.fixture(scope="session")
def generated_sandboxes(tmp_path_factory: pytest.TempPathFactory) -> GeneratedSandboxes:
    """Small sandboxes by seed, generated once for the session (read-only; copy to change one)."""
    return GeneratedSandboxes(tmp_path_factory)


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: MigratedTemplates
) -> Iterator[str]:
    """A database URL of its own, once per backend: empty, or already at head when the test asks for
    ``migrated_database`` (a copy of the session's migrated template)."""
    template = MIGRATED if "migrated_database" in request.fixturenames else None
    with database_for_test(request.param, tmp_path, migrated_templates, template) as url:
        yield url


@pytest.fixture
def empty_database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def migrated_database(empty_database: Database) -> Database:
    """The database of ``database_url`` at head. ``database_url`` gave it a copy of the migrated
    template, so this upgrade finds nothing to do; it stays so that the fixture means what it says."""
    migrate.upgrade(empty_database)
    return empty_database


@pytest.fixture
def production_database(tmp_path: Path, migrated_templates: MigratedTemplates) -> Iterator[Database]:
    """A migrated database on the production backend: PostgreSQL when configured, else SQLite.

    For the election-scale end-to-end tests only: each costs minutes, and every code path they run is
    also run on both backends by the small-scale tests, so CI runs them once, where production runs.
    """
    backend = "sqlite" if postgres_base_url() is None else "postgresql"
    with migrated_templates.copy(backend, tmp_path) as url:
        database = Database(url)
        yield database
        database.dispose()


@pytest.fixture
def product_database_url(tmp_path: Path, migrated_templates: MigratedTemplates) -> Iterator[str]:
    """One migrated product database: PostgreSQL when SBT_TEST_DATABASE_URL is set, else SQLite."""
    backend = "sqlite" if postgres_base_url() is None else "postgresql"
    with migrated_templates.copy(backend, tmp_path, "daemon") as url:
        yield url


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A project folder with the committed sbt.yaml and dagster.yaml, as a new deployment starts."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("sbt.yaml", "dagster.yaml"):
        shutil.copy(REPO_ROOT / name, project / name)
    return project
