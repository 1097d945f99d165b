"""Two pushers draining one outbox at once (the daemon's cycle and a steward's `sbt-sync push run`),
each with its own database engine and SIASN client, against the real SIASN simulator: every change
reaches SIASN exactly once, in order per NIP, neither pusher fails, and no row is left claimed."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.push import Pusher, PushReport
from sbt_sync.push.queue import claim
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH, pusher, siasn_client
from tests.push.helpers import (
    assert_siasn_matches,
    dead_holder_token,
    meanwhile_before,
    outbox_rows,
    queue_blocks,
    toggle_sanctions,
)

pytestmark = pytest.mark.integration

NIPS = [nip(i) for i in range(1, 41)]
PUSHERS = 2


def _at_once(url: str, box: Sandbox) -> list[PushReport]:
    """Run ``PUSHERS`` pushers on one outbox at once, each as its own process would (own engine, own
    client); re-raises the first error any of them met."""
    start = threading.Barrier(PUSHERS)
    reports: list[PushReport] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one() -> None:
        database = Database(url)
        client = siasn_client(box)
        try:
            # A small window: each pusher claims often, so the claims interleave with the other's writes.
            pusher = Pusher(database, client, replace(FAST_PUSH, concurrency=2))
            start.wait()
            report = pusher.run(recover=True)
            with lock:
                reports.append(report)
        except BaseException as exc:  # handed to the test thread
            with lock:
                errors.append(exc)
        finally:
            client.close()
            database.dispose()

    threads = [threading.Thread(target=one, name=f"pusher-{n}") for n in range(PUSHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return reports


def test_two_pushers_at_once_send_every_change_once_and_leave_nothing_claimed(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    siasn_sandbox.faults.set("siasn", latency_ms=2)  # requests overlap the other pusher's claims
    url = migrated_database.engine.url.render_as_string(hide_password=False)
    queue_blocks(migrated_database, NIPS)

    blocks = _at_once(url, siasn_sandbox)

    assert sum(r.acked for r in blocks) == len(NIPS)
    assert all(r.aborted is None and r.parked == 0 and r.deferred == 0 for r in blocks)
    assert sum(r.replayed for r in blocks) == 0  # no row was sent by both
    assert_siasn_matches(migrated_database, siasn_sandbox)

    toggle_sanctions(migrated_database, NIPS[::2], as_of=date(2025, 1, 22))
    unblocks = _at_once(url, siasn_sandbox)

    assert sum(r.acked for r in unblocks) == len(NIPS[::2])
    assert sum(r.replayed for r in unblocks) == 0
    assert {r.state for r in outbox_rows(migrated_database)} == {"acked"}
    assert_siasn_matches(migrated_database, siasn_sandbox)


def test_two_pushers_recovering_a_dead_pushers_row_send_it_once(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    """A pusher was killed with a row in flight; the daemon's cycle and a steward's `push run` both
    start with ``recover``. The first takes the row over and is sending it when the second, which had
    also found it abandoned, records its recovery: that must not take the row from the live sender
    (it would be sent again by the second, beside the first)."""
    queue_blocks(migrated_database, NIPS[:1])
    with migrated_database.session() as session:  # a pusher claims the row, then dies
        claim(session, limit=10, now=utcnow(), lease=timedelta(minutes=15))
        session.execute(update(OutboxEntry).values(claimed_by=dead_holder_token()))
    siasn_sandbox.faults.set("siasn", latency_ms=3000)  # the first is still sending when the second acts
    url = migrated_database.engine.url.render_as_string(hide_password=False)
    first_db, second_db = Database(url), Database(url)
    warm = siasn_client(siasn_sandbox)
    reports: list[PushReport] = []

    def first() -> None:
        reports.append(Pusher(first_db, warm, FAST_PUSH).run(recover=True))

    try:
        with meanwhile_before(second_db, "UPDATE outbox SET state", first):
            reports.append(pusher(second_db, siasn_sandbox).run(recover=True))
    finally:
        first_db.dispose()
        second_db.dispose()

    assert sum(r.acked for r in reports) == 1
    assert sum(r.replayed for r in reports) == 0  # sent by one pusher only
    assert_siasn_matches(migrated_database, siasn_sandbox)
