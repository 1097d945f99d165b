"""Acceptance probe: a letter parked for one PIC while the instansi's other PIC has it. The steward's
letter page must say, per PIC and in Bahasa Indonesia, who has the letter and who does not (with the
server's words), and must not call the letter simply failed; the CLI's status says the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.notify import Notifier, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import mail_status
from sbt_sync.settings import NotifySettings
from tests.console.conftest import World
from tests.console.letters_world import add_pic_address, write_letter
from tests.notify.conftest import FAST
from tests.notify.mailserver import PASSWORD, USERNAME, MailServer

pytestmark = pytest.mark.integration

HAS, GONE = "pic@kab-a1.go.id", "lama@kab-a1.go.id"


def _deliver(database: Database, server: MailServer) -> None:
    config = SmtpConfig(
        host="127.0.0.1",
        port=server.port,
        username=USERNAME,
        password=PASSWORD,
        ca_bundle=server.cert,
        timeout=5,
    )
    settings = NotifySettings(host="127.0.0.1", port=server.port, ca_bundle=str(server.cert))
    with SmtpSender(config) as sender:
        Notifier(database, sender, settings, FAST, sleep=lambda _: None).run()


def _item(page: str, address: str) -> str:
    """The page's line about ``address`` (its list item)."""
    found = re.search(rf"<li[^>]*>[^<]*{re.escape(address)}.*?</li>", page, re.S)
    assert found is not None, address
    return found.group(0)


def test_a_letter_parked_for_one_pic_says_per_pic_who_has_it_and_who_was_refused(
    world: World, tmp_path: Path
) -> None:
    server = MailServer(tmp_path)
    try:
        server.handler.refuse_rcpt = {GONE: "550 5.1.1 No such user"}
        with world.database.session() as session:  # the world's case is held: this one may go
            session.execute(update(Case).where(Case.id == world.ids["case_a"]).values(held=False))
        add_pic_address(world.database, "A1", HAS)
        add_pic_address(world.database, "A1", GONE)
        letter_id, _ = write_letter(world.database, world.ids["case_a"], seq=1, reviewed=False)
        _deliver(world.database, server)
    finally:
        server.stop()

    page = world.login("steward").get(f"/letters/{letter_id}").text
    assert "sudah menerima surat" in _item(page, HAS)
    refused = _item(page, GONE)
    assert "ditolak" in refused and "550 5.1.1 No such user" in refused
    # Not "failed": the PPK has the letter through its other PIC.
    assert "sebagian PIC sudah menerima" in page
    listed = world.login("steward").get("/letters").text
    assert "sebagian PIC sudah menerima" in listed  # the list does not call it failed either
    english = world.login("steward").get(f"/letters/{letter_id}?lang=en").text
    assert "has the letter" in _item(english, HAS)

    with world.database.session() as session:
        (parked,) = mail_status(session)["parked"]
    assert (parked["delivered"], list(parked["refused"])) == ([HAS], [GONE])
