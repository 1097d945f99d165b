"""A letter held because nothing knew its instansi's name is re-rendered with the name once it is known,
on its release or just before it is sent, while no PIC holds it: same number, day and cases, a new PDF
(the one archived is the one mailed), audited. One whose name is still unknown is never sent: a release
of it is refused with the reason, and a notifier parks it. A letter a PIC already received is never
changed."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry
from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry
from sbt_sync.errors import SbtError
from sbt_sync.letters.model import UNNAMED_INSTANSI
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import add_pic, release_mail, retry_mail
from sbt_sync.notify.queue import NAME_UNKNOWN, SENT
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_cli import cli_env, run  # noqa: F401  # the CLI against this database
from tests.notify.test_letter_instansi_name import (
    CODE,
    DAY,
    SETTINGS,
    a_case_of_an_asn_missing_from_the_mirror,
    letter_of,
)
from tests.notify.test_letters import enforce_and_draft

pytestmark = pytest.mark.integration

NAME = "Pemerintah Kabupaten Sampang"
PIC, OTHER = "pic@sampang.go.id", "sekda@sampang.go.id"


def drain(database: Database, config: SmtpConfig, settings: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run()


def held_unnamed_letter(database: Database, *pics: str) -> Letter:
    """The peringatan of a case whose instansi nothing names, drafted (held) for ``pics``."""
    a_case_of_an_asn_missing_from_the_mirror(database)
    with database.session() as session:
        for pic in pics:
            add_pic(session, CODE, pic, actor="admin")
    enforce_and_draft(database, SETTINGS, DAY)
    with database.session() as session:
        letter = session.scalars(select(Letter)).one()
        session.expunge(letter)
    assert letter.instansi_name == UNNAMED_INSTANSI
    return letter


def attachment(content: bytes) -> bytes:
    message = message_from_bytes(content, policy=policy.SMTP)
    assert isinstance(message, EmailMessage)
    (part,) = list(message.iter_attachments())
    payload = part.get_content()
    assert isinstance(payload, bytes)
    return payload


def test_the_named_letter_keeps_its_number_and_day_and_the_pdf_archived_is_the_one_mailed(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    drafted = held_unnamed_letter(migrated_database, PIC)
    with migrated_database.session() as session:
        add_pic(session, CODE, PIC, actor="admin", instansi_name=NAME)
    with migrated_database.session() as session:
        assert release_mail(session, reason="nama instansi sudah dicatat", actor="steward") == 1
    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    (received,) = mail_server.handler.received
    with migrated_database.session() as session:
        letter = session.get(Letter, drafted.id)
        assert letter is not None
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "notify.release")).one()
    assert (letter.number, letter.letter_date, letter.case_count) == (
        drafted.number,
        drafted.letter_date,
        drafted.case_count,
    )
    assert letter.content["cases"] == drafted.content["cases"]
    assert (letter.content["instansi_name"], letter.instansi_name) == (NAME, NAME)
    assert attachment(received.content) == letter.pdf and letter.sha256 != drafted.sha256
    assert received.message_id == row.message_id and letter.sha256[:16] in row.message_id
    assert audit.after == {
        "rows": 1,
        "ids": [row.id],  # every held letter was released: the entry names the one it was
        "renamed": [
            {
                "letter": drafted.number,
                "instansi_name": {"before": UNNAMED_INSTANSI, "after": NAME},
                "sha256": {"before": drafted.sha256, "after": letter.sha256},
            }
        ],
    }


def test_a_release_while_the_name_is_still_unknown_is_refused_with_the_reason_and_nothing_goes(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    drafted = held_unnamed_letter(migrated_database, PIC)
    (row,) = outbox(migrated_database)

    with pytest.raises(SbtError) as refused, migrated_database.session() as session:
        release_mail(session, [row.id], reason="periksa", actor="steward")
    assert refused.value.code == "letter_unnamed" and drafted.number in str(refused.value)
    with migrated_database.session() as session:  # every held letter: this one stays held
        assert release_mail(session, reason="lepas semua", actor="steward") == 0
    shown = run(cli_env, "notify", "release", "--reason", "lepas semua")
    assert "0 letter(s) released" in shown and f"still held #{row.id} {drafted.number}" in shown
    assert "--instansi-name" in shown
    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert (row.state, mail_server.handler.received) == ("held", [])


def test_a_letter_retried_after_its_name_is_given_is_named_by_the_notifier_and_audited(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    held_unnamed_letter(migrated_database)  # no PIC address either: parked at once
    (row,) = outbox(migrated_database)
    assert row.state == "parked"
    with migrated_database.session() as session:
        add_pic(session, CODE, PIC, actor="admin")  # a letter parked for want of a PIC is due at once
        assert retry_mail(session, reason="PIC ditambahkan", actor="steward") == 0
    assert outbox(migrated_database)[0].state == "pending"
    drain(migrated_database, smtp_config, notify_settings)

    # Still no name: the notifier does not send it addressed without one.
    (row,) = outbox(migrated_database)
    assert (row.state, row.server_answer, mail_server.handler.received) == (
        "parked",
        NAME_UNKNOWN.format(instansi=CODE),
        [],
    )

    with migrated_database.session() as session:
        add_pic(session, CODE, PIC, actor="admin", instansi_name=NAME)
        assert retry_mail(session, reason="nama instansi dicatat", actor="steward") == 1
    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    name, shown = letter_of(migrated_database)
    (received,) = mail_server.handler.received
    assert row.state == "sent" and NAME in row.subject and received.message_id == row.message_id
    assert name == NAME and NAME in shown and "nama instansi belum tercatat" not in shown
    with migrated_database.session() as session:
        audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "letter.rename")).one()
    assert (audited.channel, (audited.after or {}).get("instansi_name")) == ("notifier", NAME)


def test_a_letter_a_pic_already_received_is_never_changed(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    drafted = held_unnamed_letter(migrated_database, PIC, OTHER)
    # As a release before names were checked left it: one PIC has it, the other is still to get it.
    with migrated_database.session() as session:
        row = session.scalars(select(NotificationOutboxEntry)).one()
        row.state = "pending"
        row.deliveries = {PIC: {"state": SENT, "answer": "250 2.0.0 Ok", "at": "2024-12-12T03:00:00+00:00"}}
        row.sent_at = row.created_at
    with migrated_database.session() as session:
        add_pic(session, CODE, PIC, actor="admin", instansi_name=NAME)
    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    (received,) = mail_server.handler.received
    with migrated_database.session() as session:
        letter = session.get(Letter, drafted.id)
        assert letter is not None
    assert row.state == "sent" and received.recipients == [OTHER]
    assert (letter.sha256, letter.instansi_name) == (drafted.sha256, UNNAMED_INSTANSI)
    assert attachment(received.content) == drafted.pdf
