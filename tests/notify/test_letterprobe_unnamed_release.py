"""Acceptance probe: a letter held because nothing knew its instansi's name. The steward does what the
hold asks (the admin gives the name with the PIC address, the steward releases the letter): the PPK
must then read a letter addressed to its instansi by name, not '(nama instansi belum tercatat)'."""

from __future__ import annotations

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.notify import Notifier, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import add_pic, release_mail
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_letter_instansi_name import (
    CODE,
    DAY,
    SETTINGS,
    a_case_of_an_asn_missing_from_the_mirror,
    letter_of,
)
from tests.notify.test_letters import enforce_and_draft

pytestmark = pytest.mark.integration

NAME = "Pemerintah Kabupaten Sampang"


def test_a_letter_held_for_its_unknown_instansi_name_goes_out_named_once_the_admin_gives_the_name(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    a_case_of_an_asn_missing_from_the_mirror(migrated_database)
    with migrated_database.session() as session:
        add_pic(session, CODE, "pic@sampang.go.id", actor="admin")
    enforce_and_draft(migrated_database, SETTINGS, DAY)
    (row,) = outbox(migrated_database)
    assert row.state == "held"

    with migrated_database.session() as session:  # what the hold asks for
        add_pic(session, CODE, "pic@sampang.go.id", actor="admin", instansi_name=NAME)
    with migrated_database.session() as session:
        assert release_mail(session, reason="nama instansi sudah dicatat", actor="steward") == 1
    with SmtpSender(smtp_config) as sender:
        Notifier(migrated_database, sender, notify_settings, FAST, sleep=lambda _: None).run()

    (row,) = outbox(migrated_database)
    name, shown = letter_of(migrated_database)
    assert row.state == "sent" and len(mail_server.handler.received) == 1
    assert NAME in row.subject
    assert name == NAME and NAME in shown and "nama instansi belum tercatat" not in shown
