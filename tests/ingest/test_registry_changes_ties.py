"""The changed-since listing against rows that change while it is paged, over loopback HTTP with the
sandbox's SIASN simulator, both backends: a row that leaves the ``updatedAt`` tie group the last page
ended in (SIASN edits it again) must not make the next page skip a row of that group."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from connectors.http.paging import Page
from connectors.siasn import SiasnClient
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.ingest.registry import refresh_registry, refresh_registry_changes
from sbt_sync.sandbox.http.control_client import ControlClient
from sbt_sync.sandbox.runtime import Sandbox
from tests.ingest.test_registry_mirror import NIPS, NOW, PAGE, box, client  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration

RETIRED = {"kedudukanPnsId": "99", "kedudukanPnsNama": "Pensiun"}
BATCH = NIPS[:8]
"""Retired by one SIASN batch job: eight rows stamped with the very same instant (a tie group longer
than a page of five)."""


def _statuses(database: Database) -> dict[str, str]:
    with database.session() as session:
        query = select(AsnRegistryEntry.nip, AsnRegistryEntry.status_id)
        return dict(session.execute(query).tuples().all())


def _edited_after_first_page(
    siasn: SiasnClient, control: ControlClient, nip: str
) -> Callable[[datetime, str | None], Iterator[Page]]:
    """``siasn.registry_changes``, with SIASN editing ``nip`` again once the first page was read and
    before the second is asked for."""

    def pages(since: datetime, cursor: str | None) -> Iterator[Page]:
        for number, page in enumerate(siasn.registry_changes(since, cursor), start=1):
            yield page
            if number == 1:
                control.post(f"/siasn/registry/{nip}", {"set": {"jabatanNama": "Kepala Seksi"}})

    return pages


@pytest.mark.parametrize("moved", [0, 2], ids=["an-earlier-row-moves", "the-last-row-read-moves"])
def test_a_row_moving_out_of_the_tie_group_while_paging_skips_no_other(
    migrated_database: Database,
    box: Sandbox,  # noqa: F811
    client: SiasnClient,  # noqa: F811
    moved: int,
) -> None:
    control = ControlClient(box.endpoints.control_url)
    refresh_registry(migrated_database, client.registry_pages)
    box.clock.set(NOW + timedelta(hours=1), frozen=True)
    for nip in BATCH:
        control.post(f"/siasn/registry/{nip}", {"set": RETIRED})
    box.clock.set(NOW + timedelta(hours=2), frozen=True)
    # The listing from the mirror's watermark: the last two unchanged rows, then the batch; the first
    # page ends three rows into the batch's instant. SIASN then edits one of those three again.
    pages = _edited_after_first_page(client, control, BATCH[moved])
    result = refresh_registry_changes(migrated_database, pages, now=box.clock.now)
    assert result.completed and result.pages >= 2 and PAGE == 5
    statuses = _statuses(migrated_database)
    assert {nip: statuses[nip] for nip in BATCH} == dict.fromkeys(BATCH, "99")  # was: one still "01"
    # Nothing else is lost either: the mirror equals the registry as SIASN lists it now.
    listed = {
        item["nipBaru"]: item["kedudukanPnsId"] for page in client.registry_pages() for item in page.items
    }
    assert statuses == listed
