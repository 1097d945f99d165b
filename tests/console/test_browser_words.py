"""A steward settles a sanction conflict by its words, in a real headless Chromium at 1366x768 and on a
tablet (820x1180), on both backends.

The case of :mod:`tests.console.words_world`: IDIS says jenisHukuman 21, Kemendagri 22. The steward sees
the two sanctions by name (not "21" vs "22"), the golden record in Indonesian labels and the instansi by
its registry name; "Nilai lain" offers the jenisHukuman list, and choosing "Teguran tertulis (2)" from it
resolves the conflict with a message in Indonesian. One click later the same page is in English.
Screenshots go to ``var/test-artifacts/console/<backend>/words-*.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.db.models import StewardDecision
from tests.console.browser import ARTIFACTS, chromium_path, serve
from tests.console.conftest import PASSWORD, World
from tests.console.words_world import HEX_INSTANSI, seed_words

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

REASON = "SK IDIS dibaca ulang: hukuman yang dijatuhkan adalah teguran tertulis"


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (820, 1180)])
def test_steward_resolves_a_sanction_conflict_by_the_sanctions_names(
    world: World, width: int, height: int
) -> None:
    from playwright.sync_api import expect, sync_playwright

    ids = seed_words(world.database, world.ids["approval"])
    conflict = ids["conflict_words"]
    shots: Path = ARTIFACTS / world.database.dialect
    shots.mkdir(parents=True, exist_ok=True)
    with serve(create_app(world.settings, world.database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{base}/login")
        page.get_by_label("Nama pengguna").fill("steward")
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()

        page.goto(f"{base}/conflicts/{conflict}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Hukuman yang dijatuhkan PPK")
        side = page.locator("table.side-by-side")
        expect(side).to_contain_text("Sanksi moral pernyataan secara terbuka (21)")
        expect(side).to_contain_text("Sanksi moral pernyataan secara tertutup (22)")
        golden = page.locator("section.card").filter(has_text="Data emas kasus")
        expect(golden).to_contain_text("Batas waktu tindak lanjut PPK")
        expect(golden).to_contain_text("Pemerintah Kabupaten Sampang")
        expect(golden).not_to_contain_text("follow_up_deadline")
        expect(golden).not_to_contain_text(HEX_INSTANSI)
        page.screenshot(path=str(shots / f"words-conflict-{width}.png"), full_page=True)

        other = page.get_by_label("Nilai lain")
        expect(other.locator("option")).to_have_count(13)  # "choose" and the 12 jenisHukuman codes
        other.select_option(label="Teguran tertulis (2)")
        page.get_by_label("Alasan").first.fill(REASON)
        page.get_by_role("button", name="Selesaikan", exact=True).click()
        expect(page.locator(".flash.ok")).to_contain_text(f"Konflik #{conflict} diselesaikan")
        page.screenshot(path=str(shots / f"words-resolved-{width}.png"), full_page=True)

        page.goto(f"{base}/conflicts/{conflict}")
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Sanction imposed by the PPK")
        expect(page.locator("table.side-by-side")).to_contain_text("Moral sanction: public statement (21)")
        browser.close()
    with world.database.session() as session:
        decided = select(StewardDecision).where(StewardDecision.conflict_id == conflict)
        decision = session.scalars(decided).one()
        assert decision.decision == {"value": "2"} and decision.reason == REASON
