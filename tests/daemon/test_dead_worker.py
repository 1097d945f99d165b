"""The machine restarts (every Dagster process killed) while a run executes, under the committed instance
settings, run monitoring's two-hour limit included: the run whose worker died is failed within minutes
of the daemon coming back (``dead_run_workers``), so the next run starts at once instead of after two
hours. On SQLite storage (dagster.yaml) and on PostgreSQL storage (deploy/dagster.postgres.yaml)."""

from __future__ import annotations

import csv
import gzip
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml

from assets.sensors_runs import worker_pid
from sbt_sync.db.engine import Database
from tests.conftest import REPO_ROOT
from tests.daemon.conftest import DaemonProject
from tests.daemon.test_restart import _start, _stop
from tests.push.helpers import assert_siasn_matches, queue_blocks
from tests.support.databases import postgres_base_url, temporary_postgres_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BACK_WITHIN = 180
"""Seconds after the daemon is back by which the dead run has failed and a new run succeeded (the
sensor ticks every minute; run monitoring alone would wait 7200 s)."""


@pytest.fixture(params=["dagster.yaml", "deploy/dagster.postgres.yaml"])
def dagster_home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A DAGSTER_HOME with a committed instance file, unchanged, and the variables it reads."""
    home = tmp_path / "home"
    home.mkdir()
    source: str = request.param
    (home / "dagster.yaml").write_text((REPO_ROOT / source).read_text(encoding="utf-8"), encoding="utf-8")
    if "postgres" not in source:
        yield home, {"DAGSTER_HOME": str(home)}
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip("SBT_TEST_DATABASE_URL is not set (CI always sets it)")
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


def test_a_run_whose_worker_died_with_the_machine_is_failed_within_minutes_and_the_next_run_starts(
    daemon_project: DaemonProject,
    dagster_home: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, dagster_env = dagster_home
    monkeypatch.chdir(home)  # dagster.yaml's base_dir is relative to the working directory
    settings = yaml.safe_load((home / "dagster.yaml").read_text(encoding="utf-8"))
    assert settings["run_monitoring"]["max_runtime_seconds"] == 7200  # the committed limit, not shortened
    for name, value in dagster_env.items():
        monkeypatch.setenv(name, value)
    daemon_project.only("kemendagri")
    # A block waits to go to SIASN (due_pushes starts a push_retry run for it), and SIASN answers
    # slowly: the run is caught mid-push. No source delivers anything, so no other run starts.
    database = Database(daemon_project.database_url)
    queue_blocks(database, [_registered_nip(daemon_project)])
    daemon_project.sandbox.faults.set("siasn", latency_ms=20_000)
    env = {
        **os.environ,
        **daemon_project.env,
        **dagster_env,
        "SBT_CONFIG": str(daemon_project.config_path),
        "SBT_DATABASE_URL": daemon_project.database_url,
    }
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs()  # make the storage before the daemon's processes race to
        daemon = _start(home, env, home / "daemon.log")
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                started = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
                if started and _worker_known(instance, started[0].run_id):
                    time.sleep(1)
                    break
                time.sleep(0.2)
            else:
                seen = [(r.run_id[:8], r.status.value) for r in instance.get_runs()]
                pytest.fail(f"no run seen running with its worker's pid: {seen}")
        finally:
            _stop(daemon, signal.SIGKILL)  # the machine goes down: daemon, code server, run worker
        first = started[0]
        dead = instance.get_run_by_id(first.run_id)
        assert dead is not None and dead.status == dg.DagsterRunStatus.STARTED  # as a restart leaves it

        daemon_project.sandbox.faults.reset()
        back = time.monotonic()
        daemon = _start(home, env, home / "daemon.log")  # the machine is back
        try:
            while time.monotonic() < back + BACK_WITHIN:
                ended = instance.get_runs()
                if any(r.status == dg.DagsterRunStatus.SUCCESS for r in ended) and all(
                    r.is_finished for r in ended
                ):
                    break
                time.sleep(3)
        finally:
            _stop(daemon, signal.SIGTERM)
        runs = instance.get_runs()
        statuses = [(r.run_id[:8], r.status.value) for r in runs]
        killed = instance.get_run_by_id(first.run_id)
        assert killed is not None and killed.status == dg.DagsterRunStatus.FAILURE, statuses
        # The hourly full_cycle schedule fires if the test spans the top of an hour (a CI run met it at
        # 07:00): its run works on this test's bare outbox, not on the dead run, so it is left out.
        later = [
            r.status.value for r in runs if r.run_id != first.run_id and "dagster/schedule_name" not in r.tags
        ]
        assert later and set(later) == {"SUCCESS"}, statuses  # the retry of the dead run, at least
        failure = instance.get_records_for_run(first.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        event = failure[0].event_log_entry.dagster_event if failure else None
        assert event is not None and "worker" in (event.message or "")
    # A later run took over the block the dead worker had in flight: SIASN has it, applied once.
    assert_siasn_matches(database, daemon_project.sandbox)


def _registered_nip(project: DaemonProject) -> str:
    """A NIP SIASN's registry knows, so that SIASN applies its block."""
    with gzip.open(project.data_dir / "registry.csv.gz", "rt", encoding="utf-8") as handle:
        return str(next(csv.DictReader(handle))["nipBaru"])


def _worker_known(instance: dg.DagsterInstance, run_id: str) -> bool:
    return worker_pid(instance, run_id) is not None
