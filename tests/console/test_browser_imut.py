"""I-MUT in a real headless Chromium at 1366x768, on both backends (issue 17's browser check).

A steward opens a Pasal 71(2) finding from the queue, sees the decision, the window and the missing
approval side by side, and confirms it with a reason; the audit log names the steward. A Kemendagri
viewer sees the finding (and its confirmation) but cannot decide; a Bawaslu viewer has no I-MUT link
and is refused the page. The walk runs twice:

- on the small sandbox, through one real Dagster cycle (as tests/imut/test_end_to_end.py), on a
  replacement without approval that the generator planted (its truth says which);
- on two hand-written actions (a mayor's transfer of an Administrator on 10 Jun 2024 without approval,
  and one whose approval postdates it), landed and staged through the source's own ingestion
  functions, where the exact values on the page are known.

Screenshots go to ``var/test-artifacts/console/<backend>/imut-*.png``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, ImutFinding
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import Settings, load_settings
from tests.console.browser import ARTIFACTS, chromium_path, log_in, serve
from tests.imut.builders import action_id, ingest, payload
from tests.support.sandbox import GeneratedSandboxes, make_project

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
    return log_in(page, base, who, PASSWORD)


def _day(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else "-"


def test_steward_confirms_a_pasal_71_2_finding_kemendagri_sees_it_and_bawaslu_does_not(
    console_settings: Settings, migrated_database: Database
) -> None:
    finding = _seed(migrated_database, console_settings)
    _walk(console_settings, migrated_database, finding, shots="imut", others=1)


def test_on_the_sandbox_a_steward_confirms_a_planted_pasal_71_2_breach(
    migrated_database: Database,
    generated_sandboxes: GeneratedSandboxes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sandbox plants replacements without approval (its truth says which); one Dagster cycle
    ingests and evaluates them; the walk above runs on one of them."""
    data = generated_sandboxes.small(17)  # read only
    instant = datetime.fromisoformat(json.loads((data / "manifest.json").read_text())["clock"]["as_of"])
    day = instant.astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
    with Sandbox(data, state_dir=tmp_path / "state") as sandbox:
        sandbox.clock.set(instant, frozen=True)
        path = make_project(sandbox, data, tmp_path, monkeypatch.setenv).config_path
        definitions = build_definitions(config_path=str(path), database_url=migrated_database.url)
        result = definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(
            raise_on_error=False,
            run_config={
                "loggers": {"console": {"config": {"log_level": "WARNING"}}},
                "ops": {"enforcement__block_state": {"config": {"as_of": day}},
                        "golden__imut_findings": {"config": {"as_of": day}}},
            },
        )  # fmt: skip
        assert result.success
    truth = [json.loads(line) for line in (data / "truth" / "imut_findings.jsonl").read_text().splitlines()]
    planted = sorted(t["action_id"] for t in truth if t["category"] == "pasal_71_2_no_approval")
    assert planted
    with migrated_database.session() as session:
        finding = session.scalars(
            select(ImutFinding.id)
            .where(ImutFinding.action_id.in_(planted), ImutFinding.rule == "pasal_71_2")
            .order_by(ImutFinding.id)
        ).first()
    assert finding is not None, "the cycle should find the planted breach"
    settings = load_settings(path, env={"SBT_DATABASE_URL": migrated_database.url})
    for name, (role, agency, display) in USERS.items():
        add_user(migrated_database, settings, username=name, password=PASSWORD, role=role, agency=agency,
                 display_name=display, actor="test")  # fmt: skip
    _walk(settings, migrated_database, finding, shots="imut-sandbox", others=None)


