"""A steward's identity work in a real headless Chromium at 1366x768 (the common office laptop), on both
backends.

An unresolved BKN Wasdal recommendation names "Tri Wijyaa": the steward opens its conflict from the
queue (which names the case the row joined), finds her by that misspelt name in the registry search,
compares her side by side with the row and links her with a reason. Then bulk "top candidate" over a
tied conflict and a clean one resolves only the clean one, and the page says why the tie was left
open. Screenshots go to ``var/test-artifacts/console/<backend>/identity-*.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, Conflict, StewardDecision
from sbt_sync.settings import Settings
from tests.console.browser import ARTIFACTS, chromium_path, log_in, serve
from tests.console.identity_world import FAUZI_CAMAT, FAUZI_SEKDIS, RINA, TRI, seed_identity_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

STEWARD, PASSWORD = "siti", "correct horse battery staple"
REASON = "Nama salah ketik di rekomendasi; instansi dan tanggal lahir cocok dengan KTP"


def test_steward_links_an_unresolved_row_found_by_a_misspelt_name_and_bulk_leaves_a_tie_open(
    console_settings: Settings, migrated_database: Database
) -> None:
    from playwright.sync_api import expect, sync_playwright

    database = migrated_database
    ids = seed_identity_world(database)
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

        page.goto(f"{base}/conflicts?kind=unresolved")
        row = page.locator("tbody tr").filter(has_text="identitas tidak ditemukan")
        expect(row).to_have_count(1)
        expect(row.get_by_title("PILKADA-2024|rec:R-1")).to_be_visible()  # the case it joined (short label)
        row.get_by_role("link", name=f"#{ids['unresolved']}", exact=True).click()

        expect(page.get_by_text("Registri tidak menawarkan kandidat.")).to_be_visible()
        page.get_by_role("button", name="Tangani").click()
        search = page.locator("#search")
        expect(search.get_by_label("Nama")).to_have_value("Tri Wijyaa")  # the row's name, as written
        search.get_by_label("Instansi").fill("Sampang")
        search.get_by_role("button", name="Cari").click()
        hit = page.locator("tbody tr").filter(has_text=TRI)
        expect(hit).to_have_count(1)
        expect(hit).to_contain_text("Tri Wijaya, S.Sos.")
        expect(hit).to_contain_text("Analis Kepegawaian")
        expect(hit.locator(".m.yes")).to_have_count(2)  # the name and the instansi match the row
        page.screenshot(path=shots / "identity-1-search.png")
        page.get_by_label(TRI).check()
        page.get_by_label("Alasan").fill(REASON)
        page.screenshot(path=shots / "identity-2-link.png", full_page=True)
        page.get_by_role("button", name="Selesaikan", exact=True).click()
        expect(page.get_by_text(f"Konflik #{ids['unresolved']} diselesaikan")).to_be_visible()

        page.goto(f"{base}/conflicts/{ids['tie']}")
        expect(page.locator(".badge", has_text="seri")).to_have_count(2)
        expect(page.get_by_text("Kandidat teratas berskor sama")).to_be_visible()
        for nip in (FAUZI_CAMAT, FAUZI_SEKDIS):
            expect(page.get_by_label(nip)).not_to_be_checked()  # a tie is never chosen for the steward
        sekdis = page.locator("tbody tr").filter(has_text=FAUZI_SEKDIS)
        expect(sekdis.locator(".m.no")).to_contain_text("berbeda")  # a Sekretaris Dinas, not the Camat
        page.screenshot(path=shots / "identity-3-tie.png", full_page=True)

        page.goto(f"{base}/conflicts?kind=identity")
        for key in ("tie", "clean"):
            page.get_by_label(f"Pilih {ids[key]}", exact=True).check()
        page.get_by_label("Jawaban").select_option("top")
        page.locator("fieldset.bulk").get_by_label("Alasan").fill("Daftar diperiksa bersama")
        page.get_by_role("button", name="Selesaikan yang dipilih").click()
        expect(page.get_by_text("1 konflik diselesaikan.")).to_be_visible()
        expect(
            page.get_by_text(f"#{ids['tie']} tidak diubah: 2 kandidat teratas berskor sama")
        ).to_be_visible()
        page.screenshot(path=shots / "identity-4-bulk.png", full_page=True)
        browser.close()

    with database.session() as session:
        status = dict(session.execute(select(Conflict.id, Conflict.status)).tuples().all())
        decisions = {d.conflict_id: d.decision for d in session.scalars(select(StewardDecision))}
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "conflict.resolve")).all()
    assert (status[ids["unresolved"]], status[ids["tie"]], status[ids["clean"]]) == (
        "resolved",
        "open",
        "resolved",
    )
    assert decisions == {ids["unresolved"]: {"nip": TRI}, ids["clean"]: {"nip": RINA}}
    linked = next(a for a in audit if a.object_id == str(ids["unresolved"]))
    assert (linked.actor_name, linked.reason, linked.channel) == (STEWARD, REASON, "console")
