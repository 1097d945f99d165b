"""One real full cycle on the small sandbox, per backend, with every log line and Dagster event kept.

The sandbox serves every source at its ``as_of``; the ``full_cycle`` job runs with DEBUG logging (the
Python root logger and Dagster's console logger), the change guard's approval is given as a steward
would and the pusher delivers, so the database holds cases, conflicts, control steps, letters and
acknowledged pushes. The personal-data tests read the database, the captured logs and the truth.
The fixtures (``pdp_sandbox_data``, ``cycled``) are in tests/pdp/conftest.py, so that every module shares
one cycle per backend.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from sqlalchemy import select

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import PushApproval
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from sbt_sync.push import Pusher, PushOptions
from sbt_sync.push.admin import approve
from sbt_sync.push.client import siasn_push_client
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import Settings, load_settings
from tests.support.databases import postgres_base_url, temporary_postgres_database
from tests.support.sandbox import make_project

SEED = 11


class Capture(logging.Handler):
    """Keeps every record's formatted message (with its arguments and any traceback)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class Cycled:
    data_dir: Path
    project_dir: Path
    config_path: Path
    database: Database
    settings: Settings
    log_lines: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    """Every Dagster event log entry: its message, and each metadata value as text."""

    def truth(self, name: str) -> list[dict[str, Any]]:
        text = (self.data_dir / "truth" / name).read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def registry(self) -> list[dict[str, str]]:
        with gzip.open(self.data_dir / "registry.csv.gz", "rt", encoding="utf-8") as stream:
            return list(csv.DictReader(io.StringIO(stream.read())))


def _metadata_texts(entry: Any) -> Iterator[str]:
    event = entry.dagster_event
    if event is None:
        return
    data = event.event_specific_data
    for holder in (getattr(data, "materialization", None), data):
        metadata = getattr(holder, "metadata", None)
        if isinstance(metadata, dict):
            for key, value in metadata.items():
                yield f"{key}={getattr(value, 'value', value)!s}"
    check = getattr(data, "asset_check_evaluation", None) or data
    if hasattr(check, "metadata") and isinstance(check.metadata, dict):
        for key, value in check.metadata.items():
            yield f"{key}={getattr(value, 'value', value)!s}"


def run_cycle(data_dir: Path, database: Database, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Cycled:
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    instant = datetime.fromisoformat(manifest["clock"]["as_of"])
    day = instant.astimezone(ZoneInfo("Asia/Jakarta")).date()
    capture = Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    # Named loggers too: elsewhere in the process a Dagster instance from dagster.yaml may have set the
    # product's to its python_logs level (INFO), and an in-process CLI call the noisy libraries' to WARNING.
    names = ("sbt_sync", "connectors", "dagster", "paramiko", "alembic", "urllib3")
    product = {name: logging.getLogger(name).level for name in names}
    for name in product:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        with Sandbox(data_dir, state_dir=folder / "state") as sandbox:
            sandbox.clock.set(instant, frozen=True)
            project = make_project(sandbox, data_dir, folder, monkeypatch.setenv)
            definitions = build_definitions(config_path=str(project.config_path), database_url=database.url)
            on_day = {"config": {"as_of": day.isoformat()}}
            with dg.DagsterInstance.ephemeral() as instance:
                result = definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    run_config={
                        "loggers": {"console": {"config": {"log_level": "DEBUG"}}},
                        "ops": {"enforcement__block_state": on_day, "golden__imut_findings": on_day},
                    },
                )
                assert result.success, [str(e.event_specific_data) for e in result.get_step_failure_events()]
                events = []
                for entry in instance.all_logs(result.run_id):
                    events.append(entry.user_message or "")
                    if entry.dagster_event is not None:
                        events.append(entry.dagster_event.message or "")
                    events.extend(_metadata_texts(entry))
            settings = load_settings(project.config_path)
            with database.session() as session:
                query = select(PushApproval.id).where(PushApproval.status == "waiting")
                waiting = session.scalars(query).all()
            for approval_id in waiting:
                with database.session() as session:
                    approve(session, approval_id, reason="first load of the scenario", actor="tester")
            client = siasn_push_client(settings)
            try:
                Pusher(database, client, PushOptions.from_settings(settings.push, defer_seconds=0)).run(
                    recover=True
                )
            finally:
                client.close()
    finally:
        root.removeHandler(capture)
        root.setLevel(previous)
        for name, level in product.items():
            logging.getLogger(name).setLevel(level)
    return Cycled(
        data_dir=data_dir,
        project_dir=folder,
        config_path=project.config_path,
        database=database,
        settings=settings,
        log_lines=capture.lines,
        events=events,
    )


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(postgres_base_url() is None, reason="SBT_TEST_DATABASE_URL is not set"),
    ),
]


@contextmanager
def cycled_database(backend: str, data_dir: Path, folder: Path) -> Iterator[Cycled]:
    """A migrated database of ``backend`` after one full cycle and the push."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        if backend == "sqlite":
            database = Database(f"sqlite:///{folder / 'var' / 'sbt.db'}")
            migrate.upgrade(database)
            yield run_cycle(data_dir, database, folder, monkeypatch)
            database.dispose()
            return
        base = postgres_base_url()
        assert base is not None
        with temporary_postgres_database(base) as url:
            database = Database(url.render_as_string(hide_password=False))
            migrate.upgrade(database)
            yield run_cycle(data_dir, database, folder, monkeypatch)
            database.dispose()
