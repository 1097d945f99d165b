"""A running sandbox whose SFTP deliveries tests can add to, a project pointed at it, one real
database (``product_database_url``, from tests/conftest.py), and a helper that evaluates a sensor of the
project's definitions the way the daemon does."""

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import yaml
from sqlalchemy import func, select

from assets.automation import DB_WRITE_TAGS
from sbt_sync.db.engine import Database
from sbt_sync.db.models import CaseLink, StagedRecord
from sbt_sync.definitions import build_definitions
from sbt_sync.sandbox.runtime import Sandbox
from schemas.feeds import FEEDS
from tests.support.sandbox import GeneratedSandboxes, clock_at, make_project

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

    def only(self, *names: str) -> None:
        """Disable every source but ``names`` in sbt.yaml: the other sources' sensors do not exist and
        runs stay small (SIASN stays: a cycle still ends with the push)."""
        config = yaml.safe_load(self.config_path.read_text(encoding="utf-8"))
        for name, source in config["sources"].items():
            source["enabled"] = name in names
        self.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")

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
def daemon_sandbox_data(generated_sandboxes: GeneratedSandboxes) -> Path:
    return generated_sandboxes.small(SEED)


@pytest.fixture(scope="module")
def daemon_sandbox(daemon_sandbox_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox over a copy of the data (tests add deliveries), the clock frozen at the start."""
    data = shutil.copytree(daemon_sandbox_data, tmp_path_factory.mktemp("daemon-data") / "data")
    with Sandbox(data, state_dir=tmp_path_factory.mktemp("daemon-sandbox-state")) as sandbox:
        sandbox.clock.set(clock_at(data, "start"), frozen=True)
        yield sandbox


@pytest.fixture
def daemon_project(
    daemon_sandbox: Sandbox, product_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> DaemonProject:
    """``product_database_url`` (tests/conftest.py): one migrated database on the production backend.

    The sandbox lives as long as the module; SIASN's ledger starts empty for each test, whose database
    is new: the outbox's idempotency keys are random, so a write an earlier test made is not this
    test's to count (the exactly-once checks compare the ledger with this database's outbox)."""
    assert daemon_sandbox.ledger is not None
    daemon_sandbox.ledger.reset()
    project = make_project(
        daemon_sandbox,
        daemon_sandbox.data_dir,
        tmp_path,
        monkeypatch.setenv,
        database_url=product_database_url,
    )
    return DaemonProject(
        daemon_sandbox, project.data_dir, project.config_path, project.env, product_database_url
    )


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


def waiting_and_linked(database: Database, source: str) -> tuple[int, int]:
    """``source``'s staged rows waiting for reconciliation, and its rows linked into cases."""
    with database.session() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(StagedRecord)
            .where(StagedRecord.source == source, StagedRecord.needs_reconcile.is_(True))
        )
        linked = session.scalar(
            select(func.count())
            .select_from(CaseLink)
            .where(CaseLink.source == source, CaseLink.unlinked_at.is_(None))
        )
    return int(waiting or 0), int(linked or 0)
