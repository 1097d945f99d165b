"""A steward finds a case from the header's search box in a real headless Chromium at 1366x768, on both
backends (issue 19 item 2).

She remembers the ASN as "Dr. Tri Wijya" (a title, a letter left out): she types it into the search
box in the page header, reads the ASN, the case, its conflict and the source records grouped, opens
the case, and follows the timeline's link to its conflict. Screenshots go to
``var/test-artifacts/console/<backend>/search-*.png``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.settings import Settings
from tests.console.browser import ARTIFACTS, chromium_path, log_in, serve
from tests.console.search_world import REGISTER, TRI, TRI_KEY, seed_search_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

STEWARD, PASSWORD = "siti", "correct horse battery staple"


def test_steward_finds_a_case_by_a_misspelt_name_with_a_title_from_the_header_box(
    console_settings: Settings, migrated_database: Database
) -> None:
    from playwright.sync_api import expect, sync_playwright

    database = migrated_database
    ids = seed_search_world(database)
    add_user(
        database, console_settings, username=STEWARD, password=PASSWORD, role="steward",
        display_name="Siti Steward", actor="test",
    )  # fmt: skip
    shots: Path = ARTIFACTS / database.dialect
    shots.mkdir(parents=True, exist_ok=True)
    with serve(create_app(console_settings, database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        log_in(page, base, STEWARD, PASSWORD)

        box = page.locator("header").get_by_role("searchbox", name="Cari ASN, kasus, konflik, rekaman")
        expect(box).to_be_visible()  # in the header, on the dashboard she lands on
        assert box.bounding_box() is not None and box.bounding_box()["y"] < 200  # type: ignore[index]
        box.fill("Dr. Tri Wijya")
        box.press("Enter")

        # posted: the name typed stays out of the URL (history, proxy logs); a search id stands for it
        expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/search\?s=[\w-]+$"))
        asn = page.locator("#found-asn")
        expect(asn.locator("tbody tr").first).to_contain_text(TRI)  # she comes first, before a namesake
        expect(asn.locator("tbody tr").first).to_contain_text("Tri Wijaya, S.Pd.")
        cases = page.locator("#found-cases")
        case_link = cases.locator(f'a[href="/cases/{ids["case_tri"]}"]')
        expect(case_link).to_have_text("Pilkada 2024 · 0070/… · Tri W.")  # the short label, not the key
        expect(cases).to_contain_text(TRI_KEY)  # the key beside it, small
        expect(cases).to_contain_text("Dr. Tri Wijaya, S.Pd.")  # the name her record writes
        expect(page.locator("#found-conflicts")).to_contain_text(f"#{ids['conflict_tri']}")
        expect(page.locator("#found-records")).to_contain_text("BWS-0070")
        page.screenshot(path=shots / "search-1-results.png", full_page=True)

        results_url = page.url
        case_link.click()
        expect(page).to_have_url(f"{base}/cases/{ids['case_tri']}")
        page.go_back()  # "back" shows the results again, no resubmitted form
        expect(page).to_have_url(results_url)
        expect(page.locator("#found-asn tbody tr").first).to_contain_text(TRI)
        page.go_forward()
        expect(page).to_have_url(f"{base}/cases/{ids['case_tri']}")
        expect(page.locator("dl.facts")).to_contain_text(REGISTER)
        page.screenshot(path=shots / "search-2-case.png")

        page.locator("li.t-conflict_opened").get_by_role("link").first.click()
        expect(page).to_have_url(f"{base}/conflicts/{ids['conflict_tri']}")
        browser.close()
