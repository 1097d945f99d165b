"""A notifier restarted with ``recover`` never takes a letter from a notifier process that still runs,
even when that process's lease has run out (a slow server): the PPK would get the letter twice. Once
the holder process is gone, the letter is taken over and delivered once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models.letters import NotificationOutboxEntry
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox, queue_letters
from tests.notify.mailserver import MailServer

pytestmark = pytest.mark.integration

HOLDER = (
    "import sys, time\n"
    "from sbt_sync.holders import holder_token\n"
    "print(holder_token(), flush=True)\n"
    "sys.stdin.read()\n"  # runs until the test closes its stdin
)


@pytest.fixture
def holder() -> Iterator[subprocess.Popen[str]]:
    """Another live process (a notifier stand-in) whose first line of output is its holder token."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def drain(database: Database, config: SmtpConfig, settings: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run(recover=True)


@pytest.mark.parametrize("data_sent", [False, True])
def test_recover_leaves_a_letter_whose_live_holder_outlived_its_lease_and_takes_it_once_it_is_gone(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    holder: subprocess.Popen[str],
    data_sent: bool,
) -> None:
    assert holder.stdout is not None and holder.stdin is not None
    token = holder.stdout.readline().strip()
    add_pics(migrated_database, "A1", "pic@kab-a1.go.id")
    (row_id,) = queue_letters(migrated_database, 1)
    with migrated_database.session() as session:  # the other process claimed it; its lease ran out
        session.execute(
            update(NotificationOutboxEntry)
            .where(NotificationOutboxEntry.id == row_id)
            .values(state="sending", attempts=1, next_attempt_at=utcnow() - timedelta(minutes=1),
                    data_sent_at=utcnow() if data_sent else None, claimed_by=token)
        )  # fmt: skip

    report = drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert (report.recovered, report.claimed, row.state, row.claimed_by) == (0, 0, "sending", token)
    assert (row.attempts, row.ambiguous_resends) == (1, 0)
    assert mail_server.handler.counts() == {}

    holder.stdin.close()  # the holder ends
    holder.wait(timeout=30)
    report = drain(migrated_database, smtp_config, notify_settings)

    (row,) = outbox(migrated_database)
    assert (report.recovered, report.sent, row.state) == (1, 1, "sent")
    assert row.ambiguous_resends == int(data_sent)
    assert mail_server.handler.counts() == {row.message_id: 1}
