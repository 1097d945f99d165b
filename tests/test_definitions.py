"""The Dagster composition root: it loads, validates, and runs on both instance variants."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import yaml
from sqlalchemy import create_engine, text

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions, defs, project_instance
from tests.conftest import REPO_ROOT
from tests.support.databases import postgres_base_url, temporary_postgres_database

# The asset graph, layer by layer. A change here is a change of the product's public surface.
EXPECTED_ASSET_KEYS = [
    "enforcement/block_state",
    "enforcement/letters",
    "golden/cases",
    "golden/imut_findings",
    *[f"raw/{s}" for s in ("bawaslu", "bkn_wasdal", "idis", "imut", "kasn", "kemendagri", "kemenpanrb")],
    "reference/asn_registry",
    "reports/database_status",
    "reports/recap",
    "sync/letters_mail",
    "sync/siasn_flags",
    "sync/siasn_readback",
    *[
        f"validated/{s}"
        for s in ("bawaslu", "bkn_wasdal", "idis", "imut", "kasn", "kemendagri", "kemenpanrb")
    ],
]


# The daemon's automation: the full-cycle and registry-refresh schedules, one sensor per source, the
# steward sensor, the push retry sensor, and the run ledger's run-status sensors. Freshness is a
# policy on the assets, evaluated by the daemon.
EXPECTED_SCHEDULES = ["full_cycle_schedule", "registry_refresh_schedule", "retention_purge_schedule"]
EXPECTED_SENSORS = [
    "bawaslu_changes",
    "bkn_wasdal_changes",
    "dead_run_workers",
    "downstream_after_failed_ingest",
    "due_pushes",
    "idis_changes",
    "imut_changes",
    "kasn_new_files",
    "kemendagri_new_files",
    "kemenpanrb_new_files",
    "run_ended",
    "run_failed",
    "steward_decisions",
]


def test_definitions_load_and_asset_keys_match_the_snapshot() -> None:
    definitions = defs()
    keys = sorted(key.to_user_string() for key in definitions.resolve_all_asset_keys())
    assert keys == EXPECTED_ASSET_KEYS
    assert definitions.resolve_job_def(FULL_CYCLE_JOB) is not None


def test_each_source_is_landed_and_validated_by_one_op_that_reports_both() -> None:
    """The graph says where validation happens: one op per source makes ``raw/<source>`` and
    ``validated/<source>`` (HTTP batches are validated in their landing transaction, SFTP files after
    landing), and the blocking quarantine check sits on ``validated/<source>``, in that op."""
    graph = defs().resolve_asset_graph()
    sources = [key.split("/")[1] for key in EXPECTED_ASSET_KEYS if key.startswith("raw/")]
    for name in sources:
        raw, validated = dg.AssetKey(["raw", name]), dg.AssetKey(["validated", name])
        node = graph.get(raw).assets_def
        assert graph.get(validated).assets_def is node, name
        assert node.node_def.name == f"ingest_{name}" and node.can_subset, name
        assert graph.get(validated).parent_keys == {raw}, name
        checks = {(key.asset_key, key.name) for key in node.check_keys}
        assert checks == {
            (raw, "cursor_never_moves_backwards"),
            (validated, "quarantine_ratio"),
            (validated, "schema_drift"),
        }, name
        [quarantine] = [spec for spec in node.check_specs if spec.name == "quarantine_ratio"]
        assert quarantine.blocking, name


def test_schedules_and_sensors_match_the_snapshot_and_runs_are_tagged_for_the_write_queue() -> None:
    definitions = defs()
    assert sorted(s.name for s in definitions.schedules or []) == EXPECTED_SCHEDULES
    assert sorted(s.name for s in definitions.sensors or []) == EXPECTED_SENSORS
    repository = definitions.get_repository_def()
    jobs = {job.name: job for job in repository.get_all_jobs() if job.name != "__ASSET_JOB"}
    assert sorted(jobs) == sorted(
        [FULL_CYCLE_JOB, "push_retry", "registry_refresh", "retention_purge", "steward_rerun"]
        + [
            f"{s}_update"
            for s in ("bawaslu", "bkn_wasdal", "idis", "imut", "kasn", "kemendagri", "kemenpanrb")
        ]
    )
    assert all(job.tags["sbt/db"] == "write" for job in jobs.values())


@pytest.mark.parametrize(
    ("start_running", "status"),
    [(True, dg.DefaultScheduleStatus.RUNNING), (False, dg.DefaultScheduleStatus.STOPPED)],
)
def test_schedules_start_running_unless_the_settings_say_otherwise(
    tmp_path: Path, start_running: bool, status: dg.DefaultScheduleStatus
) -> None:
    config = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config["schedule"]["start_running"] = start_running
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    definitions = build_definitions(config_path=str(path), database_url=f"sqlite:///{tmp_path / 'p.db'}")
    schedules = list(definitions.schedules or [])
    assert sorted(s.name for s in schedules) == EXPECTED_SCHEDULES
    assert {s.default_status for s in schedules} == {status}
    # Sensors are not schedules: they run either way.
    assert {s.default_status for s in definitions.sensors or []} == {dg.DefaultSensorStatus.RUNNING}


def test_freshness_policies_sit_on_the_sources_and_the_push_only() -> None:
    """raw/<source> warn after two cycles and fail after four; sync/siasn_flags fails after two (the
    committed sbt.yaml runs a cycle an hour). No hand-made freshness check is left."""
    graph = defs().resolve_asset_graph()
    policies = {
        key.to_user_string(): graph.get(key).freshness_policy
        for key in graph.get_all_asset_keys()
        if graph.get(key).freshness_policy is not None
    }
    source = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=4), warn_window=timedelta(hours=2))
    assert policies == {
        **{key: source for key in EXPECTED_ASSET_KEYS if key.startswith("raw/")},
        "sync/siasn_flags": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=2)),
    }
    checks = {key.name for key in defs().resolve_asset_graph().asset_check_keys}
    assert not any("fresh" in name for name in checks)


def test_dagster_definitions_validate_passes_in_the_project_environment() -> None:
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "sbt_sync.definitions"],
        cwd=REPO_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed validation" in result.stdout + result.stderr


def test_importing_the_composition_root_reads_no_settings_file(tmp_path: Path) -> None:
    """No sbt.yaml in the working directory and no SBT_CONFIG: the import succeeds, nothing is read."""
    env = {k: v for k, v in os.environ.items() if k != "SBT_CONFIG"}
    result = subprocess.run(
        [sys.executable, "-c", "import sbt_sync.definitions as d; print(type(d.defs).__name__)"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "LazyDefinitions"
    assert list(tmp_path.iterdir()) == []  # and wrote nothing either


def test_dg_check_defs_passes(tmp_path: Path) -> None:
    """``dg check defs`` (pyproject's ``[tool.dg]``) loads the definitions the way Dagster's tools do."""
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"],
        cwd=REPO_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


STATUS = dg.AssetKey(["reports", "database_status"])


def test_the_products_log_records_reach_the_run_event_log(project_dir: Path) -> None:
    """dagster.yaml's ``python_logs``: a record of an ``sbt_sync.*`` logger is in the run's event log."""

    @dg.asset
    def says_something() -> None:
        logging.getLogger("sbt_sync.push.pusher").info("parked 1 change (test record)")
        logging.getLogger("unrelated.library").info("not ours")

    with project_instance(project_dir) as instance:
        result = dg.materialize([says_something], instance=instance)
        messages = [e.user_message for e in instance.all_logs(result.run_id)]
    assert "parked 1 change (test record)" in messages
    assert "not ours" not in messages


def _status_job(definitions: dg.Definitions) -> dg.JobDefinition:
    """Only the database-status asset: these tests are about Dagster's storage, not the sources."""
    return definitions.resolve_implicit_global_asset_job_def().get_subset(asset_selection={STATUS})


def test_database_status_materializes_on_the_sqlite_instance_of_dagster_yaml(
    project_dir: Path, database_url: str
) -> None:
    database = Database(database_url)
    migrate.upgrade(database)
    definitions = build_definitions(config_path=str(project_dir / "sbt.yaml"), database_url=database_url)
    with project_instance(project_dir) as instance:
        result = _status_job(definitions).execute_in_process(instance=instance)
        assert result.success
        assert (
            instance.get_latest_materialization_event(dg.AssetKey(["reports", "database_status"])) is not None
        )
    # Dagster's own data went under the project folder, as dagster.yaml says.
    assert (project_dir / "var" / "dagster" / "history" / "runs.db").exists()
    database.dispose()


def test_asset_refuses_an_unmigrated_database(project_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    definitions = build_definitions(config_path=str(project_dir / "sbt.yaml"), database_url=url)
    result = _status_job(definitions).execute_in_process(raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0]
    assert "run `sbt-sync db upgrade`" in str(failure.event_specific_data)


@pytest.mark.integration
@pytest.mark.skipif(
    postgres_base_url() is None, reason="SBT_TEST_DATABASE_URL is not set (CI always sets it)"
)
def test_postgres_variant_of_dagster_yaml_materializes_an_asset(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = postgres_base_url()
    assert base is not None
    shutil.copy(REPO_ROOT / "deploy" / "dagster.postgres.yaml", project_dir / "dagster.yaml")
    with (
        temporary_postgres_database(base, "dagster") as dagster_url,
        temporary_postgres_database(base, "product") as product_url,
    ):
        monkeypatch.setenv("SBT_DAGSTER_PG_HOST", dagster_url.host or "127.0.0.1")
        monkeypatch.setenv("SBT_DAGSTER_PG_PORT", str(dagster_url.port or 5432))
        monkeypatch.setenv("SBT_DAGSTER_PG_DB", dagster_url.database or "")
        monkeypatch.setenv("SBT_DAGSTER_PG_USER", dagster_url.username or "postgres")
        monkeypatch.setenv("SBT_DAGSTER_PG_PASSWORD", dagster_url.password or "")
        product = product_url.render_as_string(hide_password=False)
        database = Database(product)
        migrate.upgrade(database)
        definitions = build_definitions(config_path=str(project_dir / "sbt.yaml"), database_url=product)
        with project_instance(project_dir) as instance:
            result = _status_job(definitions).execute_in_process(instance=instance)
            assert result.success
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        database.dispose()
        # The run and its events are stored in the PostgreSQL server, not in a local file.
        engine = create_engine(dagster_url)
        with engine.connect() as conn:
            runs = conn.execute(text("SELECT run_id, status FROM runs")).all()
            events = conn.execute(
                text("SELECT count(*) FROM event_logs WHERE run_id = :r"), {"r": result.run_id}
            ).scalar()
        engine.dispose()
        assert [(r.run_id, r.status) for r in runs] == [(result.run_id, "SUCCESS")]
        assert events and events > 0
