"""A letter names its PPK's instansi in words, never by its SIASN code, even when the ASN of its case is
not in the registry mirror: the name comes from another member of the instansi in the mirror, or from
the case's own source records (the instansi as Bawaslu wrote it). When nothing knows the name the
letter says so in words and waits for a steward (held), instead of going out addressed to a code."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import insert, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, AuditEntry, CaseLink, RawRecord, StagedRecord
from sbt_sync.db.models.letters import Letter
from sbt_sync.ingest.registry import registry_row
from sbt_sync.notify.admin import add_pic, mail_status
from sbt_sync.settings import LetterSettings, NotifySettings, Settings
from tests.enforce.rows import add_case, nip
from tests.notify.helpers import add_pics, outbox
from tests.notify.test_letter_pdf import pdf_text
from tests.notify.test_letters import REPO_TEMPLATES, enforce_and_draft
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

CODE = "A5EB03E2F1C94D0B9A3F6C2E8D7B1A40"
SETTINGS = Settings(notify=NotifySettings(letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))))
DAY = date(2024, 12, 12)  # the deadline of a recommendation of 2 December: the peringatan


def a_case_of_an_asn_missing_from_the_mirror(database: Database) -> int:
    with database.session() as session:
        case = add_case(session, "CASE-01", nip(1), recommended=date(2024, 12, 2))
        case.instansi_id = CODE
        return case.id


def letter_of(database: Database) -> tuple[str, str]:
    """The letter's addressee and the text of its PDF (what the PPK reads)."""
    with database.session() as session:
        letter = session.scalars(select(Letter)).one()
        return letter.instansi_name, " ".join(pdf_text(letter.pdf).split())


def test_the_name_comes_from_another_member_of_the_instansi_in_the_mirror(
    migrated_database: Database,
) -> None:
    a_case_of_an_asn_missing_from_the_mirror(migrated_database)
    item = registry_item(nip(2), "ASN LAIN")
    item |= {"instansiIndukId": CODE, "instansiIndukNama": "Pemerintah Kabupaten Sampang"}
    with migrated_database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(item)])
    add_pics(migrated_database, CODE, "pic@sampang.go.id")

    enforce_and_draft(migrated_database, SETTINGS, DAY)

    name, shown = letter_of(migrated_database)
    assert name == "Pemerintah Kabupaten Sampang"
    assert CODE not in shown and "Pemerintah Kabupaten Sampang" in shown
    (row,) = outbox(migrated_database)
    assert row.state == "pending" and "Pemerintah Kabupaten Sampang" in row.subject


def test_the_name_comes_from_the_cases_source_records(migrated_database: Database) -> None:
    case_id = a_case_of_an_asn_missing_from_the_mirror(migrated_database)
    with migrated_database.session() as session:
        raw = RawRecord(
            source="bawaslu", record_key="REG-1", content_hash="h", version=1, payload=json.dumps({})
        )
        session.add(raw)
        session.flush()
        staged = StagedRecord(source="bawaslu", record_key="REG-1", item_no=0, raw_record_id=raw.id,
                              raw_version=1, content_hash="s", nip=nip(1), nip_raw=nip(1), name="X",
                              instansi="Pemerintah Kabupaten Sampang")  # fmt: skip
        session.add(staged)
        session.flush()
        session.add(CaseLink(case_id=case_id, staged_record_id=staged.id, source="bawaslu",
                             record_key="REG-1", rule="nip_event"))  # fmt: skip
    add_pics(migrated_database, CODE, "pic@sampang.go.id")

    enforce_and_draft(migrated_database, SETTINGS, DAY)

    name, shown = letter_of(migrated_database)
    assert name == "Pemerintah Kabupaten Sampang"
    assert CODE not in shown and "Pemerintah Kabupaten Sampang" in shown


def test_the_name_comes_from_the_pic_configuration(migrated_database: Database) -> None:
    a_case_of_an_asn_missing_from_the_mirror(migrated_database)
    with migrated_database.session() as session:
        add_pic(session, CODE, "pic@sampang.go.id", actor="admin")
        # Given later, with an address already there: the name is kept for the instansi (audited).
        add_pic(
            session, CODE, "pic@sampang.go.id", actor="admin", instansi_name="Pemerintah  Kabupaten Sampang "
        )

    enforce_and_draft(migrated_database, SETTINGS, DAY)

    name, shown = letter_of(migrated_database)
    assert name == "Pemerintah Kabupaten Sampang"
    assert CODE not in shown and "Pemerintah Kabupaten Sampang" in shown
    with migrated_database.session() as session:
        audited = session.scalar(select(AuditEntry.after).where(AuditEntry.action == "pic.name"))
    assert audited == {"instansi_name": "Pemerintah Kabupaten Sampang"}


def test_without_any_name_the_letter_says_so_in_words_and_waits_for_a_steward(
    migrated_database: Database,
) -> None:
    a_case_of_an_asn_missing_from_the_mirror(migrated_database)
    add_pics(migrated_database, CODE, "pic@sampang.go.id")

    drafted = enforce_and_draft(migrated_database, SETTINGS, DAY)

    name, shown = letter_of(migrated_database)
    assert CODE not in name and "nama instansi belum tercatat" in name
    assert CODE not in shown and "nama instansi belum tercatat" in shown
    (row,) = outbox(migrated_database)
    assert CODE not in row.subject
    assert row.state == "held"  # a steward checks the addressee before it goes
    assert "nama instansi" in (row.server_answer or "")
    assert drafted["queued"] == {"held": 1}
    with migrated_database.session() as session:
        assert mail_status(session)["outbox"]["held"] == 1


def test_a_long_instansi_name_from_the_source_records_still_makes_a_letter_and_its_mail(
    migrated_database: Database,
) -> None:
    # Staged instansi names may be 255 characters: in the mail's subject, after the step and the
    # letter's number, one such name passed the outbox's 255 and PostgreSQL refused the whole draft.
    long_name = "Pemerintah Kabupaten " + "Sampang Raya " * 18  # 255 characters with the prefix
    long_name = long_name[:255].strip()
    case_id = a_case_of_an_asn_missing_from_the_mirror(migrated_database)
    with migrated_database.session() as session:
        raw = RawRecord(
            source="bawaslu", record_key="REG-1", content_hash="h", version=1, payload=json.dumps({})
        )
        session.add(raw)
        session.flush()
        staged = StagedRecord(source="bawaslu", record_key="REG-1", item_no=0, raw_record_id=raw.id,
                              raw_version=1, content_hash="s", nip=nip(1), nip_raw=nip(1), name="X",
                              instansi=long_name)  # fmt: skip
        session.add(staged)
        session.flush()
        session.add(CaseLink(case_id=case_id, staged_record_id=staged.id, source="bawaslu",
                             record_key="REG-1", rule="nip_event"))  # fmt: skip
    add_pics(migrated_database, CODE, "pic@sampang.go.id")

    enforce_and_draft(migrated_database, SETTINGS, DAY)

    name, shown = letter_of(migrated_database)
    assert name == long_name
    assert "Pemerintah Kabupaten Sampang Raya" in shown
    (row,) = outbox(migrated_database)
    assert row.state == "pending" and len(row.subject) <= 255
    assert row.subject.startswith("Peringatan ") and "Pemerintah Kabupaten Sampang Raya" in row.subject
    assert row.subject.endswith("…")  # shortened visibly, never cut mid-word silently
