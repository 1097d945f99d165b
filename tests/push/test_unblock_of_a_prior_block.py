"""An unblock of a NIP whose block SIASN already held before ours (a Kanreg blocked it itself,
DOMAIN.md) is never sent by itself: our ``blokir`` was answered "already in that state", so lifting
the block when our case ends would lift the Kanreg's. The ``buka`` is parked for a steward with the
reason in words, keeps its idempotency key, and the steward's retry or withdrawal decides it; a NIP
we blocked ourselves is unblocked as before. Over loopback HTTP against the real SIASN simulator."""

from __future__ import annotations

from datetime import date

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.push import readback
from sbt_sync.push.admin import outbox_status, retry, withdraw
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.states.outbox import HELD_BEFORE_OURS
from tests.enforce.rows import nip
from tests.push.conftest import pusher, siasn_client
from tests.push.helpers import outbox_rows, queue_blocks, toggle_sanctions

pytestmark = pytest.mark.integration

KANREGS = nip(1)
OURS = nip(2)
SANCTIONED = date(2025, 1, 22)


def _blocked(box: Sandbox, number: str) -> bool:
    assert box.ledger is not None
    return box.ledger.state(number).status == "DIBLOKIR"


def _case_ends_after_a_prior_block(db: Database, box: Sandbox) -> None:
    """A Kanreg blocked KANREGS before us; we block both NIPs, then both cases end."""
    siasn_client(box).blokir(KANREGS, {"alasan": "Kanreg memblokir atas temuannya sendiri"}, "kanreg-own")
    queue_blocks(db, [KANREGS, OURS])
    first = pusher(db, box).run()
    assert (first.acked, first.unchanged) == (2, 1)  # KANREGS: "already in that state"
    toggle_sanctions(db, [KANREGS, OURS], as_of=SANCTIONED)


def _buka(db: Database, number: str) -> tuple[int, str, str, str | None]:
    (row,) = [r for r in outbox_rows(db) if r.nip == number and r.action == "buka"]
    return row.id, row.state, row.idempotency_key, row.last_error


def test_the_unblock_of_a_block_siasn_held_before_ours_is_parked_and_ours_is_sent(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db, box = migrated_database, siasn_sandbox
    _case_ends_after_a_prior_block(db, box)

    report = pusher(db, box).run()

    assert (report.sent, report.acked) == (1, 1)  # only our own block's unblock went out
    assert not _blocked(box, OURS)
    assert _blocked(box, KANREGS)  # the Kanreg's block stands
    row_id, state, key, why = _buka(db, KANREGS)
    assert state == "parked"
    assert why is not None and why.startswith(HELD_BEFORE_OURS)
    assert KANREGS not in why
    with db.session() as session:
        (parked,) = outbox_status(session)["parked"]
    assert (parked["id"], parked["held_before_ours"]) == (row_id, True)
    # The readback neither lifts it by a correction nor queues another row beside the parked one.
    rows = len(outbox_rows(db))
    checked = readback(db, siasn_client(box), queue_drift=True)
    assert (checked.drift, checked.queued) == (1, 0)
    assert len(outbox_rows(db)) == rows and _blocked(box, KANREGS)

    # The steward decides: a retry sends it, under the key it was written with.
    with db.session() as session:
        assert retry(session, [row_id], reason="Kanreg setuju dibuka", actor="steward") == 1
    assert pusher(db, box).run().acked == 1
    assert not _blocked(box, KANREGS)
    assert _buka(db, KANREGS)[1:3] == ("acked", key)


def test_a_steward_withdraws_the_parked_unblock_and_the_kanregs_block_stands(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db, box = migrated_database, siasn_sandbox
    _case_ends_after_a_prior_block(db, box)
    pusher(db, box).run()
    row_id = _buka(db, KANREGS)[0]

    with db.session() as session:
        withdraw(session, [row_id], reason="blokir Kanreg tetap berlaku", actor="steward")
    assert pusher(db, box).run().sent == 0
    assert _blocked(box, KANREGS)
    assert _buka(db, KANREGS)[1] == "superseded"
    checked = readback(db, siasn_client(box), queue_drift=True)
    assert (checked.blocked_by_others, checked.queued) == (1, 0)  # reported, never lifted by us
