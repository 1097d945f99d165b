"""A letter some PIC of its PPK already received, one of whose cases moves to another instansi before
the letter reached every PIC: the old PPK has the step (a PIC of it holds the letter) and is not sent
it again, nor to its other PICs (it names an ASN no longer its own); the new PPK receives the moved
case's step once, in a letter of its own; nothing is sent twice."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case
from sbt_sync.db.models.letters import Letter
from sbt_sync.letters.query import case_letters
from sbt_sync.notify import SmtpConfig
from sbt_sync.settings import NotifySettings
from tests.enforce.rows import nip
from tests.notify.helpers import add_pics, outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_letters import add_people, enforce_and_draft
from tests.notify.test_letters_held_and_due import SETTINGS, send

pytestmark = pytest.mark.integration

OLD_PICS = ("pic1@sampang.go.id", "pic2@sampang.go.id")


@pytest.mark.parametrize(
    "refusal",
    [
        "450 4.2.1 mailbox busy",  # the second PIC's server defers: the letter waits to be sent to him
        "550 5.1.1 no such user",  # it refuses: the letter is parked for a steward, the first PIC has it
    ],
)
def test_a_partly_delivered_letter_whose_case_moved_reaches_the_new_ppk_once(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    refusal: str,
) -> None:
    add_people(migrated_database, 2)  # both in Sampang: one peringatan letter listing the two cases
    add_pics(migrated_database, "ID-Sampang", *OLD_PICS)
    add_pics(migrated_database, "ID-Bangkalan", "pic@bangkalan.go.id")
    drafted = enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 12))
    assert (drafted["by_step"], drafted["cases"]) == ({"peringatan": 1}, 2)
    mail_server.handler.refuse_rcpt[OLD_PICS[1]] = refusal
    send(migrated_database, smtp_config, notify_settings)
    assert [r.recipients for r in mail_server.handler.received] == [[OLD_PICS[0]]]  # Sampang has it

    with migrated_database.session() as session:  # then the second ASN moves to Bangkalan
        session.execute(
            update(AsnRegistryEntry)
            .where(AsnRegistryEntry.nip == nip(2))
            .values(instansi_id="ID-Bangkalan", instansi_name="Pemerintah Kabupaten Bangkalan")
        )
        session.execute(update(Case).where(Case.case_key == "CASE-02").values(instansi_id="ID-Bangkalan"))
    mail_server.handler.refuse_rcpt.clear()  # the second PIC's server would take it now
    send(migrated_database, smtp_config, notify_settings)

    for day in (13, 14):  # the next drafting runs; a second one letters nothing more
        enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, day))
        send(migrated_database, smtp_config, notify_settings)

    received = sorted((r.recipients, r.message_id) for r in mail_server.handler.received)
    assert [recipients for recipients, _ in received] == [["pic1@sampang.go.id"], ["pic@bangkalan.go.id"]]
    with migrated_database.session() as session:
        letters = session.scalars(select(Letter).order_by(Letter.id)).all()
        listed = [(x.instansi_id, [c["case_key"] for c in x.content["cases"]]) for x in letters]
        moved_id = session.scalar(select(Case.id).where(Case.case_key == "CASE-02"))
        assert moved_id is not None
        timeline = [(e["step"], e.get("number")) for e in case_letters(session, moved_id)]
    assert listed == [("ID-Sampang", ["CASE-01", "CASE-02"]), ("ID-Bangkalan", ["CASE-02"])]
    # the moved case's timeline keeps the letter Sampang received and shows Bangkalan's
    assert timeline == [("peringatan", letters[0].number), ("peringatan", letters[1].number)]
    old = outbox(migrated_database)[0]
    assert old.sent_at is not None and OLD_PICS[1] not in {
        a for a, f in (old.deliveries or {}).items() if f.get("state") == "sent"
    }
