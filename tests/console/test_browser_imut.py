"""I-MUT in a real headless Chromium at 1366x768, on both backends (issue 17's browser check).

I-MUT delivers a transfer of an Administrator decided by a mayor on 10 Jun 2024, inside the Pilkada
2024 ban window, with no Mendagri approval, and another whose approval is dated after the decision;
both are landed and staged through the source's own ingestion functions and evaluated by the rules.
A steward opens the Pasal 71(2) finding from the queue, sees the decision, the window and the missing
approval side by side, and confirms it with a reason; the audit log names the steward. A Kemendagri
viewer sees the finding (and its confirmation) but cannot decide; a Bawaslu viewer has no I-MUT link
and is refused the pages. Screenshots go to ``var/test-artifacts/console/<backend>/imut-*.png``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, ImutFinding
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from sbt_sync.settings import Settings
from tests.console.browser import ARTIFACTS, chromium_path, serve
from tests.imut.builders import NIP_A, action_id, ingest, payload

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

PASSWORD = "correct horse battery staple"
REASON = "SK mutasi dalam masa larangan tanpa persetujuan tertulis Mendagri"
USERS = {
    "siti": ("steward", None, "Siti Steward"),
    "kmd": ("agency_viewer", "kemendagri", "Pemantau Kemendagri"),
    "bws": ("agency_viewer", "bawaslu", "Pemantau Bawaslu"),
}


def _seed(database: Database, settings: Settings) -> int:
    late = {"persetujuanMendagriNomor": "100.2.2.6/99/OTDA", "persetujuanMendagriTanggal": "20-06-2024"}
    ingest(database, payload(1), payload(2, **late))
    with database.session() as session:
        evaluate_findings(
            session,
            elections=load_election_calendar(),
            workdays=load_working_days(),
            as_of=date(2024, 11, 27),
        )
        finding = session.scalars(
            select(ImutFinding.id).where(
                ImutFinding.action_id == action_id(1), ImutFinding.rule == "pasal_71_2"
            )
        ).one()
    for name, (role, agency, display) in USERS.items():
        add_user(database, settings, username=name, password=PASSWORD, role=role, agency=agency,
                 display_name=display, actor="test")  # fmt: skip
    return finding


def _login(browser: Any, base: str, who: str) -> Any:
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Nama pengguna").fill(who)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/")
    return page


def test_steward_confirms_a_pasal_71_2_finding_kemendagri_sees_it_and_bawaslu_does_not(
    console_settings: Settings, migrated_database: Database
) -> None:
    from playwright.sync_api import expect, sync_playwright

    database = migrated_database
    finding = _seed(database, console_settings)
    shots: Path = ARTIFACTS / database.dialect
    shots.mkdir(parents=True, exist_ok=True)
    with serve(create_app(console_settings, database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])

        page = _login(browser, base, "siti")
        page.get_by_role("navigation").get_by_role("link", name="I-MUT").click()
        expect(page.get_by_role("heading", name="Temuan I-MUT")).to_be_visible()
        page.get_by_label("Aturan").select_option("pasal_71_2")
        page.get_by_role("button", name="Saring").click()
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(2)  # no approval, and an approval dated after the decision
        expect(page.get_by_text(NIP_A)).to_have_count(0)  # masked in the list
        page.screenshot(path=shots / "imut-1-queue.png", full_page=True)
        rows.filter(has_text="821/1/BKPSDM/2024").get_by_role("link", name=str(finding), exact=True).click()

        expect(page.get_by_role("heading", name=f"Temuan I-MUT #{finding}: Pasal 71(2)")).to_be_visible()
        side = page.locator("#side-by-side")
        header = side.locator("thead th")
        expect(header).to_have_text(
            ["Keputusan (SK)", "Masa larangan", "Persetujuan tertulis Mendagri", "Pelaporan ke Kemendagri"]
        )
        cells = side.locator("tbody td")
        expect(cells.nth(0)).to_contain_text("821/1/BKPSDM/2024")
        expect(cells.nth(0)).to_contain_text("10-06-2024")
        expect(cells.nth(0)).to_contain_text("H. Wali Kota (kepala daerah definitif)")
        expect(cells.nth(1)).to_contain_text("22-03-2024 – 19-02-2025")
        expect(cells.nth(1)).to_contain_text("Pilkada serentak 2024")
        expect(cells.nth(2)).to_have_text("tidak ada")
        expect(page.locator("#reason")).to_contain_text("tanpa persetujuan tertulis Mendagri")
        expect(page.locator("#basis")).to_contain_text("UU 10/2016 Pasal 71 ayat (2)")
        page.get_by_label("Konfirmasi pelanggaran").check()
        page.get_by_label("Alasan").fill(REASON)
        page.screenshot(path=shots / "imut-2-finding.png", full_page=True)
        page.get_by_role("button", name="Simpan keputusan").click()
        expect(page.get_by_text(f"Temuan #{finding}: Konfirmasi pelanggaran dicatat.")).to_be_visible()
        expect(page.locator("#review")).to_contain_text(f"dikonfirmasi · siti: {REASON}")
        page.goto(f"{base}/audit?action=imut_finding.decide")
        audit = page.locator("tbody tr").filter(has_text="imut_finding.decide")
        expect(audit).to_have_count(1)
        expect(audit).to_contain_text("siti")
        expect(audit).to_contain_text(REASON)
        page.screenshot(path=shots / "imut-3-audit.png", full_page=True)

        kmd = _login(browser, base, "kmd")
        kmd.get_by_role("navigation").get_by_role("link", name="I-MUT").click()
        kmd.get_by_role("link", name=str(finding), exact=True).click()
        expect(kmd.locator("#side-by-side tbody td").nth(2)).to_have_text("tidak ada")
        expect(kmd.locator("#review")).to_contain_text("dikonfirmasi")
        expect(kmd.get_by_role("button", name="Simpan keputusan")).to_have_count(0)  # reads, never decides
        kmd.screenshot(path=shots / "imut-4-kemendagri.png", full_page=True)

        bws = _login(browser, base, "bws")
        expect(bws.get_by_role("navigation").get_by_role("link", name="I-MUT")).to_have_count(0)
        bws.goto(f"{base}/imut/{finding}")
        expect(bws.get_by_role("heading", name="403")).to_be_visible()
        expect(bws.get_by_text("821/1/BKPSDM/2024")).to_have_count(0)
        bws.screenshot(path=shots / "imut-5-bawaslu.png", full_page=True)
        browser.close()

    with database.session() as session:
        row = session.get(ImutFinding, finding)
        assert row is not None and (row.review, row.reviewed_by, row.review_reason) == (
            "confirmed",
            "siti",
            REASON,
        )
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "imut_finding.decide")).one()
    assert (entry.actor_name, entry.channel, entry.reason) == ("siti", "console", REASON)
