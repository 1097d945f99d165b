"""The Dagster daemon itself, on PostgreSQL storage (deploy/dagster.postgres.yaml), against the sandbox:
a new kemendagri file is processed by exactly one run of its sensor, even as the sensor ticks again, and
the daemon's freshness daemon evaluates the source's freshness policy once the run has landed it."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select

from assets.keys import raw_key
from sbt_sync.db.engine import Database
from sbt_sync.db.models import SftpFile, SyncRun
from tests.conftest import REPO_ROOT
from tests.daemon.conftest import KEMENDAGRI_ROW, DaemonProject, kemendagri_csv
from tests.support import processes
from tests.support.databases import postgres_base_url, temporary_postgres_database

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        postgres_base_url() is None, reason="SBT_TEST_DATABASE_URL is not set (CI always sets it)"
    ),
]

SENSOR = "kemendagri_new_files"
SOURCE = raw_key("kemendagri")
DEADLINE_SECONDS = 170
FILE = "tindak_lanjut_20250302.csv"


@pytest.fixture
def dagster_home(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A DAGSTER_HOME with the production dagster.yaml and the PostgreSQL variables it reads."""
    base = postgres_base_url()
    assert base is not None
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
    with temporary_postgres_database(base, "dagster") as url:
        yield (
            home,
            {
                "DAGSTER_HOME": str(home),
                "SBT_DAGSTER_PG_HOST": url.host or "127.0.0.1",
                "SBT_DAGSTER_PG_PORT": str(url.port or 5432),
                "SBT_DAGSTER_PG_DB": url.database or "",
                "SBT_DAGSTER_PG_USER": url.username or "postgres",
                "SBT_DAGSTER_PG_PASSWORD": url.password or "",
            },
        )


def _tail(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-3000:]


def _sensor_ticks(instance: dg.DagsterInstance) -> int:
    states = [s for s in instance.all_instigator_state() if s.instigator_name == SENSOR]
    return sum(len(instance.get_ticks(s.instigator_origin_id, s.selector_id)) for s in states)


def _freshness(instance: dg.DagsterInstance, key: dg.AssetKey) -> str | None:
    """The freshness state the daemon last recorded for ``key`` (PASS, WARN, FAIL ...), if any."""
    record = instance.get_freshness_state_records([key]).get(key)
    return None if record is None else record.freshness_state.value


def _ledger_status(database_url: str, run_id: str) -> str | None:
    """The run's status in the run ledger, which the daemon's ``run_ended`` sensor completes."""
    database = Database(database_url)
    try:
        with database.session() as session:
            return session.scalar(select(SyncRun.status).where(SyncRun.run_id == run_id))
    finally:
        database.dispose()


def test_daemon_processes_a_new_kemendagri_file_exactly_once(
    daemon_project: DaemonProject, dagster_home: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, dagster_env = dagster_home
    daemon_project.only("kemendagri")
    daemon_project.deliver("kemendagri", FILE, kemendagri_csv(KEMENDAGRI_ROW))
    env = {**os.environ, **daemon_project.env, **dagster_env, "SBT_CONFIG": str(daemon_project.config_path)}
    for name, value in dagster_env.items():
        monkeypatch.setenv(name, value)
    log = (home / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-m", "sbt_sync.definitions"],
        cwd=home,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            runs: list[dg.DagsterRun] = []
            deadline = time.monotonic() + DEADLINE_SECONDS
            # Done once the run succeeded, the sensor has ticked again after requesting it, the
            # freshness daemon (every 30 s) has evaluated the source the run materialized, and the
            # run-status sensor has recorded the run's end in the run ledger.
            ledger: list[str | None] = []
            while time.monotonic() < deadline:
                runs = list(instance.get_runs(filters=dg.RunsFilter(tags={"dagster/sensor_name": SENSOR})))
                finished = runs and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
                ledger = [_ledger_status(daemon_project.database_url, r.run_id) for r in runs]
                recorded = ledger == ["succeeded"] * len(runs)
                if (
                    finished
                    and recorded
                    and _sensor_ticks(instance) >= 2
                    and _freshness(instance, SOURCE) == "PASS"
                ):
                    break
                assert daemon.poll() is None, "dagster-daemon exited: " + _tail(home / "daemon.log")
                assert not any(r.status == dg.DagsterRunStatus.FAILURE for r in runs), "the run failed"
                time.sleep(3)
            ticks = _sensor_ticks(instance)
            freshness = _freshness(instance, SOURCE)
    finally:
        # The daemon's code server (``dagster api grpc``) and multiprocessing's resource tracker may
        # outlive the daemon's process group: list them while the daemon still holds them, stop both.
        below = [p.pid for p in processes.descendants(daemon.pid)]
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=30)
        processes.stop(below)
        log.close()
    assert ticks >= 2, (
        f"the sensor ticked {ticks} time(s) in {DEADLINE_SECONDS} s: {_tail(home / 'daemon.log')}"
    )
    assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS]
    assert ledger == ["succeeded"], f"run ledger {ledger}: {_tail(home / 'daemon.log')}"
    assert freshness == "PASS", f"raw/kemendagri freshness {freshness}: {_tail(home / 'daemon.log')}"
    assert runs[0].tags["sbt/db"] == "write"
    assert runs[0].tags["dagster/run_key"].startswith(f"kemendagri:/kemendagri/{FILE}:")
    database = Database(daemon_project.database_url)
    with database.session() as session:
        files = session.scalars(select(SftpFile).where(SftpFile.source == "kemendagri")).all()
    database.dispose()
    assert [(f.remote_path, f.status) for f in files] == [(f"/kemendagri/{FILE}", "processed")]
