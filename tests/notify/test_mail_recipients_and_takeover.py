"""Mail delivery: a second notifier never re-sends what a live one holds, an address SMTP cannot
carry parks its letter without stopping the others, and a retry goes to the PIC addresses an admin
put in place of dead ones."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from sqlalchemy import insert, select

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry
from sbt_sync.db.models.letters import PicAddress
from sbt_sync.errors import SbtError
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import add_pic, list_pics, mail_address, remove_pic, retry_mail
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox, queue_letters
from tests.notify.mailserver import MailServer

pytestmark = pytest.mark.integration


def send(database: Database, config: SmtpConfig, notify: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, notify, FAST, sleep=lambda _: None).run()


def test_a_second_notifier_never_takes_over_letters_a_live_slow_one_still_holds(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    """Notifier A claims a window of letters (leased) and sends them one by one to a slow server; its
    later letters outlive the lease. Notifier B (the next cycle, or `sbt-sync notify send`) starts
    meanwhile. Each PPK still gets each letter once."""
    add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
    queue_letters(migrated_database, 4)
    mail_server.handler.data_delay = 0.6  # a slow (tarpitting) server: 0.6 s per message
    options = replace(FAST, lease_seconds=1.0, batch=10)  # stands for 600 s vs 10 slow letters

    def run() -> None:
        with SmtpSender(smtp_config) as sender:
            Notifier(migrated_database, sender, notify_settings, options, sleep=lambda _: None).run()

    first = threading.Thread(target=run)
    first.start()
    time.sleep(1.5)
    run()
    first.join()

    counts = mail_server.handler.counts()
    assert sum(counts.values()) == 4 and set(counts.values()) == {1}, counts
    assert [r.state for r in outbox(migrated_database)] == ["sent"] * 4


def test_a_notifier_in_the_same_process_never_takes_a_letter_another_live_one_is_sending_past_its_lease(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    """Two notifiers in one process (a run and `notify send` from a console thread, or two threads of
    one daemon) share the process's holder token: the second must still see that the first is alive and
    sending. Notifier A is inside the DATA of the only letter, its lease long over, when B runs."""
    add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
    queue_letters(migrated_database, 1)
    mail_server.handler.data_delay = 2.0  # A waits this long for the server's answer to its data
    options = replace(FAST, lease_seconds=0.2)

    def run() -> NotifyReport:
        with SmtpSender(smtp_config) as sender:
            return Notifier(migrated_database, sender, notify_settings, options, sleep=lambda _: None).run()

    first = threading.Thread(target=run)
    first.start()
    deadline = time.monotonic() + 30
    while not any(r.data_sent_at for r in outbox(migrated_database)):  # A is in the DATA
        assert time.monotonic() < deadline and first.is_alive(), "notifier A never reached the data"
        time.sleep(0.02)
    time.sleep(0.4)  # A's lease is over; A still waits for the 250
    second = run()
    first.join()

    assert (second.claimed, second.lost_claims) == (0, 0), second
    assert list(mail_server.handler.counts().values()) == [1]
    (row,) = outbox(migrated_database)
    assert (row.state, row.attempts, row.ambiguous_resends) == ("sent", 1, 0)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("PIC@Kabupatén.go.id", "pic@xn--kabupatn-h1a.go.id"),  # an internationalised domain: IDNA
        ("pic@sampang.go.id", "pic@sampang.go.id"),
        ("pïc@sampang.go.id", None),  # a non-ASCII local part needs SMTPUTF8: refused
        ("no-at-sign", None),
    ],
)
def test_a_pic_address_is_stored_as_smtp_can_carry_it(typed: str, stored: str | None) -> None:
    assert mail_address(typed) == stored


def test_add_pic_refuses_an_address_smtp_cannot_carry(migrated_database: Database) -> None:
    with migrated_database.session() as session, pytest.raises(SbtError):
        add_pic(session, "A1", "pïc@sampang.go.id", actor="admin")
    with migrated_database.session() as session:
        assert add_pic(session, "A1", "pic@kabupatén.go.id", actor="admin")
        assert [p["email"] for p in list_pics(session, "A1")] == ["pic@xn--kabupatn-h1a.go.id"]


def test_one_unsendable_pic_address_parks_its_letter_and_never_stops_the_others(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    """An address stored before add_pic checked them (or written by hand) cannot go out without
    SMTPUTF8: the run parks that letter with a reason and delivers the one after it."""
    with migrated_database.session() as session:
        session.execute(
            insert(PicAddress).values(
                instansi_id="A1", email="pïc@kabupaten.go.id", added_by="old", added_at=utcnow()
            )
        )
    add_pics(migrated_database, "B2", "pic@kab-b2.go.id")
    queue_letters(migrated_database, 1, instansi_id="A1")
    queue_letters(migrated_database, 1, instansi_id="B2", start=2)

    report = send(migrated_database, smtp_config, notify_settings)

    states = [(r.state, r.server_answer) for r in outbox(migrated_database)]
    assert [s for s, _ in states] == ["parked", "sent"], states
    assert "not plain ASCII" in (states[0][1] or "")
    assert (report.sent, report.parked) == (1, 1)


def test_a_letter_parked_for_a_dead_pic_address_reaches_the_address_an_admin_puts_in_its_place(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    mail_server.handler.refuse_rcpt = {"old@kab-a1.go.id": "550 5.1.1 No such user"}
    add_pics(migrated_database, "A1", "old@kab-a1.go.id")
    queue_letters(migrated_database, 1)
    send(migrated_database, smtp_config, notify_settings)
    assert [r.state for r in outbox(migrated_database)] == ["parked"]

    with migrated_database.session() as session:  # the admin fixes the PIC, the steward retries
        remove_pic(session, "A1", "old@kab-a1.go.id", actor="admin")
        add_pic(session, "A1", "new@kab-a1.go.id", actor="admin")
    with migrated_database.session() as session:
        assert retry_mail(session, reason="PIC diperbaiki", actor="steward") == 1
    send(migrated_database, smtp_config, notify_settings)

    assert [r.recipients for r in mail_server.handler.received] == [["new@kab-a1.go.id"]]
    assert [r.state for r in outbox(migrated_database)] == ["sent"]
    # Each PIC change readdressed the letter waiting for its instansi, in the admin's audit entry.
    with migrated_database.session() as session:
        audited = session.execute(
            select(AuditEntry.action, AuditEntry.after)
            .where(AuditEntry.action.in_(["pic.remove", "pic.add"]), AuditEntry.actor_name == "admin")
            .order_by(AuditEntry.id)
        ).all()
    assert [(action, (after or {}).get("letters_readdressed")) for action, after in audited] == [
        ("pic.remove", {"1": {"before": ["old@kab-a1.go.id"], "after": [], "removed": ["old@kab-a1.go.id"]}}),
        ("pic.add", {"1": {"before": [], "after": ["new@kab-a1.go.id"], "removed": []}}),
    ]
