"""The registry refresh marks for reconciliation exactly the staged rows of the ASN whose registry row
changed in a way a case reads (kedudukan, name, instansi, a NIP correction, a NIP new to the mirror),
on both backends; an unchanged refresh does not touch the staged records at all."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.engine import Connection

from connectors.http.paging import Page
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, RawRecord, StagedRecord
from sbt_sync.ingest.registry import case_change_kinds, refresh_registry, registry_row
from tests.support.registry import registry_item

RETIRES = "198001012005011001"
RENAMED = "198102022006042002"
MOVED = "198203032007011003"
STEADY = "198304042008012004"
PROMOTED = "198405052009011005"
CORRECTED = "198506062010012006"
CORRECTED_TO = "198506062010012016"
JOINS = "198607072011011007"
OTHER = "198708082012012008"
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def _item(nip: str, name: str, **changes: Any) -> dict[str, Any]:
    item = registry_item(nip, name)
    item["jabatanNama"] = "Analis Kepegawaian"
    item["updatedAt"] = "2024-06-01T09:00:00+07:00"
    return {**item, **changes}


BEFORE = [
    _item(RETIRES, "AHMAD FAUZI"),
    _item(RENAMED, "SITI AMINAH"),
    _item(MOVED, "BUDI SANTOSO"),
    _item(STEADY, "DEWI LESTARI"),
    _item(PROMOTED, "EKO PRASETYO"),
    _item(CORRECTED, "FITRI HANDAYANI"),
    _item(OTHER, "GITA PERMATA"),
]
AFTER = [
    _item(RETIRES, "AHMAD FAUZI", kedudukanPnsId="99", kedudukanPnsNama="Pensiun"),
    _item(RENAMED, "SITI AMINAH RAHAYU"),
    _item(MOVED, "BUDI SANTOSO", instansiIndukId="ID-Bangkalan", instansiIndukNama="Kab. Bangkalan"),
    _item(STEADY, "DEWI LESTARI"),
    # A new position and a new updatedAt: nothing a case or an identity decision reads.
    _item(PROMOTED, "EKO PRASETYO", jabatanNama="Kepala Bidang", updatedAt="2024-09-01T09:00:00+07:00"),
    # SIASN corrected the NIP: the same id now carries another nipBaru.
    {**_item(CORRECTED_TO, "FITRI HANDAYANI"), "id": _item(CORRECTED, "FITRI HANDAYANI")["id"]},
    _item(OTHER, "GITA PERMATA"),
    _item(JOINS, "HENDRA GUNAWAN"),
]


def _pager(*pages: list[dict[str, Any]]) -> Any:
    def pages_from(cursor: str | None) -> Iterator[Page]:
        assert cursor is None  # every pass here completes
        for number, items in enumerate(pages, 1):
            yield Page(items, None if number == len(pages) else str(number), number, number == len(pages))

    return pages_from


def _stage(database: Database, rows: dict[str, tuple[str | None, str | None]]) -> dict[str, int]:
    """Staged rows by key, ``(written NIP, resolved NIP)`` each, none waiting for reconciliation."""
    ids: dict[str, int] = {}
    with database.session() as session:
        for key, (written, resolved) in rows.items():
            raw = RawRecord(source="bkn_wasdal", record_key=key, content_hash="0" * 64, payload="{}")
            session.add(raw)
            session.flush()
            staged = StagedRecord(
                source="bkn_wasdal",
                record_key=key,
                item_no=0,
                raw_record_id=raw.id,
                raw_version=1,
                content_hash="0" * 64,
                nip=written,
                nip_raw=written,
                name="someone",
                resolved_nip=resolved,
                identity_rule="nip_exact" if resolved else "no_candidate",
                needs_reconcile=False,
                staged_at=LONG_AGO,
            )
            session.add(staged)
            session.flush()
            ids[key] = staged.id
    return ids


def _flagged(database: Database, ids: dict[str, int]) -> set[str]:
    key_of = {i: k for k, i in ids.items()}
    with database.session() as session:
        found = session.scalars(select(StagedRecord.id).where(StagedRecord.needs_reconcile.is_(True)))
        return {key_of[i] for i in found}


def _clear_flags(database: Database) -> None:
    with database.session() as session:
        session.execute(update(StagedRecord).values(needs_reconcile=False, staged_at=LONG_AGO))


STAGED = {
    "retires": (RETIRES, RETIRES),
    "retires-name-mismatch": (RETIRES, None),  # wrote the NIP, named someone else: not resolved
    "renamed-by-name": (None, RENAMED),  # no NIP written, resolved by name
    "moved": (MOVED, MOVED),
    "steady": (STEADY, STEADY),
    "promoted": (PROMOTED, PROMOTED),
    "corrected-old": (CORRECTED, CORRECTED),
    "corrected-new": (CORRECTED_TO, None),  # wrote the corrected NIP before the mirror knew it
    "joins": (JOINS, None),  # a well-formed NIP SIASN did not list yet
    "unidentified": (None, None),
}


def test_refresh_flags_exactly_the_staged_rows_of_asn_whose_case_facts_changed(
    migrated_database: Database,
) -> None:
    ids = _stage(migrated_database, STAGED)
    first = refresh_registry(migrated_database, _pager(BEFORE[:4], BEFORE[4:]))
    assert (first.new, first.changed, first.completed) == (7, 0, True)
    # A first load is news for every row naming a listed NIP (a NIP nobody knew now identifies).
    assert first.staged_flagged == 7
    assert _flagged(migrated_database, ids) == set(STAGED) - {"corrected-new", "joins", "unidentified"}
    _clear_flags(migrated_database)

    result = refresh_registry(migrated_database, _pager(AFTER[:4], AFTER[4:]))

    assert _flagged(migrated_database, ids) == {
        "retires",
        "retires-name-mismatch",
        "renamed-by-name",
        "moved",
        "corrected-old",
        "corrected-new",
        "joins",
    }
    assert result.staged_flagged == 7
    assert dict(result.case_changes) == {"kedudukan": 1, "name": 1, "instansi": 1, "nip": 1, "new": 1}
    assert (result.nip_corrected, result.new, result.changed, result.unchanged) == (1, 2, 4, 2)
    with migrated_database.session() as session:
        nips = set(session.scalars(select(AsnRegistryEntry.nip)))
        status = session.scalar(select(AsnRegistryEntry.status_id).where(AsnRegistryEntry.nip == RETIRES))
        moved_at = session.scalar(select(StagedRecord.staged_at).where(StagedRecord.id == ids["retires"]))
        steady_at = session.scalar(select(StagedRecord.staged_at).where(StagedRecord.id == ids["steady"]))
    assert CORRECTED not in nips and {CORRECTED_TO, JOINS} <= nips
    assert status == "99"
    # A flagged row counts as staged now, so a reconciliation already running cannot clear its flag.
    assert moved_at is not None and moved_at > LONG_AGO
    assert steady_at == LONG_AGO


def test_an_unchanged_refresh_flags_nothing_and_reads_no_staged_record(migrated_database: Database) -> None:
    ids = _stage(migrated_database, STAGED)
    refresh_registry(migrated_database, _pager(BEFORE))
    _clear_flags(migrated_database)
    statements: list[str] = []

    def record(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(migrated_database.engine, "before_cursor_execute", record)
    try:
        result = refresh_registry(migrated_database, _pager(BEFORE))
    finally:
        event.remove(migrated_database.engine, "before_cursor_execute", record)

    assert (result.unchanged, result.changed, result.new, result.staged_flagged) == (7, 0, 0, 0)
    assert not result.case_changes
    assert _flagged(migrated_database, ids) == set()
    assert not [s for s in statements if "staged_records" in s]
    # Whether the mirror is empty (a first load parses ahead) and one read of the page's hashes: no
    # read of old values, no write.
    registry_reads = [s for s in statements if "asn_registry" in s]
    assert len(registry_reads) == 2 and all(s.lstrip().upper().startswith("SELECT") for s in registry_reads)


def test_two_asn_swapping_nips_in_one_page_are_both_rewritten_and_flagged(
    migrated_database: Database,
) -> None:
    ids = _stage(migrated_database, {"first": (RETIRES, RETIRES), "second": (RENAMED, RENAMED)})
    one, two = _item(RETIRES, "AHMAD FAUZI"), _item(RENAMED, "SITI AMINAH")
    refresh_registry(migrated_database, _pager([one, two]))
    _clear_flags(migrated_database)

    swapped = [{**one, "id": two["id"]}, {**two, "id": one["id"]}]
    result = refresh_registry(migrated_database, _pager(swapped))

    assert result.nip_corrected == 2 and result.rejected == 0
    assert _flagged(migrated_database, ids) == {"first", "second"}
    with migrated_database.session() as session:
        owners = dict(session.execute(select(AsnRegistryEntry.siasn_id, AsnRegistryEntry.nip)).tuples().all())
    assert owners == {two["id"]: RETIRES, one["id"]: RENAMED}


def test_a_page_giving_one_siasn_id_to_two_nips_rejects_the_second(migrated_database: Database) -> None:
    one = _item(RETIRES, "AHMAD FAUZI")
    result = refresh_registry(migrated_database, _pager([one, {**_item(RENAMED, "SITI"), "id": one["id"]}]))
    assert (result.new, result.rejected) == (1, 1)
    assert "id: also given for NIP" in result.rejected_sample[0]


@pytest.mark.parametrize(
    ("changes", "kinds"),
    [
        ({"kedudukanPnsId": "77", "kedudukanPnsNama": "Meninggal Dunia"}, {"kedudukan"}),
        ({"kedudukanPnsId": "66"}, {"kedudukan"}),
        ({"kedudukanPnsId": "88"}, {"kedudukan"}),
        ({"nama": "AHMAD FAUZI HAKIM"}, {"name"}),
        ({"gelarDepan": "Dr."}, {"name"}),
        ({"tglLahir": "02-01-1980"}, {"identity"}),
        ({"kanregId": "III"}, {"instansi"}),
        ({"jabatanNama": "Camat"}, set()),
        ({"updatedAt": "2024-09-01T09:00:00+07:00"}, set()),  # an active ASN: the date says nothing
    ],
)
def test_case_change_kinds(changes: dict[str, Any], kinds: set[str]) -> None:
    before = registry_row(_item(RETIRES, "AHMAD FAUZI"))
    assert case_change_kinds(before, registry_row(_item(RETIRES, "AHMAD FAUZI", **changes))) == kinds


def test_a_later_edit_of_a_retired_asn_is_no_kedudukan_change() -> None:
    """The departure is dated by the version that first said the ASN left (``left_on``): a later
    ``updatedAt`` of that row (SIASN edited the address) moves no unblock day and changes no case."""
    retired = _item(RETIRES, "AHMAD FAUZI", kedudukanPnsId="99", kedudukanPnsNama="Pensiun")
    redated = {**retired, "updatedAt": "2024-09-01T09:00:00+07:00"}
    assert case_change_kinds(registry_row(retired), registry_row(redated)) == set()
    active = _item(RETIRES, "AHMAD FAUZI")
    assert case_change_kinds(registry_row(active), registry_row(redated)) == {"kedudukan"}


@pytest.mark.parametrize("birth", ["1980/01/02", "02.01.1980", "2 Januari 1980", "31-02-1980"])
def test_a_row_rejected_for_its_birth_date_is_reported_without_the_birth_date(
    migrated_database: Database, caplog: pytest.LogCaptureFixture, birth: str
) -> None:
    """The rejection's sample goes to the log, the asset's metadata and ``registry refresh --json``: it
    says which field failed, never the birth date (personal data, UU 27/2022) as SIASN sent it."""
    caplog.set_level(logging.DEBUG)
    result = refresh_registry(migrated_database, _pager([_item(RETIRES, "AHMAD FAUZI", tglLahir=birth)]))
    assert (result.new, result.rejected) == (0, 1)
    assert result.rejected_sample[0].startswith("**************1001: tglLahir")
    shown = json.dumps(result.as_dict()) + caplog.text
    assert birth not in shown and "1980" not in shown.replace(RETIRES, "")
