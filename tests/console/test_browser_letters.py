"""Letters, PIC addresses and the compliance report in a real headless Chromium (issue 18, item 7), on
both backends.

With ``notify.mode: reviewed``, a steward opens the letters page, finds the letter held for review,
opens it and releases it with a reason; the notifier's next run sends it over STARTTLS to a real SMTP
server on loopback (aiosmtpd, counted by Message-ID: exactly once, to the instansi's PIC); the
letter's page and the case's timeline say it was sent; the audit log names the steward. An admin
adds a PIC address on the PIC page. The compliance report's XLSX downloads and opens with openpyxl,
the issuer column in it.

Screenshots go to ``var/test-artifacts/console/<backend>/letters-*.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry
from sbt_sync.db.models.letters import NotificationOutboxEntry, PicAddress
from sbt_sync.notify import Notifier, NotifyOptions, SmtpConfig, SmtpSender
from sbt_sync.settings import Settings
from tests.console.browser import ARTIFACTS, chromium_path, log_in, serve
from tests.console.conftest import NIP_A, seed
from tests.console.letters_world import PIC, add_pic_address, compliance_facts, write_letter
from tests.notify.mailserver import PASSWORD as SMTP_PASSWORD
from tests.notify.mailserver import USERNAME as SMTP_USERNAME
from tests.notify.mailserver import MailServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

PASSWORD = "correct horse battery staple"
REASON = "Isi surat dan daftar kasus sudah diperiksa"
NUMBER = "0001/B-AK.02.02/SD/F/2026"
NEW_PIC = "kepegawaian@contoh.go.id"
FAST = NotifyOptions(
    max_attempts=4, tries_per_run=2, initial_backoff=0.001, max_backoff=0.01, defer_seconds=0
)


def _login(browser: Any, base: str, who: str) -> Any:
    page = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True).new_page()
    return log_in(page, base, who, PASSWORD)


def test_a_steward_releases_a_held_letter_it_is_mailed_once_and_an_admin_adds_a_pic(
    console_settings: Settings, migrated_database: Database, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    database = migrated_database
    settings = console_settings.model_copy(
        update={"notify": console_settings.notify.model_copy(update={"mode": "reviewed"})}
    )
    ids = seed(database)
    add_pic_address(database)
    _, row_id = write_letter(database, ids["case_a"], seq=1, reviewed=True)
    compliance_facts(database, kasn_case=ids["case_a"], bkn_case=ids["case_b"], nip=NIP_A)
    for name, role, display in (("siti", "steward", "Siti Steward"), ("ana", "admin", "Ana Admin")):
        add_user(database, settings, username=name, password=PASSWORD, role=role, display_name=display,
                 actor="test")  # fmt: skip
    mail = MailServer(tmp_path)
    folder: Path = ARTIFACTS / database.dialect
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with serve(create_app(settings, database)) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
            )

            page = _login(browser, base, "siti")
            page.get_by_role("navigation").get_by_role("link", name="Surat PPK").click()
            expect(page.get_by_role("heading", name="Surat kepada PPK")).to_be_visible()
            expect(page.get_by_text("Mode pengiriman: ditinjau")).to_be_visible()
            page.get_by_label("Status pengiriman").select_option("held")
            page.get_by_role("button", name="Saring").click()
            expect(page.locator("#letters tbody tr")).to_have_count(1)
            expect(page.locator("#letters tbody tr")).to_contain_text("ditahan untuk ditinjau")
            page.screenshot(path=folder / "letters-1-list.png", full_page=True)
            page.get_by_role("link", name=NUMBER).click()

            expect(page.get_by_role("heading", name=f"Surat {NUMBER}")).to_be_visible()
            expect(page.locator("#mail-state")).to_have_text("ditahan untuk ditinjau")
            expect(page.locator("#letter-cases a.case-label")).to_contain_text("Pilkada")  # by its label
            expect(page.get_by_text(NIP_A, exact=True)).to_have_count(0)  # masked
            page.get_by_label("Alasan").fill(REASON)
            page.screenshot(path=folder / "letters-2-held.png", full_page=True)
            page.get_by_role("button", name="Lepas dan kirim").click()
            expect(page.get_by_text("Surat dilepas; akan dikirim pada putaran berikutnya.")).to_be_visible()
            expect(page.locator("#mail-state")).to_have_text("menunggu dikirim")

            # The notifier's next run (the schedule's, here called directly) sends it.
            config = SmtpConfig(host="127.0.0.1", port=mail.port, starttls=True, username=SMTP_USERNAME,
                                password=SMTP_PASSWORD, ca_bundle=mail.cert, timeout=5)  # fmt: skip
            with SmtpSender(config) as sender:
                report = Notifier(database, sender, settings.notify, FAST).run()
            assert (report.sent, report.parked) == (1, 0)
            with database.session() as session:
                row = session.get(NotificationOutboxEntry, row_id)
                assert row is not None and row.state == "sent"
                sent_id = row.message_id
            assert mail.handler.counts() == {sent_id: 1}
            assert [r.recipients for r in mail.handler.received] == [[PIC]]

            page.reload()
            expect(page.locator("#mail-state")).to_contain_text("terkirim")
            expect(page.locator("#release")).to_have_count(0)
            page.screenshot(path=folder / "letters-3-sent.png", full_page=True)
            page.goto(f"{base}/audit?action=notify.release")
            audit = page.locator("tbody tr").filter(has_text="notify.release")
            expect(audit).to_have_count(1)
            expect(audit).to_contain_text("siti")
            expect(audit).to_contain_text(REASON)
            # The case's timeline lists the letter, sent, and links to it.
            page.goto(f"{base}/cases/{ids['case_a']}")
            steps = page.locator("#case-letters")
            expect(steps).to_contain_text(f"Peringatan {NUMBER}")
            expect(steps).to_contain_text("terkirim")
            steps.get_by_role("link", name=NUMBER).click()
            expect(page.get_by_role("heading", name=f"Surat {NUMBER}")).to_be_visible()

            admin = _login(browser, base, "ana")
            admin.get_by_role("navigation").get_by_role("link", name="PIC instansi").click()
            expect(admin.locator("#pics")).to_contain_text(PIC)
            admin.get_by_label("ID instansi").fill("A2")
            admin.get_by_label("Alamat surel").fill(NEW_PIC)
            admin.get_by_role("button", name="Tambah").click()
            expect(admin.get_by_text("Alamat PIC ditambahkan.")).to_be_visible()
            expect(admin.locator("#pics")).to_contain_text(NEW_PIC)
            admin.screenshot(path=folder / "letters-4-pic.png", full_page=True)

            admin.get_by_role("navigation").get_by_role("link", name="Kepatuhan PPK").click()
            expect(admin.locator("#table-summary")).to_contain_text("BKN, KASN")
            with admin.expect_download() as download:
                admin.locator("#xlsx-link").click()
            assert download.value.suggested_filename.endswith(".xlsx")
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
            book = load_workbook(saved)
            header = [c.value for c in book["Kepatuhan PPK"][3]]
            column = header.index("Penerbit rekomendasi") + 1
            assert book["Kepatuhan PPK"].cell(4, column).value == "BKN, KASN"
            assert "Kemendagri" in book.sheetnames
            admin.screenshot(path=folder / "letters-5-compliance.png", full_page=True)
            browser.close()
    finally:
        mail.stop()
    with database.session() as session:
        assert ("A2", NEW_PIC) in session.execute(select(PicAddress.instansi_id, PicAddress.email)).tuples()
        adds = session.scalars(select(AuditEntry.actor_name).where(AuditEntry.action == "pic.add")).all()
        assert "ana" in adds
