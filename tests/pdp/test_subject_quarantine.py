"""A source row validation refused (quarantined, so never staged) is personal data held about the
person it names: the subject report includes it; one naming somebody else is not theirs."""

from __future__ import annotations

import json

from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord
from sbt_sync.pdp.subject import gather_subject

NIP, OTHER = "198001012005011001", "198001012005011002"


def _quarantined(database: Database, n: int, nip: str) -> None:
    key = f"R-{n}/KASN/2023"
    payload = {"No": str(n), "Nomor Rekomendasi": key, "Tanggal Rekomendasi": "31-02-2023",
               "NIP": f"'{nip}", "Nama": "Dr. Budi Santoso, M.Si.", "Hasil": "Terbukti"}  # fmt: skip
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
