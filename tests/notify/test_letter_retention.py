"""Retention (UU 27/2022) and letters: a closed case's data is kept while one of its letters is still to
be delivered, and no longer once the letter is settled: delivered to every PIC it still goes to (a PIC
the admin removed is not waited for), or given up by a steward for the PICs that do not have it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, Case, ControlAction
from sbt_sync.db.models.letters import LetterItem
from sbt_sync.errors import SbtError
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import give_up_mail, mail_status, remove_pic
from sbt_sync.pdp.retention import PurgePlan, plan_purge
from sbt_sync.settings import NotifySettings, RetentionSettings
from tests.console.letters_world import write_letter
from tests.enforce.rows import add_case, nip
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_cli import cli_env, run  # noqa: F401  # the CLI against this database

pytestmark = pytest.mark.integration

OK, GONE = "pic@kab-a1.go.id", "lama@kab-a1.go.id"


def drain(database: Database, config: SmtpConfig, settings: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run()


def also_lists_an_open_case(database: Database, letter_id: int) -> None:
    """Put a case still open (CASE-02) on the letter too: it stays to be delivered (a letter all of
    whose cases ended is never sent: the last test)."""
    with database.session() as session:
        still_open = add_case(session, "CASE-02", nip(2)).id
        day = date(2026, 10, 12)
        action = ControlAction(case_id=still_open, action="peringatan", due_on=day, reason="r", as_of=day)
        session.add(action)
        session.flush()
        session.add(LetterItem(control_action_id=action.id, case_id=still_open, letter_id=letter_id))


def a_closed_case_whose_letter_one_pic_refused(
    database: Database, server: MailServer, config: SmtpConfig, settings: NotifySettings
) -> int:
    """A case whose peringatan reached OK while GONE's server refused it (parked), closed since. The
    letter also lists a case still open, so it is still to be delivered to GONE (a letter all of whose
    cases ended is never sent again: the last test)."""
    with database.session() as session:
        case_id = add_case(session, "CASE-01", nip(1)).id
    add_pics(database, "A1", OK, GONE)
    letter_id, _ = write_letter(database, case_id, seq=1, instansi_id="A1", reviewed=False)
    also_lists_an_open_case(database, letter_id)
    server.handler.refuse_rcpt = {GONE: "550 5.1.1 No such user"}
    drain(database, config, settings)
    (row,) = outbox(database)
    assert (row.state, row.sent_at is not None) == ("parked", True)
    with database.session() as session:
        session.execute(update(Case).where(Case.id == case_id).values(status="dijatuhi_hukuman"))
    return case_id


def plan_years_later(database: Database) -> PurgePlan:
    with database.session() as session:
        return plan_purge(session, RetentionSettings(), as_of=utcnow() + timedelta(days=3000))


def test_a_letter_parked_for_a_pic_the_admin_removed_no_longer_keeps_the_case(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    case_id = a_closed_case_whose_letter_one_pic_refused(
        migrated_database, mail_server, smtp_config, notify_settings
    )
    kept = plan_years_later(migrated_database)
    assert (kept.cases, kept.kept) == ([], {"letter_not_delivered": 1})

    with migrated_database.session() as session:
        remove_pic(session, "A1", GONE, actor="admin")

    assert plan_years_later(migrated_database).cases == [case_id]


def test_a_letter_a_steward_gave_up_for_the_pic_that_refused_it_no_longer_keeps_the_case(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    case_id = a_closed_case_whose_letter_one_pic_refused(
        migrated_database, mail_server, smtp_config, notify_settings
    )
    (row,) = outbox(migrated_database)
    with pytest.raises(SbtError) as refused, migrated_database.session() as session:
        give_up_mail(session, [row.id], reason=" ", actor="steward")
    assert refused.value.code == "reason_required"

    given = run(cli_env, "notify", "give-up", str(row.id), "--reason", "alamat PIC tidak aktif lagi")
    assert "1 letter(s) given up" in given

    assert plan_years_later(migrated_database).cases == [case_id]
    assert f"never sent it: {GONE}" in run(cli_env, "notify", "status")
    with migrated_database.session() as session:
        status = mail_status(session)
        audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "notify.give_up")).one()
    (given_up,) = status["given_up"]
    assert status["parked"] == []  # given up on purpose, not waiting for a steward
    assert (given_up["delivered"], given_up["not_sent_to"]) == ([OK], [GONE])
    assert given_up["reason"] == "alamat PIC tidak aktif lagi"
    assert (audited.channel, audited.after) == (
        "cli",
        {"rows": 1, "ids": [row.id], "given_up": {str(row.id): [GONE]}},
    )


def test_a_letter_no_pic_has_yet_keeps_the_case(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    with migrated_database.session() as session:
        case_id = add_case(session, "CASE-01", nip(1)).id
    add_pics(migrated_database, "A1", OK)
    letter_id, _ = write_letter(migrated_database, case_id, seq=1, instansi_id="A1", reviewed=True)  # held
    also_lists_an_open_case(migrated_database, letter_id)
    with migrated_database.session() as session:
        session.execute(update(Case).where(Case.id == case_id).values(status="dijatuhi_hukuman"))
        remove_pic(session, "A1", OK, actor="admin")  # and nobody to send it to now

    kept = plan_years_later(migrated_database)
    assert (kept.cases, kept.kept) == ([], {"letter_not_delivered": 1})


def test_a_letter_the_notifier_stopped_because_every_case_ended_no_longer_keeps_the_case(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    """The PPK imposed the sanction before the letter went: the notifier parks it unsent, saying every
    case ended (it will never send it). Years later that letter must not keep the closed case's
    personal data past its retention, as no PIC will ever be sent it."""
    with migrated_database.session() as session:
        case_id = add_case(session, "CASE-01", nip(1)).id
    add_pics(migrated_database, "A1", OK)
    write_letter(migrated_database, case_id, seq=1, instansi_id="A1", reviewed=False)
    with migrated_database.session() as session:
        session.execute(update(Case).where(Case.id == case_id).values(status="dijatuhi_hukuman"))
    drain(migrated_database, smtp_config, notify_settings)
    (row,) = outbox(migrated_database)
    assert (row.state, row.sent_at, mail_server.handler.received) == ("parked", None, [])
    assert "semua kasus surat ini telah selesai" in (row.server_answer or "")

    assert plan_years_later(migrated_database).cases == [case_id]