def _walk(settings: Settings, database: Database, finding: int, *, shots: str, others: int | None) -> None:
    """The steward confirms ``finding`` from the queue (filtered to its rule and instansi; ``others``:
    how many other Pasal 71(2) findings that shows, if known); Kemendagri reads it; Bawaslu cannot."""
    from playwright.sync_api import expect, sync_playwright

    with database.session() as session:
        row = session.get(ImutFinding, finding)
        assert row is not None and row.reason_key == "imut.reason.window_no_approval"
        decision_no, decided, official = row.decision_no or "-", _day(row.decision_date), row.official_name
        window, instansi, nip = (
            f"{_day(row.window_first)} – {_day(row.window_last)}",
            row.instansi_id,
            row.nip,
        )
    folder: Path = ARTIFACTS / database.dialect
    folder.mkdir(parents=True, exist_ok=True)
    with serve(create_app(settings, database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])

        page = _login(browser, base, "siti")
        page.get_by_role("navigation").get_by_role("link", name="I-MUT").click()
        expect(page.get_by_role("heading", name="Temuan I-MUT")).to_be_visible()
        page.get_by_label("Aturan").select_option("pasal_71_2")
        page.get_by_label("Instansi").fill(instansi or "")
        page.get_by_role("button", name="Saring").click()
        rows = page.locator("tbody tr")
        if others is not None:
            expect(rows).to_have_count(1 + others)
        expect(page.get_by_text(nip or "-", exact=True)).to_have_count(0)  # masked in the list
        page.screenshot(path=folder / f"{shots}-1-queue.png", full_page=True)
        rows.filter(has_text=decision_no).get_by_role("link", name=str(finding), exact=True).click()

        expect(page.get_by_role("heading", name=f"Temuan I-MUT #{finding}: Pasal 71(2)")).to_be_visible()
        side = page.locator("#side-by-side")
        header = side.locator("thead th")
        expect(header).to_have_text(
            ["Keputusan (SK)", "Masa larangan", "Persetujuan tertulis Mendagri", "Pelaporan ke Kemendagri"]
        )
        cells = side.locator("tbody td")
        expect(cells.nth(0)).to_contain_text(decision_no)
        expect(cells.nth(0)).to_contain_text(decided)
        expect(cells.nth(0)).to_contain_text(f"{official} (")
        expect(cells.nth(1)).to_contain_text(window)
        expect(cells.nth(1)).to_contain_text("Pilkada serentak 2024")
        expect(cells.nth(2)).to_have_text("tidak ada")
        expect(page.locator("#reason")).to_contain_text("tanpa persetujuan tertulis Mendagri")
        expect(page.locator("#basis")).to_contain_text("UU 10/2016 Pasal 71 ayat (2)")
        page.get_by_label("Konfirmasi pelanggaran").check()
        page.get_by_label("Alasan").fill(REASON)
        page.screenshot(path=folder / f"{shots}-2-finding.png", full_page=True)
        page.get_by_role("button", name="Simpan keputusan").click()
        expect(page.get_by_text(f"Temuan #{finding}: Konfirmasi pelanggaran dicatat.")).to_be_visible()
        expect(page.locator("#review")).to_contain_text(f"dikonfirmasi · siti: {REASON}")
        page.goto(f"{base}/audit?action=imut_finding.decide")
        audit = page.locator("tbody tr").filter(has_text="imut_finding.decide")
        expect(audit).to_have_count(1)
        expect(audit).to_contain_text("siti")
        expect(audit).to_contain_text(REASON)
        page.screenshot(path=folder / f"{shots}-3-audit.png", full_page=True)
        page.goto(f"{base}/imut")
        page.get_by_role("link", name="Laporan I-MUT").click()
        officials = page.locator("section", has=page.get_by_role("heading", name="Per pejabat penetap"))
        expect(officials.locator("tbody tr").filter(has_text=official or "-").first).to_be_visible()
        expect(page.get_by_role("link", name="XLSX")).to_be_visible()
        page.screenshot(path=folder / f"{shots}-3b-report.png", full_page=True)

        kmd = _login(browser, base, "kmd")
        kmd.get_by_role("navigation").get_by_role("link", name="I-MUT").click()
        expect(kmd.get_by_role("heading", name="Temuan I-MUT")).to_be_visible()
        kmd.goto(f"{base}/imut/{finding}")
        expect(kmd.locator("#side-by-side tbody td").nth(2)).to_have_text("tidak ada")
        expect(kmd.locator("#review")).to_contain_text("dikonfirmasi")
        expect(kmd.get_by_role("button", name="Simpan keputusan")).to_have_count(0)  # reads, never decides
        kmd.screenshot(path=folder / f"{shots}-4-kemendagri.png", full_page=True)
        kmd.goto(f"{base}/imut/report")
        expect(kmd.get_by_role("heading", name="Laporan I-MUT", exact=True)).to_be_visible()

        bws = _login(browser, base, "bws")
        expect(bws.get_by_role("navigation").get_by_role("link", name="I-MUT")).to_have_count(0)
        bws.goto(f"{base}/imut/{finding}")
        expect(bws.get_by_role("heading", name="403")).to_be_visible()
        expect(bws.get_by_text(decision_no)).to_have_count(0)
        bws.goto(f"{base}/imut/report")
        expect(bws.get_by_role("heading", name="403")).to_be_visible()
        bws.screenshot(path=folder / f"{shots}-5-bawaslu.png", full_page=True)
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


