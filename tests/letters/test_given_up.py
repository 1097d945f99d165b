"""A letter a steward gave up is in a state of its own (``given_up``), not ``parked``: the letters
pages, ``notify status`` and the reports tell "waiting for a steward" from "given up on purpose", with
who, when and why. Nothing sends it again: not the notifier, not a PIC added later, not a steward's
"retry every parked letter"; and it no longer keeps its closed cases past their retention."""

from __future__ import annotations

import getpass
import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.db.models.letters import NotificationOutboxEntry
from sbt_sync.errors import SbtError
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import add_pic, give_up_mail, mail_status, retry_mail
from sbt_sync.pdp.retention import plan_purge
from sbt_sync.settings import NotifySettings, RetentionSettings
from tests.console.conftest import World, console_settings, csrf_of, world  # noqa: F401  # the console world
from tests.console.letters_world import add_pic_address, write_letter
from tests.enforce.rows import add_case, nip
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_cli import cli_env, run  # noqa: F401  # the CLI against this database

pytestmark = pytest.mark.integration

OK, GONE, NEW = "pic@kab-a1.go.id", "lama@kab-a1.go.id", "baru@kab-a1.go.id"
WHY = "alamat PIC lama tidak aktif lagi"


def drain(database: Database, config: SmtpConfig, settings: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run()


def test_a_given_up_letter_is_never_sent_again_and_says_who_gave_it_up_when_and_why(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    with migrated_database.session() as session:
        case_id = add_case(session, "CASE-01", nip(1)).id
    add_pics(migrated_database, "A1", OK, GONE)
    write_letter(migrated_database, case_id, seq=1, instansi_id="A1", reviewed=False)
    mail_server.handler.refuse_rcpt = {GONE: "550 5.1.1 No such user"}
    drain(migrated_database, smtp_config, notify_settings)
    (row,) = outbox(migrated_database)
    assert row.state == "parked"
    with migrated_database.session() as session:  # the PPK followed up; the case is closed
        session.execute(update(Case).where(Case.id == case_id).values(status="dijatuhi_hukuman"))

    before = utcnow()
    given = run(cli_env, "notify", "give-up", str(row.id), "--reason", WHY)
    assert "1 letter(s) given up" in given

    (row,) = outbox(migrated_database)
    assert (row.state, row.given_up_by, row.given_up_reason) == ("given_up", getpass.getuser(), WHY)
    assert row.given_up_at is not None and row.given_up_at >= before
    with pytest.raises(SbtError) as again, migrated_database.session() as session:
        give_up_mail(session, [row.id], reason="lagi", actor="steward")
    assert again.value.code == "mail_not_parked"

    # A PIC added since, a steward retrying every parked letter, the notifier: nobody is sent it.
    mail_server.handler.refuse_rcpt = {}
    with migrated_database.session() as session:
        add_pic(session, "A1", NEW, actor="admin")
        assert retry_mail(session, reason="coba semua lagi", actor="steward") == 0
    assert "0 letter(s) due again" in run(cli_env, "notify", "retry")
    report = drain(migrated_database, smtp_config, notify_settings)
    assert (report.claimed, report.sent) == (0, 0)
    assert [r.recipients for r in mail_server.handler.received] == [[OK]]
    (after,) = outbox(migrated_database)
    assert (after.state, after.recipients) == ("given_up", [GONE, OK])

    # notify status tells it apart from the parked letters, with who, when and why.
    with migrated_database.session() as session:
        status = mail_status(session)
    assert (status["outbox"]["given_up"], status["outbox"]["parked"], status["parked"]) == (1, 0, [])
    (shown,) = status["given_up"]
    assert (shown["id"], shown["by"], shown["reason"], shown["delivered"]) == (
        row.id,
        getpass.getuser(),
        WHY,
        [OK],
    )
    assert shown["not_sent_to"] == [GONE]
    assert json.loads(run(cli_env, "notify", "status", "--json"))["given_up"][0]["reason"] == WHY
    text = run(cli_env, "notify", "status")
    assert f"given up #{row.id}" in text and WHY in text and getpass.getuser() in text

    # Retention: the closed case's data no longer waits for a letter nobody will send (a PIC added
    # after the give-up is not waited for either).
    with migrated_database.session() as session:
        plan = plan_purge(session, RetentionSettings(), as_of=utcnow() + timedelta(days=3000))
    assert plan.cases == [case_id]


def test_the_letters_pages_show_a_given_up_letter_as_stopped_by_a_steward(
    world: World,  # noqa: F811
) -> None:
    add_pic_address(world.database, "B2", "lama@b2.go.id")
    letter_id, row_id = write_letter(world.database, world.ids["case_a"], seq=8, instansi_id="B2")
    parked, _ = write_letter(world.database, world.ids["case_a"], seq=9, instansi_id="B2", step="teguran")
    with world.database.session() as session:  # as a notifier leaves them: refused, parked
        session.execute(
            update(NotificationOutboxEntry)
            .where(NotificationOutboxEntry.letter_id.in_([letter_id, parked]))
            .values(state="parked", server_answer="550 5.1.1 No such user")
        )
    steward = world.login("steward")
    form = {"reason": WHY, "csrf_token": csrf_of(steward, f"/letters/{letter_id}")}
    assert steward.post(f"/letters/{letter_id}/give-up", data=form).status_code == 303

    page = steward.get(f"/letters/{letter_id}").text
    assert "Dihentikan oleh steward" in page and WHY in page and "steward" in page
    assert 'action="/letters/' not in page  # neither retry nor give-up: nothing is sent again
    english = steward.get(f"/letters/{letter_id}?lang=en").text
    assert "Given up by a steward" in english

    listed = steward.get("/letters?state=given_up").text
    assert "0008/B-AK.02.02/SD/F/2026" in listed and "0009/B-AK.02.02/SD/F/2026" not in listed
    waiting = steward.get("/letters?state=parked").text
    assert "0009/B-AK.02.02/SD/F/2026" in waiting and "0008/B-AK.02.02/SD/F/2026" not in waiting
    with world.database.session() as session:
        row = session.get(NotificationOutboxEntry, row_id)
        assert row is not None and (row.state, row.given_up_by) == ("given_up", "steward")
