"""A running sandbox whose SFTP deliveries tests can add to, a project pointed at it, one real
database, and a helper that evaluates a sensor of the project's definitions the way the daemon does."""

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from assets.automation import DB_WRITE_TAGS
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.definitions import build_definitions
from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from schemas.feeds import FEEDS
from tests.conftest import REPO_ROOT
from tests.support.databases import postgres_base_url, temporary_postgres_database

SEED = 7
KEMENDAGRI_HEADER = ",".join(c for c in FEEDS["kemendagri"].model.to_schema().columns if c != "item_no")
KEMENDAGRI_ROW = "R-9/2025,198001012005011001,Ahmad,Kab. Bogor,dalam_proses,,,,01-12-2024"


def kemendagri_csv(*rows: str) -> bytes:
    return ("\r\n".join([KEMENDAGRI_HEADER, *rows]) + "\r\n").encode()


@dataclass
class DaemonProject:
    """A sandbox (clock frozen), the sbt.yaml pointing at it, its secrets, and the product database."""

    sandbox: Sandbox
    data_dir: Path
    config_path: Path
    env: dict[str, str]
    database_url: str
    _deliveries: int = 0

    def definitions(self) -> dg.Definitions:
        return build_definitions(config_path=str(self.config_path), database_url=self.database_url)

    def deliver(
        self, source: str, name: str, content: bytes, *, ago: timedelta = timedelta(minutes=10)
    ) -> None:
        """Make ``/<source>/<name>`` visible on the sandbox SFTP server, landed ``ago`` before now
        (past kemendagri's upload window, so under its final name)."""
        self._deliveries += 1
        relative = f"sftp/files/{source}/test{self._deliveries:04d}__{name}"
        (self.data_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (self.data_dir / relative).write_bytes(content)
        row = {
            "source": source,
            "name": name,
            "available_at": (self.sandbox.clock.now() - ago).isoformat(),
            "content": relative,
            "sha256": "0" * 64,
            "replaces": None,
        }
        with (self.data_dir / "sftp" / "deliveries.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")


@pytest.fixture(scope="session")
def daemon_sandbox_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("daemon-sandbox-data")
    generate_sandbox(seed=SEED, scale="small", out=out)
    return out


@pytest.fixture(scope="module")
def daemon_sandbox(daemon_sandbox_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox over a copy of the data (tests add deliveries), the clock frozen at the start."""
    data = tmp_path_factory.mktemp("daemon-data") / "data"
    shutil.copytree(daemon_sandbox_data, data)
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    with Sandbox(data, state_dir=tmp_path_factory.mktemp("daemon-sandbox-state")) as sandbox:
        sandbox.clock.set(datetime.fromisoformat(manifest["clock"]["start"]), frozen=True)
        yield sandbox


@pytest.fixture
def product_database_url(tmp_path: Path) -> Iterator[str]:
    """One migrated product database: PostgreSQL when SBT_TEST_DATABASE_URL is set, else SQLite."""
    base = postgres_base_url()
    if base is None:
        url = f"sqlite:///{tmp_path / 'sbt.db'}"
        _migrate(url)
        yield url
        return
    with temporary_postgres_database(base, "daemon") as made:
        url = made.render_as_string(hide_password=False)
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    database = Database(url)
    migrate.upgrade(database)
    database.dispose()


@pytest.fixture
def daemon_project(
    daemon_sandbox: Sandbox, product_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> DaemonProject:
    base: dict[str, Any] = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config = sandbox_config(base, daemon_sandbox.endpoints)
    config["database"] = {"url": product_database_url}
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = sandbox_secrets(config, daemon_sandbox.credentials, daemon_sandbox.endpoints)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    daemon_sandbox.faults.reset()
    return DaemonProject(daemon_sandbox, daemon_sandbox.data_dir, path, env, product_database_url)


@dataclass(frozen=True)
class Tick:
    run_keys: list[str]
    skip_reason: str | None
    cursor: str | None


def tick(definitions: dg.Definitions, sensor_name: str, cursor: str | None = None) -> Tick:
    """One evaluation of ``sensor_name`` with its resources, as the daemon would run it."""
    sensor = definitions.get_repository_def().get_sensor_def(sensor_name)
    with (
        dg.DagsterInstance.ephemeral() as instance,
        dg.build_sensor_context(
            instance=instance, cursor=cursor, definitions=definitions, resources=definitions.resources
        ) as context,
    ):
        data = sensor.evaluate_tick(context)
    return Tick([str(request.run_key) for request in data.run_requests or []], data.skip_message, data.cursor)


def run_sensor_target(definitions: dg.Definitions, sensor_name: str) -> dg.ExecuteInProcessResult:
    """The run the daemon would launch for a request of ``sensor_name``, executed in this process."""
    job_name = definitions.get_repository_def().get_sensor_def(sensor_name).job_name
    assert job_name is not None
    return run_job(definitions, job_name)


def run_job(definitions: dg.Definitions, job_name: str) -> dg.ExecuteInProcessResult:
    job = definitions.get_repository_def().get_job(job_name)
    return job.execute_in_process(raise_on_error=False, tags=dict(DB_WRITE_TAGS))
