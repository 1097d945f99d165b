"""A readback that queues drift corrections does not queue one behind a refusal a steward must see to.

SIASN refuses a block of a NIP it does not know; the readback then sees that NIP unblocked in SIASN
(drift) every time it reads it. Each readback with ``queue_drift`` queued one more correction under a
new version: SIASN refused each (one more request, one more parked row per cycle, each stalling SIASN's
pull feed) while the first refusal already waited for a steward. The drift is still reported, and the
steward's retry of the parked row still sends the flag once the cause is fixed.
"""

from __future__ import annotations

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.push import readback, retry
from sbt_sync.sandbox.runtime import Sandbox
from tests.push.conftest import REGISTERED, UNREGISTERED, ledger, pusher, siasn_client
from tests.push.helpers import assert_siasn_matches, outbox_rows, queue_blocks

pytestmark = pytest.mark.integration


def test_a_drift_whose_flag_siasn_refused_is_reported_and_not_queued_again_cycle_after_cycle(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    queue_blocks(db, [UNREGISTERED, REGISTERED[0]])
    assert pusher(db, siasn_sandbox).run().parked == 1
    client = siasn_client(siasn_sandbox)
    for _ in range(3):  # three cycles
        report = readback(db, client, queue_drift=True)
        assert (report.checked, report.in_sync, report.drift, report.queued) == (2, 1, 1, 0)
        assert pusher(db, siasn_sandbox).run().sent == 0
    assert [(r.nip, r.state) for r in outbox_rows(db)] == [
        (UNREGISTERED, "parked"),
        (REGISTERED[0], "acked"),
    ]
    assert len(ledger(siasn_sandbox)["keys"]) == 2  # SIASN was asked once per flag

    # SIASN learns the NIP; the steward's retry sends the block, once.
    assert siasn_sandbox.registry is not None
    siasn_sandbox.registry.amend(REGISTERED[-1], {"nipBaru": UNREGISTERED})
    with db.session() as session:
        assert retry(session, reason="NIP dikoreksi di SIASN", actor="steward") == 1
    assert pusher(db, siasn_sandbox).run().acked == 1
    assert_siasn_matches(db, siasn_sandbox)
    assert readback(db, client, queue_drift=True).in_sync == 2
