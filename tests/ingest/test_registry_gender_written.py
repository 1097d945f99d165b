"""SIASN's jenisKelamin as the mirror keeps it: "M" or "F" whatever case it came in, and an item that
does not say (absent, blank) is read off its NIP, which states the sex (digit 15: 1 male, 2 female;
DOMAIN.md), rather than stored as the text "None" that the mirror's check refuses with the whole page."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from connectors.http.paging import Page
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.ingest.registry import refresh_registry
from tests.support.registry import registry_item

MALE = "198001012005011001"
FEMALE = "198502022010012003"
SHOUTED = "197307051994022219"
NEIGHBOUR = "198203032007011003"


def test_a_registry_item_without_a_usable_jenis_kelamin_costs_neither_itself_nor_its_page(
    migrated_database: Database,
) -> None:
    items = [registry_item(MALE, "AHMAD FAUZI"), registry_item(FEMALE, "SITI AMINAH")]
    items += [registry_item(SHOUTED, "SUMIATI LESTARI"), registry_item(NEIGHBOUR, "BUDI SANTOSO")]
    del items[0]["jenisKelamin"]
    items[1]["jenisKelamin"] = " "
    items[2]["jenisKelamin"] = "f"

    def pages(cursor: str | None) -> Iterator[Page]:
        yield Page(items, "4", 1, True)

    refresh_registry(migrated_database, pages)
    with migrated_database.session() as session:
        stored = {
            nip: gender
            for nip, gender in session.execute(select(AsnRegistryEntry.nip, AsnRegistryEntry.gender))
        }
    assert stored == {MALE: "M", FEMALE: "F", SHOUTED: "F", NEIGHBOUR: "M"}
