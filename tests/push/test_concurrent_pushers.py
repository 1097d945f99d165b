"""Two pushers draining one outbox at once (the daemon's cycle and a steward's `sbt-sync push run`),
each with its own database engine and SIASN client, against the real SIASN simulator: every change
reaches SIASN exactly once, in order per NIP, neither pusher fails, and no row is left claimed."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.push import Pusher, PushReport
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH, siasn_client
from tests.push.helpers import assert_siasn_matches, outbox_rows, queue_blocks, toggle_sanctions

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
