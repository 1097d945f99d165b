"""Acceptance probes: every PIC refused, every PIC deferred then accepted, and the instansi's PIC list
changed by an admin while a letter waits for a deferring PIC."""

from __future__ import annotations

from collections import Counter

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.letters.queries import letter_detail
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import add_pic, mail_status, planned_mail, remove_pic, retry_mail
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox, queue_letters
from tests.notify.mailserver import MailServer
from tests.notify.test_cli import cli_env, run  # noqa: F401  # the CLI against this database

pytestmark = pytest.mark.integration

OK, SLOW, NEW = "pic@kab-a1.go.id", "sekretariat@kab-a1.go.id", "baru@kab-a1.go.id"


def drain(database: Database, config: SmtpConfig, settings: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run()


def deliveries(server: MailServer) -> Counter[str]:
    return Counter(rcpt for r in server.handler.received for rcpt in r.recipients)


def test_every_pic_refused_parks_the_letter_unsent_and_a_retry_reaches_each_once(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    mail_server.handler.refuse_rcpt = {OK: "550 5.1.1 No such user", SLOW: "553 5.1.3 Bad address"}
    add_pics(migrated_database, "A1", OK, SLOW)
    queue_letters(migrated_database, 1)
    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert (row.state, row.sent_at, deliveries(mail_server)) == ("parked", None, Counter())
    with migrated_database.session() as session:
        (parked,) = mail_status(session)["parked"]
    assert (parked["delivered"], sorted(parked["refused"])) == ([], sorted([OK, SLOW]))

    mail_server.handler.refuse_rcpt = {}
    with migrated_database.session() as session:
        assert retry_mail(session, reason="server PIC sudah diperbaiki", actor="steward") == 1
    drain(migrated_database, smtp_config, notify_settings)
    drain(migrated_database, smtp_config, notify_settings)
    (row,) = outbox(migrated_database)
    assert (row.state, deliveries(mail_server)) == ("sent", Counter({OK: 1, SLOW: 1}))


def test_every_pic_deferred_then_accepted_gets_the_letter_once(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    busy = "451 4.3.0 Try again later"
    mail_server.handler.refuse_rcpt = {OK: busy, SLOW: busy}
    add_pics(migrated_database, "A1", OK, SLOW)
    queue_letters(migrated_database, 1)
    first = drain(migrated_database, smtp_config, notify_settings)
    (row,) = outbox(migrated_database)
    assert (first.deferred, row.state, row.sent_at) == (1, "pending", None)
    with migrated_database.session() as session:  # what the steward's letter page lists per PIC
        detail = letter_detail(session, row.letter_id)
    assert detail is not None
    assert detail["letter"].fates == ((OK, "deferred", busy), (SLOW, "deferred", busy))

    mail_server.handler.refuse_rcpt = {}
    drain(migrated_database, smtp_config, notify_settings)
    drain(migrated_database, smtp_config, notify_settings)
    (row,) = outbox(migrated_database)
    assert (row.state, deliveries(mail_server)) == ("sent", Counter({OK: 1, SLOW: 1}))


def test_a_pic_replaced_while_the_letter_waits_for_him_is_not_sent_it_and_his_successor_is(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    mail_server.handler.refuse_rcpt = {SLOW: "450 4.2.1 Mailbox busy, try later"}
    add_pics(migrated_database, "A1", OK, SLOW)
    queue_letters(migrated_database, 1)
    drain(migrated_database, smtp_config, notify_settings)  # OK has it; SLOW deferred
    # The admin learns SLOW's holder left the instansi and puts the new PIC in his place.
    with migrated_database.session() as session:
        remove_pic(session, "A1", SLOW, actor="admin")
        add_pic(session, "A1", NEW, actor="admin")
    mail_server.handler.refuse_rcpt = {}
    drain(migrated_database, smtp_config, notify_settings)
    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert row.state == "sent"
    assert deliveries(mail_server) == Counter({OK: 1, NEW: 1})


def test_a_dry_run_does_not_list_a_refused_pic_among_those_the_letter_will_go_to(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    gone = "lama@kab-a1.go.id"
    mail_server.handler.refuse_rcpt = {gone: "550 5.1.1 No such user", SLOW: "451 4.3.0 Try again later"}
    add_pics(migrated_database, "A1", OK, SLOW, gone)
    queue_letters(migrated_database, 1)
    drain(migrated_database, smtp_config, notify_settings)  # OK has it, SLOW deferred, gone refused

    with migrated_database.session() as session:
        (planned,) = planned_mail(session)
    mail_server.handler.refuse_rcpt = {gone: "550 5.1.1 No such user"}
    drain(migrated_database, smtp_config, notify_settings)

    # What the dry run said the next run would send is what it sent.
    assert planned["recipients"] == [SLOW] == sorted(set(deliveries(mail_server)) - {OK})
    assert (planned["already_delivered"], planned["refused"]) == ([OK], [gone])


def test_notify_status_says_who_has_a_letter_parked_for_one_pic(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    gone = "lama@kab-a1.go.id"
    mail_server.handler.refuse_rcpt = {gone: "550 5.1.1 No such user"}
    add_pics(migrated_database, "A1", OK, gone)
    queue_letters(migrated_database, 1)
    drain(migrated_database, smtp_config, notify_settings)

    shown = run(cli_env, "notify", "status")
    assert f"has the letter: {OK}" in shown and f"does not: {gone}" in shown


def test_a_pic_removed_while_the_letter_waits_is_shown_as_not_sent_it_on_the_letter_page_and_in_status(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    mail_server.handler.refuse_rcpt = {SLOW: "450 4.2.1 Mailbox busy, try later"}
    add_pics(migrated_database, "A1", OK, SLOW)
    queue_letters(migrated_database, 1)
    drain(migrated_database, smtp_config, notify_settings)  # OK has it; SLOW deferred
    with migrated_database.session() as session:
        remove_pic(session, "A1", SLOW, actor="admin")

    shown = run(cli_env, "notify", "status")
    assert f"not sent to (no longer a PIC): {SLOW}" in shown
    with migrated_database.session() as session:
        (planned,) = planned_mail(session)
    assert (planned["recipients"], planned["removed"]) == ([], [SLOW])

    drain(migrated_database, smtp_config, notify_settings)
    (row,) = outbox(migrated_database)
    with migrated_database.session() as session:
        detail = letter_detail(session, row.letter_id)
    assert detail is not None
    fates = {address: fate for address, fate, _ in detail["letter"].fates}
    assert (row.state, fates) == ("sent", {OK: "sent", SLOW: "removed"})
    assert deliveries(mail_server) == Counter({OK: 1})


def test_a_letter_every_pic_has_is_not_sent_to_a_pic_added_later(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    add_pics(migrated_database, "A1", OK)
    queue_letters(migrated_database, 1)
    drain(migrated_database, smtp_config, notify_settings)
    with migrated_database.session() as session:
        add_pic(session, "A1", NEW, actor="admin")
    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert (row.state, row.recipients, deliveries(mail_server)) == ("sent", [OK], Counter({OK: 1}))
