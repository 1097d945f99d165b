"""A letter drafted for a PPK whose cases all moved to another instansi before it went out (the
registry reported a transfer and reconciliation followed it): the old PPK is not sent a letter about
ASN who are no longer its own, and the step reaches the new PPK in its next letter instead."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case
from sbt_sync.db.models.letters import Letter
from sbt_sync.notify import SmtpConfig
from sbt_sync.settings import NotifySettings
from tests.enforce.rows import nip
from tests.notify.helpers import add_pics, outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_letters import add_people, enforce_and_draft
from tests.notify.test_letters_held_and_due import SETTINGS, send

pytestmark = pytest.mark.integration


def test_a_letter_whose_cases_moved_instansi_before_sending_goes_to_the_new_ppk_only(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    add_people(migrated_database, 1)  # recommended 2 Dec: peringatan 12 Dec
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    add_pics(migrated_database, "ID-Bangkalan", "pic@bangkalan.go.id")
    drafted = enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 12))
    assert drafted["by_step"] == {"peringatan": 1}
    with migrated_database.session() as session:  # before it goes, the ASN moves to Bangkalan
        session.execute(
            update(AsnRegistryEntry).values(
                instansi_id="ID-Bangkalan", instansi_name="Pemerintah Kabupaten Bangkalan"
            )
        )
        session.execute(update(Case).values(instansi_id="ID-Bangkalan"))  # as reconciliation applies it

    send(migrated_database, smtp_config, notify_settings)
    assert [r.recipients for r in mail_server.handler.received] == []  # Sampang is told nothing
    (row,) = outbox(migrated_database)
    assert row.state == "parked" and "instansi lain" in (row.server_answer or ""), row.server_answer

    again = enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 13))
    assert again["by_step"] == {"peringatan": 1}, again
    send(migrated_database, smtp_config, notify_settings)

    assert [r.recipients for r in mail_server.handler.received] == [["pic@bangkalan.go.id"]]
    with migrated_database.session() as session:
        letters = session.execute(select(Letter.instansi_id, Letter.step).order_by(Letter.id)).all()
    assert [tuple(r) for r in letters] == [("ID-Sampang", "peringatan"), ("ID-Bangkalan", "peringatan")]
    # the parked letter stays parked: a steward's retry does not send it to Sampang after all
    send(migrated_database, smtp_config, notify_settings)
    assert len(mail_server.handler.received) == 1


def test_a_letter_one_of_whose_cases_moved_before_sending_is_redrafted_for_each_ppk(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    add_people(migrated_database, 2)  # both in Sampang: one peringatan letter listing the two cases
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    add_pics(migrated_database, "ID-Bangkalan", "pic@bangkalan.go.id")
    drafted = enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 12))
    assert (drafted["by_step"], drafted["cases"]) == ({"peringatan": 1}, 2)
    with migrated_database.session() as session:  # before it goes, the second ASN moves to Bangkalan
        session.execute(
            update(AsnRegistryEntry)
            .where(AsnRegistryEntry.nip == nip(2))
            .values(instansi_id="ID-Bangkalan", instansi_name="Pemerintah Kabupaten Bangkalan")
        )
        session.execute(update(Case).where(Case.case_key == "CASE-02").values(instansi_id="ID-Bangkalan"))

    send(migrated_database, smtp_config, notify_settings)
    assert mail_server.handler.received == []  # Sampang is not told of an ASN no longer its own

    again = enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 13))
    assert (again["by_step"], again["cases"]) == ({"peringatan": 2}, 2), again
    send(migrated_database, smtp_config, notify_settings)

    assert sorted(r.recipients for r in mail_server.handler.received) == [
        ["pic@bangkalan.go.id"],
        ["pic@sampang.go.id"],
    ]
    with migrated_database.session() as session:
        letters = session.scalars(select(Letter).where(Letter.letter_date == date(2024, 12, 13))).all()
        listed = {x.instansi_id: [c["case_key"] for c in x.content["cases"]] for x in letters}
    assert listed == {"ID-Sampang": ["CASE-01"], "ID-Bangkalan": ["CASE-02"]}
