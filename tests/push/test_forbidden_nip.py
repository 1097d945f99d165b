"""SIASN answering 403 for one NIP only (our account may not write that instansi's data) while it
accepts every other write: that row is parked with SIASN's message and the other flags all land; a 403
before any write of the run was accepted stops the run (it may be our credentials) but the row rests,
so it never keeps the other rows, unblocks included, from SIASN."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import update

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.push import retry
from sbt_sync.sandbox.http.siasn_blocks import FORBIDDEN_MESSAGE
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH, ledger, pusher
from tests.push.helpers import outbox_rows, queue_blocks, toggle_sanctions

pytestmark = pytest.mark.integration

NIPS = [nip(i) for i in range(1, 13)]
IN_TURN = replace(FAST_PUSH, concurrency=1)


def _blocked(box: Sandbox, number: str) -> bool:
    assert box.ledger is not None
    return box.ledger.state(number).status == "DIBLOKIR"


def test_a_nip_siasn_refuses_with_403_is_parked_with_its_message_and_every_other_flag_lands(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db, refused = migrated_database, NIPS[5]
    assert siasn_sandbox.ledger is not None
    siasn_sandbox.ledger.forbid(refused)
    queue_blocks(db, NIPS)

    report = pusher(db, siasn_sandbox).run()

    assert (report.aborted, report.acked, report.parked) == (None, 11, 1)
    assert [n for n in NIPS if not _blocked(siasn_sandbox, n)] == [refused]
    (parked,) = [r for r in outbox_rows(db) if r.state == "parked"]
    assert parked.nip == refused and parked.maybe_applied is False
    assert parked.last_error is not None and FORBIDDEN_MESSAGE in parked.last_error
    assert "refused for this NIP" in parked.last_error
    assert parked.idempotency_key not in ledger(siasn_sandbox)["keys"]  # SIASN stored nothing under it

    # SIASN grants the right; the steward's retry sends it.
    siasn_sandbox.ledger.allow(refused)
    with db.session() as session:
        assert retry(session, reason="BKN granted the instansi's data", actor="tester") == 1
    assert pusher(db, siasn_sandbox).run().acked == 1
    assert _blocked(siasn_sandbox, refused)


def test_a_403_before_any_write_was_accepted_stops_the_run_but_the_row_rests_and_the_others_go_next(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db, refused, others = migrated_database, NIPS[0], NIPS[1:4]
    assert siasn_sandbox.ledger is not None
    siasn_sandbox.ledger.forbid(refused)
    queue_blocks(db, [refused, *others])
    first = outbox_rows(db)[0]
    assert first.nip == refused  # first in line

    stopped = pusher(db, siasn_sandbox, IN_TURN).run()
    assert stopped.aborted is not None and "403" in stopped.aborted
    assert (stopped.acked, stopped.parked) == (0, 0)  # may be our credentials: nothing parked
    (row,) = [r for r in outbox_rows(db) if r.nip == refused]
    assert (row.state, row.idempotency_key, row.maybe_applied) == ("pending", first.idempotency_key, False)
    assert row.next_attempt_at > utcnow()  # rests: not first in line next run

    nxt = pusher(db, siasn_sandbox, IN_TURN).run()
    assert (nxt.aborted, nxt.acked) == (None, 3)
    assert all(_blocked(siasn_sandbox, n) for n in others)

    # The PPK sanctions one of them: its unblock goes out, the resting row no obstacle.
    toggle_sanctions(db, others[:1], as_of=date(2025, 1, 22))
    with db.session() as session:  # the rest ends after the unblock was queued
        session.execute(update(OutboxEntry).where(OutboxEntry.id == row.id).values(next_attempt_at=utcnow()))
    last = pusher(db, siasn_sandbox, IN_TURN).run()
    assert (last.aborted, last.acked, last.parked) == (None, 1, 1)  # the unblock first, then the 403
    assert not _blocked(siasn_sandbox, others[0])
    (parked,) = [r for r in outbox_rows(db) if r.state == "parked"]
    assert parked.nip == refused and parked.idempotency_key == first.idempotency_key
    assert parked.last_error is not None and FORBIDDEN_MESSAGE in parked.last_error
