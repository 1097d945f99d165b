"""Automation: the full-cycle schedule, the sensors that react to sources, steward decisions and due
pushes, and the freshness checks that flag a source or the push falling behind.

Every run that writes the product database carries :data:`DB_WRITE_TAGS`; the run queue in
``dagster.yaml`` lets one such run execute at a time, so runs never overlap on the same tables. Sensors
decide what to request with small pure functions; a tick with nothing to do returns a ``SkipReason``
saying why, and a run started anyway (the schedule, a queued duplicate) finds nothing and ends quickly.
"""

import hashlib
import json
import warnings
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
from sqlalchemy import func, select

from connectors.sftp import RemoteFile
from sbt_sync.db.models import (
    LinkCorrection,
    OutboxEntry,
    PushApproval,
    SftpFile,
    SourceCursor,
    StewardDecision,
)
from sbt_sync.db.models.sanctions import STEWARD_SOURCE, SanctionVersion
from sbt_sync.doctor import probe_settings
from sbt_sync.errors import ConfigError
from sbt_sync.ingest import connections
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource
from sbt_sync.settings import Settings
from sbt_sync.settings_sources import HttpSource, SftpSource

DB_WRITE_TAGS = {"sbt/db": "write"}
"""Limited to one running run by dagster.yaml's ``tag_concurrency_limits``."""
SOURCE_SENSOR_SECONDS = 30
"""A change is noticed within this (plus a run of about 10-20 s): the freshness target is 60 s. Each tick
costs one small page per HTTP source and one directory listing per SFTP source."""
DATABASE_SENSOR_SECONDS = 30
GOLDEN_CASES = dg.AssetKey(["golden", "cases"])
SIASN_FLAGS = dg.AssetKey(["sync", "siasn_flags"])
SETTLED = ("processed", "refused")
RUNNING = dg.DefaultSensorStatus.RUNNING


@dataclass(frozen=True)
class Automation:
    schedules: list[dg.ScheduleDefinition]
    sensors: list[dg.SensorDefinition]
    asset_checks: list[dg.AssetChecksDefinition]
    jobs: list[Any]
    """The sensors' jobs (``dg.define_asset_job``'s unresolved job type is not public)."""
    runs_select: dg.AssetSelection
    """Every asset and check but the freshness checks: what the full cycle runs."""


