"""A recommendation annulled, then the annulment withdrawn: enforcement restarts on the recommendation's
own schedule, and the PPK, whose case had been closed, is told why in its next letter, once per
withdrawal (reruns tell nothing again; a later letter for the case does not repeat it). Enforcement,
drafting and the notifier through a real SMTP server on loopback, on SQLite and PostgreSQL.

DOMAIN.md and DESIGN.md say a case ends when its recommendation is annulled and nothing about a
withdrawn annulment or a new deadline; so the letter says the recommendation applies again and
enforcement resumed on its original schedule (the table's deadline and next step), and why."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import CaseAnnulment
from sbt_sync.db.models.letters import Letter
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.settings import LetterSettings, NotifySettings, Settings
from tests.letters.annulments import annul, letters, withdraw_annulment
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics
from tests.notify.mailserver import MailServer
from tests.notify.test_letters import REPO_TEMPLATES, add_people, enforce_and_draft

pytestmark = pytest.mark.integration

SETTINGS = Settings(notify=NotifySettings(letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))))
PIC = "pic@sampang.go.id"
NOTICE = "Pembatalan rekomendasi atas kasus berikut telah ditarik."


def drain(database: Database, config: SmtpConfig, settings: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run()


def test_after_a_peringatan_and_a_withdrawn_annulment_the_teguran_says_why_enforcement_resumed_once(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    database = migrated_database
    add_people(database, 1)  # recommended 2 Dec 2024: peringatan 12 Dec, teguran 19 Dec, block 26 Dec
    add_pics(database, "ID-Sampang", PIC)
    enforce_and_draft(database, SETTINGS, date(2024, 12, 12))
    assert drain(database, smtp_config, notify_settings).sent == 1  # the peringatan
    annul(database, "2024-12-14")
    assert enforce_and_draft(database, SETTINGS, date(2024, 12, 16))["letters"] == 0  # the case ended

    withdraw_annulment(database)
    resumed = enforce_and_draft(database, SETTINGS, date(2024, 12, 20))
    again = enforce_and_draft(database, SETTINGS, date(2024, 12, 20))

    assert (resumed["letters"], resumed["by_step"], again["letters"]) == (1, {"teguran": 1}, 0)
    (_, peringatan), (step, teguran) = letters(database)
    assert step == "teguran" and NOTICE not in peringatan
    assert NOTICE in teguran
    assert "berlaku kembali" in teguran
    assert "menjatuhkan sanksi dan mengunggah keputusannya ke I'DIS" in teguran
    assert (
        "rekomendasi REK/CASE-01: rekomendasi dibatalkan pada 14 Desember 2024; pembatalan tersebut telah "
        "ditarik, tercatat 20 Desember 2024." in teguran
    )
    assert "Pemblokiran di SIASN pada 26 Desember 2024." in teguran  # the original schedule
    with database.session() as session:
        (annulment,) = session.scalars(select(CaseAnnulment)).all()
        told_by = session.scalar(select(Letter.id).where(Letter.step == "teguran"))
        assert (annulment.annulled_on, annulment.withdrawn_on) == (date(2024, 12, 14), date(2024, 12, 20))
        assert annulment.letter_id == told_by
    # Mailed once to the PPK's PIC; a later run sends nothing more.
    assert drain(database, smtp_config, notify_settings).sent == 1
    assert drain(database, smtp_config, notify_settings).claimed == 0
    assert sorted(mail_server.handler.counts().values()) == [1, 1]
    assert [r.recipients for r in mail_server.handler.received] == [[PIC], [PIC]]


def test_the_notice_goes_in_the_first_letter_after_the_withdrawal_only_and_each_withdrawal_is_recorded(
    migrated_database: Database,
) -> None:
    database = migrated_database
    add_people(database, 1)
    add_pics(database, "ID-Sampang", PIC)
    annul(database, "2024-12-05")  # annulled before its deadline: no letter went
    assert enforce_and_draft(database, SETTINGS, date(2024, 12, 6))["letters"] == 0
    withdraw_annulment(database)

    enforce_and_draft(database, SETTINGS, date(2024, 12, 13))  # the peringatan, with the notice
    enforce_and_draft(database, SETTINGS, date(2024, 12, 13))
    enforce_and_draft(database, SETTINGS, date(2024, 12, 19))  # the teguran: the PPK was told already

    (_, peringatan), (_, teguran) = letters(database)
    assert NOTICE in peringatan and "tercatat 13 Desember 2024" in peringatan
    assert NOTICE not in teguran
    # Annulled again and withdrawn again: a withdrawal of its own, for the next letter to tell.
    annul(database, "2024-12-21")
    enforce_and_draft(database, SETTINGS, date(2024, 12, 22))
    withdraw_annulment(database)
    enforce_and_draft(database, SETTINGS, date(2024, 12, 23))
    with database.session() as session:
        rows = session.execute(
            select(CaseAnnulment.annulled_on, CaseAnnulment.withdrawn_on).order_by(CaseAnnulment.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (date(2024, 12, 5), date(2024, 12, 13)),
        (date(2024, 12, 21), date(2024, 12, 23)),
    ]
