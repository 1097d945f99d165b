"""The notifier beside a long write transaction (an enforcement run holding SQLite's write lock past the
busy timeout) waits for it and sends every due letter once, instead of failing 'database is locked'."""

from __future__ import annotations

import time

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.notify import Notifier, SmtpConfig, SmtpSender
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox, queue_letters
from tests.notify.mailserver import MailServer
from tests.support.write_lock import long_write_transaction, short_busy_timeout

pytestmark = pytest.mark.integration

HOLD = 3.0


def test_a_notifier_beside_a_long_write_transaction_waits_for_it_and_sends_each_letter_once(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = migrated_database
    add_pics(db, "A1", "pic1@kab-a1.go.id")
    queue_letters(db, 2)
    short_busy_timeout(monkeypatch)
    other = Database(db.url)
    try:
        with long_write_transaction(db, HOLD) as hold, SmtpSender(smtp_config) as sender:
            report = Notifier(other, sender, notify_settings, FAST, sleep=lambda _: None).run()
            finished = time.monotonic()
    finally:
        other.dispose()

    assert (report.claimed, report.sent, report.aborted) == (2, 2, None)
    if db.dialect == "sqlite":  # one write lock; on PostgreSQL the mail outbox is not enforcement's
        assert hold.released_at is not None and finished >= hold.released_at
    rows = outbox(db)
    assert [r.state for r in rows] == ["sent", "sent"]
    assert mail_server.handler.counts() == {r.message_id: 1 for r in rows}
