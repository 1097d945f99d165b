"""A person's discipline record is personal data (DOMAIN.md): the subject report lists every version
of the sanctions on their cases (the first decision and each revision after an objection, with the
steward's reason), and a steward's version waiting for its case to come back when it follows the
person's records; nobody else's versions. Both backends."""

from __future__ import annotations

from datetime import date

from sbt_sync.db.engine import Database
from sbt_sync.db.models import RawRecord, SanctionVersion, StagedRecord
from sbt_sync.pdp.subject import gather_subject
from tests.enforce.rows import add_case, nip

NIP, OTHER = nip(1), nip(2)


def test_the_subject_report_lists_the_sanction_versions_of_the_persons_cases(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:
        own, other = add_case(session, "CASE-01", NIP), add_case(session, "CASE-02", OTHER)
        raw = RawRecord(source="idis", record_key="IDIS-9", content_hash="h9", payload="{}")
        session.add(raw)
        session.flush()
        staged = StagedRecord(
            source="idis", record_key="IDIS-9", raw_record_id=raw.id, raw_version=1, content_hash="s9",
            nip=NIP, nip_raw=NIP, name="ASN Satu",
        )  # fmt: skip
        session.add(staged)
        session.flush()
        session.add_all([
            SanctionVersion(case_id=own.id, version_key="2025-01-10|25", seq=1, code="25", letter_no="SK-1",
                            decided_on=date(2025, 1, 10), source="idis", source_ref="IDIS-1"),
            SanctionVersion(case_id=own.id, version_key="steward|a", seq=2, code="23", letter_no="6678/B-AK",
                            decided_on=date(2025, 3, 1), source="steward", entered_by="steward",
                            reason="keberatan dikabulkan gubernur", in_force=True),
            SanctionVersion(case_id=None, version_key="steward|w", code="21", letter_no="SK-9",
                            decided_on=date(2025, 4, 1), source="steward", entered_by="steward",
                            reason="menunggu kasusnya kembali", released_records=[staged.id]),
            SanctionVersion(case_id=other.id, version_key="2025-01-11|22", seq=1, code="22",
                            letter_no="SK-2", decided_on=date(2025, 1, 11), source="idis", in_force=True),
        ])  # fmt: skip
    with migrated_database.session() as session:
        report = gather_subject(session, NIP)
    versions = report.sections["sanction_versions"]
    assert [(v["letter_no"], v["code"], v["in_force"]) for v in versions] == [
        ("SK-1", "25", False),
        ("6678/B-AK", "23", True),
        ("SK-9", "21", False),
    ]
    assert versions[1]["reason"] == "keberatan dikabulkan gubernur"
    assert report.counts()["sanction_versions"] == 3
