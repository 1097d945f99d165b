"""An early warning (peringatan dini) whose PPK already had today's early warning letter is never lost:
waiting for tomorrow's letter would put it on the deadline day, where no early warning may go. It goes
out today as a follow-up letter (surat susulan) that says which letter it follows; a case that can
still wait joins tomorrow's letter as before."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.db.models.letters import Letter
from sbt_sync.ingest.registry import registry_row
from sbt_sync.notify import Notifier, SmtpConfig, SmtpSender
from sbt_sync.settings import EnforcementSettings, LetterSettings, NotifySettings, Settings
from tests.enforce.rows import add_case, nip
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_letter_pdf import pdf_text
from tests.notify.test_letters import REPO_TEMPLATES, enforce_and_draft
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

SETTINGS = Settings(
    enforcement=EnforcementSettings(peringatan_dini_days_before=3),
    notify=NotifySettings(letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))),
)
DAY = date(2024, 12, 10)


def add_person_and_case(database: Database, number: int, recommended: date) -> None:
    with database.session() as session:
        session.execute(
            insert(AsnRegistryEntry), [registry_row(registry_item(nip(number), f"ASN NOMOR {number}"))]
        )
        add_case(session, f"CASE-{number:02d}", nip(number), recommended=recommended)


def test_an_early_warning_that_cannot_wait_for_tomorrow_goes_today_as_a_follow_up_letter(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    # Morning: a case whose deadline is 13 December gets today's early warning.
    add_person_and_case(migrated_database, 1, date(2024, 12, 3))
    morning = enforce_and_draft(migrated_database, SETTINGS, DAY)
    assert morning["by_step"] == {"peringatan_dini": 1}
    # Afternoon: a case recorded late, whose deadline is tomorrow (11 December), and one whose deadline
    # is 13 December (its early warning can wait for tomorrow's letter).
    add_person_and_case(migrated_database, 2, date(2024, 12, 1))
    add_person_and_case(migrated_database, 3, date(2024, 12, 3))
    afternoon = enforce_and_draft(migrated_database, SETTINGS, DAY)
    tomorrow = enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 11))

    assert afternoon["by_step"] == {"peringatan_dini": 1}, afternoon
    assert afternoon["skipped"] == 0
    with migrated_database.session() as session:
        stored = list(session.scalars(select(Letter).order_by(Letter.id)))
        letters = [
            (x.step, x.letter_date, [c["case_key"] for c in x.content["cases"]], x.content.get("follows"))
            for x in stored
        ]
        follow_up = " ".join(pdf_text(stored[1].pdf).split())
    first = "0001/B-AK.02.02/SD/F/2024"
    assert letters[:2] == [
        ("peringatan_dini", DAY, ["CASE-01"], None),
        ("peringatan_dini", DAY, ["CASE-02"], first),  # before its deadline, saying what it follows
    ]
    assert (
        "surat susulan atas surat kami nomor 0001/B-AK.02.02/SD/F/2024 tanggal 10 Desember 2024" in follow_up
    )
    assert tomorrow["skipped"] == 0
    assert ("peringatan_dini", date(2024, 12, 11), ["CASE-03"], None) in letters

    with SmtpSender(smtp_config) as sender:
        Notifier(migrated_database, sender, notify_settings, FAST, sleep=lambda _: None).run()
    assert [r.state for r in outbox(migrated_database)] == ["sent"] * len(letters)
    assert set(mail_server.handler.counts().values()) == {1}
