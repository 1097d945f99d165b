"""One agency's API down for good (500 on every request) fails its pull in the full cycle, and Dagster
skips everything downstream of the golden cases for every agency: the deadlines' steps, the
registry-driven unblocks, letters and the push. The ``downstream_after_failed_ingest`` sensor then
requests the reconcile-enforce-push job once for that run, so the rest of the country goes on."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.keys import BLOCK_STATE, DB_WRITE_TAGS, GOLDEN_CASES, SIASN_FLAGS, STEWARD_RERUN_JOB
from assets.sensors_steward import failed_ingest_steps
from tests.daemon.conftest import DaemonProject

pytestmark = pytest.mark.integration


def test_only_a_full_cycle_failed_by_its_pulls_alone_is_followed() -> None:
    assert failed_ingest_steps("full_cycle", {"ingest_bawaslu"}) == "ingest_bawaslu"
    assert (
        failed_ingest_steps("full_cycle", {"ingest_bawaslu", "ingest_idis"}) == "ingest_bawaslu, ingest_idis"
    )
    # A broken reconciliation (or anything past the pulls) is not retried by this: no loop.
    assert failed_ingest_steps("full_cycle", {"ingest_bawaslu", "golden__cases"}) is None
    assert failed_ingest_steps("steward_rerun", {"ingest_bawaslu"}) is None
    assert failed_ingest_steps("full_cycle", set()) is None


def test_a_source_down_does_not_stop_the_cycle_for_the_others(daemon_project: DaemonProject) -> None:
    daemon_project.sandbox.faults.set("bawaslu", error_5xx_rate=1.0)
    definitions = daemon_project.definitions()
    repository = definitions.get_repository_def()
    with dg.DagsterInstance.ephemeral() as instance:
        cycle = repository.get_job("full_cycle").execute_in_process(
            instance=instance, raise_on_error=False, tags=dict(DB_WRITE_TAGS)
        )
        assert [e.step_key for e in cycle.get_step_failure_events()] == ["ingest_bawaslu"]
        assert GOLDEN_CASES not in {e.asset_key for e in cycle.get_asset_materialization_events()}

        run = instance.get_run_by_id(cycle.run_id)
        assert run is not None
        [failure] = instance.all_logs(cycle.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        [sensor] = [s for s in definitions.sensors or [] if s.name == "downstream_after_failed_ingest"]
        with dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=failure.get_dagster_event(),
            dagster_instance=instance,
            dagster_run=run,
        ) as context:
            request = sensor(context.for_run_failure())
        assert isinstance(request, dg.RunRequest), request
        assert request.run_key == f"after-failed-ingest:{cycle.run_id}"

        rerun = repository.get_job(STEWARD_RERUN_JOB).execute_in_process(
            instance=instance, raise_on_error=False, tags=dict(DB_WRITE_TAGS)
        )
        made = {e.asset_key for e in rerun.get_asset_materialization_events()}
        assert rerun.success, [e.step_key for e in rerun.get_step_failure_events()]
        assert {GOLDEN_CASES, BLOCK_STATE, SIASN_FLAGS} <= made
