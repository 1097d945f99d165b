"""A steward's retry of a block SIASN refused, after the cause was fixed, reaches SIASN.

SIASN keeps the answer of every key it processed, a refusal too, and replays it for the same key and
body. A block refused because SIASN did not know the NIP (404) was retried under its old key, so once
SIASN's registry had the NIP (a NIP correction there) the retry still got the stored 404 back, and the
block could never land. A retry of a parked row now goes out under a fresh key (nothing was applied
under the old one); a row waiting out a backoff keeps its key, since its last try may have landed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry
from sbt_sync.push import retry
from sbt_sync.sandbox.runtime import Sandbox
from tests.push.conftest import REGISTERED, UNREGISTERED, ledger, pusher
from tests.push.helpers import assert_siasn_matches, outbox_rows, queue_blocks

pytestmark = pytest.mark.integration


def test_a_refused_block_retried_after_siasn_learns_the_nip_is_applied_once(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    queue_blocks(db, [UNREGISTERED])
    assert pusher(db, siasn_sandbox).run().parked == 1
    (refused,) = outbox_rows(db)
    first_key = refused.idempotency_key

    # SIASN corrects a row's NIP to the one the case names: the NIP is known there from now on.
    assert siasn_sandbox.registry is not None
    siasn_sandbox.registry.amend(REGISTERED[-1], {"nipBaru": UNREGISTERED})
    with db.session() as session:
        assert retry(session, [refused.id], reason="NIP dikoreksi di SIASN", actor="steward") == 1
    pusher(db, siasn_sandbox).run()

    (row,) = outbox_rows(db)
    assert row.state == "acked"
    assert row.idempotency_key != first_key
    keys = ledger(siasn_sandbox)["keys"]
    assert (keys[first_key]["status"], keys[first_key]["replays"]) == (404, 0)
    assert (keys[row.idempotency_key]["status"], keys[row.idempotency_key]["applied"]) == (200, 1)
    assert siasn_sandbox.ledger is not None
    assert siasn_sandbox.ledger.state(UNREGISTERED).status == "DIBLOKIR"
    assert_siasn_matches(db, siasn_sandbox)
    with db.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "push.retry")).one()
        assert audit.after == {
            "rows": 1,
            "ids": [row.id],
            "new_idempotency_keys": {str(row.id): row.idempotency_key},
        }


def test_a_second_retry_gets_a_key_of_its_own(migrated_database: Database, siasn_sandbox: Sandbox) -> None:
    db = migrated_database
    queue_blocks(db, [UNREGISTERED])
    keys = []
    for _ in range(3):
        pusher(db, siasn_sandbox).run()
        (row,) = outbox_rows(db)
        assert row.state == "parked"
        keys.append(row.idempotency_key)
        with db.session() as session:
            retry(session, [row.id], reason="coba lagi", actor="steward")
    assert len(set(keys)) == 3
    assert all(k.startswith(keys[0]) for k in keys)
    assert {k: v["replays"] for k, v in ledger(siasn_sandbox)["keys"].items()} == dict.fromkeys(keys, 0)
