"""A SIASN (or a gateway in front of it) asking for an absurd wait: the push neither hangs nor crashes.

``Retry-After`` is honoured, but a value no quota explains (decades, or more seconds than a date can
hold) crashed the run while it recorded the deferral (a date past year 9999), leaving the row in flight
until its lease ran out, run after run; a value that still fit parked the row for centuries. The row
now waits at most ``PushOptions.max_defer_seconds`` and keeps its key.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH, ledger, pusher
from tests.push.helpers import assert_siasn_matches, outbox_rows, queue_blocks

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "seconds",
    [
        pytest.param(10**10, id="three-centuries"),
        pytest.param(10**20, id="beyond-any-date"),
    ],
)
def test_an_absurd_retry_after_defers_the_row_a_bounded_time_and_the_next_run_delivers_it(
    migrated_database: Database, siasn_sandbox: Sandbox, seconds: int
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1)])
    (queued,) = outbox_rows(db)
    siasn_sandbox.faults.set("siasn", throttle_rate=1.0, retry_after_seconds=seconds)
    report = pusher(db, siasn_sandbox).run()
    assert (report.acked, report.deferred, report.aborted) == (0, 1, None)
    (row,) = outbox_rows(db)
    assert row.state == "pending" and row.idempotency_key == queued.idempotency_key
    assert utcnow() < row.next_attempt_at <= utcnow() + timedelta(seconds=FAST_PUSH.max_defer_seconds)
    assert ledger(siasn_sandbox)["keys"] == {}

    siasn_sandbox.faults.set("siasn", throttle_rate=0.0)
    with db.session() as session:  # the wait is over
        session.execute(update(OutboxEntry).values(next_attempt_at=utcnow()))
    assert pusher(db, siasn_sandbox).run().acked == 1
    assert_siasn_matches(db, siasn_sandbox)
