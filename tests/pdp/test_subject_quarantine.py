"""A source row validation refused (quarantined, so never staged) is personal data held about the
person it names: the subject report includes it; one naming somebody else is not theirs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord
from sbt_sync.pdp.subject import OTHER_NIP, gather_subject
from schemas.nip import clean_nip

NIP, OTHER = "198001012005011001", "198001012005011002"


def _quarantined(database: Database, n: int, nip: str) -> None:
    """A KASN row naming ``nip`` (as written) whose date is not a date: quarantined, never staged."""
    key = f"R-{n}/KASN/2023"
    written = nip if not nip.isdigit() else f"'{nip}"  # Excel's leading apostrophe
    payload = {"No": str(n), "Nomor Rekomendasi": key, "Tanggal Rekomendasi": "31-02-2023",
               "NIP": written, "Nama": "Dr. Budi Santoso, M.Si.", "Hasil": "Terbukti"}  # fmt: skip
    with database.session() as session:
        raw = RawRecord(source="kasn", record_key=key, content_hash=f"h{n}", payload=json.dumps(payload))
        session.add(raw)
        session.flush()
        session.add(QuarantinedRow(source="kasn", raw_record_id=raw.id, raw_version=1, record_key=key,
                                   column="Tanggal Rekomendasi", check="dmy_date", value="31-02-2023",
                                   reason="not a date"))  # fmt: skip


def test_the_subject_report_holds_a_quarantined_row_that_names_the_person(
    migrated_database: Database,
) -> None:
    _quarantined(migrated_database, 7, NIP)
    _quarantined(migrated_database, 8, OTHER)
    with migrated_database.session() as session:
        report = gather_subject(session, NIP)
    counts = report.counts()
    assert counts["source_records"] == 1 and counts["quarantine"] == 1, counts
    assert report.sections["source_records"][0]["record_key"] == "R-7/KASN/2023"


@pytest.mark.parametrize(
    "written",
    [
        "19800101 200501 1 001",
        "19800101.200501.1.001",
        "19800101\u00a0200501\u00a01\u00a0001",  # non-breaking spaces, as a spreadsheet exports them
        "19800101_200501_1_001",
        "19800101/200501/1/001",
        "\t198001012005011001 ",
    ],
)
def test_the_subject_report_holds_a_quarantined_row_whose_nip_arrived_with_layout_noise(
    migrated_database: Database, written: str
) -> None:
    assert clean_nip(written) == NIP  # the same person to the rest of the product
    _quarantined(migrated_database, 9, written)
    with migrated_database.session() as session:
        report = gather_subject(session, NIP)
    assert [r["record_key"] for r in report.sections["source_records"]] == ["R-9/KASN/2023"]
    assert report.counts()["quarantine"] == 1


def test_another_persons_nip_printed_in_groups_is_masked_in_the_subjects_report(
    migrated_database: Database,
) -> None:
    """A source's free text may name a colleague by NIP as letters print it: that NIP is someone else's
    personal data and stays out of the subject's report (the subject's own NIP stays)."""
    _quarantined(migrated_database, 10, NIP)
    colleague = "19800101 200501 1 002"  # OTHER, as letters print it
    with migrated_database.session() as session:
        raw = session.scalars(select(RawRecord)).one()
        raw.payload = json.dumps({**json.loads(raw.payload), "Keterangan": f"bersama {colleague}"})
    with migrated_database.session() as session:
        report = gather_subject(session, NIP)
    shown = json.dumps(report.as_dict(), ensure_ascii=False)
    assert NIP in shown and colleague not in shown and OTHER not in shown
    assert report.sections["source_records"][0]["payload"]["Keterangan"] == f"bersama {OTHER_NIP}"
