"""The run sensor ``dead_run_workers``: fails a run whose worker died without saying so.

A machine that restarts (power loss, reboot, every Dagster process killed) takes the run worker with it,
and the run stays STARTED: the default run launcher cannot check a worker's health
(``supports_check_run_worker_health`` is False in Dagster 1.13), so run monitoring would end it only
after ``max_runtime_seconds`` (two hours), and since writing runs are serialised (``dagster.yaml``'s
write queue) no cycle could start until then.

The default launcher starts a run's worker from this code location's server, on this host, and the
worker writes its process id in the run's event log ("Started process for run (pid: N)"). This sensor,
evaluated by that server, reads it for every STARTED run of the location's jobs and fails the run when
that process is gone (:func:`sbt_sync.runs.worker_gone`: no such process, a zombie, or a process of that
id started after the worker wrote its id). Dagster then frees the write queue's slot, ``run_retries``
re-runs it (every step is idempotent) and ``run_failed`` records the end in the run ledger. A run
without that event, or under another launcher (Kubernetes, Celery: their own monitoring checks their
workers), is left to run monitoring.
"""

from __future__ import annotations

import dagster as dg

from sbt_sync import runs

DEAD_WORKER_SENSOR = "dead_run_workers"
DEAD_WORKER_SENSOR_SECONDS = 60
"""How often STARTED runs are checked: a dead worker's run fails within about this long of the daemon
coming back."""
_LAUNCHED_WORKER = "Started process for run"


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """The run worker's process id and when it reported it (epoch seconds), from the engine event a
    launched worker writes first ("Started process for run (pid: N)."); None when the run has none: it
    was not launched (``execute_in_process``, ``dagster job execute``: the caller's process, perhaps on
    another host) or the worker died before it wrote it. Both are left to run monitoring."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=20)
    for record in records.records:
        event = record.event_log_entry.dagster_event
        if event is None or not (event.message or "").startswith(_LAUNCHED_WORKER):
            continue
        data = event.engine_event_data
        text = getattr(data.metadata.get("pid") if data is not None else None, "value", None)
        if isinstance(text, str) and text.isdigit():
            return int(text), record.event_log_entry.timestamp
    return None


def fail_dead_runs(instance: dg.DagsterInstance, jobs: set[str]) -> list[str]:
    """Fail every STARTED run of ``jobs`` whose worker process is gone; returns their ids."""
    if not isinstance(instance.run_launcher, dg.DefaultRunLauncher):
        return []
    failed: list[str] = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        run = record.dagster_run
        if run.job_name not in jobs:
            continue
        worker = worker_pid(instance, run.run_id)
        if worker is None or not runs.worker_gone(worker[0], started_by=worker[1]):
            continue
        instance.report_run_failed(
            run,
            f"The run worker (process {worker[0]}) is gone: the machine restarted or the process was "
            "killed. The run is marked failed so later runs can start; run retries re-run it.",
        )
        failed.append(run.run_id)
    return failed


def dead_run_worker_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name=DEAD_WORKER_SENSOR,
        description="Fails a run whose worker process died with the machine, so the next cycle starts "
        "within minutes instead of after run monitoring's two hours.",
        minimum_interval_seconds=DEAD_WORKER_SENSOR_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def dead_run_workers(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        jobs = (
            {job.name for job in context.repository_def.get_all_jobs()} if context.repository_def else set()
        )
        failed = fail_dead_runs(context.instance, jobs)
        if not failed:
            return dg.SkipReason("no started run has lost its worker")
        context.log.warning("failed %d run(s) whose worker is gone: %s", len(failed), ", ".join(failed))
        return dg.SkipReason(f"failed {len(failed)} run(s) whose worker is gone: {', '.join(failed)}")

    return dead_run_workers
