"""A readback beside a long write transaction (an enforcement run holding SQLite's write lock past the
busy timeout) waits for it and records its observations, instead of failing 'database is locked'."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import SiasnObservation
from sbt_sync.push import readback
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import pusher, siasn_client
from tests.push.helpers import queue_blocks
from tests.support.write_lock import long_write_transaction, short_busy_timeout

pytestmark = pytest.mark.integration

HOLD = 3.0


def test_a_readback_beside_a_long_write_transaction_waits_for_it_and_records_what_it_read(
    migrated_database: Database, siasn_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1), nip(2)])
    assert pusher(db, siasn_sandbox).run().acked == 2
    short_busy_timeout(monkeypatch)
    other = Database(db.url)
    try:
        with long_write_transaction(db, HOLD) as hold:
            report = readback(other, siasn_client(siasn_sandbox), queue_drift=True)
            finished = time.monotonic()
    finally:
        other.dispose()

    assert (report.checked, report.in_sync, report.drift) == (2, 2, 0)
    assert hold.released_at is not None and finished >= hold.released_at  # it waited its turn
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SiasnObservation)) == 2
