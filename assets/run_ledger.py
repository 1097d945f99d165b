"""The run ledger's Dagster side (:mod:`sbt_sync.runs`): hooks that record each step of a writing job as it
ends, and sensors that record each run's end as Dagster reports it.

The hooks sit on every job that writes the product database (:func:`assets.schedule.write_job` and the
retention job), so a run has its ``sync_runs`` row from its first step, and a failed step marks it
failed at once, daemon or not. ``run_ended`` and ``run_failed`` (run-status sensors of this code
location, evaluated by ``dagster-daemon``) mark a run succeeded or failed when it ends; an in-process
run's caller does the same (:func:`sbt_sync.definitions.run_full_cycle`), and a run's first step settles
any earlier run the ledger still calls running that Dagster has ended (:func:`settle_ended_runs`: runs
no daemon watched). A hook or sensor that cannot write never fails the run: Dagster logs the hook's
error and the data stays as the run left it.
"""

import dagster as dg

from sbt_sync import runs
from sbt_sync.db.engine import Database
from sbt_sync.resources import DatabaseResource

RUN_ENDED_SENSOR = "run_ended"
RUN_FAILED_SENSOR = "run_failed"


def settle_ended_runs(database: Database, instance: dg.DagsterInstance, *, current: str) -> int:
    """Record the end of every run the ledger still calls running that Dagster has ended (no daemon
    watched it: ``dagster job execute``, or the sensors were stopped). Returns how many it settled."""
    settled = 0
    for run_id, job in runs.unfinished(database, other_than=current):
        run = instance.get_run_by_id(run_id)
        if run is None or not run.is_finished:
            continue
        succeeded = run.status == dg.DagsterRunStatus.SUCCESS
        error = None if succeeded else f"Dagster reports the run {run.status.value}"
        runs.record_end(database, run_id=run_id, job=job, succeeded=succeeded, error=error)
        settled += 1
    return settled


@dg.success_hook(name="ledger_step_succeeded", required_resource_keys={"db"})
def step_succeeded(context: dg.HookContext) -> None:
    db: DatabaseResource = context.resources.db
    made = runs.record_step(db.database, run_id=context.run_id, job=context.job_name, step=context.op.name)
    if made:  # a run's first step: settle what earlier runs left unfinished
        settle_ended_runs(db.database, context.instance, current=context.run_id)


@dg.failure_hook(name="ledger_step_failed", required_resource_keys={"db"})
def step_failed(context: dg.HookContext) -> None:
    db: DatabaseResource = context.resources.db
    runs.record_step(
        db.database,
        run_id=context.run_id,
        job=context.job_name,
        step=context.op.name,
        failed=True,
        error=context.op_exception,
    )


LEDGER_HOOKS = frozenset({step_succeeded, step_failed})


@dg.run_status_sensor(
    name=RUN_ENDED_SENSOR,
    run_status=dg.DagsterRunStatus.SUCCESS,
    description="Records in sync_runs that a run ended well.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_ended(context: dg.RunStatusSensorContext, db: DatabaseResource) -> None:
    run = context.dagster_run
    runs.record_end(db.database, run_id=run.run_id, job=run.job_name, succeeded=True)


@dg.run_failure_sensor(
    name=RUN_FAILED_SENSOR,
    description="Records in sync_runs that a run failed, and why.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failed(context: dg.RunFailureSensorContext, db: DatabaseResource) -> None:
    run = context.dagster_run
    message = context.failure_event.message if context.failure_event else None
    runs.record_end(db.database, run_id=run.run_id, job=run.job_name, succeeded=False, error=message)


LEDGER_SENSORS = [run_ended, run_failed]
