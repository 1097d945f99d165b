"""Acceptance probe: two notifier processes drain one outbox at once (each with ``recover``, as a
restart does) while one PIC's server defers; then, the server freed, two again. Every PIC holds each
letter exactly once (counted per Message-ID and recipient at the server)."""

from __future__ import annotations

from collections import Counter

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.notify.admin import retry_mail
from tests.notify.helpers import add_pics, outbox, queue_letters
from tests.notify.mailserver import MailServer
from tests.notify.test_notifier_kill import zygote  # noqa: F401  # the notifier process factory
from tests.support.zygote import Zygote

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

OK, SLOW = "pic1@kab-a1.go.id", "pic2@kab-a1.go.id"


def two_at_once(factory: Zygote) -> None:
    first, second = factory.spawn(), factory.spawn()
    assert (factory.wait(first), factory.wait(second)) == (0, 0)


def test_two_notifiers_at_once_give_each_pic_each_letter_once_through_a_deferral(
    migrated_database: Database,
    mail_server: MailServer,
    zygote: Zygote,  # noqa: F811
) -> None:
    mail_server.handler.data_delay = 0.01
    mail_server.handler.refuse_rcpt = {SLOW: "450 4.2.1 Mailbox busy, try later"}
    add_pics(migrated_database, "A1", OK, SLOW)
    queue_letters(migrated_database, 12)

    two_at_once(zygote)
    assert {r.state for r in outbox(migrated_database)} == {"pending"}  # waiting for SLOW alone
    mail_server.handler.refuse_rcpt = {}
    with migrated_database.session() as session:  # due now rather than after the backoff
        assert retry_mail(session, reason="test", actor="test") == 12
    two_at_once(zygote)

    rows = outbox(migrated_database)
    copies = Counter((r.message_id, rcpt) for r in mail_server.handler.received for rcpt in r.recipients)
    assert {r.state for r in rows} == {"sent"}
    assert copies == {(r.message_id, pic): 1 for r in rows for pic in (OK, SLOW)}
