"""Acceptance probes of per-recipient delivery across crashes: a notifier killed between the server's
acceptance and its record, or between that record and ``mark_sent``, leaves a row the next run
completes with every PIC holding the letter once. A kill is stood in for by an exception no code
catches, after which the row's holder is made a gone process (as a killed notifier's is)."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from sbt_sync.db.engine import Database
from sbt_sync.db.models.letters import NotificationOutboxEntry
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender, queue
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox, queue_letters
from tests.notify.mailserver import DROP, MailServer

pytestmark = pytest.mark.integration

OK, SLOW = "pic@kab-a1.go.id", "sekretariat@kab-a1.go.id"


class Killed(BaseException):
    """The process dies here: nothing after this point runs."""


def drain(
    database: Database, config: SmtpConfig, settings: NotifySettings, *, recover: bool = False
) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run(recover=recover)


def die_in(monkeypatch: pytest.MonkeyPatch, name: str, *, after: bool = False, nth: int = 1) -> None:
    """The ``nth`` call of ``queue.<name>`` kills the notifier (before it, or once it committed)."""
    real: Callable[..., Any] = getattr(queue, name)
    calls = 0

    def dying(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth and not after:
            raise Killed(name)
        result = real(*args, **kwargs)
        if calls == nth:
            args[0].commit()
            raise Killed(name)
        return result

    monkeypatch.setattr(queue, name, dying)


def holder_killed(database: Database) -> None:
    """The killed notifier's process is gone (a token no live process has)."""
    with database.session() as session:
        session.execute(
            update(NotificationOutboxEntry)
            .where(NotificationOutboxEntry.state == "sending")
            .values(claimed_by=f"{socket.gethostname()[:64] or 'localhost'}:999999999:1")
        )


def deliveries(server: MailServer) -> Counter[tuple[str, str]]:
    return Counter((r.message_id, rcpt) for r in server.handler.received for rcpt in r.recipients)


def test_killed_after_every_pic_accepted_and_was_recorded_the_next_run_sends_nothing_and_claims_no_doubt(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_pics(migrated_database, "A1", OK, SLOW)
    queue_letters(migrated_database, 1)
    die_in(monkeypatch, "mark_sent")
    with pytest.raises(Killed):
        drain(migrated_database, smtp_config, notify_settings)
    monkeypatch.undo()
    holder_killed(migrated_database)

    report = drain(migrated_database, smtp_config, notify_settings, recover=True)

    (row,) = outbox(migrated_database)
    assert deliveries(mail_server) == {(row.message_id, OK): 1, (row.message_id, SLOW): 1}
    assert (report.sent, row.state) == (1, "sent")
    # Every PIC's acceptance was on record: nothing was sent again, so no copy may be in doubt.
    assert (report.ambiguous_resends, row.ambiguous_resends) == (0, 0)


def test_killed_while_a_deferred_pic_is_retried_alone_the_next_run_sends_it_to_him_only_again(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mail_server.handler.refuse_rcpt = {SLOW: "450 4.2.1 Mailbox busy, try later"}
    add_pics(migrated_database, "A1", OK, SLOW)
    queue_letters(migrated_database, 1)
    real = queue.record_recipients
    calls = 0

    def recording(*args: Any, **kwargs: Any) -> None:
        """The first transaction's answers are recorded, then the busy mailbox frees up; the notifier
        dies once the retry to him alone was accepted, before its record."""
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Killed("record_recipients")
        real(*args, **kwargs)
        mail_server.handler.refuse_rcpt = {}

    monkeypatch.setattr(queue, "record_recipients", recording)
    with pytest.raises(Killed):
        drain(migrated_database, smtp_config, notify_settings)
    monkeypatch.undo()
    holder_killed(migrated_database)
    mail_server.handler.refuse_rcpt = {}

    drain(migrated_database, smtp_config, notify_settings, recover=True)

    (row,) = outbox(migrated_database)
    copies = deliveries(mail_server)
    # The PIC on record as having it is never sent it again; the one whose acceptance was lost with the
    # process is sent the same message again (the one window SMTP leaves in doubt), counted on the row.
    assert copies[(row.message_id, OK)] == 1
    assert copies[(row.message_id, SLOW)] == 2
    assert (row.state, row.ambiguous_resends) == ("sent", 1)


def test_killed_between_the_acceptance_and_its_record_the_same_message_goes_again_and_counts_as_a_doubt(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_pics(migrated_database, "A1", OK, SLOW)
    queue_letters(migrated_database, 1)
    die_in(monkeypatch, "record_recipients")
    with pytest.raises(Killed):
        drain(migrated_database, smtp_config, notify_settings)
    monkeypatch.undo()
    holder_killed(migrated_database)

    drain(migrated_database, smtp_config, notify_settings, recover=True)

    (row,) = outbox(migrated_database)
    copies = deliveries(mail_server)
    assert set(copies) == {(row.message_id, OK), (row.message_id, SLOW)}  # one Message-ID, both PICs
    assert all(n <= 1 + row.ambiguous_resends for n in copies.values())
    assert (row.state, row.ambiguous_resends) == ("sent", 1)


def test_a_copy_the_server_may_hold_stays_counted_when_the_retry_is_accepted_and_the_notifier_dies(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server accepts the first copy but the connection drops before its 250: the retry sends the
    # same message again and is accepted; the notifier dies before marking the row sent.
    mail_server.handler.data_replies = [DROP]
    add_pics(migrated_database, "A1", OK, SLOW)
    queue_letters(migrated_database, 1)
    die_in(monkeypatch, "mark_sent")
    with pytest.raises(Killed):
        drain(migrated_database, smtp_config, notify_settings)
    monkeypatch.undo()
    holder_killed(migrated_database)

    drain(migrated_database, smtp_config, notify_settings, recover=True)

    (row,) = outbox(migrated_database)
    copies = deliveries(mail_server)
    assert copies == {(row.message_id, OK): 2, (row.message_id, SLOW): 2}
    assert row.state == "sent" and row.ambiguous_resends == 1  # the second copy is on record
