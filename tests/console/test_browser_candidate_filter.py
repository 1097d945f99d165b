"""A steward narrows sixty namesakes on an identity conflict in a real headless Chromium, on both
backends: the birth year and the Kanreg she types post, the address bar never shows them (history,
proxy logs), and paging, reload and "back" keep the filter."""

from __future__ import annotations

import re

import pytest

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.settings import Settings
from tests.console.browser import chromium_path, log_in, serve
from tests.console.identity_world import seed_namesake_crowd

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

STEWARD, PASSWORD = "siti", "correct horse battery staple"


def test_a_steward_narrows_the_candidates_and_the_url_never_shows_the_birth_date(
    console_settings: Settings, migrated_database: Database
) -> None:
    from playwright.sync_api import expect, sync_playwright

    conflict, nips = seed_namesake_crowd(migrated_database, 60)
    add_user(
        migrated_database, console_settings, username=STEWARD, password=PASSWORD, role="steward",
        display_name="Siti Steward", actor="test",
    )  # fmt: skip
    with serve(create_app(console_settings, migrated_database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        log_in(page, base, STEWARD, PASSWORD)
        page.goto(f"{base}/conflicts/{conflict}")
        narrow = page.locator("#narrow")
        narrow.get_by_label("Kanreg").select_option("IV")
        narrow.get_by_role("button", name="Saring").click()
        filtered = re.compile(rf"^{re.escape(base)}/conflicts/{conflict}\?f=[\w-]+#candidates$")
        expect(page).to_have_url(filtered)
        expect(page.locator("#candidates")).to_contain_text("(1–25 dari 30 disaring dari 60)")
        page.get_by_role("link", name=re.compile("Berikutnya")).first.click()
        expect(page.locator("#candidates")).to_contain_text("(26–30 dari 30 disaring dari 60)")
        assert "IV" not in page.url and "page=2" in page.url
        page.reload()
        expect(page.locator("#candidates")).to_contain_text("(26–30 dari 30 disaring dari 60)")
        page.go_back()
        expect(page.locator("#candidates")).to_contain_text("(1–25 dari 30 disaring dari 60)")
        # a birth year: posted, never in the address bar
        narrow.get_by_label("Tanggal atau tahun lahir").fill("1971")
        narrow.get_by_label("Kanreg").select_option("")
        narrow.get_by_role("button", name="Saring").click()
        expect(page.locator("#candidates")).to_contain_text("(1–3 dari 3 disaring dari 60)")
        assert "1971" not in page.url and filtered.match(page.url)
        shown = page.locator("table.compare").inner_text()
        assert {n for n in nips if n in shown} == {n for n in nips if n.startswith("1971")}
        browser.close()
