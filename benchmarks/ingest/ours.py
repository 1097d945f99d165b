"""Our path: ``pull_http`` lands every page with its cursor, then ``stage_pending`` validates (Pandera)
and stages what passes, quarantining the rest: exactly what ``raw/bkn_wasdal`` and
``validated/bkn_wasdal`` do, minus Dagster."""

from __future__ import annotations

import os
from time import perf_counter

from sqlalchemy import func, select

from benchmarks.ingest.spec import SOURCE, Outcome, RunSpec, rss_mb
from sbt_sync.db import migrate
from sbt_sync.db.base import Base
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord, StagedRecord
from sbt_sync.ingest.connections import http_source
from sbt_sync.ingest.pull import pull_http
from sbt_sync.ingest.staging import stage_pending
from sbt_sync.settings import load_settings
from schemas.feeds import FEEDS


def _count(database: Database, model: type[Base]) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def run(spec: RunSpec) -> Outcome:
    settings = load_settings(spec.config_path, env=os.environ)
    database = Database(spec.database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    migrate.upgrade(database)  # deployment, not ingestion: outside the timed part
    feed = FEEDS[SOURCE]
    before = rss_mb()

    started = perf_counter()
    client, paginator = http_source(settings, SOURCE)
    with client:
        pulled = pull_http(database, source=SOURCE, feed=feed, paginator=paginator)
    landed = perf_counter()
    staged = stage_pending(database, source=SOURCE, feed=feed)
    finished = perf_counter()

    checks = {
        "pages": pulled.pages,
        "raw_records": _count(database, RawRecord),
        "staged_records": _count(database, StagedRecord),
        "quarantined_records": staged.quarantined_records,
        "quarantine_rows": _count(database, QuarantinedRow),
    }
    database.dispose()
    return Outcome(
        rows=pulled.fetched,
        seconds=finished - started,
        rss_before_mb=before,
        phases={"pull_and_land": landed - started, "validate_and_stage": finished - landed},
        checks=checks,
    )