def cycle_crons(minutes: int) -> list[str]:
    """Cron strings firing every ``minutes`` from midnight; ``ConfigError`` unless it divides a day."""
    if minutes <= 0 or 1440 % minutes:
        raise ConfigError(f"schedule.full_cycle_minutes: {minutes} does not divide a day (1440 minutes)")
    if minutes < 60 and 60 % minutes == 0:
        return ["* * * * *" if minutes == 1 else f"*/{minutes} * * * *"]
    if minutes % 60 == 0:
        hours = minutes // 60
        return ["0 * * * *" if hours == 1 else "0 0 * * *" if hours == 24 else f"0 */{hours} * * *"]
    # Neither divides an hour nor is whole hours (90, 160 ...): one cron per minute-of-hour.
    hours_by_minute: dict[int, list[int]] = {}
    for tick in range(0, 1440, minutes):
        hours_by_minute.setdefault(tick % 60, []).append(tick // 60)
    return [f"{m} {','.join(map(str, hours))} * * *" for m, hours in sorted(hours_by_minute.items())]


def freshness_bound(settings: Settings) -> timedelta:
    """How old a source's or the push's last run may be: two cycles, so one missed cycle is tolerated."""
    return timedelta(minutes=2 * settings.schedule.full_cycle_minutes)


def file_identity(source: str, file: RemoteFile) -> str:
    """A delivered file's identity: a new or corrected delivery under the same name gets a new one."""
    return f"{source}:{file.path}:{file.size}:{int(file.mtime.timestamp())}"


def plan_file_runs(
    source: str, listed: Sequence[RemoteFile], settled: Collection[str], requested: Collection[str]
) -> tuple[list[str], list[str]]:
    """The identities to request a run for, and the sensor's next cursor.

    ``settled`` are identities the manifest already processed or refused; ``requested`` is the last
    cursor (identities requested and not yet settled). The cursor keeps only listed, unsettled
    identities, so it stays as small as the directory and a settled file drops out of it.
    """
    identities = [file_identity(source, f) for f in listed]
    pending = [i for i in identities if i not in settled]
    return [i for i in pending if i not in requested], pending


def _settled_identities(db: DatabaseResource, source: str) -> set[str]:
    with db.session() as session:
        rows = session.execute(
            select(SftpFile.remote_path, SftpFile.size, SftpFile.mtime).where(
                SftpFile.source == source, SftpFile.status.in_(SETTLED)
            )
        ).tuples()
        return {f"{source}:{path}:{size}:{int(mtime.timestamp())}" for path, size, mtime in rows}


def _sftp_sensor(name: str, source: SftpSource, job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{name}_new_files",
        description=f"One run per new or changed file in {name}'s SFTP directory {source.directory}.",
        job_name=job_name,
        minimum_interval_seconds=SOURCE_SENSOR_SECONDS,
        default_status=RUNNING,
    )
    def new_files(
        context: dg.SensorEvaluationContext, db: DatabaseResource, connectors: ConnectorsResource
    ) -> dg.SensorResult:
        with connectors.sftp(name) as reader:
            listed = reader.list_files(source.directory, source.pattern)
        requested = set(json.loads(context.cursor)) if context.cursor else set()
        new, pending = plan_file_runs(name, listed, _settled_identities(db, name), requested)
        if not new:
            reason = f"{name}: {len(listed)} files listed, none new or changed ({len(pending)} in progress)"
            return dg.SensorResult(skip_reason=reason, cursor=json.dumps(pending))
        context.log.info("%s: %d new or changed files: %s", name, len(new), ", ".join(new))
        runs = [dg.RunRequest(run_key=identity, tags=DB_WRITE_TAGS) for identity in new]
        return dg.SensorResult(run_requests=runs, cursor=json.dumps(pending))

    return new_files


def http_changes(settings: Settings, name: str, cursor: str | None) -> str | None:
    """A fingerprint of what changed at source ``name`` since ``cursor`` (one one-record page), or None
    when nothing did. A source never pulled, or a pull that stopped mid-listing, always has changes."""
    if cursor is None or cursor.startswith("{"):
        return f"resume:{cursor}"
    client, paginator = connections.http_source(probe_settings(settings, name), name)
    try:
        first = next(iter(paginator.pages(cursor)), None)
    finally:
        client.close()
    if first is None or not first.items:
        return None
    return hashlib.sha256(json.dumps(first.items[0], sort_keys=True, default=str).encode()).hexdigest()[:16]


def _http_sensor(name: str, source: HttpSource, job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{name}_changes",
        description=f"A run when {name} has records changed since the stored cursor (one small page).",
        job_name=job_name,
        minimum_interval_seconds=SOURCE_SENSOR_SECONDS,
        default_status=RUNNING,
    )
    def changes(
        context: dg.SensorEvaluationContext, db: DatabaseResource, settings: SbtSettingsResource
    ) -> dg.RunRequest | dg.SkipReason:
        with db.session() as session:
            row = session.get(SourceCursor, name)
            cursor = row.cursor if row else None
        change = http_changes(settings.get(), name, cursor)
        if change is None:
            return dg.SkipReason(f"{name}: nothing changed since cursor {cursor}")
        # One run per (cursor, first changed record): ticks before the run lands ask for nothing more.
        key = f"{name}:{hashlib.sha256(str(cursor).encode()).hexdigest()[:16]}:{change}"
        context.log.info("%s: changes since cursor %s; requesting a run", name, cursor)
        return dg.RunRequest(run_key=key, tags=DB_WRITE_TAGS)

    return changes


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


def _steward_sensor(job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="steward_decisions",
        description="Re-runs reconciliation and what follows once a steward decides a conflict, "
        "corrects a link (or undoes a correction), enters a sanction revision or approves a guarded "
        "push.",
        job_name=job_name,
        minimum_interval_seconds=DATABASE_SENSOR_SECONDS,
        default_status=RUNNING,
    )
    def steward_decisions(db: DatabaseResource) -> dg.RunRequest | dg.SkipReason:
        with db.session() as session:
            decision = session.scalar(
                select(func.max(StewardDecision.id)).where(StewardDecision.applied_at.is_(None))
            )
            approval = session.scalar(
                select(func.max(PushApproval.id))
                .join(OutboxEntry, OutboxEntry.approval_id == PushApproval.id)
                .where(PushApproval.status == "approved", OutboxEntry.state == "pending")
            )
            correction = session.scalar(
                select(func.max(LinkCorrection.id)).where(
                    LinkCorrection.applied_at.is_(None), LinkCorrection.status != "reopened"
                )
            )
            sanction = session.scalar(
                select(func.max(SanctionVersion.id)).where(
                    SanctionVersion.source == STEWARD_SOURCE, SanctionVersion.applied_at.is_(None)
                )
            )
        key = steward_run_key(decision, approval, correction, sanction)
        if key is None:
            return dg.SkipReason(
                "no unapplied steward decision, link correction or sanction revision and no approved "
                "push waiting"
            )
        return dg.RunRequest(run_key=key, tags=DB_WRITE_TAGS)

    return steward_decisions


def _push_retry_sensor(job_name: str, now: Callable[[], datetime]) -> dg.SensorDefinition:
    @dg.sensor(
        name="due_pushes",
        description="Retries SIASN pushes whose backoff has passed (outbox rows pending and due).",
        job_name=job_name,
        minimum_interval_seconds=SOURCE_SENSOR_SECONDS,
        default_status=RUNNING,
    )
    def due_pushes(db: DatabaseResource) -> dg.RunRequest | dg.SkipReason:
        with db.session() as session:
            count, newest, latest = session.execute(
                select(func.count(), func.max(OutboxEntry.id), func.max(OutboxEntry.next_attempt_at)).where(
                    OutboxEntry.state == "pending", OutboxEntry.next_attempt_at <= now()
                )
            ).one()
        if not count:
            return dg.SkipReason("no pending push is due")
        # A row rescheduled after a failed attempt gets a later next_attempt_at, hence a new key.
        return dg.RunRequest(run_key=f"push:{newest}:{count}:{latest.isoformat()}", tags=DB_WRITE_TAGS)

    return due_pushes


def _freshness(
    keys: Iterable[dg.AssetKey], bound: timedelta, severity: dg.AssetCheckSeverity
) -> list[dg.AssetChecksDefinition]:
    # Dagster 1.12 marks freshness checks as superseded by FreshnessPolicy, which is still a preview
    # API evaluated only in the UI; checks give a recorded pass/fail per asset that can alert.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        built = dg.build_last_update_freshness_checks(
            assets=list(keys), lower_bound_delta=bound, severity=severity
        )
    return list(built)


