"""A letter parked because its case moved to another instansi before it went out, in a real headless
Chromium, on both backends, reached through the real code paths: Budi's proven recommendation
(2024-11-01) is reconciled and enforced on his PPK deadline (2024-11-11), the drafter letters the
peringatan to Kabupaten Sampang's PPK; then SIASN's registry reports him at Kabupaten Bangkalan, the
reconciliation follows, and the notifier parks the Sampang letter unsent (``CASES_MOVED``).

An auditor (who reads letters but not their cases' NIPs) opens "Surat PPK" and reads, on the outbox
list and on the letter's page, why the letter was not sent, in words; no NIP in clear, no code.

Screenshots go to ``var/test-artifacts/console/<backend>/letter-moved-*.png``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry
from sbt_sync.enforce import run_enforcement
from sbt_sync.ingest.registry import lookup_registry
from sbt_sync.letters.draft import draft_letters
from sbt_sync.notify import SmtpConfig
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import NotifySettings, Settings
from tests.console.browser import ARTIFACTS, chromium_path, log_in, serve
from tests.console.conftest import PASSWORD
from tests.notify.conftest import mail_server, notify_settings, smtp_config  # noqa: F401  (fixtures)
from tests.notify.helpers import add_pics
from tests.notify.mailserver import MailServer
from tests.notify.test_letters_held_and_due import send
from tests.reconcile.test_database_property import (
    NIP_A,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.support.registry import registry_item

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

DEADLINE = date(2024, 11, 11)
MOVED_ID = "tidak dikirim: ASN pada kasus surat ini kini tercatat pada instansi lain"
MOVED_EN = "not sent: the ASN of this letter's cases are now recorded at another instansi"
LEAKS = ("CASES_MOVED", "cases_moved", "parked", "not sent", "moved", NIP_A)


def _day(database: Database, settings: Settings, day: date, hour: int) -> None:
    """One reconciliation, one enforcement run and one drafting run on ``day``."""
    now = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    reconcile_database(database, settings, as_of=day, now=now)
    with database.session() as session:
        run_enforcement(session, settings.enforcement, day, now=now)
    with database.session() as session:
        draft_letters(session, settings, day)


def test_a_letter_parked_because_its_case_moved_instansi_says_why_in_words_with_no_nip_in_clear(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    mail_server: MailServer,  # noqa: F811
    smtp_config: SmtpConfig,  # noqa: F811
    notify_settings: NotifySettings,  # noqa: F811
) -> None:
    from playwright.sync_api import expect, sync_playwright

    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    add_pics(database, "ID-Sampang", "pic@sampang.go.id")
    add_pics(database, "ID-Bangkalan", "pic@bangkalan.go.id")
    _day(database, project_settings, DEADLINE, 3)
    with database.session() as session:
        drafted = session.execute(select(Letter.id, Letter.instansi_id, Letter.step)).tuples().all()
    assert [(i, s) for _, i, s in drafted] == [("ID-Sampang", "peringatan")], drafted
    letter_id = drafted[0][0]

    moved = registry_item(NIP_A, "BUDI SANTOSO", "Bangkalan")  # SIASN's row of now
    lookup_registry(database, {NIP_A: moved}.get, [NIP_A])
    reconcile_database(database, project_settings, as_of=DEADLINE, now=datetime(2024, 11, 11, 5, tzinfo=UTC))
    send(database, smtp_config, notify_settings)
    assert mail_server.handler.received == []  # Sampang is told nothing
    with database.session() as session:
        row = session.scalars(
            select(NotificationOutboxEntry).where(NotificationOutboxEntry.letter_id == letter_id)
        ).one()
        assert (row.state, row.server_answer or "") == ("parked", row.server_answer), row.state
        assert (row.server_answer or "").startswith(MOVED_ID), row.server_answer

    add_user(database, project_settings, username="audi", password=PASSWORD, role="auditor",
             display_name="Audi Auditor", actor="test")  # fmt: skip
    folder: Path = ARTIFACTS / database.dialect
    folder.mkdir(parents=True, exist_ok=True)
    with serve(create_app(project_settings, database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page: Any = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        log_in(page, base, "audi", PASSWORD)
        page.get_by_role("navigation").get_by_role("link", name="Surat PPK").click()
        row_of = page.locator("#letters tbody tr").filter(has=page.locator(f'a[href="/letters/{letter_id}"]'))
        expect(row_of).to_contain_text(MOVED_ID)
        page.screenshot(path=folder / "letter-moved-1-list-id.png", full_page=True)
        shown = page.locator("main").inner_text()
        for leak in LEAKS:
            assert leak not in shown, f"{leak!r} on the Indonesian letters list"
        row_of.locator(f'a[href="/letters/{letter_id}"]').first.click()
        page.wait_for_url(f"{base}/letters/{letter_id}")
        page.screenshot(path=folder / "letter-moved-2-letter-id.png", full_page=True)
        shown = page.locator("main").inner_text()
        expect(page.locator("#server-answer")).to_contain_text(MOVED_ID)
        # Nothing failed and no steward can make it go: not "gagal, menunggu steward".
        expect(page.locator("#mail-state")).to_have_text("tidak dikirim: lihat keterangan sistem")
        # No mail server answered: the notifier kept it back.
        assert "Jawaban server surel" not in shown and "gagal" not in shown
        for leak in LEAKS:
            assert leak not in shown, f"{leak!r} on the Indonesian letter page"

        page.get_by_role("link", name="English").click()
        page.wait_for_url(f"{base}/letters/{letter_id}")
        page.screenshot(path=folder / "letter-moved-3-letter-en.png", full_page=True)
        expect(page.locator("#server-answer")).to_contain_text(MOVED_EN)
        expect(page.locator("#mail-state")).to_have_text("not sent: see the system's note")
        english = page.locator("main").inner_text()
        leaks = ("CASES_MOVED", "tidak dikirim", "instansi lain", "Mail server's answer", "refused", NIP_A)
        for leak in leaks:
            assert leak not in english, f"{leak!r} on the English letter page"
        page.goto(f"{base}/letters")
        expect(page.locator("#letters tbody tr")).to_contain_text(MOVED_EN)
        page.screenshot(path=folder / "letter-moved-4-list-en.png", full_page=True)
        browser.close()
