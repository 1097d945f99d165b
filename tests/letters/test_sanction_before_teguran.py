"""A PPK that imposes the sanction the day before the teguran gets no teguran.

Two cases of one PPK, recommended 2 December 2024: peringatan on 12 December (one letter), teguran due
on 19 December. The first case's SK, dated 18 December, is recorded before the 19 December cycle; the
second's, also dated 18 December, reaches the golden case only after that cycle's enforcement, before
its drafting (a source that published late in the day). Neither case may be in a teguran: the PPK
followed up before it was due. Real SMTP on loopback; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.enforce import run_enforcement
from sbt_sync.letters.draft import draft_letters
from sbt_sync.notify import SmtpConfig
from sbt_sync.settings import NotifySettings
from tests.letters.annulments import letters
from tests.letters.test_letters2_reblock_notice import PIC, SETTINGS, drain
from tests.notify.helpers import add_pics
from tests.notify.mailserver import MailServer
from tests.notify.test_letters import add_people, enforce_and_draft

pytestmark = pytest.mark.integration


def sanction(database: Database, key: str, on: date) -> None:
    with database.session() as session:
        session.execute(
            update(Case)
            .where(Case.case_key == key)
            .values(status="dijatuhi_hukuman", sanction_imposed="22", sanction_date=on)
        )


def test_a_sanction_recorded_the_day_before_the_teguran_stops_it(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    database = migrated_database
    add_people(database, 2)
    with database.session() as session:  # both recommended on 2 December: one deadline, one schedule
        day = session.scalar(select(Case.recommendation_date).where(Case.case_key == "CASE-02"))
        session.execute(update(Case).values(recommendation_date=day))
    add_pics(database, "ID-Sampang", PIC)
    warned = enforce_and_draft(database, SETTINGS, date(2024, 12, 12))
    assert warned["by_step"] == {"peringatan": 1}
    assert drain(database, smtp_config, notify_settings).sent == 1

    sanction(database, "CASE-01", date(2024, 12, 18))
    with database.session() as session:
        run_enforcement(session, SETTINGS.enforcement, date(2024, 12, 19))
    sanction(database, "CASE-02", date(2024, 12, 18))  # published after enforcement, before drafting
    with database.session() as session:
        drafted = draft_letters(session, SETTINGS, date(2024, 12, 19)).as_dict()
    later = enforce_and_draft(database, SETTINGS, date(2024, 12, 20))

    assert (drafted["letters"], later["letters"]) == (0, 0)
    assert [step for step, _ in letters(database)] == ["peringatan"]
    assert drain(database, smtp_config, notify_settings).claimed == 0
    assert sorted(mail_server.handler.counts().values()) == [1]
