"""Our path: ``pull_http`` lands every batch of pages with its cursor and, in the same transaction,
validates it (Pandera, in a worker process while the batch before it is written), stages what passes
and quarantines the rest; then ``stage_pending`` validates anything still pending (nothing, unless
validation broke): exactly what ``raw/bkn_wasdal`` and ``validated/bkn_wasdal`` do, minus Dagster."""

from __future__ import annotations

import os
from time import perf_counter

from sqlalchemy import func, select

from benchmarks.ingest.pgcpu import PostgresMeter, database_of
from benchmarks.ingest.spec import SOURCE, Outcome, RunSpec, cpu_seconds, rss_mb
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


def _pending(database: Database) -> int:
    with database.session() as session:
        query = select(func.count()).where(
            RawRecord.validated_version.is_(None) | (RawRecord.validated_version < RawRecord.version)
        )
        return int(session.scalar(query) or 0)


def run(spec: RunSpec) -> Outcome:
    settings = load_settings(spec.config_path, env=os.environ)
    database = Database(spec.database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    migrate.upgrade(database)  # deployment, not ingestion: outside the timed part
    feed = FEEDS[SOURCE]
    before = rss_mb()

    with PostgresMeter(database_of(spec.database_url)) as postgres:
        cpu_before = cpu_seconds()
        started = perf_counter()
        client, paginator = http_source(settings, SOURCE)
        with client:
            pulled = pull_http(database, source=SOURCE, feed=feed, paginator=paginator)
        landed = perf_counter()
        staged = stage_pending(database, source=SOURCE, feed=feed)
        finished = perf_counter()
        client_cpu = cpu_seconds() - cpu_before

    validated = pulled.staging.validated if pulled.staging is not None else 0
    quarantined = staged.quarantined_records + (pulled.staging.quarantined_records if pulled.staging else 0)
    checks = {
        "pages": pulled.pages,
        "raw_records": _count(database, RawRecord),
        "validated_while_landing": validated,
        "validated_afterwards": staged.validated,
        "validation_error": pulled.validation_error,
        "staged_records": _count(database, StagedRecord),
        "quarantined_records": quarantined,
        "quarantine_rows": _count(database, QuarantinedRow),
        "pending_validation": _pending(database),
    }
    database.dispose()
    return Outcome(
        client_cpu_seconds=client_cpu - postgres.result.sampler,
        postgres_cpu_seconds=postgres.result.backends,
        postgres_background_cpu_seconds=postgres.result.background,
        rows=pulled.fetched,
        seconds=finished - started,
        rss_before_mb=before,
        phases={"pull_validate_land_stage": landed - started, "stage_pending": finished - landed},
        checks=checks,
    )
