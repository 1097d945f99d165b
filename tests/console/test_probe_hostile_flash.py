"""What a bulk resolve reports reaches the steward (acceptance probe, both backends).

The console keeps flash messages in its session cookie until the next page shows them. A browser
keeps a cookie of at most 4096 bytes (name and value; RFC 6265 section 6.1, Chromium's limit) and
silently ignores a larger Set-Cookie: the steward would then see neither how many conflicts were
resolved nor which were left open and why.
"""

from __future__ import annotations

from sqlalchemy import insert

from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.ingest.registry import registry_row
from tests.console.conftest import World, csrf_of
from tests.console.identity_world import BUDI, REGISTRY, _identity, _row

COOKIE_LIMIT = 4096
"""Bytes of a cookie's name and value a browser keeps (RFC 6265 section 6.1)."""


def _disagreeing(world: World, count: int) -> list[int]:
    """``count`` identity conflicts whose one candidate (Budi Santoso, a Kepala Seksi of Sampang)
    differs from the row on name, birth date and sex (the row's NIP, not in the registry, gives both),
    position and instansi: bulk "top" leaves each open."""
    with world.database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(item) for item in REGISTRY])
    ids = []
    for n in range(count):
        key = f"KASN-BULK-{n}"
        row = _row(world.database, "kasn", key, "Siti Aminah", nip_raw=f"1970010120001220{n:02d}",
                   instansi="Pemerintah Kabupaten Agam", position="Guru")  # fmt: skip
        ids.append(_identity(world.database, "identity", row, "kasn", key, [{"nip": BUDI, "score": 0.8}]))
    return ids


def test_a_bulk_resolve_leaving_many_conflicts_open_still_reports_it_within_a_cookie(world: World) -> None:
    ids = _disagreeing(world, 25)
    steward = world.login("steward")
    form = {"choice": "top", "reason": "bulk", "ids": ids, "csrf_token": csrf_of(steward, "/conflicts")}
    answer = steward.post("/conflicts/bulk", data=form)
    assert answer.status_code == 303
    sizes = [len(h.split(";", 1)[0]) for h in answer.headers.get_list("set-cookie")]
    assert sizes and max(sizes) <= COOKIE_LIMIT, sizes
    page = steward.get("/conflicts").text
    assert "0 konflik diselesaikan" in page and f"#{ids[0]} tidak diubah" in page
    assert "pesan lain tidak ditampilkan" in page  # what did not fit is counted, not lost silently
