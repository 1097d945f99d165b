"""One block state whose NIP SIASN's API cannot be asked about (not 18 digits) costs only that NIP's
read: the readback checks every other NIP and queues their corrections, and names the bad one as not
checked."""

from __future__ import annotations

import pytest

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState
from sbt_sync.push import readback
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import pusher, siasn_client
from tests.push.helpers import queue_blocks

pytestmark = pytest.mark.integration

BAD = "1980010120050"


def test_a_block_state_with_a_malformed_nip_does_not_stop_the_readback_of_the_others(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1), nip(2)])
    assert pusher(db, siasn_sandbox).run().acked == 2
    with db.session() as session:
        now = utcnow()
        bad = BlockState(nip=BAD, blocked=True, case_ids=[], reason="t", since=now, updated_at=now)
        session.add(bad)
    client = siasn_client(siasn_sandbox)
    client.buka(nip(2), {"alasan": "someone else unblocked"}, "outside-change")

    report = readback(db, client, queue_drift=True)

    assert (report.checked, report.in_sync, report.drift, report.queued, report.failed) == (2, 1, 1, 1, 1)
    assert report.not_checked_because == {"invalid_nip": 1}
