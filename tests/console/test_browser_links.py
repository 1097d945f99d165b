"""A steward corrects a wrong link in a real headless Chromium at 1366x768, on a real cycle (both
backends), and undoes it.

The sandbox's BKN Wasdal recommendation on ASN M's case carries M's valid NIP and M's name, so the
first cycles block M in the SIASN simulator. The steward has learnt from the PPK's decree that the
incident was another ASN's, B's: she finds M's case by the recommendation number, opens "Tetapkan
ASN" on that record, finds B in the registry by name, reads on the preview that M would be unblocked
and B blocked, and confirms with a reason. The next full Dagster cycle applies it and SIASN's ledger
follows; the audit log names her and her reason. Then she undoes the correction on the case page and
the next cycle restores both flags. Screenshots go to ``var/test-artifacts/console/<backend>/links-*``.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from datetime import datetime
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
from sbt_sync.db.models import AuditEntry, BlockState, LinkCorrection, OutboxEntry, PushApproval
from sbt_sync.definitions import run_full_cycle
from sbt_sync.push.admin import approve
from sbt_sync.sandbox.http.siasn_blocks import BLOCKED
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets, scoped_environment
from sbt_sync.settings import load_settings
from schemas.nip import mask_nip
from tests.console.browser import ARTIFACTS, chromium_path, log_in, serve
from tests.support.sandbox import GeneratedSandboxes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

STEWARD, PASSWORD = "siti", "correct horse battery staple"
REASON = "SK PPK No. 800/12 menyebut ASN lain sebagai pelaku; NIP di rekomendasi tertukar"
UNDO_REASON = "SK yang dirujuk ternyata untuk kejadian lain"


def _people(data_dir: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """M's case (blocked at as-of by the truth, proven only by its BKN Wasdal recommendation beside
    the Bawaslu finding, the only case blocking its NIP) and B: an active ASN in no case, of the same
    instansi when there is one."""
    truth = json.loads((data_dir / "truth" / "enforcement.json").read_text())
    blocked = {c["case_id"] for c in truth["cases"] if c["blocked"]}
    cases = [json.loads(line) for line in (data_dir / "truth" / "cases.jsonl").read_text().splitlines()]
    in_cases = {c["nip"] for c in cases}
    with gzip.open(data_dir / "registry.csv.gz", "rt", encoding="utf-8") as registry:
        people = list(csv.DictReader(registry))
    names = [p["nama"] for p in people]
    for case in cases:
        sources = {r["source"] for r in case["source_records"]}
        if case["case_id"] not in blocked or sources != {"bawaslu", "bkn_wasdal"}:
            continue
        if sum(c["nip"] == case["nip"] and c["case_id"] in blocked for c in cases) != 1:
            continue
        colleagues = [
            p
            for p in people
            if p["kedudukanPnsNama"] == "Aktif"
            and p["nipBaru"] not in in_cases
            and names.count(p["nama"]) == 1  # so a name search finds her alone at the top
        ]
        # a colleague of the same instansi when there is one (the usual mix-up), else anyone active
        colleagues.sort(key=lambda p: (p["instansiIndukId"] != case["instansi_id"], p["nipBaru"]))
        if colleagues:
            return dict(case), colleagues[0]
    raise AssertionError("the small scenario has no suitable case and colleague")


@pytest.fixture
def scenario(
    tmp_path: Path, database_url: str, project_dir: Path, generated_sandboxes: GeneratedSandboxes
) -> Iterator[dict[str, Any]]:
    data_dir = generated_sandboxes.small(3)  # read only
    manifest = json.loads((data_dir / "manifest.json").read_text())
    as_of = datetime.fromisoformat(manifest["clock"]["as_of"])
    case, colleague = _people(data_dir)
    with Sandbox(data_dir, state_dir=tmp_path / "sandbox-state") as sandbox:
        base = yaml.safe_load((project_dir / "sbt.yaml").read_text())
        base["database"]["url"] = database_url
        # The change guard is not what this test is about: two flags flip per cycle, which on a
        # small scenario is more than 10% of the blocked NIPs.
        base["enforcement"]["guard"]["max_percent"] = 100
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
                "colleague": colleague,
                "as_of": as_of.astimezone(ZoneInfo("Asia/Jakarta")).date(),
            }


def _cycle(s: dict[str, Any]) -> None:
    result = run_full_cycle(config_path=s["config_path"], project_dir=s["project_dir"], as_of=s["as_of"])
    assert result.success, "the full cycle failed"


def _state(database: Database, *nips: str) -> str:
    """What the product believes about ``nips`` (for a failure's message)."""
    with database.session() as session:
        corrections = [
            (c.id, c.kind, c.status, c.applied_at, c.reopened_reason)
            for c in session.scalars(select(LinkCorrection))
        ]
        blocks = [
            (mask_nip(b.nip), b.blocked, b.reason)
            for b in session.scalars(select(BlockState))
            if b.nip in nips
        ]
        outbox = [
            (mask_nip(o.nip), o.action, o.state)
            for o in session.scalars(select(OutboxEntry))
            if o.nip in nips
        ]
        approvals = [(a.id, a.status, a.change_count) for a in session.scalars(select(PushApproval))]
    return f"corrections {corrections}; blocks {blocks}; outbox {outbox}; approvals {approvals}"


def _siasn_blocked(s: dict[str, Any], nip: str) -> bool:
    state = s["sandbox"].ledger.snapshot()["blocks"].get(nip, {})
    return bool(state.get("status") == BLOCKED)


def test_steward_assigns_a_wrongly_linked_record_to_the_right_asn_and_siasn_follows_then_undoes(
    scenario: dict[str, Any],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    s = scenario
    m_nip, b_nip = s["case"]["nip"], s["colleague"]["nipBaru"]
    b_name = s["colleague"]["nama"]
    database = Database(s["database_url"])
    migrate.upgrade(database)
    _cycle(s)
    with database.session() as session:  # the first load trips the change guard: approve it as setup
        for approval_id in session.scalars(select(PushApproval.id).where(PushApproval.status == "waiting")):
            approve(session, approval_id, reason="test: first load", actor="setup")
    _cycle(s)
    assert _siasn_blocked(s, m_nip) and not _siasn_blocked(s, b_nip)

    settings = load_settings(s["config_path"])
    add_user(
        database, settings, username=STEWARD, password=PASSWORD, role="steward",
        display_name="Siti Steward", actor="test",
    )  # fmt: skip
    shots = ARTIFACTS / database.dialect
    shots.mkdir(parents=True, exist_ok=True)
    with serve(create_app(settings, database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        log_in(page, base, STEWARD, PASSWORD)

        # Find M's case by the recommendation number and open "Tetapkan ASN" on the Wasdal record.
        page.goto(f"{base}/cases")
        page.get_by_label("Cari", exact=True).fill(s["case"]["nomor_rekomendasi"])
        page.get_by_role("button", name="Saring").click()
        page.locator("tbody tr").first.get_by_role("link").first.click()
        case_url = page.url
        wasdal = page.locator("#records tbody tr").filter(has_text="Rekomendasi Wasdal BKN")
        expect(wasdal).to_have_count(1)
        page.screenshot(path=shots / "links-1-case.png", full_page=True)
        wasdal.get_by_role("link", name="Tetapkan ASN").click()

        search = page.locator("#search")
        search.get_by_label("Nama").fill(b_name)
        search.get_by_role("button", name="Cari").click()
        page.get_by_label(b_nip).check()
        page.screenshot(path=shots / "links-2-choose.png", full_page=True)
        page.get_by_role("button", name="Lihat akibatnya").click()

        expect(page.get_by_role("heading", name="Pratinjau koreksi: penetapan ASN")).to_be_visible()
        unblock = page.locator("ul.flag-changes li.unblock")
        block = page.locator("ul.flag-changes li.block")
        expect(unblock).to_have_count(1)
        expect(unblock).to_contain_text(mask_nip(m_nip))
        expect(unblock).to_contain_text("akan dibuka blokirnya")
        expect(block).to_have_count(1)
        expect(block).to_contain_text(mask_nip(b_nip))
        expect(block).to_contain_text("akan diblokir")
        page.screenshot(path=shots / "links-3-preview.png", full_page=True)
        with database.session() as session:
            assert session.scalars(select(LinkCorrection)).first() is None  # the preview stored nothing
        page.get_by_label("Alasan").fill(REASON)
        page.get_by_role("button", name="Simpan koreksi").click()
        expect(page.get_by_text("berlaku pada siklus berikutnya")).to_be_visible()

        _cycle(s)  # applies the correction: SIASN unblocks M and blocks B
        assert not _siasn_blocked(s, m_nip), _state(database, m_nip, b_nip)
        assert _siasn_blocked(s, b_nip), _state(database, m_nip, b_nip)

        page.goto(f"{base}/audit?action=link.assign_person")
        row = page.locator("tbody tr").filter(has_text="link.assign_person")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(STEWARD)
        expect(row).to_contain_text(REASON)
        page.screenshot(path=shots / "links-4-audit.png", full_page=True)

        page.goto(case_url)
        correction = page.locator("#corrections tbody tr").filter(has_text=REASON)
        expect(correction).to_contain_text("aktif")
        correction.get_by_role("link", name="Batalkan").click()
        # The undo's consequence first: M blocked again, B unblocked; nothing recorded yet.
        expect(page.get_by_role("heading", level=1)).to_contain_text("Pratinjau pembatalan koreksi")
        expect(page.locator("ul.flag-changes li.block")).to_have_count(1)
        expect(page.locator("ul.flag-changes li.unblock")).to_have_count(1)
        page.screenshot(path=shots / "links-5-undo-preview.png", full_page=True)
        page.get_by_label("Alasan").fill(UNDO_REASON)
        page.get_by_role("button", name="Batalkan koreksi").click()
        expect(page.get_by_text("dibatalkan; siklus berikutnya mengembalikan tautan semula")).to_be_visible()
        page.screenshot(path=shots / "links-6-undone.png", full_page=True)
        browser.close()

    _cycle(s)  # the undoing: M blocked again, B unblocked
    assert _siasn_blocked(s, m_nip) and not _siasn_blocked(s, b_nip), _state(database, m_nip, b_nip)
    with database.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action.like("link.%"))).all()
    assert [(a.action, a.actor_name, a.reason, a.channel) for a in audit] == [
        ("link.assign_person", STEWARD, REASON, "web"),
        ("link.undo", STEWARD, UNDO_REASON, "web"),
    ]
    database.dispose()
