"""The console in a real headless Chromium, end to end against the sandbox.

A contradicting BKN Wasdal record makes a proven, overdue case disputed, so the first cycle holds it
instead of blocking. A steward logs in, resolves the held conflict in the browser; the next full Dagster
cycle releases the block decision and the SIASN simulator receives the block; the audit log shows the
steward's action. Each screen is saved as a screenshot under ``var/test-artifacts/console/``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, Conflict, ControlAction, PushApproval
from sbt_sync.definitions import run_full_cycle
from sbt_sync.push.admin import approve
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets, scoped_environment
from sbt_sync.settings import load_settings
from tests.console.browser import ARTIFACTS, chromium_path, fill_login, serve
from tests.support.sandbox import GeneratedSandboxes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

STEWARD, PASSWORD = "siti", "correct horse battery staple"


def _disputed_case(data_dir: Path) -> dict[str, Any]:
    """A case the truth blocks at as-of, recommended by BKN Wasdal, the only case blocking its NIP (its
    other cases, if any, the truth does not block: holding this one must leave the NIP unblocked)."""
    truth = json.loads((data_dir / "truth" / "enforcement.json").read_text())
    blocked = {c["case_id"] for c in truth["cases"] if c["blocked"]}
    cases = [json.loads(line) for line in (data_dir / "truth" / "cases.jsonl").read_text().splitlines()]
    for case in cases:
        wasdal = "/WAS/" in (case["nomor_rekomendasi"] or "")
        blocking = sum(c["nip"] == case["nip"] and c["case_id"] in blocked for c in cases)
        if case["case_id"] in blocked and wasdal and blocking == 1:
            return dict(case)
    raise AssertionError("the small scenario has no suitable blocked case")


def _deliver_kasn_contradiction(data_dir: Path, case: dict[str, Any], at: datetime) -> None:
    """A KASN file saying the case was not proven: KASN and BKN Wasdal now dispute the result."""
    with gzip.open(data_dir / "registry.csv.gz", "rt", encoding="utf-8") as registry:
        person = next(r for r in csv.DictReader(registry) if r["nipBaru"] == case["nip"])
    day = date.fromisoformat(case["tanggal_rekomendasi"]).strftime("%d-%m-%Y")
    row = [
        "1", case["nomor_rekomendasi"], day, case["event"], case["nip"], person["nama"],
        person["jabatanNama"], person["instansiIndukNama"], case["bentuk_pelanggaran"], "Tidak Terbukti", "",
        "koreksi",
    ]  # fmt: skip
    header = "No;Nomor Rekomendasi;Tanggal Rekomendasi;Pemilihan;NIP;Nama;Jabatan;Instansi;Jenis Pelanggaran;"
    content = (header + "Hasil;Rekomendasi Sanksi;Keterangan\r\n" + ";".join(row) + "\r\n").encode()
    relative = "sftp/files/kasn/99999__koreksi_rekomendasi_2024.csv"
    (data_dir / relative).write_bytes(content)
    delivery = {
        "source": "kasn",
        "name": "koreksi_rekomendasi_2024.csv",
        "available_at": at.isoformat(),
        "content": relative,
        "sha256": hashlib.sha256(content).hexdigest(),
        "replaces": None,
    }
    with (data_dir / "sftp" / "deliveries.jsonl").open("a", encoding="utf-8") as deliveries:
        deliveries.write(json.dumps(delivery) + "\n")


@pytest.fixture
def scenario(
    tmp_path: Path, database_url: str, project_dir: Path, generated_sandboxes: GeneratedSandboxes
) -> Iterator[dict[str, Any]]:
    data_dir = generated_sandboxes.copy(3, tmp_path / "data")  # a copy: a delivery is added below
    manifest = json.loads((data_dir / "manifest.json").read_text())
    start, as_of = (datetime.fromisoformat(manifest["clock"][k]) for k in ("start", "as_of"))
    case = _disputed_case(data_dir)
    _deliver_kasn_contradiction(data_dir, case, start)
    with Sandbox(data_dir, state_dir=tmp_path / "sandbox-state") as sandbox:
        base = yaml.safe_load((project_dir / "sbt.yaml").read_text())
        base["database"]["url"] = database_url
        config = sandbox_config(base, sandbox.endpoints)
        config_path = project_dir / "sbt.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        with scoped_environment(sandbox_secrets(config, sandbox.credentials, sandbox.endpoints)):
            sandbox.clock.set(as_of, frozen=True)
            yield {
                "sandbox": sandbox,
                "config_path": config_path,
                "project_dir": project_dir,
                "database_url": database_url,
                "case": case,
                "as_of": as_of.astimezone(ZoneInfo("Asia/Jakarta")).date(),
            }


def _cycle(s: dict[str, Any]) -> None:
    result = run_full_cycle(config_path=s["config_path"], project_dir=s["project_dir"], as_of=s["as_of"])
    assert result.success, "the full cycle failed"


def _siasn_blocked(s: dict[str, Any]) -> set[str]:
    blocks = s["sandbox"].ledger.snapshot()["blocks"]
    return {
        nip
        for nip, state in blocks.items()
        if state["status"] != "buka" and state["status"] != "tidak_diblokir"
    }


def test_steward_resolves_a_held_conflict_and_the_next_cycle_blocks_in_siasn(
    scenario: dict[str, Any],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    s = scenario
    nip = s["case"]["nip"]
    database = Database(s["database_url"])
    migrate.upgrade(database)
    _cycle(s)
    with database.session() as session:  # the first load trips the change guard: approve it as setup
        for approval_id in session.scalars(select(PushApproval.id).where(PushApproval.status == "waiting")):
            approve(session, approval_id, reason="test: first load", actor="setup")
    _cycle(s)
    with database.session() as session:
        case = session.scalar(select(Case).where(Case.recommendation_no == s["case"]["nomor_rekomendasi"]))
        assert case is not None and case.held, "the disputed case should be held"
        assert session.scalar(
            select(ControlAction.id).where(ControlAction.case_id == case.id, ControlAction.action == "hold")
        )
        conflict = session.scalar(
            select(Conflict).where(
                Conflict.case_id == case.id, Conflict.status == "open", Conflict.critical.is_(True)
            )
        )
        assert conflict is not None
        case_id, conflict_id = case.id, conflict.id
    states_before = s["sandbox"].ledger.snapshot()["blocks"]
    assert states_before.get(nip, {}).get("status") != "diblokir", "a held case must not be blocked"

    settings = load_settings(s["config_path"])
    add_user(
        database,
        settings,
        username=STEWARD,
        password=PASSWORD,
        role="steward",
        display_name="Siti Steward",
        actor="test",
    )
    shots = ARTIFACTS / database.dialect
    shots.mkdir(parents=True, exist_ok=True)
    with serve(create_app(settings, database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/conflicts")
        expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
        page.screenshot(path=shots / "01-login.png")
        fill_login(page, STEWARD, PASSWORD)
        expect(page.get_by_role("heading", name="Antrean konflik")).to_be_visible()
        page.screenshot(path=shots / "02-conflicts.png", full_page=True)
        page.goto(f"{base}/")
        expect(page.get_by_role("heading", name="Rekapitulasi nasional")).to_be_visible()
        page.screenshot(path=shots / "03-dashboard.png", full_page=True)

        page.goto(f"{base}/conflicts/{conflict_id}")
        page.get_by_role("button", name="Tangani").click()
        expect(page.get_by_text("Konflik kini Anda tangani.")).to_be_visible()
        page.get_by_role("radio").and_(page.locator("[value=terbukti]")).check()
        page.get_by_label("Alasan").fill("Rekomendasi BKN terverifikasi; koreksi KASN keliru")
        page.screenshot(path=shots / "04-conflict.png", full_page=True)
        page.get_by_role("button", name="Selesaikan").click()
        expect(page.get_by_text(f"Konflik #{conflict_id} diselesaikan")).to_be_visible()

        _cycle(s)  # the next cycle applies the decision, releases the hold and pushes the block
        assert nip in _siasn_blocked(s), "SIASN should have received the block"
        with database.session() as session:
            assert session.get(Case, case_id).held is False  # type: ignore[union-attr]

        page.goto(f"{base}/cases/{case_id}")
        expect(page.get_by_text("dikirim ke SIASN")).to_be_visible()
        page.screenshot(path=shots / "05-case.png", full_page=True)
        page.goto(f"{base}/audit?action=conflict.resolve")
        row = page.locator("tbody tr").filter(has_text="conflict.resolve")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(STEWARD)
        expect(row).to_contain_text("Rekomendasi BKN terverifikasi")
        page.screenshot(path=shots / "06-audit.png", full_page=True)
        page.goto(f"{base}/quarantine")
        expect(page.get_by_role("heading", name="Karantina per sumber")).to_be_visible()
        page.screenshot(path=shots / "07-quarantine.png", full_page=True)
        page.goto(f"{base}/push")
        expect(page.get_by_role("heading", name="Pemantau pengiriman SIASN")).to_be_visible()
        page.screenshot(path=shots / "08-push.png", full_page=True)
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", name="SIASN push monitor")).to_be_visible()
        page.set_viewport_size({"width": 820, "height": 1180})  # a tablet
        page.goto(f"{base}/cases")
        page.screenshot(path=shots / "09-cases-tablet-en.png", full_page=True)
        browser.close()
    database.dispose()
