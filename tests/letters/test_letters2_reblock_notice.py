"""A block brought back by a withdrawn annulment reaches the PPK in words, once.

A case is blocked on its own schedule; its recommendation is annulled (the block lifted, SIASN told)
and later the annulment is withdrawn, after the block day, so enforcement blocks the ASN again. No
letter step is left for the case (peringatan and teguran went before the annulment; pemblokiran is no
letter), so the PPK gets a letter of its own, a ``pemberitahuan``, saying the block is back and why.
A rerun, a rerun after a drafting run that died before committing, and an unchanged next cycle send
nothing more. Enforcement, drafting and the notifier through a real SMTP server on loopback, on SQLite
and PostgreSQL.

An annulment made and withdrawn between two enforcement runs is never seen: no flag changed, no letter
spoke of it, so nothing is said (the block goes ahead on the schedule the teguran announced). One
seen by enforcement (the block lifted) and withdrawn by the next run, with no drafting between, is said.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, CaseAnnulment, ControlAction
from sbt_sync.db.models.letters import Letter
from sbt_sync.enforce import run_enforcement
from sbt_sync.letters.draft import draft_letters
from sbt_sync.letters.query import case_letters
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
REBLOCKED = "pemblokiran data kepegawaian ASN tersebut di SIASN diberlakukan kembali"
NOTICE = "Pembatalan rekomendasi atas kasus berikut telah ditarik."


class DraftingDied(Exception):
    """Stands for a drafting run killed after writing, before its commit."""


def drain(database: Database, config: SmtpConfig, settings: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run()


def enforce(database: Database, day: date) -> dict[str, object]:
    with database.session() as session:
        return run_enforcement(session, SETTINGS.enforcement, day).as_dict()


def blocked(database: Database) -> bool:
    with database.session() as session:
        return bool(session.scalar(select(BlockState.blocked)))


def blocked_then_annulled(database: Database, config: SmtpConfig, settings: NotifySettings) -> None:
    """Recommended 2 Dec 2024: peringatan 12 Dec and teguran 19 Dec mailed, blocked 26 Dec, the
    recommendation annulled 28 Dec and the block lifted on 30 Dec."""
    add_people(database, 1)
    add_pics(database, "ID-Sampang", PIC)
    enforce_and_draft(database, SETTINGS, date(2024, 12, 12))
    enforce_and_draft(database, SETTINGS, date(2024, 12, 19))
    assert drain(database, config, settings).sent == 2
    assert enforce_and_draft(database, SETTINGS, date(2024, 12, 26))["letters"] == 0
    assert blocked(database)
    annul(database, "2024-12-28")
    assert enforce_and_draft(database, SETTINGS, date(2024, 12, 30))["letters"] == 0
    assert not blocked(database)


def test_a_block_brought_back_by_a_withdrawn_annulment_is_told_to_the_ppk_once(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    database = migrated_database
    blocked_then_annulled(database, smtp_config, notify_settings)

    withdraw_annulment(database)
    enforce(database, date(2025, 1, 6))
    assert blocked(database)  # enforcement blocks again: the block day is long past
    with pytest.raises(DraftingDied), database.session() as session:
        assert draft_letters(session, SETTINGS, date(2025, 1, 6)).letters == 1
        raise DraftingDied
    told = enforce_and_draft(database, SETTINGS, date(2025, 1, 6))
    again = enforce_and_draft(database, SETTINGS, date(2025, 1, 6))
    later = enforce_and_draft(database, SETTINGS, date(2025, 1, 7))  # an unchanged cycle

    assert (told["letters"], told["by_step"]) == (1, {"pemberitahuan": 1})
    assert told["numbers"] == ["0001/B-AK.02.02/SD/F/2025"]
    assert (again["letters"], later["letters"]) == (0, 0)
    (_, peringatan), (_, teguran), (step, notice) = letters(database)
    assert step == "pemberitahuan"
    assert REBLOCKED not in peringatan + teguran
    assert NOTICE in notice
    assert (
        "rekomendasi REK/CASE-01: rekomendasi dibatalkan pada 28 Desember 2024; pembatalan tersebut "
        "telah ditarik, tercatat 6 Januari 2025, sehingga " + REBLOCKED + "." in notice
    )
    assert "Pemblokiran di SIASN diberlakukan kembali sejak 6 Januari 2025." in notice
    assert "REK/CASE-01" in notice and "ASN NOMOR 1" in notice
    with database.session() as session:
        (annulment,) = session.scalars(select(CaseAnnulment)).all()
        assert annulment.letter_id == session.scalar(select(Letter.id).where(Letter.step == "pemberitahuan"))
        # the notice answers for no control step: the case's steps keep their own letters
        assert session.scalar(select(ControlAction.id).where(ControlAction.action == "pemberitahuan")) is None

    # Mailed once to the PPK's PIC; later runs send nothing more.
    assert drain(database, smtp_config, notify_settings).sent == 1
    assert enforce_and_draft(database, SETTINGS, date(2025, 1, 8))["letters"] == 0
    assert drain(database, smtp_config, notify_settings).claimed == 0
    with database.session() as session:  # the case's timeline shows the notice after its steps
        timeline = case_letters(session, annulment.case_id)
    assert [(s["step"], s.get("number"), s.get("mail")) for s in timeline] == [
        ("peringatan", "0001/B-AK.02.02/SD/F/2024", "sent"),
        ("teguran", "0002/B-AK.02.02/SD/F/2024", "sent"),
        ("pemberitahuan", "0001/B-AK.02.02/SD/F/2025", "sent"),
    ]
    assert sorted(mail_server.handler.counts().values()) == [1, 1, 1]
    assert [r.recipients for r in mail_server.handler.received] == [[PIC]] * 3


def test_an_annulment_seen_and_withdrawn_before_any_drafting_is_still_told(
    migrated_database: Database, smtp_config: SmtpConfig, notify_settings: NotifySettings
) -> None:
    """Enforcement saw the annulment (the block was lifted at SIASN) and the next enforcement run saw
    it withdrawn, with no drafting between: the PPK may have seen its ASN unblocked, so it is told."""
    database = migrated_database
    add_people(database, 1)
    add_pics(database, "ID-Sampang", PIC)
    enforce_and_draft(database, SETTINGS, date(2024, 12, 12))
    enforce_and_draft(database, SETTINGS, date(2024, 12, 19))
    enforce(database, date(2024, 12, 26))
    annul(database, "2024-12-27")
    enforce(database, date(2024, 12, 27))
    assert not blocked(database)
    withdraw_annulment(database)
    enforce(database, date(2024, 12, 28))

    with database.session() as session:
        report = draft_letters(session, SETTINGS, date(2024, 12, 28))
    assert (report.letters, report.by_step) == (1, {"pemberitahuan": 1})
    (_, notice) = letters(database)[-1]
    assert REBLOCKED in notice and "tercatat 28 Desember 2024" in notice


def test_an_annulment_made_and_withdrawn_between_two_runs_is_not_mentioned(
    migrated_database: Database,
) -> None:
    """No run saw it: no flag changed and no letter spoke of it, so no letter speaks of its end."""
    database = migrated_database
    add_people(database, 1)
    add_pics(database, "ID-Sampang", PIC)
    enforce_and_draft(database, SETTINGS, date(2024, 12, 12))
    enforce_and_draft(database, SETTINGS, date(2024, 12, 19))
    annul(database, "2024-12-20")
    withdraw_annulment(database)
    blocked_on = enforce_and_draft(database, SETTINGS, date(2024, 12, 26))

    assert blocked_on["letters"] == 0 and blocked(database)
    assert [step for step, _ in letters(database)] == ["peringatan", "teguran"]
    with database.session() as session:
        assert session.scalars(select(CaseAnnulment)).all() == []
