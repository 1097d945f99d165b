"""Enforcement and a readback queueing a drift correction for the same NIP at once (the daemon's cycle
beside ``sbt-sync push readback --queue-drift``): each change of the NIP's desired flag gets its own
block-state version, whichever commits first, and SIASN ends at the desired flag."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, Case
from sbt_sync.enforce import run_enforcement
from sbt_sync.push import readback
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import ledger, pusher, siasn_client
from tests.push.helpers import UNGUARDED, meanwhile_after, outbox_rows, queue_blocks

pytestmark = pytest.mark.integration

A = nip(1)


def test_enforcement_and_a_drift_correction_never_share_a_block_version(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    queue_blocks(db, [A])
    assert pusher(db, siasn_sandbox).run().acked == 1
    siasn_client(siasn_sandbox).buka(A, {"alasan": "someone else unblocked"}, "outside-change")
    with db.session() as session:  # then the PPK's sanction arrives: A is to be unblocked
        case = session.scalars(select(Case).where(Case.nip == A)).one()
        case.status, case.sanction_imposed, case.sanction_date = "dijatuhi_hukuman", "22", date(2025, 1, 21)
    other = Database(db.engine.url.render_as_string(hide_password=False))

    def correct_drift() -> None:
        readback(other, siasn_client(siasn_sandbox), queue_drift=True)

    try:
        # The readback records once enforcement has read the block state, before it writes.
        with meanwhile_after(db, "SELECT block_state", correct_drift), db.session() as session:
            run_enforcement(session, UNGUARDED, date(2025, 1, 22))
    finally:
        other.dispose()

    rows = outbox_rows(db)
    versions = [r.block_version for r in rows]
    assert len(set(versions)) == len(versions), [(r.action, r.state, r.block_version) for r in rows]
    with db.session() as session:
        state = session.get(BlockState, A)
        assert state is not None and not state.blocked and state.version == max(versions)
    pusher(db, siasn_sandbox).run()
    assert [r.state for r in outbox_rows(db) if r.state not in ("acked", "superseded")] == []
    assert siasn_sandbox.ledger is not None and siasn_sandbox.ledger.state(A).status != "DIBLOKIR"
    assert ledger(siasn_sandbox)["applied_per_nip"][A]["blokir"] == 1  # no correction re-blocked A
