"""SIASN registry values the mirror's checks would refuse with the whole page, so that every refresh
failed there and no later change (a retirement, a NIP correction) reached the mirror: jenisKelamin is
kept as "M" or "F" whatever case it came in, and read off the NIP (digit 15) when it says neither;
jenisPegawai likewise ("PNS", "PPPK", else the NIP's kind); a text longer than the mirror keeps refuses
that item alone, counted."""

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


def test_a_registry_item_with_another_jenis_pegawai_or_an_overlong_value_costs_only_itself(
    migrated_database: Database,
) -> None:
    # jenisPegawai as SIASN may word it ("CPNS", lower case): the NIP states the kind. A text longer
    # than the mirror keeps refuses that item, named and counted, never the page (PostgreSQL refuses
    # the whole INSERT for one value too long).
    items = [registry_item(MALE, "AHMAD FAUZI"), registry_item(FEMALE, "SITI AMINAH")]
    items += [registry_item(SHOUTED, "SUMIATI LESTARI"), registry_item(NEIGHBOUR, "BUDI SANTOSO")]
    items[0]["jenisPegawai"] = "CPNS"
    items[1]["jenisPegawai"] = "pns"
    items[2]["jenisPegawai"] = "PPPK Paruh Waktu"
    items[3]["kanregId"] = "K" * 40

    def pages(cursor: str | None) -> Iterator[Page]:
        yield Page(items, "4", 1, True)

    result = refresh_registry(migrated_database, pages)
    with migrated_database.session() as session:
        stored = {
            nip: kind for nip, kind in session.execute(select(AsnRegistryEntry.nip, AsnRegistryEntry.kind))
        }
    assert stored == {MALE: "PNS", FEMALE: "PNS", SHOUTED: "PNS"}
    assert result.rejected == 1


def test_a_registry_item_missing_its_instansi_or_kanreg_never_stores_the_text_none(
    migrated_database: Database,
) -> None:
    """An item without instansiIndukId, instansiIndukNama, kanregId or kedudukanPnsNama was stored
    with the text "None": the registry wins for instansi, so the case's PPK became an instansi called
    "None" (letters, the compliance report, matching's other-instansi penalty). A missing value now
    keeps what the mirror already knew of that ASN, and a new ASN is stored with it empty."""
    items = [registry_item(MALE, "AHMAD FAUZI"), registry_item(FEMALE, "SITI AMINAH")]

    def pages(cursor: str | None) -> Iterator[Page]:
        yield Page(items, "2", 1, True)

    refresh_registry(migrated_database, pages)
    with migrated_database.session() as session:
        known = session.scalars(select(AsnRegistryEntry).where(AsnRegistryEntry.nip == MALE)).one()
        before = (known.instansi_id, known.instansi_name, known.kanreg_id, known.status_name)
    items = [registry_item(MALE, "AHMAD FAUZI"), registry_item(SHOUTED, "SUMIATI LESTARI")]
    for item in items:
        for name in ("instansiIndukId", "instansiIndukNama", "kanregId", "kedudukanPnsNama"):
            del item[name]
    items[0]["jenisJabatan"] = "changed, so the item is read again"
    refresh_registry(migrated_database, pages)
    with migrated_database.session() as session:
        rows = {
            r.nip: (r.instansi_id, r.instansi_name, r.kanreg_id, r.status_name)
            for r in session.scalars(select(AsnRegistryEntry))
        }
    assert rows[MALE] == before and "None" not in before
    assert rows[SHOUTED] == ("", "", "", "")
