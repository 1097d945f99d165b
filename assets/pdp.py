"""Retention (UU 27/2022): the daily purge job, ``retention_purge``, and its schedule.

A thin op over :func:`sbt_sync.pdp.retention.purge` (what ``sbt-sync pdp purge`` runs): it removes
what passed its time under ``retention`` in sbt.yaml, never what an open case or a standing block still
needs, audits the counts, and reports the counts per kind as metadata (ids and counts, no personal data).
"""

import dagster as dg

from assets.keys import DB_WRITE_TAGS, RETENTION_JOB
from assets.run_ledger import LEDGER_HOOKS
from assets.schedule import schedule_status
from sbt_sync.pdp.access import purge_access_log
from sbt_sync.pdp.retention import purge
from sbt_sync.resources import DatabaseResource, SbtSettingsResource
from sbt_sync.settings import Settings

RETENTION_CRON = "30 3 * * *"
"""Daily at 03:30 (``schedule.timezone``): after the nightly registry refresh, before office hours."""


@dg.op(description="Remove or anonymise personal data past its retention time; audited with counts.")
def retention_purge_op(
    context: dg.OpExecutionContext, db: DatabaseResource, settings: SbtSettingsResource
) -> dg.Output[None]:
    config = settings.get()
    plan = purge(
        db.database,
        config.retention,
        actor="sbt-sync",
        channel="dagster",
        downloads_dir=config.resolve_path("var/downloads"),
        access_log=purge_access_log,
    )
    counts = plan.counts()
    context.log.info("retention purge: %s; kept past their time: %s", counts, plan.kept or "none")
    return dg.Output(None, metadata={**counts, "kept": dg.MetadataValue.json(plan.kept)})


@dg.job(
    name=RETENTION_JOB,
    tags=DB_WRITE_TAGS,
    description="The retention purge (UU 27/2022).",
    hooks=set(LEDGER_HOOKS),
)
def retention_purge_job() -> None:
    retention_purge_op()


def retention_schedule(config: Settings) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="retention_purge_schedule",
        cron_schedule=RETENTION_CRON,
        execution_timezone=config.schedule.timezone,
        job=retention_purge_job,
        default_status=schedule_status(config),
        description="The retention purge, daily.",
    )
