"""The machine restarts (every Dagster process killed) while a run executes, under the committed
dagster.yaml. Without run monitoring the dead run stayed STARTED for ever and held the write queue's
one slot: no later run ever started. DESIGN.md: "A crash at any point leaves a state the next run
completes". The default run launcher cannot see a dead worker, so run monitoring ends a run past its
maximum runtime; the test shortens that limit in its copy of dagster.yaml to see it happen."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.daemon.conftest import KEMENDAGRI_ROW, DaemonProject, kemendagri_csv
from tests.support import processes

pytestmark = pytest.mark.integration

SENSOR = "kemendagri_new_files"


def _start(home: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-m", "sbt_sync.definitions"],
        cwd=home,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(daemon: subprocess.Popen, sig: int) -> None:
    below = [p.pid for p in processes.descendants(daemon.pid)]
    for pid in [daemon.pid, *below]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    daemon.wait(timeout=30)
    processes.stop(below)


@pytest.mark.parametrize("dagster_yaml", ["dagster.yaml"])
def test_a_run_caught_by_a_machine_restart_does_not_stop_every_later_run(
    daemon_project: DaemonProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dagster_yaml: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)  # dagster.yaml's base_dir is relative to the working directory
    instance_yaml = yaml.safe_load((REPO_ROOT / dagster_yaml).read_text(encoding="utf-8"))
    # The committed limit (two hours) is what production waits; here the first run is long dead when
    # the daemon comes back, so a short limit shows the same path.
    instance_yaml["run_monitoring"] |= {"max_runtime_seconds": 20, "poll_interval_seconds": 5}
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml), encoding="utf-8")
    daemon_project.only("kemendagri")
    daemon_project.sandbox.faults.set("siasn", latency_ms=3000)  # the run is caught mid-way
    daemon_project.deliver("kemendagri", "tindak_lanjut_20250301.csv", kemendagri_csv(KEMENDAGRI_ROW))
    env = {
        **os.environ,
        **daemon_project.env,
        "DAGSTER_HOME": str(home),
        "SBT_CONFIG": str(daemon_project.config_path),
        "SBT_DATABASE_URL": daemon_project.database_url,
    }
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs()  # make the storage before the daemon's processes race to
        daemon = _start(home, env, home / "daemon.log")
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                runs = instance.get_runs()
                if runs and runs[0].status == dg.DagsterRunStatus.STARTED:
                    time.sleep(1)
                    break
                time.sleep(0.2)
            else:
                pytest.fail("no run started")
        finally:
            _stop(daemon, signal.SIGKILL)  # the machine goes down: daemon, code server, run worker
        first = instance.get_runs()[0]
        daemon_project.sandbox.faults.reset()
        daemon_project.deliver("kemendagri", "tindak_lanjut_20250302.csv", kemendagri_csv(KEMENDAGRI_ROW))
        daemon = _start(home, env, home / "daemon.log")  # the machine is back
        try:
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline:
                runs = instance.get_runs()
                if len(runs) >= 2 and all(r.is_finished for r in runs):
                    break
                time.sleep(3)
        finally:
            _stop(daemon, signal.SIGTERM)
        ended = [(r.run_id[:8], r.status.value) for r in instance.get_runs()]
        killed = instance.get_run_by_id(first.run_id)
        assert killed is not None and killed.status != dg.DagsterRunStatus.STARTED, ended
        assert any(status == "SUCCESS" for _, status in ended), ended


@pytest.mark.parametrize("dagster_yaml", ["dagster.yaml", "deploy/dagster.postgres.yaml"])
def test_both_instance_files_monitor_runs_and_retry_them(dagster_yaml: str) -> None:
    settings = yaml.safe_load((REPO_ROOT / dagster_yaml).read_text(encoding="utf-8"))
    assert settings["run_monitoring"]["enabled"] is True
    assert 0 < settings["run_monitoring"]["max_runtime_seconds"] <= 4 * 3600
    assert settings["run_retries"]["enabled"] is True
