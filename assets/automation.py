"""The daemon's automation, assembled: the schedules (:mod:`assets.schedule`), the source sensors
(:mod:`assets.sensors_sources`), the steward and push sensors (:mod:`assets.sensors_steward`), with
the jobs they request, and the sensor that fails a run whose worker died (:mod:`assets.sensors_runs`).
Freshness is a policy on the assets (:mod:`assets.freshness`), not a sensor.

Every run that writes the product database carries ``DB_WRITE_TAGS``; the run queue in ``dagster.yaml``
lets one such run execute at a time, so runs never overlap on the same tables. Sensors decide what to
request with small pure functions; a tick with nothing to do returns a ``SkipReason`` saying why, and a
run started anyway (the schedule, a queued duplicate) finds nothing and ends quickly.

Downstream propagation stays in the sensors' jobs (a source's job is the source and everything
downstream of it) rather than ``AutomationCondition.eager()``: eager takes a second daemon tick and a
second run to go from ``validated/<source>`` to SIASN. Measured on the same machine
(``benchmarks/freshness/README.md``): I'DIS sanction to SIASN unblock, median 86.8 s with eager against
46.1 s with these sensors.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from assets import schedule
from assets.keys import (
    DB_WRITE_TAGS,
    GOLDEN_CASES,
    PUSH_RETRY_JOB,
    SIASN_FLAGS,
    STEWARD_RERUN_JOB,
    raw_key,
    source_job,
    validated_key,
)
from assets.sensors_runs import dead_run_worker_sensor
from assets.sensors_sources import source_sensor
from assets.sensors_steward import (
    downstream_after_failed_ingest_sensor,
    push_retry_sensor,
    steward_sensor,
)
from sbt_sync.settings import Settings

__all__ = ["DB_WRITE_TAGS", "Automation", "build_automation"]


@dataclass(frozen=True)
class Automation:
    schedules: list[dg.ScheduleDefinition]
    sensors: list[dg.SensorDefinition]
    jobs: list[schedule.AssetJob]
    """The full cycle, the registry refresh and the sensors' jobs."""


def build_automation(
    settings: Settings,
    *,
    asset_keys: Collection[dg.AssetKey],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Automation:
    """The schedules, sensors and jobs for the asset graph made of ``asset_keys``.

    A sensor whose target is not in the graph (a disabled source, no push yet) is left out. Raises
    ``ConfigError`` for a full-cycle interval that does not divide a day.
    """
    cycle_job, cycle_schedule = schedule.full_cycle(settings)
    registry_jobs, registry_schedules = schedule.registry_refresh(settings, asset_keys)
    jobs = [cycle_job, *registry_jobs]
    sensors: list[dg.SensorDefinition] = [dead_run_worker_sensor()]
    for name, source in sorted(settings.sources.items()):
        if not {raw_key(name), validated_key(name)} <= set(asset_keys):
            continue
        selection = dg.AssetSelection.assets(raw_key(name), validated_key(name)).downstream()
        description = f"Ingest {name} and update everything downstream of it."
        jobs.append(schedule.write_job(source_job(name), selection, description))
        sensor = source_sensor(name, source, source_job(name))
        if sensor is not None:
            sensors.append(sensor)
    if GOLDEN_CASES in asset_keys:
        selection = dg.AssetSelection.assets(GOLDEN_CASES).downstream()
        rerun = schedule.write_job(STEWARD_RERUN_JOB, selection, "Reconcile, enforce and push again.")
        jobs.append(rerun)
        sensors.append(steward_sensor(STEWARD_RERUN_JOB))
        sensors.append(downstream_after_failed_ingest_sensor(rerun))
    if SIASN_FLAGS in asset_keys:
        jobs.append(
            schedule.write_job(
                PUSH_RETRY_JOB, dg.AssetSelection.assets(SIASN_FLAGS), "Drain the SIASN outbox."
            )
        )
        sensors.append(push_retry_sensor(PUSH_RETRY_JOB, now))
    return Automation([cycle_schedule, *registry_schedules], sensors, jobs)
