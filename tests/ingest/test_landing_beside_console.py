"""A source's batch landing while the console writes (a steward's recorded read, the session's
last-seen time): on SQLite the landing transaction takes the database's write lock before its first
read, so a console request arriving between its reads and its first write waits for it instead of
failing the landing 'database is locked' (a deferred transaction that has read cannot wait). Both the
batch and the console's write are kept, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import RawRecord, StagedRecord
from sbt_sync.ingest import connections
from sbt_sync.ingest.pull import pull_http
from schemas.feeds import FEEDS
from tests.ingest.conftest import SandboxProject
from tests.support.console_write import console_writes_meanwhile, recorded_reads

pytestmark = pytest.mark.integration

SOURCE = "bkn_wasdal"


def test_a_console_write_during_a_landing_waits_for_it_and_both_are_kept(
    sandbox_project: SandboxProject, migrated_database: Database
) -> None:
    client, paginator = connections.http_source(sandbox_project.settings(), SOURCE)
    try:
        with console_writes_meanwhile(migrated_database) as request:
            result = pull_http(migrated_database, source=SOURCE, feed=FEEDS[SOURCE], paginator=paginator)
    finally:
        client.close()

    assert result.fetched > 0
    assert recorded_reads(migrated_database) == 1 and request.recorded is not None
    assert request.waited_for_the_writer == (migrated_database.dialect == "sqlite")
    with migrated_database.session() as session:
        landed = session.scalar(select(func.count()).select_from(RawRecord).where(RawRecord.source == SOURCE))
        staged = session.scalar(
            select(func.count()).select_from(StagedRecord).where(StagedRecord.source == SOURCE)
        )
    assert landed == result.fetched - result.duplicates
    assert result.staging is not None and staged == result.staging.staged_new > 0
