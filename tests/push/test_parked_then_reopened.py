"""A block SIASN refused (parked) whose case is closed by a sanction and then reopened (the sanction
withdrawn) while the row is parked: the refused row is superseded and never sent again, the reopened
case's block goes under a new key, and a steward's retry reaches only that one."""

from __future__ import annotations

from datetime import date

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.errors import SbtError
from sbt_sync.push import retry
from sbt_sync.sandbox.runtime import Sandbox
from tests.push.conftest import UNREGISTERED, ledger, pusher
from tests.push.helpers import outbox_rows, queue_blocks, toggle_sanctions

pytestmark = pytest.mark.integration


def test_a_parked_block_whose_case_is_reopened_is_not_sent_twice(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    queue_blocks(db, [UNREGISTERED])
    assert pusher(db, siasn_sandbox).run().parked == 1
    toggle_sanctions(db, [UNREGISTERED], as_of=date(2025, 1, 22))  # sanctioned: no block wanted
    toggle_sanctions(db, [UNREGISTERED], as_of=date(2025, 1, 23))  # the sanction withdrawn: reopened
    rows = outbox_rows(db)
    assert [(r.action, r.state, r.block_version) for r in rows] == [
        ("blokir", "superseded", 1),
        ("blokir", "pending", 3),
    ]
    assert pusher(db, siasn_sandbox).run().parked == 1  # SIASN still refuses the NIP
    superseded, reopened_row = rows
    with pytest.raises(SbtError, match="superseded"), db.session() as session:
        retry(session, [superseded.id], reason="registry fixed", actor="steward")
    with db.session() as session:  # all parked rows: the reopened case's block only
        assert retry(session, reason="registry fixed", actor="steward") == 1
    pusher(db, siasn_sandbox).run()
    assert [(r.state, r.attempts) for r in outbox_rows(db)] == [("superseded", 1), ("parked", 2)]
    keys = ledger(siasn_sandbox)["keys"]
    retried = outbox_rows(db)[1].idempotency_key  # a refused row's retry goes out under a fresh key
    # The superseded block went out once, before it was overtaken, and never again.
    assert set(keys) == {superseded.idempotency_key, reopened_row.idempotency_key, retried}
    old, new = keys[superseded.idempotency_key], keys[reopened_row.idempotency_key]
    assert (old["status"], old["applied"], old["replays"]) == (404, 1, 0)
    assert (new["status"], new["applied"], new["replays"]) == (404, 1, 0)
    assert (keys[retried]["status"], keys[retried]["replays"]) == (
        404,
        0,
    )  # SIASN still does not know the NIP
    assert siasn_sandbox.ledger is not None and siasn_sandbox.ledger.state(UNREGISTERED).status != "DIBLOKIR"
