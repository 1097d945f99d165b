"""A block whose request SIASN is slow to process (the pusher's read timed out: sent, maybe applied)
when the PPK's sanction ends the case: SIASN must end unblocked, with exactly one blokir and one buka
applied, in that order.

The timed-out request is still on its way inside SIASN (behind a gateway, a slow node). Before, the
unacknowledged block was superseded and the unblock sent at once: it reached SIASN first ("not
blocked", nothing to do), then the late block landed, and SIASN kept a person blocked whose case had
ended, a block the readback then took for someone else's and never lifted. Now the block goes first
under its own key (SIASN applies it, or replays it if the late copy won the race), the unblock after
it, and the late copy, when it lands, is a replay that changes nothing.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import update

from connectors.http import HttpClient, HttpSettings
from connectors.retry import RetryPolicy
from connectors.siasn import SiasnClient, SiasnConfig
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.push import Pusher, readback
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH, credentials, ledger, pusher, siasn_client
from tests.push.helpers import outbox_rows, queue_blocks, toggle_sanctions

pytestmark = pytest.mark.integration

A = nip(7)
LATENCY_MS = 3000
"""How long SIASN sits on a request before processing it; the impatient client gives up long before."""


def _impatient(box: Sandbox) -> SiasnClient:
    """A SIASN client whose reads time out after 0.3 s, one try per call."""
    http = HttpClient(
        HttpSettings(connect_timeout=2, read_timeout=0.3, ca_bundle=box.endpoints.ca_bundle),
        retry=RetryPolicy(max_attempts=1, max_retry_after=1),
    )
    return SiasnClient(SiasnConfig(box.endpoints.siasn_base_url, credentials(box)), http=http)


def test_a_block_siasn_processes_late_is_applied_once_before_the_unblock_and_siasn_ends_unblocked(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db, box = migrated_database, siasn_sandbox
    queue_blocks(db, [A])
    slow = _impatient(box)
    assert slow.status(A) is not None  # its tokens are fetched while SIASN is quick
    box.faults.set("siasn", latency_ms=LATENCY_MS)
    sent = time.monotonic()
    report = Pusher(db, slow, replace(FAST_PUSH, max_attempts=1, defer_seconds=600)).run()
    assert (report.acked, report.deferred) == (0, 1)  # timed out: sent, maybe applied
    box.faults.set("siasn", latency_ms=0)

    toggle_sanctions(db, [A], as_of=date(2025, 1, 22))  # the PPK's sanction: A is to be unblocked
    with db.session() as session:  # the block's rest is over (a steward's retry says the same)
        session.execute(update(OutboxEntry).values(next_attempt_at=utcnow()))
    pushed = pusher(db, box).run()
    assert time.monotonic() - sent < LATENCY_MS / 1000  # all of it before the slow block lands
    time.sleep(LATENCY_MS / 1000 + 0.5)  # the block SIASN sat on is processed now

    assert box.ledger is not None and box.ledger.state(A).status != "DIBLOKIR"
    assert pushed.acked == 2 and ledger(box)["applied_per_nip"][A] == {"blokir": 1, "buka": 1}
    assert [(r.action, r.state) for r in outbox_rows(db)] == [("blokir", "acked"), ("buka", "acked")]
    assert readback(db, siasn_client(box)).in_sync == 1


def test_an_unblock_siasn_processes_late_is_applied_once_before_the_new_block_and_siasn_ends_blocked(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    """The reverse: the unblock is slow inside SIASN when the sanction is withdrawn and the block is
    due again; a late unblock landing after the new block would leave the ASN unblocked."""
    db, box = migrated_database, siasn_sandbox
    queue_blocks(db, [A])
    assert pusher(db, box).run().acked == 1
    toggle_sanctions(db, [A], as_of=date(2025, 1, 22))  # sanctioned: the unblock is queued
    slow = _impatient(box)
    assert slow.status(A) is not None
    box.faults.set("siasn", latency_ms=LATENCY_MS)
    sent = time.monotonic()
    report = Pusher(db, slow, replace(FAST_PUSH, max_attempts=1, defer_seconds=600)).run()
    assert (report.acked, report.deferred) == (0, 1)
    box.faults.set("siasn", latency_ms=0)

    toggle_sanctions(db, [A], as_of=date(2025, 1, 23))  # the sanction withdrawn: blocked again
    with db.session() as session:
        session.execute(update(OutboxEntry).values(next_attempt_at=utcnow()))
    pushed = pusher(db, box).run()
    assert time.monotonic() - sent < LATENCY_MS / 1000
    time.sleep(LATENCY_MS / 1000 + 0.5)

    assert box.ledger is not None and box.ledger.state(A).status == "DIBLOKIR"
    assert pushed.acked == 2 and ledger(box)["applied_per_nip"][A] == {"blokir": 2, "buka": 1}
    assert [(r.action, r.state) for r in outbox_rows(db)] == [
        ("blokir", "acked"),
        ("buka", "acked"),
        ("blokir", "acked"),
    ]
    assert readback(db, siasn_client(box)).in_sync == 1


def test_a_change_behind_a_kept_unanswered_row_is_still_queued_in_case_that_row_is_refused(
    migrated_database: Database,
) -> None:
    """The kept row (sent, maybe applied) goes first, but SIASN may still refuse it: each later flip
    of the flag writes its own row behind it, so a refusal of the kept row loses no change."""
    db = migrated_database
    queue_blocks(db, [A])
    with db.session() as session:  # SIASN acknowledged the block
        session.execute(update(OutboxEntry).values(state="acked"))
    toggle_sanctions(db, [A], as_of=date(2025, 1, 22))  # sanctioned: the unblock is sent, unanswered
    with db.session() as session:
        session.execute(update(OutboxEntry).where(OutboxEntry.action == "buka").values(maybe_applied=True))
    toggle_sanctions(db, [A], as_of=date(2025, 1, 23))  # the sanction withdrawn: blocked again
    toggle_sanctions(db, [A], as_of=date(2025, 1, 24))  # and imposed again: unblocked
    assert [(r.action, r.state, r.block_version) for r in outbox_rows(db)] == [
        ("blokir", "acked", 1),
        ("buka", "pending", 2),  # kept: it goes first
        ("blokir", "superseded", 3),
        ("buka", "pending", 4),  # still queued: SIASN may refuse the kept one
    ]
