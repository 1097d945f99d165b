"""A reconciliation run while the console writes (a steward's recorded read, the session's last-seen
time): on SQLite the run takes the database's write lock before its first read, so a console request
arriving between the run's reads and its writes waits for the run instead of making its first write
fail 'database is locked' (a deferred transaction that has read cannot wait: its snapshot is stale).
Both the run's cases and the console's write are kept, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, StagedRecord
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings, load_settings
from tests.conftest import REPO_ROOT
from tests.reconcile.test_database_property import AS_OF, T0, Spec, _reset, _write
from tests.support.console_write import console_writes_meanwhile, recorded_reads

pytestmark = pytest.mark.integration


@pytest.fixture
def project_settings() -> Settings:
    return load_settings(REPO_ROOT / "sbt.yaml", env={})


def test_a_console_write_during_a_reconciliation_waits_for_it_and_both_are_kept(
    migrated_database: Database, project_settings: Settings
) -> None:
    _reset(migrated_database)
    _write(migrated_database, 0, Spec("finding", "a", 0, 0), 1)
    _write(migrated_database, 1, Spec("recommendation", "a", 0, 0), 1)

    with console_writes_meanwhile(migrated_database) as request:
        stats = reconcile_database(migrated_database, project_settings, as_of=AS_OF, now=T0)

    assert stats.staged_changed == 2
    assert recorded_reads(migrated_database) == 1 and request.recorded is not None
    # On SQLite the run held the lock when the request came; PostgreSQL has no such lock to wait for.
    assert request.waited_for_the_writer == (migrated_database.dialect == "sqlite")
    with migrated_database.session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert not session.scalar(select(func.count()).where(StagedRecord.needs_reconcile.is_(True)))
