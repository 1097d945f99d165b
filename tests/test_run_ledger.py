"""The run ledger (``sync_runs``), both backends: each step of a writing job is recorded as it ends by
the job's hooks, the run's end by the daemon's run-status sensors (or an in-process run's caller), a
failure with its reason but no NIP, and the data subject's processing trail names the job."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from assets.run_ledger import LEDGER_SENSORS, run_ended, run_failed
from sbt_sync import runs
from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, SyncRun
from sbt_sync.definitions import build_definitions
from sbt_sync.resources import DatabaseResource, SbtSettingsResource
from sbt_sync.states import IllegalTransition
from sbt_sync.states.runs import RunStatus, check_run_move
from tests.support.console_write import console_writes_meanwhile, recorded_reads

NIP = "199001012015011001"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _run(database: Database, run_id: str) -> SyncRun:
    with database.session() as session:
        row = session.scalars(select(SyncRun).where(SyncRun.run_id == run_id)).one()
        session.expunge(row)
        return row


def test_steps_then_the_end_make_one_row_and_repeating_them_changes_nothing(
    migrated_database: Database,
) -> None:
    for _ in range(2):  # a hook or a sensor that fires twice
        runs.record_step(migrated_database, run_id="r1", job="full_cycle", step="ingest_idis", now=T0)
        runs.record_step(migrated_database, run_id="r1", job="full_cycle", step="golden__cases", now=T0)
    assert _run(migrated_database, "r1").status == RunStatus.RUNNING
    for _ in range(2):
        runs.record_end(
            migrated_database, run_id="r1", job="full_cycle", succeeded=True, as_of=date(2025, 3, 1)
        )
    row = _run(migrated_database, "r1")
    assert (row.job, row.status, row.as_of, row.error) == ("full_cycle", "succeeded", date(2025, 3, 1), None)
    assert row.counts == {"steps": {"ingest_idis": "succeeded", "golden__cases": "succeeded"}}
    assert row.finished_at is not None
    with migrated_database.session() as session:
        assert session.query(SyncRun).count() == 1


def test_a_failed_step_fails_the_run_for_good_and_its_reason_keeps_no_nip(
    migrated_database: Database,
) -> None:
    error = ValueError(f"SIASN refused NIP {NIP}")
    runs.record_step(
        migrated_database, run_id="r2", job="idis_update", step="ingest_idis", failed=True, error=error
    )
    runs.record_step(migrated_database, run_id="r2", job="idis_update", step="golden__cases")
    # Dagster may still call the run a success (a tolerated step failure): the ledger keeps "failed".
    runs.record_end(migrated_database, run_id="r2", job="idis_update", succeeded=True)
    row = _run(migrated_database, "r2")
    assert row.status == "failed" and row.finished_at is not None
    assert row.error is not None and row.error.startswith("ValueError: SIASN refused NIP ")
    assert NIP not in row.error and NIP[-4:] in row.error
    # A run whose end says failed without a reason names its failed steps; an ended run stays ended.
    runs.record_step(migrated_database, run_id="r3", job="j", step="a", failed=True)
    runs.record_end(migrated_database, run_id="r3", job="j", succeeded=False)
    assert _run(migrated_database, "r3").error == "failed steps: a"
    with pytest.raises(IllegalTransition):
        check_run_move(RunStatus.SUCCEEDED, RunStatus.FAILED)


def test_a_job_records_its_steps_and_the_sensors_record_its_end(
    project_dir: Path, migrated_database: Database
) -> None:
    definitions = build_definitions(
        config_path=str(project_dir / "sbt.yaml"), database_url=migrated_database.url
    )
    assert {s.name for s in definitions.sensors or []} >= {s.name for s in LEDGER_SENSORS}
    settings = SbtSettingsResource(config_path=str(project_dir / "sbt.yaml"))
    db = DatabaseResource(settings=settings, url=migrated_database.url)
    with dg.DagsterInstance.ephemeral() as instance:
        result = definitions.resolve_job_def("retention_purge").execute_in_process(instance=instance)
        assert result.success
        row = _run(migrated_database, result.run_id)
        assert (row.job, row.status) == ("retention_purge", "running")
        assert row.counts == {"steps": {"retention_purge_op": "succeeded"}}

        run = instance.get_run_by_id(result.run_id)
        assert run is not None
        [success] = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS)
        with dg.build_run_status_sensor_context(
            sensor_name=run_ended.name,
            dagster_event=success.get_dagster_event(),
            dagster_instance=instance,
            dagster_run=run,
            resources={"db": db},
        ) as context:
            run_ended(context)
        assert _run(migrated_database, result.run_id).status == "succeeded"


def test_a_failing_step_is_recorded_failed_by_its_hook_and_the_failure_sensor(
    project_dir: Path, migrated_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The purge breaks (a bug naming a NIP); the hook marks the run failed at once, with the reason
    masked, and the failure sensor agrees."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"purge broke on {NIP}")

    monkeypatch.setattr("assets.pdp.purge", broken)
    with migrated_database.session() as session:
        session.add(QuarantinedRow(source="kasn", check="row_shape", reason="x", status="ignored"))
    definitions = build_definitions(
        config_path=str(project_dir / "sbt.yaml"), database_url=migrated_database.url
    )
    settings = SbtSettingsResource(config_path=str(project_dir / "sbt.yaml"))
    db = DatabaseResource(settings=settings, url=migrated_database.url)
    with dg.DagsterInstance.ephemeral() as instance:
        result = definitions.resolve_job_def("retention_purge").execute_in_process(
            instance=instance, raise_on_error=False
        )
        assert not result.success
        row = _run(migrated_database, result.run_id)
        assert row.status == "failed" and row.error is not None
        assert row.error.startswith("RuntimeError: purge broke on ") and NIP not in row.error
        # The sensor records the failure by itself too (here as if the hook could not write).
        with migrated_database.session() as session:
            session.query(SyncRun).filter_by(run_id=result.run_id).delete()
        run = instance.get_run_by_id(result.run_id)
        assert run is not None
        [failure] = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        with dg.build_run_status_sensor_context(
            sensor_name=run_failed.name,
            dagster_event=failure.get_dagster_event(),
            dagster_instance=instance,
            dagster_run=run,
            resources={"db": db},
        ) as context:
            run_failed(context.for_run_failure())
        row = _run(migrated_database, result.run_id)
        assert (row.job, row.status) == ("retention_purge", "failed")
        assert row.error is not None and "retention_purge_op" in row.error


def test_a_runs_first_step_settles_earlier_runs_no_daemon_watched(
    project_dir: Path, migrated_database: Database
) -> None:
    """Without a daemon (``dagster job execute``) no sensor records a run's end: the next run's first
    step asks Dagster and records it."""
    definitions = build_definitions(
        config_path=str(project_dir / "sbt.yaml"), database_url=migrated_database.url
    )
    job = definitions.resolve_job_def("retention_purge")
    with dg.DagsterInstance.ephemeral() as instance:
        first = job.execute_in_process(instance=instance)
        assert _run(migrated_database, first.run_id).status == "running"
        second = job.execute_in_process(instance=instance)
        assert _run(migrated_database, first.run_id).status == "succeeded"
        assert _run(migrated_database, second.run_id).status == "running"
    # A run Dagster does not know (another instance) is left as the ledger has it.
    runs.record_step(migrated_database, run_id="elsewhere", job="full_cycle", step="golden__cases")
    with dg.DagsterInstance.ephemeral() as instance:
        third = job.execute_in_process(instance=instance)
    assert _run(migrated_database, "elsewhere").status == "running"
    assert _run(migrated_database, second.run_id).status == "running"  # not in this instance either
    assert _run(migrated_database, third.run_id).status == "running"


def test_the_cli_lists_the_latest_runs_with_their_failed_steps(
    project_dir: Path, migrated_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs.record_step(migrated_database, run_id="ok-1", job="full_cycle", step="golden__cases", now=T0)
    runs.record_end(migrated_database, run_id="ok-1", job="full_cycle", succeeded=True, now=T0)
    later = T0.replace(hour=9)
    error = RuntimeError(f"SIASN down for {NIP}")
    runs.record_step(
        migrated_database,
        run_id="bad-2",
        job="idis_update",
        step="ingest_idis",
        failed=True,
        error=error,
        now=later,
    )
    monkeypatch.setenv("SBT_DATABASE_URL", migrated_database.url)
    config = ["--config", str(project_dir / "sbt.yaml")]
    shown = CliRunner().invoke(app, [*config, "db", "runs"])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert "idis_update" in lines[0] and "failed" in lines[0] and "failed: ingest_idis" in lines[0]
    assert lines[1].strip().startswith("RuntimeError: SIASN down for ") and NIP not in shown.stdout
    assert "full_cycle" in lines[2] and "succeeded" in lines[2]
    listed = CliRunner().invoke(app, [*config, "db", "runs", "--json", "--limit", "1"])
    assert listed.exit_code == 0, listed.output
    [only] = json.loads(listed.stdout)["runs"]
    assert (only["run_id"], only["status"], only["steps"]) == ("bad-2", "failed", {"ingest_idis": "failed"})


def test_a_console_write_between_the_ledgers_read_and_write_waits_and_both_are_kept(
    migrated_database: Database,
) -> None:
    """The ledger's hooks read the run's row, then update it: on SQLite a console request committing in
    between made the hook's update fail ('database is locked', a stale snapshot). The hook takes the
    write lock first, so the request waits for it; both writes are kept, on both backends."""
    runs.record_step(migrated_database, run_id="r-console", job="full_cycle", step="raw", now=T0)
    with console_writes_meanwhile(migrated_database) as request:
        runs.record_step(migrated_database, run_id="r-console", job="full_cycle", step="golden", now=T0)
    assert request.recorded is not None and recorded_reads(migrated_database) == 1
    with console_writes_meanwhile(migrated_database) as request:
        runs.record_end(migrated_database, run_id="r-console", job="full_cycle", succeeded=True, now=T0)
    assert request.recorded is not None and recorded_reads(migrated_database) == 2
    row = _run(migrated_database, "r-console")
    assert row.status == RunStatus.SUCCEEDED
    assert (row.counts or {})["steps"] == {"raw": "succeeded", "golden": "succeeded"}
