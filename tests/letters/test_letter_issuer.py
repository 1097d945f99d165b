"""A letter names who issued each recommendation it lists (DOMAIN.md: keep the issuer on every
recommendation): a PPK warned by BKN in 2024 about a recommendation KASN sent it before its
dissolution reads "KASN" beside that recommendation's number, and "BKN" beside BKN's own."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import insert, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.db.models.letters import Letter
from sbt_sync.enforce import run_enforcement
from sbt_sync.ingest.registry import registry_row
from sbt_sync.letters.draft import draft_letters
from sbt_sync.settings import LetterSettings, NotifySettings, Settings
from tests.enforce.rows import add_case, nip
from tests.notify.helpers import add_pics
from tests.notify.test_letters import REPO_TEMPLATES
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

SETTINGS = Settings(notify=NotifySettings(letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))))
DAY = date(2024, 12, 12)  # the deadline of a recommendation of 2 December: the peringatan


def test_a_letter_says_which_body_issued_each_recommendation_it_lists(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        people = [registry_item(nip(i), f"ASN {i}", "Kab Sampang") for i in (1, 2)]
        session.execute(insert(AsnRegistryEntry), [registry_row(p) for p in people])
        add_case(session, "CASE-KASN", nip(1), recommended=date(2024, 12, 2), recommending_body="KASN")
        add_case(session, "CASE-BKN", nip(2), recommended=date(2024, 12, 2), recommending_body="BKN")
    add_pics(migrated_database, "ID-Kab Sampang", "pic@sampangkab.go.id")
    with migrated_database.session() as session:
        run_enforcement(session, SETTINGS.enforcement, DAY)
        draft_letters(session, SETTINGS, DAY)

    with migrated_database.session() as session:
        letter = session.scalars(select(Letter)).one()
        listed = {c["case_key"]: c.get("issuer") for c in letter.content["cases"]}
        pages = PdfReader(io.BytesIO(letter.pdf)).pages
        text = " ".join(" ".join(page.extract_text() for page in pages).split())  # cells wrap
    assert listed == {"CASE-KASN": "KASN", "CASE-BKN": "BKN"}
    assert "KASN REK/CASE-KASN, 2 Desember 2024" in text and "BKN REK/CASE-BKN, 2 Desember 2024" in text
