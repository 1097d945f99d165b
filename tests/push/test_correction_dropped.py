"""A drift correction the readback queued, sent while SIASN applies it and then drops the connection:
the correction is re-sent with its key and applied once, no readback queues a second one meanwhile,
and a flip of the desired flag while it waits is followed by SIASN."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from connectors.retry import RetryPolicy
from sbt_sync.db.engine import Database
from sbt_sync.push import Pusher, readback, retry
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH, ledger, pusher, siasn_client
from tests.push.helpers import outbox_rows, queue_blocks, toggle_sanctions

pytestmark = pytest.mark.integration

A = nip(1)
ONCE = replace(FAST_PUSH, max_attempts=1, defer_seconds=600)
"""One try per run: the lost answer defers the row (it may have been applied)."""


def _correction_applied_but_unanswered(database: Database, box: Sandbox) -> None:
    """A is blocked and acknowledged; someone else unblocks it in SIASN; the readback queues the
    correction; SIASN applies it and drops the connection before answering."""
    queue_blocks(database, [A])
    assert pusher(database, box).run().acked == 1
    client = siasn_client(box)
    client.buka(A, {"alasan": "someone else unblocked"}, "outside-change")
    assert readback(database, client, queue_drift=True).queued == 1
    box.faults.set("siasn", drop_after_apply_rate=1.0)
    lossy = siasn_client(box, retry=RetryPolicy(max_attempts=1, max_retry_after=1))
    assert Pusher(database, lossy, ONCE).run().deferred == 1
    box.faults.set("siasn", drop_after_apply_rate=0.0)
    assert box.ledger is not None and box.ledger.state(A).status == "DIBLOKIR"
    assert [(r.action, r.state, r.maybe_applied) for r in outbox_rows(database)] == [
        ("blokir", "acked", False),
        ("blokir", "pending", True),
    ]


def test_a_dropped_correction_is_replayed_once_and_no_second_correction_is_queued(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    _correction_applied_but_unanswered(db, siasn_sandbox)
    report = readback(db, siasn_client(siasn_sandbox), queue_drift=True)  # SIASN agrees now
    assert (report.drift, report.queued) == (0, 0)
    with db.session() as session:
        assert retry(session, reason="test: a later run", actor="test") == 1
    push = pusher(db, siasn_sandbox).run()
    assert (push.acked, push.replayed) == (1, 1)
    correction = outbox_rows(db)[1]
    assert ledger(siasn_sandbox)["keys"][correction.idempotency_key]["applied"] == 1
    assert ledger(siasn_sandbox)["applied_per_nip"][A] == {"blokir": 2, "buka": 1}
    assert readback(db, siasn_client(siasn_sandbox)).in_sync == 1


def test_a_sanction_while_a_dropped_correction_waits_unblocks_and_blocks_no_more(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    _correction_applied_but_unanswered(db, siasn_sandbox)
    toggle_sanctions(db, [A], as_of=date(2025, 1, 22))  # the PPK's sanction: A is to be unblocked
    rows = outbox_rows(db)
    assert [(r.action, r.state) for r in rows] == [
        ("blokir", "acked"),
        ("blokir", "pending"),  # re-sent first under its key (a replay), then the unblock
        ("buka", "pending"),
    ]
    with db.session() as session:  # the correction's rest cut short
        retry(session, reason="test: a later run", actor="test")
    assert pusher(db, siasn_sandbox).run().acked == 2
    assert siasn_sandbox.ledger is not None and siasn_sandbox.ledger.state(A).status != "DIBLOKIR"
    assert ledger(siasn_sandbox)["applied_per_nip"][A]["blokir"] == 2  # ours and the correction, once
    assert readback(db, siasn_client(siasn_sandbox)).in_sync == 1