def build_automation(
    settings: Settings,
    *,
    asset_keys: Collection[dg.AssetKey],
    full_cycle_job: str,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Automation:
    """The schedule, sensors and freshness checks for the asset graph made of ``asset_keys``.

    A sensor whose target is not in the graph (a disabled source, no push yet) is left out. Runs
    leave the freshness checks out (``Automation.runs_select``): their own sensor evaluates them.
    Raises ``ConfigError`` for a full-cycle interval that does not divide a day.
    """
    sources = {
        name: source
        for name, source in sorted(settings.sources.items())
        if {dg.AssetKey(["raw", name]), dg.AssetKey(["validated", name])} <= set(asset_keys)
    }
    bound = freshness_bound(settings)
    checks = _freshness([dg.AssetKey(["raw", name]) for name in sources], bound, dg.AssetCheckSeverity.WARN)
    if SIASN_FLAGS in asset_keys:
        checks += _freshness([SIASN_FLAGS], bound, dg.AssetCheckSeverity.ERROR)
    freshness = dg.AssetSelection.checks(*checks)

    jobs: list[Any] = []

    def job(name: str, selection: dg.AssetSelection, description: str) -> str:
        # In process: a sensor's run is small, and one process starts in seconds where a process per
        # step would spend most of a run that finds nothing to do starting Python.
        jobs.append(
            dg.define_asset_job(
                name,
                selection=selection - freshness,
                executor_def=dg.in_process_executor,
                tags=DB_WRITE_TAGS,
                description=description,
            )
        )
        return name

    sensors: list[dg.SensorDefinition] = []
    for name, source in sources.items():
        raw_on = dg.AssetSelection.assets(["raw", name], ["validated", name]).downstream()
        job_name = job(f"{name}_update", raw_on, f"Ingest {name} and update everything downstream of it.")
        if isinstance(source, SftpSource):
            sensors.append(_sftp_sensor(name, source, job_name))
        elif source.increment != "none":
            sensors.append(_http_sensor(name, source, job_name))
    if GOLDEN_CASES in asset_keys:
        golden_on = dg.AssetSelection.assets(GOLDEN_CASES).downstream()
        sensors.append(_steward_sensor(job("steward_rerun", golden_on, "Reconcile, enforce and push again.")))
    if SIASN_FLAGS in asset_keys:
        push = job("push_retry", dg.AssetSelection.assets(SIASN_FLAGS), "Drain the SIASN outbox.")
        sensors.append(_push_retry_sensor(push, now))
    if checks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.SupersessionWarning)
            sensors.append(
                dg.build_sensor_for_freshness_checks(
                    freshness_checks=checks, name="freshness_checks", default_status=RUNNING
                )
            )
    schedule = dg.ScheduleDefinition(
        name="full_cycle_schedule",
        cron_schedule=cycle_crons(settings.schedule.full_cycle_minutes),
        execution_timezone=settings.schedule.timezone,
        job_name=full_cycle_job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"The full cycle every {settings.schedule.full_cycle_minutes} minutes.",
    )
    return Automation([schedule], sensors, checks, jobs, dg.AssetSelection.all() - freshness)
