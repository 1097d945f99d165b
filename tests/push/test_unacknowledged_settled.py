"""A row parked on an answer that may have been applied (``maybe_applied``: SIASN said success without a
reference) is settled by a readback that sees SIASN holding exactly the flag the row asked for:
acknowledged as observed, its key kept, with a note in words; not left parked for a steward for ever
(a retry under the same key only gets SIASN's stored, unreadable answer back)."""

from __future__ import annotations

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.push import readback
from tests.connectors.helpers_http import Reply, ScriptedServer
from tests.connectors.helpers_http import scripted as scripted  # the fixture
from tests.enforce.rows import nip
from tests.push.helpers import outbox_rows, queue_blocks
from tests.push.test_unacknowledged_success import APPLIED, _pusher

pytestmark = pytest.mark.integration

A = nip(1)


def _state(status: str, reference: str | None) -> Reply:
    return Reply(200, {"data": {"nip": A, "status": status, "referensi": reference}})


@pytest.mark.parametrize(
    ("siasn", "settled"),
    [
        pytest.param("DIBLOKIR", True, id="siasn-holds-the-block"),
        pytest.param("TIDAK_DIBLOKIR", False, id="siasn-does-not"),
    ],
)
def test_a_readback_settles_a_maybe_applied_block_it_sees_in_siasn(
    migrated_database: Database, scripted: ScriptedServer, siasn: str, settled: bool
) -> None:
    db = migrated_database
    queue_blocks(db, [A])
    scripted.script("/api/pemblokiran/blokir", Reply(200, APPLIED))
    pusher = _pusher(db, scripted)
    assert pusher.run().parked == 1
    (parked,) = outbox_rows(db)
    assert parked.maybe_applied is True
    scripted.script(f"/api/pemblokiran/{A}", _state(siasn, "R-SEEN"))

    report = readback(db, pusher._siasn, queue_drift=True)

    (row,) = outbox_rows(db)
    assert row.idempotency_key == parked.idempotency_key  # the key is kept either way
    if settled:
        assert (row.state, row.siasn_reference, row.acked_at is not None) == ("acked", "R-SEEN", True)
        assert (report.in_sync, report.settled) == (1, 1)
        assert row.last_error is not None and "observed in SIASN" in row.last_error
        assert "Data PNS berhasil diblokir" in row.last_error  # what SIASN had answered stays
    else:
        assert (report.drift, report.settled, report.queued) == (1, 0, 0)
        assert (row.state, row.last_error) == ("parked", parked.last_error)
