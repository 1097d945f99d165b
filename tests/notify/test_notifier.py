"""The notifier against a real SMTP server on loopback (STARTTLS on a self-signed certificate, login):
delivery once, refusals parked with the server's answer, transient failures retried, recovery."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import update

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models.letters import NotificationOutboxEntry
from sbt_sync.holders import holder_token
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import mail_status, release_mail
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox, queue_letters
from tests.notify.mailserver import DROP, MailServer

pytestmark = pytest.mark.integration


def drain(
    database: Database, config: SmtpConfig, settings: NotifySettings, *, recover: bool = False
) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run(recover=recover)


def test_each_letter_reaches_every_pic_once_over_starttls_and_a_second_run_sends_nothing(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    add_pics(migrated_database, "A1", "pic1@kab-a1.go.id", "PIC2@kab-a1.go.id")
    queue_letters(migrated_database, 3)

    first = drain(migrated_database, smtp_config, notify_settings)
    second = drain(migrated_database, smtp_config, notify_settings)

    assert (first.sent, second.claimed) == (3, 0)
    rows = outbox(migrated_database)
    assert all(r.state == "sent" and r.server_answer and r.server_answer.startswith("250") for r in rows)
    assert mail_server.handler.counts() == {r.message_id: 1 for r in rows}
    got = mail_server.handler.received[0]
    assert sorted(got.recipients) == ["pic1@kab-a1.go.id", "pic2@kab-a1.go.id"]
    message = message_from_bytes(got.content, policy=policy.SMTP)
    assert message["Subject"].startswith("Peringatan tindak lanjut rekomendasi netralitas ASN - 0001/")
    attachment = next(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("script", "state", "answer"),
    [
        # A permanent refusal of the message parks it with the server's own words.
        ({"data_replies": ["554 5.7.1 Message rejected by policy"]}, "parked", "554 5.7.1 Message rejected"),
        # A transient refusal is retried (same message) and then goes through.
        ({"data_replies": ["451 4.3.0 Try again later"]}, "sent", "250 2.0.0 Ok"),
        # Every recipient refused permanently: parked, naming them.
        (
            {"refuse_rcpt": {"pic@kab-a1.go.id": "550 5.1.1 No such user"}},
            "parked",
            "every recipient refused",
        ),
    ],
)
def test_server_refusals_park_permanent_failures_and_retry_transient_ones(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    script: dict[str, object],
    state: str,
    answer: str,
) -> None:
    for key, value in script.items():
        setattr(mail_server.handler, key, copy.deepcopy(value))  # the handler uses replies up
    add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
    queue_letters(migrated_database, 1)

    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert row.state == state
    assert row.server_answer is not None and answer in row.server_answer
    assert len(mail_server.handler.received) == (1 if state == "sent" else 0)


def test_one_refused_pic_does_not_stop_the_letter_to_the_others(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    mail_server.handler.refuse_rcpt = {"gone@kab-a1.go.id": "550 5.1.1 No such user"}
    add_pics(migrated_database, "A1", "gone@kab-a1.go.id", "pic@kab-a1.go.id")
    queue_letters(migrated_database, 1)

    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    # The other PIC has the letter; the refused one is parked for a steward with the server's words.
    assert row.state == "parked" and "gone@kab-a1.go.id: 550 5.1.1 No such user" in (row.server_answer or "")
    assert row.sent_at is not None
    assert [r.recipients for r in mail_server.handler.received] == [["pic@kab-a1.go.id"]]


def test_an_unreachable_server_is_retried_with_backoff_then_parked_after_max_attempts(
    migrated_database: Database, smtp_config: SmtpConfig, notify_settings: NotifySettings
) -> None:
    add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
    queue_letters(migrated_database, 1)
    nowhere = replace(smtp_config, port=1, timeout=1)  # nothing listens on port 1

    reports = [drain(migrated_database, nowhere, notify_settings) for _ in range(3)]

    assert [(r.deferred, r.parked) for r in reports] == [(1, 0), (0, 1), (0, 0)]
    (row,) = outbox(migrated_database)
    assert row.state == "parked" and row.attempts == FAST.max_attempts
    assert row.server_answer is not None and row.server_answer.startswith(
        "gave up after 4 attempts: cannot connect"
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"password": "wrong"}, "refused our credentials"),
        ({"ca_bundle": None}, "TLS with 127.0.0.1"),  # the self-signed certificate is not trusted
    ],
)
def test_our_own_misconfiguration_stops_the_run_and_parks_nothing(
    migrated_database: Database,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    change: dict[str, object],
    why: str,
) -> None:
    add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
    queue_letters(migrated_database, 2)

    report = drain(migrated_database, replace(smtp_config, **change), notify_settings)  # type: ignore[arg-type]

    assert report.aborted is not None and why in report.aborted
    assert {r.state for r in outbox(migrated_database)} == {"pending"}


def test_a_server_without_starttls_is_refused_when_starttls_is_required(
    migrated_database: Database, tmp_path: object, smtp_config: SmtpConfig, notify_settings: NotifySettings
) -> None:
    from pathlib import Path

    plain = MailServer(Path(str(tmp_path)) / "..", starttls=False)
    try:
        add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
        queue_letters(migrated_database, 1)
        config = replace(smtp_config, port=plain.port, username=None)
        report = drain(migrated_database, config, notify_settings)
    finally:
        plain.stop()
    assert report.aborted is not None and "does not offer STARTTLS" in report.aborted
    assert plain.handler.received == []


@pytest.mark.parametrize("data_sent", [False, True])
def test_a_letter_left_sending_by_a_crash_is_sent_again_with_the_same_message_id(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    data_sent: bool,
) -> None:
    add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
    (row_id,) = queue_letters(migrated_database, 1)
    with migrated_database.session() as session:  # as a notifier killed mid-transaction leaves it
        session.execute(
            update(NotificationOutboxEntry)
            .where(NotificationOutboxEntry.id == row_id)
            .values(
                state="sending",
                attempts=1,
                next_attempt_at=utcnow() + timedelta(minutes=10),
                data_sent_at=utcnow() if data_sent else None,
            )
        )

    report = drain(migrated_database, smtp_config, notify_settings, recover=True)

    (row,) = outbox(migrated_database)
    assert (report.recovered, row.state, row.attempts) == (1, "sent", 2)
    assert row.ambiguous_resends == int(data_sent)
    assert mail_server.handler.counts() == {row.message_id: 1}


def test_recover_leaves_a_letter_a_live_notifier_is_sending(
    migrated_database: Database,
    smtp_config: SmtpConfig,
    mail_server: MailServer,
    notify_settings: NotifySettings,
) -> None:
    """A second notifier started with recover (the daemon's and `sbt-sync notify send` at once) must
    not take over a letter the first is still sending: the PPK would get it twice."""
    add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
    (row_id,) = queue_letters(migrated_database, 1)
    with migrated_database.session() as session:  # claimed by this (live) process, lease running
        session.execute(
            update(NotificationOutboxEntry)
            .where(NotificationOutboxEntry.id == row_id)
            .values(state="sending", attempts=1, next_attempt_at=utcnow() + timedelta(minutes=10),
                    data_sent_at=utcnow(), claimed_by=holder_token())
        )  # fmt: skip
    report = drain(migrated_database, smtp_config, notify_settings, recover=True)
    (row,) = outbox(migrated_database)
    assert (report.recovered, row.state, row.ambiguous_resends) == (0, "sending", 0)
    assert mail_server.handler.counts() == {}


def test_a_connection_lost_after_the_end_of_data_is_resent_once_and_counted_as_ambiguous(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    mail_server.handler.data_replies = [DROP]  # the server keeps the message but never says so
    add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
    queue_letters(migrated_database, 1)

    report = drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert (report.sent, report.ambiguous_resends, row.state, row.ambiguous_resends) == (1, 1, "sent", 1)
    # The receiver got the same Message-ID twice and can tell; counted by Message-ID it is one letter.
    assert mail_server.handler.counts() == {row.message_id: 2}


def test_reviewed_mode_holds_letters_until_a_steward_releases_them(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
    first, _ = queue_letters(migrated_database, 2, reviewed=True)

    held = drain(migrated_database, smtp_config, notify_settings)
    with migrated_database.session() as session:
        released = release_mail(session, [first], reason="checked the cases", actor="steward")
    after = drain(migrated_database, smtp_config, notify_settings)

    assert (held.claimed, released, after.sent) == (0, 1, 1)
    assert [r.state for r in outbox(migrated_database)] == ["sent", "held"]


def test_a_letter_to_an_instansi_without_pic_is_parked_until_an_admin_adds_one(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    queue_letters(migrated_database, 1, instansi_id="B2")
    with migrated_database.session() as session:
        status = mail_status(session)
    assert (
        status["outbox"]["parked"] == 1 and "no PIC address for instansi B2" in status["parked"][0]["answer"]
    )

    add_pics(migrated_database, "B2", "pic@kab-b2.go.id")  # due at once: no steward's retry needed
    assert [r.state for r in outbox(migrated_database)] == ["pending"]
    drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert (row.state, row.recipients) == ("sent", ["pic@kab-b2.go.id"])
