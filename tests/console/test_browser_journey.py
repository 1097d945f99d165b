"""A steward's working day in one continuous run, in a real headless Chromium, on a real cycle: at
1366x768 (an office laptop) and at 820x1180 (a tablet), on both backends (issue 19, "Checked by").

The small sandbox election runs through one full Dagster cycle (:mod:`tests.console.journey_world`);
its sources disagree on the sanction a PPK imposed on one titled ASN (I'DIS and Kemendagri name
different jenisHukuman codes), which opens a conflict. At each size the steward Siti:

1. types the ASN's name misspelt, with her titles, into the header's search box and finds her;
2. opens her case from the results (the sources and the election by name, not as codes) and follows
   the link to its conflict;
3. reads the conflict: its case by the short label, the two sanctions by name (never "21" vs "22"), the
   two sources by name; chooses one and resolves the conflict in Indonesian;
4. goes to the dashboard and downloads the recap as XLSX: openpyxl reads its title, the as-of instant
   and the numbers of :func:`~sbt_sync.reports.recap.build_recap` (what ``sbt-sync report recap``
   prints);
5. assigns another open conflict to a colleague from the queue; the colleague logs in and finds it,
   and only it, under "Tugas saya".

One cycle serves both sizes: before the tablet's run the test reopens the sanction conflict through
the steward service (what "Buka kembali" on its page does), so both runs decide the same dispute;
each size assigns a different conflict to a different colleague. Screenshots go to
``var/test-artifacts/console/<backend>/journey-<size>-*.png``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.labels import event_name, sanction_label, source_name
from sbt_sync.console.users import add_user
from sbt_sync.db.models import AuditEntry, StewardDecision
from sbt_sync.reports.recap import build_recap
from sbt_sync.reports.render import HEADER_ROW, TITLE, named
from sbt_sync.steward.case_labels import short_name
from sbt_sync.steward.links import reopen_decision
from tests.console.browser import ARTIFACTS, chromium_path, serve
from tests.console.journey_world import Cycled, Target, cycled_world, sanction_targets

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

PASSWORD = "correct horse battery staple"
STEWARD = ("siti", "Siti Rahmawati")
COLLEAGUES: dict[int, tuple[str, str]] = {1366: ("budi", "Budi Santoso"), 820: ("dewi", "Dewi Lestari")}
"""Who Siti hands a conflict to at each size (each then finds exactly one in "Tugas saya")."""
VIEWPORTS: tuple[ViewportSize, ...] = ({"width": 1366, "height": 768}, {"width": 820, "height": 1180})
SEARCH_BOX = "Cari ASN, kasus, konflik, rekaman"


def misspelt(target: Target) -> str:
    """What the steward types: the registry name with a letter of its last word left out, and her
    titles written into the name as the sources write them ("Dr. Fadli Hasn, S.H.")."""
    words = target.name.split()
    last = words[-1]
    words[-1] = last[:-2] + last[-1] if len(last) > 3 else last + last[-1]
    return ", ".join(p for p in (" ".join(p for p in (target.front, *words) if p), target.back) if p)


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/")


def test_a_steward_finds_an_asn_by_name_settles_her_sanction_conflict_downloads_the_recap_and_hands_work_on(
    tmp_path: Path, database_url: str, project_dir: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with cycled_world(tmp_path, database_url, project_dir) as world:
        targets = sanction_targets(world.database)
        assert targets, "the small election's sources disagree on an imposed sanction of a titled ASN"
        target = targets[0]
        for username, display in (STEWARD, *COLLEAGUES.values()):
            add_user(world.database, world.settings, username=username, password=PASSWORD, role="steward",
                     display_name=display, actor="test")  # fmt: skip
        shots = ARTIFACTS / world.database.dialect
        shots.mkdir(parents=True, exist_ok=True)
        assigned: dict[int, str] = {}
        with serve(create_app(world.settings, world.database)) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
            )
            try:
                for viewport in VIEWPORTS:
                    if viewport is not VIEWPORTS[0]:  # the same dispute, open again for the tablet
                        reopen_decision(
                            world.database, target.conflict_id, reason="Dibaca ulang di tablet",
                            actor=STEWARD[0], channel="console",
                        )  # fmt: skip
                    assigned[viewport["width"]] = _journey(
                        browser, base, world, target, viewport, shots, tmp_path
                    )
            finally:
                browser.close()
        with world.database.session() as session:
            decisions = session.scalars(
                select(StewardDecision)
                .where(StewardDecision.conflict_id == target.conflict_id, StewardDecision.reason.like("SK %"))
                .order_by(StewardDecision.id)
            ).all()
            assert [d.decision for d in decisions] == [{"value": target.codes[0]}, {"value": target.codes[1]}]
            steps = session.scalars(select(AuditEntry).where(AuditEntry.action == "conflict.assign")).all()
            assert sorted(
                (e.actor_name, e.object_id, (e.after or {}).get("claimed_by")) for e in steps
            ) == sorted((STEWARD[0], assigned[width], COLLEAGUES[width][0]) for width in COLLEAGUES)


def _journey(
    browser: Browser, base: str, world: Cycled, target: Target, viewport: ViewportSize, shots: Path,
    downloads: Path,
) -> str:  # fmt: skip
    """One continuous run at ``viewport`` (the module's steps 1-5); the id of the conflict handed on."""
    from playwright.sync_api import expect

    size = f"{viewport['width']}x{viewport['height']}"
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    _login(page, base, STEWARD[0])

    # 1. The header's search box, a misspelt name with titles.
    box = page.locator("header").get_by_role("searchbox", name=SEARCH_BOX)
    expect(box).to_be_visible()
    box.fill(misspelt(target))
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?s=[\w-]+$"))  # the name typed is not in the URL
    asn = page.locator("#found-asn tbody tr").filter(has_text=target.nip)
    expect(asn).to_have_count(1)
    expect(asn).to_contain_text(target.name)
    case_link = page.locator(f'#found-cases a[href="/cases/{target.case_id}"]')
    expect(case_link).to_contain_text(short_name(target.name) or target.name)
    page.screenshot(path=shots / f"journey-{size}-1-search.png", full_page=True)

    # 2. Her case, its sources and election by name; the link to its conflict.
    case_link.click()
    page.wait_for_url(f"{base}/cases/{target.case_id}")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(short_name(target.name) or target.name)
    expect(heading).not_to_contain_text(target.event_code)  # the short label, not the raw case key
    expect(page.locator("dl.facts").first).to_contain_text(event_name(target.event_code))
    assert event_name(target.event_code) != target.event_code
    records = page.locator("#records tbody")
    for key in ("idis", "kemendagri"):
        expect(records).to_contain_text(source_name(key))
    cells = [t.strip() for t in records.locator("td:first-child").all_inner_texts()]
    assert cells and not set(cells) & set(world.settings.sources), f"source keys at {size}: {cells}"
    page.screenshot(path=shots / f"journey-{size}-2-case.png", full_page=True)
    page.get_by_role("link", name=f"Konflik #{target.conflict_id}", exact=True).first.click()
    page.wait_for_url(f"{base}/conflicts/{target.conflict_id}")

    # 3. The sanctions by name, the case by its short label; resolved in Indonesian.
    expect(page.locator("a.case-label")).to_contain_text(short_name(target.name) or target.name)
    if viewport is not VIEWPORTS[0]:  # reopened since the laptop's run: said in Indonesian
        reopened = f"Dibuka kembali oleh {STEWARD[0]}: Dibaca ulang"
        expect(page.locator("dl.facts").first).to_contain_text(reopened)
    side = page.locator("table.side-by-side")
    for code in target.codes:
        expect(side).to_contain_text(sanction_label(code))
    expect(side).to_contain_text(source_name("idis"))
    expect(side).to_contain_text(source_name("kemendagri"))
    bare = [t.strip() for t in side.locator("tbody td").all_inner_texts() if t.strip() in target.codes]
    assert bare == [], f"sanction codes without their names at {size}: {bare}"
    choice = target.codes[0] if viewport is VIEWPORTS[0] else target.codes[1]
    page.get_by_label(sanction_label(choice), exact=True).check()
    page.get_by_label("Alasan").first.fill(f"SK PPK dibaca ulang: {sanction_label(choice)}")
    page.screenshot(path=shots / f"journey-{size}-3-conflict.png", full_page=True)
    page.get_by_role("button", name="Selesaikan", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Konflik #{target.conflict_id} diselesaikan")

    # 4. The recap from the dashboard, as the CLI counts it.
    page.get_by_role("link", name="Dasbor").first.click()
    page.wait_for_url(f"{base}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel (XLSX)").click()
    saved = downloads / f"{size}-{download.value.suggested_filename}"
    download.value.save_as(saved)
    sheet = load_workbook(saved)["Rekap"]
    assert sheet["A1"].value == TITLE
    assert re.fullmatch(r"Per \d{4}-\d{2}-\d{2} \d{2}:\d{2} WIB", str(sheet["A2"].value))
    rows = [list(r) for r in sheet.iter_rows(min_row=HEADER_ROW, values_only=True)]
    assert rows == named(build_recap(world.database).table()) and len(rows) > 2
    assert not any(re.fullmatch(r"[A-Z]+-?\d{4}", str(row[0])) for row in rows[1:])  # elections by name
    page.screenshot(path=shots / f"journey-{size}-4-dashboard.png", full_page=True)

    # 5. Another open conflict, nobody's yet, handed to a colleague from the queue.
    colleague, display = COLLEAGUES[viewport["width"]]
    page.get_by_role("link", name="Konflik", exact=True).first.click()
    page.wait_for_url(re.compile(r"/conflicts"))
    nobodys = page.locator("td.holder", has_text="belum ada")
    row = page.locator("table.queue tbody tr[data-conflict]").filter(has=nobodys).first
    handed = row.get_attribute("data-conflict")
    assert handed is not None and handed != str(target.conflict_id)
    row.get_by_label(f"Tugaskan konflik #{handed} kepada").select_option(label=display)
    row.get_by_role("button", name="Tugaskan").click()
    expect(page.get_by_text(f"Konflik #{handed} kini ditangani {colleague}.")).to_be_visible()
    expect(page.locator(f'tr[data-conflict="{handed}"] td.holder')).to_contain_text(display)
    page.screenshot(path=shots / f"journey-{size}-5-assigned.png", full_page=True)
    context.close()

    other = browser.new_context(viewport=viewport).new_page()
    _login(other, base, colleague)
    other.get_by_role("link", name="Konflik", exact=True).first.click()
    tab = other.get_by_role("link", name="Tugas saya")
    expect(tab).to_contain_text("1")
    tab.click()
    mine = other.locator("table.queue tbody tr[data-conflict]")
    expect(mine).to_have_count(1)
    expect(mine.first).to_have_attribute("data-conflict", handed)
    expect(mine.first.locator("td.holder")).to_contain_text(f"ditugaskan oleh {STEWARD[1]}")
    other.screenshot(path=shots / f"journey-{size}-6-tugas-saya.png", full_page=True)
    other.context.close()
    return handed
