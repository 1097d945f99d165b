"""A notifier that stalled past its claim's lease has lost the letter to whoever took it over: nothing it
records afterwards (a deferral, a refusal, a release) may undo the new holder's claim, or a third
notifier could send the letter while the new holder is sending it. Its SMTP transactions still count
towards the letter's ``max_attempts``, and a claim given back unsent counts none."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from sbt_sync import holders
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.notify import Notifier, SmtpConfig, SmtpSender, queue
from sbt_sync.notify.queue import ClaimedMail
from sbt_sync.notify.smtp import SentAnswer
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox, queue_letters
from tests.notify.mailserver import MailServer

pytestmark = pytest.mark.integration

LEASE = timedelta(minutes=10)
TRY_LATER = "451 4.3.0 try again later"
HOST_A, HOST_B = "notifier-a.example:101:7", "notifier-b.example:202:9"
"""Holder tokens of notifiers on two other hosts: this host cannot see whether they run, so a claim's
lease alone says when another notifier may take its row over."""


class BeforeFirstSend:
    """The real SMTP sender; just before its first transaction, ``action`` runs (another notifier)."""

    def __init__(self, inner: SmtpSender, action: Callable[[], None]) -> None:
        self._inner = inner
        self._action: Callable[[], None] | None = action

    def send(
        self, *, sender: str, recipients: tuple[str, ...], data: bytes, before_end: Callable[[], None]
    ) -> SentAnswer:
        action, self._action = self._action, None
        if action is not None:
            action()
        return self._inner.send(sender=sender, recipients=recipients, data=data, before_end=before_end)


def test_a_notifier_whose_claim_was_taken_over_while_it_retried_records_nothing_but_its_tries(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = migrated_database
    add_pics(db, "A1", "pic@a1.example")
    queue_letters(db, 1)
    taken: list[ClaimedMail] = []

    def another_notifier_takes_over() -> None:  # on another host, its clock past this claim's lease
        with monkeypatch.context() as there, db.session() as session:
            there.setattr(holders, "_host", lambda: "notifier-b.example")  # it cannot see this one run
            now = utcnow() + timedelta(hours=1)
            taken.extend(queue.claim(session, holder=HOST_B, limit=1, now=now, lease=LEASE))

    mail_server.handler.data_replies = [TRY_LATER] * FAST.tries_per_run
    with SmtpSender(smtp_config) as sender:
        watch = BeforeFirstSend(sender, another_notifier_takes_over)
        report = Notifier(db, watch, notify_settings, FAST, sleep=lambda _: None).run()

    assert (report.deferred, report.parked, report.lost_claims) == (0, 0, 1)
    (row,) = outbox(db)
    (other,) = taken
    # Still the other notifier's, under its lease. Counted: the two claims' transactions and the
    # stalled notifier's second.
    assert (row.state, row.next_attempt_at, row.claimed_by) == ("sending", other.lease_until, other.holder)
    assert row.attempts == 1 + 1 + (FAST.tries_per_run - 1)
    with db.session() as session:
        assert queue.mark_sent(session, other, answer="250 ok", now=utcnow())
    assert [(r.state, r.server_answer) for r in outbox(db)] == [("sent", "250 ok")]


StaleWrite = Callable[[Session, ClaimedMail], bool]
"""A stalled notifier's write of its outcome (two transactions made); True when it landed."""

STALE_WRITES: dict[str, StaleWrite] = {
    "release": lambda session, claim: not queue.release(session, [claim], utcnow()),
    "deferred": lambda session, claim: queue.mark_deferred(
        session, claim, error=TRY_LATER, retry_at=utcnow(), extra_attempts=1
    ),
    "parked": lambda session, claim: queue.mark_parked(session, claim, answer="550 no", extra_attempts=1),
}


@pytest.mark.parametrize("write", STALE_WRITES.values(), ids=STALE_WRITES.keys())
def test_a_stalled_notifiers_write_leaves_the_rows_new_claim_alone(
    migrated_database: Database, write: StaleWrite
) -> None:
    db = migrated_database
    add_pics(db, "A1", "pic@a1.example")
    queue_letters(db, 1)
    with db.session() as session:  # a notifier claims the letter, then stalls
        (stalled,) = queue.claim(session, holder=HOST_A, limit=1, now=utcnow(), lease=LEASE)
    with db.session() as session:  # another, whose clock is past that lease, takes it over
        later = utcnow() + LEASE + timedelta(minutes=5)
        (taken,) = queue.claim(session, holder=HOST_B, limit=1, now=later, lease=LEASE)
    assert (taken.id, taken.attempts) == (stalled.id, 2)

    with db.session() as session:
        assert not write(session, stalled)

    (row,) = outbox(db)
    assert (row.state, row.next_attempt_at, row.server_answer) == ("sending", taken.lease_until, None)
    with db.session() as session:
        assert queue.mark_sent(session, taken, answer="250 first", now=utcnow())
    with db.session() as session:  # a late acceptance of the stalled notifier's copy: the first stands
        assert not queue.mark_sent(session, stalled, answer="250 late", now=utcnow())
        assert not write(session, stalled)
    assert [(r.state, r.server_answer) for r in outbox(db)] == [("sent", "250 first")]


def test_a_letter_claimed_and_given_back_unsent_counts_no_attempt(migrated_database: Database) -> None:
    db = migrated_database
    add_pics(db, "A1", "pic@a1.example")
    queue_letters(db, 1)
    for _ in range(FAST.max_attempts + 1):  # e.g. runs that stopped before this letter's turn
        with holders.holding() as holder, db.session() as session:
            claimed = queue.claim(session, holder=holder, limit=1, now=utcnow(), lease=LEASE)
            assert queue.release(session, claimed, utcnow()) == []
    assert [(r.state, r.attempts) for r in outbox(db)] == [("pending", 0)]
