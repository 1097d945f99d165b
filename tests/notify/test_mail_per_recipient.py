"""Each PIC of an instansi receives a letter exactly once, whatever the others' servers answer: a PIC
whose server defers (4xx at RCPT TO) is retried alone, later, while the others get the letter at once;
a PIC refused permanently (5xx) is parked for a steward with the server's words while the others are
delivered; a steward's retry reaches only the PICs that have not had the letter."""

from __future__ import annotations

from collections import Counter

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import add_pic, mail_status, planned_mail, remove_pic, retry_mail
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox, queue_letters
from tests.notify.mailserver import MailServer

pytestmark = pytest.mark.integration

OK, SLOW, GONE = "pic@kab-a1.go.id", "sekretariat@kab-a1.go.id", "lama@kab-a1.go.id"


def drain(database: Database, config: SmtpConfig, settings: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run()


def deliveries(server: MailServer) -> Counter[tuple[str, str]]:
    """(Message-ID, recipient) -> copies the server accepted."""
    return Counter((r.message_id, rcpt) for r in server.handler.received for rcpt in r.recipients)


def test_a_pic_whose_server_defers_is_retried_alone_and_the_others_get_the_letter_at_once(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    mail_server.handler.refuse_rcpt = {SLOW: "450 4.2.1 Mailbox busy, try later"}
    add_pics(migrated_database, "A1", OK, SLOW)
    queue_letters(migrated_database, 1)

    first = drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert deliveries(mail_server) == {(row.message_id, OK): 1}  # not held back by the busy mailbox
    assert (first.deferred, row.state) == (1, "pending")
    assert row.sent_at is not None  # the PPK has the letter: the compliance report counts it
    assert "450 4.2.1" in (row.server_answer or "")
    with migrated_database.session() as session:  # what a dry run says the next run will send
        (planned,) = planned_mail(session)
    assert (planned["recipients"], planned["already_delivered"]) == ([SLOW], [OK])

    mail_server.handler.refuse_rcpt = {}
    second = drain(migrated_database, smtp_config, notify_settings)
    third = drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert deliveries(mail_server) == {(row.message_id, OK): 1, (row.message_id, SLOW): 1}
    assert (second.sent, third.claimed, row.state) == (1, 0, "sent")


def test_a_pic_refused_permanently_is_parked_with_the_servers_words_and_a_retry_reaches_only_him(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    mail_server.handler.refuse_rcpt = {
        GONE: "550 5.1.1 No such user",
        SLOW: "451 4.3.0 Temporary failure",
    }
    add_pics(migrated_database, "A1", OK, SLOW, GONE)
    queue_letters(migrated_database, 1)

    drain(migrated_database, smtp_config, notify_settings)
    mail_server.handler.refuse_rcpt = {GONE: "550 5.1.1 No such user"}
    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert deliveries(mail_server) == {(row.message_id, OK): 1, (row.message_id, SLOW): 1}
    assert row.state == "parked"  # a steward must act for the refused PIC
    with migrated_database.session() as session:
        (parked,) = mail_status(session)["parked"]
    assert f"{GONE}: 550 5.1.1 No such user" in parked["answer"]

    # The steward retries once the admin has replaced the dead address: only the new PIC gets it.
    with migrated_database.session() as session:
        remove_pic(session, "A1", GONE, actor="admin")
        add_pic(session, "A1", "baru@kab-a1.go.id", actor="admin")
    with migrated_database.session() as session:
        assert retry_mail(session, reason="PIC diganti", actor="steward") == 1
    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert deliveries(mail_server) == {
        (row.message_id, OK): 1,
        (row.message_id, SLOW): 1,
        (row.message_id, "baru@kab-a1.go.id"): 1,
    }
    assert row.state == "sent"
