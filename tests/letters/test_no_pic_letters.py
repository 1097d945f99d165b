"""A letter parked because its instansi has no PIC address (nobody to send it to): a steward can give it
up like any parked letter (CLI and console, audited, same words and rules), and when an admin later adds
a PIC, a letter nobody gave up goes to that PIC once (held for review first in reviewed mode). Through a
real SMTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import add_pic, mail_status, release_mail
from sbt_sync.settings import NotifySettings
from tests.console.conftest import World, console_settings, csrf_of, world  # noqa: F401  # the console world
from tests.console.letters_world import write_letter
from tests.enforce.rows import add_case, nip
from tests.notify.conftest import FAST
from tests.notify.helpers import outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_cli import cli_env, run  # noqa: F401  # the CLI against this database

pytestmark = pytest.mark.integration

FIRST, SECOND = "pic@kab-a1.go.id", "kedua@kab-a1.go.id"
WHY = "instansi A1 sudah digabung; surat disampaikan langsung oleh Kanreg"


def drain(database: Database, config: SmtpConfig, settings: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, settings, FAST, sleep=lambda _: None).run()


def _parked_for_want_of_a_pic(database: Database, *, reviewed: bool = False) -> int:
    """A letter to A1, which has no PIC address: parked at once. Returns its outbox row id."""
    with database.session() as session:
        case_id = add_case(session, "CASE-01", nip(1)).id
    _, row_id = write_letter(database, case_id, seq=1, instansi_id="A1", reviewed=reviewed)
    (row,) = outbox(database)
    assert (row.id, row.state, row.recipients) == (row_id, "parked", [])
    return row_id


def test_a_steward_gives_up_a_letter_parked_for_want_of_a_pic_and_a_pic_added_later_is_not_sent_it(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    row_id = _parked_for_want_of_a_pic(migrated_database)

    given = run(cli_env, "notify", "give-up", str(row_id), "--reason", WHY)  # refused before the fix

    assert "1 letter(s) given up" in given
    (row,) = outbox(migrated_database)
    assert (row.state, row.given_up_by, row.given_up_reason) == ("given_up", getpass.getuser(), WHY)
    with migrated_database.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "notify.give_up")).one()
        assert (audit.actor_name, audit.channel, audit.reason) == (getpass.getuser(), "cli", WHY)
        assert audit.after == {
            "rows": 1,
            "ids": [row_id],
            "given_up": {str(row_id): []},
            "no_pic_address": [row_id],
        }
        # An admin adds a PIC afterwards: the letter stays given up, nobody is sent it.
        add_pic(session, "A1", FIRST, actor="admin")
    report = drain(migrated_database, smtp_config, notify_settings)
    assert (report.claimed, report.sent) == (0, 0) and mail_server.handler.received == []
    (after,) = outbox(migrated_database)
    assert (after.state, after.recipients) == ("given_up", [])
    with migrated_database.session() as session:
        (shown,) = mail_status(session)["given_up"]
    assert (shown["id"], shown["reason"], shown["delivered"], shown["not_sent_to"]) == (row_id, WHY, [], [])


def test_a_letter_parked_for_want_of_a_pic_goes_once_to_the_pic_an_admin_adds(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    row_id = _parked_for_want_of_a_pic(migrated_database)
    assert drain(migrated_database, smtp_config, notify_settings).claimed == 0  # nothing to send it to

    assert "added" in run(cli_env, "pic", "add", "A1", FIRST)

    (row,) = outbox(migrated_database)
    assert (row.state, row.recipients, row.server_answer) == ("pending", [FIRST], None)  # was: parked
    with migrated_database.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "pic.add")).one()
        assert audit.after is not None and audit.after["letters_due"] == {str(row_id): "pending"}
    first = drain(migrated_database, smtp_config, notify_settings)
    assert (first.sent, first.parked) == (1, 0)
    # Sent once: a rerun sends nothing, and a PIC added after it went does not get the old letter.
    assert drain(migrated_database, smtp_config, notify_settings).claimed == 0
    assert "added" in run(cli_env, "pic", "add", "A1", SECOND)
    assert drain(migrated_database, smtp_config, notify_settings).claimed == 0
    (sent,) = outbox(migrated_database)
    assert sent.state == "sent"
    assert mail_server.handler.counts() == {sent.message_id: 1}
    assert [r.recipients for r in mail_server.handler.received] == [[FIRST]]


def test_in_reviewed_mode_the_letter_waits_for_a_stewards_release_once_its_pic_is_added(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    config = Path(cli_env["SBT_CONFIG"])
    reviewed = yaml.safe_load(config.read_text(encoding="utf-8"))
    reviewed["notify"]["mode"] = "reviewed"
    config.write_text(yaml.safe_dump(reviewed), encoding="utf-8")
    row_id = _parked_for_want_of_a_pic(migrated_database, reviewed=True)

    run(cli_env, "pic", "add", "A1", FIRST)

    (row,) = outbox(migrated_database)
    assert (row.state, row.recipients) == ("held", [FIRST])  # never reviewed: it waits for a steward
    assert drain(migrated_database, smtp_config, notify_settings).claimed == 0
    with migrated_database.session() as session:
        assert release_mail(session, [row_id], reason="isi surat sudah diperiksa", actor="steward") == 1
    assert drain(migrated_database, smtp_config, notify_settings).sent == 1
    assert [r.recipients for r in mail_server.handler.received] == [[FIRST]]


def test_the_letter_page_gives_up_a_letter_whose_instansi_has_no_pic(world: World) -> None:  # noqa: F811
    letter_id, row_id = write_letter(world.database, world.ids["case_a"], seq=3, instansi_id="B2")
    steward = world.login("steward")
    page = steward.get(f"/letters/{letter_id}").text
    assert "menunggu alamat PIC instansi" in page  # not "refused": no server ever saw it
    assert f'action="/letters/{letter_id}/give-up"' in page

    form = {"reason": WHY, "csrf_token": csrf_of(steward, f"/letters/{letter_id}")}
    assert steward.post(f"/letters/{letter_id}/give-up", data=form).status_code == 303

    page = steward.get(f"/letters/{letter_id}").text
    assert "PIC yang belum menerima surat ini tidak akan dikirimi." in page
    assert "Dihentikan oleh steward" in page and WHY in page
    assert 'action="/letters/' not in page  # nothing left to retry or give up
    assert "Given up by a steward" in steward.get(f"/letters/{letter_id}?lang=en").text
    with world.database.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "notify.give_up")).one()
    assert (audit.actor_name, audit.channel, audit.object_id) == ("steward", "console", str(row_id))
