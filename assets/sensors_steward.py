"""Steward and push sensors: runs for what people decided and for pushes whose backoff has passed.

``steward_decisions`` re-runs reconciliation and everything after it once a steward decides a
conflict, corrects a link (or undoes a correction), enters a sanction revision or approves a guarded
push. ``due_pushes`` drains the SIASN outbox when a pending row's next attempt is due. Both read what
waits through :mod:`sbt_sync.pending`; their run keys change only when the waiting work does.
"""

from collections.abc import Callable, Collection
from datetime import datetime

import dagster as dg

from assets.keys import DB_WRITE_TAGS, FULL_CYCLE_JOB
from assets.schedule import AssetJob
from assets.sensors_sources import SOURCE_SENSOR_SECONDS
from sbt_sync import pending
from sbt_sync.resources import DatabaseResource

DATABASE_SENSOR_SECONDS = 30
"""How often the steward sensor reads the product database for unapplied decisions."""


def steward_run_key(
    decision_id: int | None,
    approval_id: int | None,
    correction_id: int | None = None,
    sanction_id: int | None = None,
) -> str | None:
    """The run key for unapplied decisions, released approvals, unapplied link corrections (or their
    undoing) and sanction versions a steward entered, or None when there is none of them."""
    if decision_id is None and approval_id is None and correction_id is None and sanction_id is None:
        return None
    key = f"steward:decision-{decision_id or 0}:approval-{approval_id or 0}"
    key = key if correction_id is None else f"{key}:correction-{correction_id}"
    return key if sanction_id is None else f"{key}:sanction-{sanction_id}"


def push_run_key(due: pending.DuePushes) -> str | None:
    """The run key for due pushes, or None when none is due. A row rescheduled after a failed attempt
    gets a later due time, hence a new key."""
    if not due.count or due.latest_due is None:
        return None
    return f"push:{due.newest}:{due.count}:{due.latest_due.isoformat()}"


def steward_sensor(job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="steward_decisions",
        description="Re-runs reconciliation and what follows once a steward decides a conflict, "
        "corrects a link (or undoes a correction), enters a sanction revision or approves a guarded "
        "push.",
        job_name=job_name,
        minimum_interval_seconds=DATABASE_SENSOR_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def steward_decisions(db: DatabaseResource) -> dg.RunRequest | dg.SkipReason:
        with db.session() as session:
            work = pending.steward_work(session)
        key = steward_run_key(work.decision, work.approval, work.correction, work.sanction)
        if key is None:
            return dg.SkipReason(
                "no unapplied steward decision, link correction or sanction revision and no approved "
                "push waiting"
            )
        return dg.RunRequest(run_key=key, tags=DB_WRITE_TAGS)

    return steward_decisions


def push_retry_sensor(job_name: str, now: Callable[[], datetime]) -> dg.SensorDefinition:
    @dg.sensor(
        name="due_pushes",
        description="Retries SIASN pushes whose backoff has passed (outbox rows pending and due).",
        job_name=job_name,
        minimum_interval_seconds=SOURCE_SENSOR_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def due_pushes(db: DatabaseResource) -> dg.RunRequest | dg.SkipReason:
        with db.session() as session:
            due = pending.due_pushes(session, now())
        key = push_run_key(due)
        if key is None:
            return dg.SkipReason("no pending push is due")
        return dg.RunRequest(run_key=key, tags=DB_WRITE_TAGS)

    return due_pushes


def failed_ingest_steps(job_name: str, failed_steps: Collection[str]) -> str | None:
    """Why a failed run should be followed by the downstream job, or None when it should not: only a
    full cycle whose failed steps are all source pulls (``ingest_<source>``: a source that is down, or
    whose blocking check failed) skipped a reconciliation and enforcement the rest still needs."""
    if job_name != FULL_CYCLE_JOB or not failed_steps:
        return None
    if not all(step.startswith("ingest_") for step in failed_steps):
        return None
    return ", ".join(sorted(failed_steps))


def downstream_after_failed_ingest_sensor(rerun_job: AssetJob) -> dg.SensorDefinition:
    """When one agency's source fails a full cycle, everything downstream of the golden cases (the
    deadlines' steps, registry-driven unblocks, letters, the push) was skipped for every agency: this
    requests the reconcile-enforce-push job once for that run. A source whose blocking check failed
    stays out of it (``source_holds``); a failure anywhere else (reconciliation itself) requests nothing,
    so a broken step never loops."""

    @dg.run_failure_sensor(
        name="downstream_after_failed_ingest",
        description="After a full cycle in which only source pulls failed, reconciles, enforces, "
        "letters and pushes for everyone else.",
        request_job=rerun_job,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def downstream_after_failed_ingest(
        context: dg.RunFailureSensorContext,
    ) -> dg.RunRequest | dg.SkipReason:
        run = context.dagster_run
        failed = {event.step_key for event in context.get_step_failure_events() if event.step_key}
        why = failed_ingest_steps(run.job_name, failed)
        if why is None:
            return dg.SkipReason(
                f"run {run.run_id[:8]} of {run.job_name}: not a full cycle failed by its pulls"
            )
        context.log.info("full cycle %s failed in %s: running what follows for the rest", run.run_id[:8], why)
        return dg.RunRequest(run_key=f"after-failed-ingest:{run.run_id}", tags=DB_WRITE_TAGS)

    return downstream_after_failed_ingest
