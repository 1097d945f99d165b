"""An ASN moved to another instansi between two control steps: the new PPK's first letter tells it
what it inherits (the earlier steps, their letter numbers and dates, and which PPK received them), and
never claims that it was itself warned before."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry
from sbt_sync.settings import LetterSettings, NotifySettings, Settings
from tests.notify.helpers import add_pics
from tests.notify.test_letter_pdf import pdf_text
from tests.notify.test_letters import REPO_TEMPLATES, add_people, enforce_and_draft

pytestmark = pytest.mark.integration

SETTINGS = Settings(notify=NotifySettings(letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))))


def test_the_new_ppk_is_told_the_steps_the_case_went_through_at_the_old_one(
    migrated_database: Database,
) -> None:
    add_people(migrated_database, 1)  # recommended 2 Dec: peringatan 12 Dec, teguran 19 Dec
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    add_pics(migrated_database, "ID-Bangkalan", "pic@bangkalan.go.id")
    enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 12))
    with migrated_database.session() as session:  # the peringatan reached Sampang's PIC
        session.execute(update(NotificationOutboxEntry).values(state="sent"))
        peringatan = session.scalar(select(Letter.number))
        # The registry then moves the ASN to Bangkalan.
        session.execute(
            update(AsnRegistryEntry).values(
                instansi_id="ID-Bangkalan", instansi_name="Pemerintah Kabupaten Bangkalan"
            )
        )

    enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 19))

    with migrated_database.session() as session:
        teguran = session.scalars(select(Letter).where(Letter.step == "teguran")).one()
    assert teguran.instansi_name == "Pemerintah Kabupaten Bangkalan"
    content = teguran.content
    # It does not claim Bangkalan's PPK was warned: the peringatan went to Sampang's.
    assert content["every_case_warned"] is False and content["peringatan_letters"] == []
    (inherited,) = content["inherited"]
    assert inherited["steps"] == [
        f"Peringatan dengan surat nomor {peringatan} tanggal 12 Desember 2024 kepada "
        "Pejabat Pembina Kepegawaian Pemerintah Kabupaten Sampang"
    ]
    assert inherited["name"] == content["cases"][0]["name"]
    # The PDF the PPK reads says it in words.
    text = " ".join(pdf_text(teguran.pdf).split())
    assert "kini tercatat pada instansi Saudara" in text
    assert f"surat nomor {peringatan} tanggal 12 Desember 2024" in text
    assert "Pemerintah Kabupaten Sampang" in text
