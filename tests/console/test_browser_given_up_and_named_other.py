"""The console's newest states in a real headless Chromium, in Bahasa Indonesia and in English, on both
backends: a letter a steward gives up on its page (then the letters list, filtered to given-up
letters), and a ``named_other`` conflict (a record that joined a case by number while naming another
ASN) in the queue and on its page. The tests assert the words a steward reads.

Screenshots go to ``var/test-artifacts/console/<backend>/given-up-*.png`` and ``named-other-*.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict, StagedRecord
from sbt_sync.settings import Settings
from sbt_sync.states.conflicts import ConflictKind
from tests.console.browser import ARTIFACTS, chromium_path, log_in, serve
from tests.console.conftest import PASSWORD, seed
from tests.console.letters_world import write_letter
from tests.console.test_link_pages import Desk, desk  # noqa: F401  (a fixture)
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    Spec,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

NUMBER = "0001/B-AK.02.02/SD/F/2026"
WHY = "Alamat PIC lama tidak aktif; surat disampaikan langsung oleh Kanreg"


def _page(browser: Any, base: str, who: str, password: str) -> Any:
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    return log_in(page, base, who, password)


def _folder(database: Database) -> Path:
    folder: Path = ARTIFACTS / database.dialect
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_steward_gives_up_a_parked_letter_and_the_letters_pages_say_so_in_both_languages(
    console_settings: Settings, migrated_database: Database
) -> None:
    from playwright.sync_api import expect, sync_playwright

    database = migrated_database
    ids = seed(database)
    letter_id, _ = write_letter(database, ids["case_a"], seq=1, instansi_id="B2", reviewed=False)
    add_user(database, console_settings, username="siti", password=PASSWORD, role="steward",
             display_name="Siti Steward", actor="test")  # fmt: skip
    folder = _folder(database)
    with serve(create_app(console_settings, database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = _page(browser, base, "siti", PASSWORD)
        page.goto(f"{base}/letters/{letter_id}")
        expect(page.get_by_role("heading", name=f"Surat {NUMBER}")).to_be_visible()
        expect(page.locator("#mail-state")).to_have_text(
            "menunggu alamat PIC instansi; dikirim begitu admin menambahkannya"
        )
        give_up = page.locator("#give-up")
        expect(give_up).to_contain_text("Serahkan: jangan kirimi PIC yang belum menerima surat ini")
        give_up.get_by_label("Alasan").fill(WHY)
        give_up.get_by_role("button", name="Serahkan").click()

        expect(page.get_by_text("PIC yang belum menerima surat ini tidak akan dikirimi.")).to_be_visible()
        expect(page.locator("#mail-state")).to_have_text("Dihentikan oleh steward")
        expect(page.locator("#given-up")).to_contain_text("Dihentikan oleh siti pada ")
        expect(page.locator("#given-up")).to_contain_text(f"{WHY}. Surat ini tidak akan dikirim lagi.")
        expect(page.locator("#give-up, #retry, #release")).to_have_count(0)  # nothing is sent again
        expect(page.get_by_text("Keterangan penghentian")).to_be_visible()
        expect(page.get_by_text("no PIC address for instansi")).to_have_count(0)  # words, not the machine's
        page.screenshot(path=folder / "given-up-1-letter-id.png", full_page=True)

        page.goto(f"{base}/letters?state=given_up")
        row = page.locator("#letters tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(NUMBER)
        expect(row).to_contain_text("Dihentikan oleh steward")
        expect(row).to_contain_text(f"siti: {WHY}")
        page.screenshot(path=folder / "given-up-2-list-id.png", full_page=True)

        page.goto(f"{base}/lang/en?next=/letters/{letter_id}")
        expect(page.get_by_role("heading", name=f"Letter {NUMBER}")).to_be_visible()
        expect(page.locator("#mail-state")).to_have_text("Given up by a steward")
        expect(page.locator("#given-up")).to_contain_text("Given up by siti on ")
        expect(page.locator("#given-up")).to_contain_text(f"{WHY}. This letter will not be sent again.")
        page.screenshot(path=folder / "given-up-3-letter-en.png", full_page=True)
        page.goto(f"{base}/letters?state=given_up")
        expect(page.locator("#letters tbody tr")).to_contain_text("Given up by a steward")
        page.screenshot(path=folder / "given-up-4-list-en.png", full_page=True)
        browser.close()


def test_a_named_other_conflict_shows_both_asn_in_the_queue_and_on_its_page_in_both_languages(
    desk: Desk,  # noqa: F811
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _write(desk.database, 3, Spec("recommendation", "b", 1, 1), 1)  # Siti's own case
    _write(desk.database, 4, Spec("sanction", "b", 0, 0), 1)  # Siti's sanction, Budi's number
    with desk.database.session() as session:
        sanction = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "idis-4")).one()
        sanction.fields = {**sanction.fields, "sanction_date": "2025-01-10"}
    desk.reconcile(1)
    with desk.database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == ConflictKind.NAMED_OTHER)).one()
        conflict_id = conflict.id
    folder = _folder(desk.database)
    with serve(create_app(desk.settings, desk.database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = _page(browser, base, "steward", PASSWORD)
        page.goto(f"{base}/conflicts?status=open")
        listed = page.locator("tbody tr").filter(has_text="Rekaman menyebut ASN lain")
        expect(listed).to_have_count(1)
        expect(listed).not_to_contain_text(NIP_B)  # the queue names the case, not the ASN it names
        page.screenshot(path=folder / "named-other-1-queue-id.png", full_page=True)
        listed.locator(f'a[href="/conflicts/{conflict_id}"]').first.click()

        page.wait_for_url(f"{base}/conflicts/{conflict_id}*")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Konflik #{conflict_id}: Rekaman menyebut ASN lain · Tautan rekaman ke kasus"
        )
        expect(page.get_by_label("Nilai lain")).to_have_count(0)  # "keep" or the move: no other value
        expect(page.get_by_text("Rekaman menyebut ASN lain").first).to_be_visible()
        expect(page.get_by_text("Masuk ke kasus ini lewat")).to_contain_text(
            f"kasus ini tentang NIP {NIP_A}, tetapi rekaman menyebut NIP {NIP_B}."
        )
        move = page.get_by_role("link", name="Pindahkan rekaman ke kasus ASN yang disebutnya")
        expect(move).to_be_visible()
        expect(
            page.get_by_label("Rekaman ini milik kasus ini (NIP/nama di dalamnya kekeliruan sumber)")
        ).to_be_visible()
        page.screenshot(path=folder / "named-other-2-page-id.png", full_page=True)

        page.goto(f"{base}/lang/en?next=/conflicts/{conflict_id}")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Conflict #{conflict_id}: Record names another ASN · The record's link to the case"
        )
        expect(page.get_by_text("Record names another ASN").first).to_be_visible()
        expect(page.get_by_text("Joined this case by")).to_contain_text(
            f"the case is about NIP {NIP_A}, but the record names NIP {NIP_B}."
        )
        move = page.get_by_role("link", name="Move the record to the case of the ASN it names")
        expect(move).to_be_visible()
        expect(
            page.get_by_label("The record belongs to this case (the NIP/name on it are the source's mistake)")
        ).to_be_visible()
        page.screenshot(path=folder / "named-other-3-page-en.png", full_page=True)
        browser.close()
