"""Why a letter waits parked, on the steward's letter page and the letters list, in Indonesian words:
the notifier's own framing of what happened ("gave up after 4 attempts", "cannot connect to",
"refused:") was shown as stored, in English; the mail server's own reply (``550 5.1.1 ...``) is shown
as the server gave it. Real notifier, real SMTP server on loopback."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import update

from sbt_sync.console.labels_problems import mail_answer
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.notify import Notifier, SmtpConfig, SmtpSender
from sbt_sync.notify.queue import ALREADY_DELIVERED
from sbt_sync.settings import NotifySettings
from tests.console.conftest import World
from tests.console.letters_world import add_pic_address, write_letter
from tests.notify.conftest import FAST
from tests.notify.mailserver import PASSWORD, USERNAME, MailServer

pytestmark = pytest.mark.integration

HAS, GONE = "pic@kab-a1.go.id", "lama@kab-a1.go.id"


def _deliver(database: Database, *, port: int, cert: Path | None, runs: int = 1) -> None:
    config = SmtpConfig(
        host="127.0.0.1", port=port, username=USERNAME, password=PASSWORD, ca_bundle=cert, timeout=1
    )
    settings = NotifySettings(host="127.0.0.1", port=port, ca_bundle=str(cert) if cert else None)
    for _ in range(runs):
        with SmtpSender(config) as sender:
            Notifier(database, sender, settings, FAST, sleep=lambda _: None).run()


def _open_case(world: World) -> None:
    with world.database.session() as session:  # the world's case is held: this one may go
        session.execute(update(Case).where(Case.id == world.ids["case_a"]).values(held=False))


def _pages(world: World, letter_id: int) -> tuple[str, str, str]:
    steward = world.login("steward")
    return (
        unescape(steward.get(f"/letters/{letter_id}").text),
        unescape(steward.get("/letters").text),
        unescape(steward.get(f"/letters/{letter_id}?lang=en").text),
    )


def test_a_letter_given_up_on_an_unreachable_server_says_so_in_indonesian(world: World) -> None:
    _open_case(world)
    add_pic_address(world.database, "A1", HAS)
    letter_id, _ = write_letter(world.database, world.ids["case_a"], seq=1, reviewed=False)
    _deliver(world.database, port=1, cert=None, runs=2)  # nothing listens on port 1: 4 attempts

    page, listed, english = _pages(world, letter_id)
    for shown in (page, listed):
        assert "dihentikan setelah 4 percobaan: tidak dapat terhubung ke server surel 127.0.0.1:1" in shown
        assert "gave up after" not in shown and "cannot connect" not in shown
    assert "gave up after 4 attempts: cannot connect to the mail server 127.0.0.1:1" in english


def test_a_pic_refused_by_the_server_is_said_in_words_with_the_servers_reply(
    world: World, tmp_path: Path
) -> None:
    server = MailServer(tmp_path)
    try:
        server.handler.refuse_rcpt = {GONE: "550 5.1.1 No such user"}
        _open_case(world)
        add_pic_address(world.database, "A1", HAS)
        add_pic_address(world.database, "A1", GONE)
        letter_id, _ = write_letter(world.database, world.ids["case_a"], seq=1, reviewed=False)
        _deliver(world.database, port=server.port, cert=server.cert)
    finally:
        server.stop()

    page, _, english = _pages(world, letter_id)
    assert f"ditolak server surel: {GONE}: 550 5.1.1 No such user" in page
    assert "refused: " not in page
    assert f"refused by the mail server: {GONE}: 550 5.1.1 No such user" in english


@pytest.mark.parametrize(
    ("stored", "indonesian"),
    [
        # A letter whose every PIC had it before a crash's retake: sent, nothing offered again.
        (ALREADY_DELIVERED, "semua PIC sudah menerima surat ini sebelumnya; tidak ada yang dikirim ulang"),
        # A mail server's own reply: as it gave it.
        ("250 2.0.0 Ok: queued as Q1", "250 2.0.0 Ok: queued as Q1"),
    ],
)
def test_a_sent_letters_answer_is_said_in_words_too(stored: str, indonesian: str) -> None:
    assert mail_answer(stored, "id") == indonesian
