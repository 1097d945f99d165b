"""The dashboard's recap download in a real headless Chromium (issue 19, item 4), on both backends.

A steward signs in at 1366x768, clicks "Excel (XLSX)" beside the recap on the dashboard, and the file
the browser saves opens with openpyxl: its title, the as-of instant in the deployment's zone, the
frozen header row, and the numbers of :func:`build_recap` (what ``sbt-sync report recap`` prints).
A resolved conflict's page then shows the decision in words and links to its audit entry, which the
steward follows. Screenshots go to ``var/test-artifacts/console/<backend>/exports-*.png``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sbt_sync.console.app import create_app
from sbt_sync.reports.recap import build_recap
from sbt_sync.reports.render import HEADER_ROW, TITLE, named
from sbt_sync.steward.decisions import resolve_conflict
from tests.console.browser import ARTIFACTS, chromium_path, log_in, serve
from tests.console.conftest import PASSWORD, World
from tests.console.test_exports import sanction_candidates

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]


def test_a_steward_downloads_the_recap_xlsx_from_the_dashboard_and_follows_a_decision_to_its_audit_entry(
    world: World, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    sanction_candidates(world.database, world.ids["conflict_a"])
    resolve_conflict(
        world.database, world.ids["conflict_a"], value="21", reason="I'DIS mencatat hukuman PPK",
        actor="steward", channel="console",
    )  # fmt: skip
    folder = ARTIFACTS / world.database.dialect
    folder.mkdir(parents=True, exist_ok=True)
    with serve(create_app(world.settings, world.database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
            page = context.new_page()
            log_in(page, base, "steward", PASSWORD)

            link = page.get_by_role("link", name="Excel (XLSX)")
            expect(link).to_be_visible()
            page.screenshot(path=folder / "exports-1-dashboard.png", full_page=True)
            with page.expect_download() as download:
                link.click()
            assert download.value.suggested_filename.endswith(".xlsx")
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)

            sheet = load_workbook(saved)["Rekap"]
            assert sheet["A1"].value == TITLE
            assert re.fullmatch(r"Per \d{4}-\d{2}-\d{2} \d{2}:\d{2} WIB", sheet["A2"].value)
            assert sheet.freeze_panes == f"B{HEADER_ROW + 1}"
            rows = [list(r) for r in sheet.iter_rows(min_row=HEADER_ROW, values_only=True)]
            assert rows == named(build_recap(world.database).table())

            page.goto(f"{base}/conflicts/{world.ids['conflict_a']}")
            decision = page.locator("#decisions")
            chosen = "Dipilih: Sanksi moral pernyataan secara terbuka (21) dari I'DIS"
            expect(decision).to_contain_text(chosen)
            expect(decision).to_contain_text("I'DIS mencatat hukuman PPK")
            page.screenshot(path=folder / "exports-2-decision.png", full_page=True)
            decision.get_by_role("link", name=re.compile(r"Entri audit #\d+")).click()
            expect(page.get_by_role("heading", name=re.compile(r"Entri audit #\d+"))).to_be_visible()
            expect(page.locator("table.audit tbody tr")).to_have_count(1)
            expect(page.locator("table.audit")).to_contain_text("Konflik diselesaikan")
            expect(page.locator("ul.diff").first).to_contain_text("terbuka → diselesaikan")
            page.screenshot(path=folder / "exports-3-audit-entry.png", full_page=True)
        finally:
            browser.close()
