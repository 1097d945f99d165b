"""Kill the notifier with SIGKILL at random points, restart it each time: every letter is delivered,
and exactly once as the SMTP server counts by Message-ID.

Each round queues letters, then restarts notifier processes (forked from
:mod:`tests.notify.notifier_zygote`) and SIGKILLs each as soon as it is seen holding a letter it claimed
(``sending``), until one drains the outbox; kills that left such a letter behind are counted, and those
letters must have been taken over by a later child. The server (real SMTP with STARTTLS on loopback)
takes a little time over each message so that kills land inside transactions, including between the
end of the data and our record of the answer: the one window where the server may hold a letter we
must send again (same Message-ID). The test checks that a second copy of a Message-ID happens only
there (the row counts it as an ambiguous re-send), and never a second distinct message for one letter.
"""

from __future__ import annotations

import json
import os
import random
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models.letters import NotificationOutboxEntry
from sbt_sync.notify.admin import retry_mail
from sbt_sync.states.mail import MailState
from tests.notify.helpers import add_pics, outbox, queue_letters
from tests.notify.mailserver import PASSWORD, USERNAME, MailServer
from tests.support.kills import holder_prefix, holding_a_claim
from tests.support.zygote import Zygote

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

MIN_KILLS = 20
MIN_MID_SEND = 5
"""Kills that must have left a claimed letter in flight, for a later child to take over."""
PER_ROUND = 9


@pytest.fixture
def zygote(migrated_database: Database, mail_server: MailServer, tmp_path: Path) -> Iterator[Zygote]:
    config = tmp_path / "notifier.json"
    config.write_text(
        json.dumps(
            {
                "database_url": migrated_database.engine.url.render_as_string(hide_password=False),
                "port": mail_server.port,
                "ca_bundle": str(mail_server.cert),
                "username": USERNAME,
                "password": PASSWORD,
            }
        ),
        encoding="utf-8",
    )
    factory = Zygote("tests.notify.notifier_zygote", config)
    yield factory
    factory.close()


def deferred(database: Database) -> bool:
    """Whether letters wait for a later run after transient failures; if so they are made due now."""
    with database.session() as session:
        return retry_mail(session, reason="test: run the deferred letters now", actor="test") > 0


def assert_delivered_exactly_once(database: Database, server: MailServer) -> int:
    """Every queued letter sent and received; a Message-ID twice only where the row says the server
    may have held it already. Returns the number of such ambiguous re-sends."""
    rows = outbox(database)
    counts = server.handler.counts()
    assert all(r.state == "sent" for r in rows)
    assert set(counts) == {r.message_id for r in rows}  # nothing lost, nothing unknown
    for row in rows:
        assert 1 <= counts[row.message_id] <= 1 + row.ambiguous_resends, row.message_id
    return sum(r.ambiguous_resends for r in rows)


def _claimed(session: Session, holder: str) -> bool:
    """Whether the holder (a token prefix) has a letter in flight."""
    query = select(func.count()).where(
        NotificationOutboxEntry.state == MailState.SENDING,
        NotificationOutboxEntry.claimed_by.startswith(holder),
    )
    return bool(session.scalar(query))


def _left_claimed(database: Database, holder: str) -> bool:
    """Whether a killed child left a letter it claimed in flight (the kill landed mid-send)."""
    with database.session() as session:
        return _claimed(session, holder)


def test_notifier_killed_at_random_points_delivers_every_letter_exactly_once(
    migrated_database: Database, mail_server: MailServer, zygote: Zygote
) -> None:
    mail_server.handler.data_delay = 0.005
    rng = random.Random(20261203)
    add_pics(migrated_database, "A1", "pic1@kab-a1.go.id", "pic2@kab-a1.go.id")
    kills = rounds = mid_send = 0
    while kills < MIN_KILLS:
        queue_letters(migrated_database, PER_ROUND, start=1 + rounds * PER_ROUND)
        rounds += 1
        budget = rng.randint(3, 7)  # kills in this round; then a child may finish
        while True:  # restart until one child drains the outbox on its own
            pid = zygote.spawn()
            if budget > 0 and holding_a_claim(migrated_database, pid, claimed=_claimed):
                os.kill(pid, signal.SIGKILL)
                if zygote.wait(pid) == -signal.SIGKILL:
                    kills += 1
                    budget -= 1
                    mid_send += _left_claimed(migrated_database, holder_prefix(pid))
                    continue
            else:
                assert zygote.wait(pid) == 0
            if deferred(migrated_database):
                # The server stayed unreachable through a child's retries (a loaded machine): it
                # deferred letters to a later run, as the real notifier does. Run again.
                continue
            break
        assert_delivered_exactly_once(migrated_database, mail_server)
    ambiguous = assert_delivered_exactly_once(migrated_database, mail_server)
    rows = outbox(migrated_database)
    assert kills >= MIN_KILLS and mid_send >= MIN_MID_SEND and len(rows) == rounds * PER_ROUND
    assert any(r.attempts > 1 for r in rows)  # some letters were taken over after a kill
    # Distinct messages at the server: exactly one per letter, counted by Message-ID.
    assert len(mail_server.handler.counts()) == len(rows)
    print(f"{kills} kills ({mid_send} mid-send), {rounds} rounds, {len(rows)} letters, {ambiguous} ambiguous")
