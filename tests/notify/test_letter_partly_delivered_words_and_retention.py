"""A letter one PIC of its PPK received before one of its cases moved to another instansi is parked
with words saying a PIC has it (not "tidak dikirim"), in both languages, and once its moved step is
lettered again for the new PPK it keeps none of its cases from the retention purge."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from sbt_sync.console.labels_problems import mail_note
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case
from sbt_sync.notify import SmtpConfig
from sbt_sync.notify.queue import CASES_MOVED_PARTLY
from sbt_sync.pdp.retention import _letters_unsettled
from sbt_sync.settings import NotifySettings
from tests.enforce.rows import nip
from tests.notify.helpers import add_pics, outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_letters import add_people, enforce_and_draft
from tests.notify.test_letters_held_and_due import SETTINGS, send

pytestmark = pytest.mark.integration

OLD_PICS = ("pic1@sampang.go.id", "pic2@sampang.go.id")


def test_a_partly_delivered_letter_whose_case_moved_says_a_pic_has_it_and_is_done_for_retention(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    database = migrated_database
    add_people(database, 2)  # both in Sampang: one peringatan letter listing the two cases
    add_pics(database, "ID-Sampang", *OLD_PICS)
    add_pics(database, "ID-Bangkalan", "pic@bangkalan.go.id")
    enforce_and_draft(database, SETTINGS, date(2024, 12, 12))
    mail_server.handler.refuse_rcpt[OLD_PICS[1]] = "450 4.2.1 mailbox busy"  # sent again later
    send(database, smtp_config, notify_settings)
    with database.session() as session:  # then the second ASN moves to Bangkalan
        session.execute(
            update(AsnRegistryEntry)
            .where(AsnRegistryEntry.nip == nip(2))
            .values(instansi_id="ID-Bangkalan", instansi_name="Pemerintah Kabupaten Bangkalan")
        )
        session.execute(update(Case).where(Case.case_key == "CASE-02").values(instansi_id="ID-Bangkalan"))
    mail_server.handler.refuse_rcpt.clear()
    send(database, smtp_config, notify_settings)
    for day in (13, 14):
        enforce_and_draft(database, SETTINGS, date(2024, 12, day))
        send(database, smtp_config, notify_settings)

    old = outbox(database)[0]
    assert old.sent_at is not None and old.server_answer == CASES_MOVED_PARTLY
    words = (mail_note(old.server_answer, "id"), mail_note(old.server_answer, "en"))
    assert words[0] is not None and words[0].startswith("sebagian PIC sudah menerima"), words
    assert words[1] is not None and words[1].startswith("some PICs have this letter"), words
    with database.session() as session:
        case_ids = list(session.scalars(select(Case.id)))
        # Sampang has the letter (one PIC), Bangkalan its own for the moved case: nothing more will
        # be sent, so no letter keeps a case from the purge.
        assert _letters_unsettled(session, case_ids) == set()
