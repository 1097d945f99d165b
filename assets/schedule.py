"""Schedules: the full cycle every ``schedule.full_cycle_minutes`` and the nightly registry refresh,
with their jobs. Every job that writes the product database carries ``DB_WRITE_TAGS``."""

from collections.abc import Collection
from typing import Any, TypeAlias

import dagster as dg

from assets.keys import ASN_REGISTRY, DB_WRITE_TAGS, FULL_CYCLE_JOB, REGISTRY_OP, REGISTRY_REFRESH_JOB
from assets.run_ledger import LEDGER_HOOKS
from sbt_sync.errors import ConfigError
from sbt_sync.settings import Settings

AssetJob: TypeAlias = Any
"""What ``dg.define_asset_job`` returns: its class, ``UnresolvedAssetJobDefinition``, is not public."""


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


def write_job(
    name: str, selection: dg.AssetSelection, description: str, *, config: dict[str, Any] | None = None
) -> AssetJob:
    """An asset job that writes the product database: tagged for the write queue, in one process,
    each step recorded in the run ledger as it ends (:mod:`assets.run_ledger`).

    In process: a process per step (Dagster's default) cost about 70 s and 90 CPU-seconds of starts
    and imports on every cycle, changed or not, while the steps of an unchanged cycle work for about
    13 s (benchmarks/national); a sensor's small run would spend most of its time starting Python.
    """
    return dg.define_asset_job(
        name,
        selection=selection,
        config=config,
        executor_def=dg.in_process_executor,
        tags=DB_WRITE_TAGS,
        description=description,
        hooks=set(LEDGER_HOOKS),
    )


def schedule_status(settings: Settings) -> dg.DefaultScheduleStatus:
    """Every schedule's status until someone turns it on or off by hand (``schedule.start_running``)."""
    if settings.schedule.start_running:
        return dg.DefaultScheduleStatus.RUNNING
    return dg.DefaultScheduleStatus.STOPPED


def full_cycle(settings: Settings) -> tuple[AssetJob, dg.ScheduleDefinition]:
    """The full-cycle job (every asset) and its schedule; ``ConfigError`` for an interval that does not
    divide a day."""
    job = write_job(
        FULL_CYCLE_JOB,
        dg.AssetSelection.all(),
        "Ingest every source, reconcile, enforce, push to SIASN and report.",
    )
    schedule = dg.ScheduleDefinition(
        name="full_cycle_schedule",
        cron_schedule=cycle_crons(settings.schedule.full_cycle_minutes),
        execution_timezone=settings.schedule.timezone,
        job_name=FULL_CYCLE_JOB,
        default_status=schedule_status(settings),
        description=f"The full cycle every {settings.schedule.full_cycle_minutes} minutes.",
    )
    return job, schedule


def registry_refresh(
    settings: Settings, asset_keys: Collection[dg.AssetKey]
) -> tuple[list[AssetJob], list[dg.ScheduleDefinition]]:
    """The full registry refresh: its own job (the registry asset with ``full: true``) on its own
    schedule (``siasn.registry_full_refresh_cron``); a cycle reads the mirror as it is, adding the rows
    SIASN changed since and the ASN who matter now (assets/ingestion.py). None without SIASN."""
    if settings.siasn is None or ASN_REGISTRY not in asset_keys:
        return [], []
    job = write_job(
        REGISTRY_REFRESH_JOB,
        dg.AssetSelection.assets(ASN_REGISTRY),
        "Re-read SIASN's whole registry into the mirror (bulk, set-based; unchanged rows cost a hash).",
        config={"ops": {REGISTRY_OP: {"config": {"full": True}}}},
    )
    cron = settings.siasn.registry_full_refresh_cron
    schedule = dg.ScheduleDefinition(
        name="registry_refresh_schedule",
        cron_schedule=cron,
        execution_timezone=settings.schedule.timezone,
        job_name=REGISTRY_REFRESH_JOB,
        default_status=schedule_status(settings),
        description=f"The full registry refresh at {cron}.",
    )
    return [job], [schedule]
