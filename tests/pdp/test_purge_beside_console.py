"""The retention purge while the console writes: the purge plans by reading, then removes, in one
transaction. On SQLite a console request committing between the two (a steward's recorded read) made
the purge's first removal fail ('database is locked': a deferred transaction that has read cannot wait).
The purge takes the write lock first, so the request waits for it; both are kept, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow
from sbt_sync.db.models.access import PersonalDataAccess
from sbt_sync.pdp.access import purge_access_log, record_read
from sbt_sync.pdp.retention import purge
from sbt_sync.settings import RetentionSettings
from tests.support.console_write import KEY, console_writes_meanwhile, recorded_reads

pytestmark = pytest.mark.integration
NIP = "199001012015011001"


def test_a_console_write_during_a_purge_waits_for_it_and_both_are_kept(migrated_database: Database) -> None:
    policy = RetentionSettings()
    old = datetime.now(UTC) - timedelta(days=policy.access_log_days + 10)
    with migrated_database.session() as session:
        record_read(session, "old-reader", "console", "case", [NIP], key=KEY, at=old)
        # A settled quarantine row past its time: the purge's first removal is a DELETE of it.
        session.add(
            QuarantinedRow(
                source="bkn_wasdal", check="nip", reason="NIP tidak valid", status="ignored",
                created_at=datetime.now(UTC) - timedelta(days=policy.quarantine_days + 10),
            )
        )  # fmt: skip

    with console_writes_meanwhile(migrated_database) as request:
        done = purge(migrated_database, policy, actor="tester", access_log=purge_access_log)

    assert done.access_log == 1 and len(done.quarantine) == 1
    assert request.recorded is not None and recorded_reads(migrated_database) == 1
    assert request.waited_for_the_writer == (migrated_database.dialect == "sqlite")
    with migrated_database.session() as session:
        readers = set(session.scalars(select(PersonalDataAccess.who)))
        assert session.scalar(select(func.count()).select_from(QuarantinedRow)) == 0
    assert "old-reader" not in readers  # ids are no proof: SQLite may give a deleted id again