UNDATED = "100.2.2.6/1234/OTDA"


def test_a_finding_whose_mendagri_approval_has_a_number_but_no_date_says_so_in_words(
    console_settings: Settings, migrated_database: Database
) -> None:
    """I-MUT cites a Mendagri letter for a transfer in the Pasal 71(2) window but sends no date: the
    approval cannot be shown to predate the decision, so the finding stands; its page names the
    letter and says its date is missing, in words in both languages (never the reason's key)."""
    from playwright.sync_api import expect, sync_playwright

    database = migrated_database
    ingest(database, payload(1, persetujuanMendagriNomor=UNDATED))
    with database.session() as session:
        evaluate_findings(
            session,
            elections=load_election_calendar(),
            workdays=load_working_days(),
            as_of=date(2024, 11, 27),
        )
        row = session.scalars(
            select(ImutFinding).where(ImutFinding.action_id == action_id(1), ImutFinding.rule == "pasal_71_2")
        ).one()
        finding, decision_no, nip = row.id, row.decision_no or "-", row.nip or "-"
    add_user(database, console_settings, username="siti", password=PASSWORD, role="steward",
             display_name="Siti Steward", actor="test")  # fmt: skip
    folder: Path = ARTIFACTS / database.dialect
    folder.mkdir(parents=True, exist_ok=True)
    with serve(create_app(console_settings, database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = _login(browser, base, "siti")
        page.get_by_role("navigation").get_by_role("link", name="I-MUT").click()
        row_link = page.locator("tbody tr").filter(has_text=decision_no)
        expect(row_link).to_have_count(1)
        expect(page.get_by_text(nip, exact=True)).to_have_count(0)  # masked in the list
        page.screenshot(path=folder / "imut-undated-1-queue.png", full_page=True)
        row_link.get_by_role("link", name=str(finding), exact=True).click()

        expect(page.get_by_role("heading", name=f"Temuan I-MUT #{finding}: Pasal 71(2)")).to_be_visible()
        expect(page.locator("#reason")).to_contain_text(f"persetujuan Mendagri {UNDATED} tanpa tanggal")
        approval = page.locator("#side-by-side tbody td").nth(2)
        expect(approval).to_contain_text(UNDATED)
        expect(approval).not_to_have_text("tidak ada")  # there is a letter; its date is what is missing
        expect(approval.locator(".badge")).to_have_text("tanpa tanggal: tidak berlaku")
        page.screenshot(path=folder / "imut-undated-2-finding-id.png", full_page=True)
        shown = page.locator("main").inner_text()
        for leak in ("imut.reason", "window_approval_undated", "undated", "approval", "no date", "None"):
            assert leak not in shown, f"{leak!r} on the Indonesian finding page"

        page.get_by_role("link", name="English").click()
        page.wait_for_url(f"{base}/imut/{finding}")
        expect(page.locator("#reason")).to_contain_text(f"approval {UNDATED} has no date")
        expect(page.locator("#side-by-side tbody td").nth(2).locator(".badge")).to_have_text(
            "no date: does not count"
        )
        english = page.locator("main").inner_text()
        assert "imut.reason" not in english and "tanpa tanggal" not in english
        page.screenshot(path=folder / "imut-undated-3-finding-en.png", full_page=True)
        browser.close()
