"""A source held for schema drift says so on its quarantine page, in words, in a real headless Chromium
(both backends): which column stopped arriving, since when, how many changes wait, and the command that
releases it; in English too. Releasing it (the CLI's service) takes the words away, and a source held
for too many quarantined rows says that instead. An agency viewer sees only their own source's hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from sbt_sync import source_holds
from sbt_sync.console.app import create_app
from sbt_sync.db.models import StagedRecord
from sbt_sync.ingest.drift import ColumnDrift, DriftVerdict
from tests.console.browser import chromium_path, log_in, serve
from tests.console.conftest import PASSWORD, World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

HELD_AT = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)


def _hold_for_drift(world: World) -> None:
    """kemendagri's run lacked ``jenis_hukuman_id`` in every row, as the drift check judges it; its
    quarantined row's staged record (kemendagri's) waits to be reconciled."""
    lost = ColumnDrift(column="jenis_hukuman_id", earlier_share=1.0, earlier_rows=400, rows=120)
    drift = DriftVerdict(
        passed=False,
        blocking=(lost,),
        absent=("jenis_hukuman_id",),
        unknown=(),
        new=(),
        accepted=(),
        rows=120,
    )
    with world.database.session() as session:
        source_holds.record_verdict(
            session,
            "kemendagri",
            passed=False,
            verdict={"batch_ratio": 0.0, "threshold": 0.2, "quarantine_passed": True,
                     "schema_drift": drift.metadata()},
            now=HELD_AT,
        )  # fmt: skip
        source_holds.record_verdict(
            session,
            "bawaslu",
            passed=False,
            verdict={"batch_ratio": 0.35, "threshold": 0.2, "quarantine_passed": False,
                     "schema_drift": DriftVerdict(True, (), (), (), (), (), 50).metadata()},
            now=HELD_AT,
        )  # fmt: skip
        session.execute(update(StagedRecord).values(needs_reconcile=True))


def test_a_steward_reads_why_a_source_is_held_and_how_to_release_it(world: World) -> None:
    from playwright.sync_api import expect, sync_playwright

    _hold_for_drift(world)
    since = HELD_AT.astimezone(ZoneInfo(world.settings.schedule.timezone)).strftime("%Y-%m-%d %H:%M")
    with serve(create_app(world.settings, world.database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = log_in(browser.new_page(viewport={"width": 1366, "height": 768}), base, "steward", PASSWORD)
        page.goto(f"{base}/quarantine?source=kemendagri")
        hold = page.locator("#hold-kemendagri")
        expect(hold).to_contain_text(
            f"Sumber ditahan: kolom jenis_hukuman_id tidak lagi dikirim sejak {since}"
        )
        expect(hold).to_contain_text("1 perubahan menunggu")
        expect(hold).to_contain_text("sbt-sync reconcile release kemendagri --reason")
        expect(hold).to_contain_text("tidak ada blokir atau buka blokir")
        expect(page.locator("#hold-bawaslu")).to_have_count(0)  # filtered to one source
        page.goto(f"{base}/quarantine")
        expect(page.locator("#hold-bawaslu")).to_contain_text(
            "Sumber ditahan: 35.0% baris batch terakhirnya masuk karantina (ambang 20.0%)"
        )
        page.goto(f"{base}/lang/en?next=/quarantine%3Fsource%3Dkemendagri")
        expect(page.locator("#hold-kemendagri")).to_contain_text(
            f"Source held: column jenis_hukuman_id no longer sent since {since}"
        )
        expect(page.locator("#hold-kemendagri")).to_contain_text("1 change(s) waiting")
        expect(page.locator("#hold-kemendagri")).to_contain_text("releases the hold (audited)")
        # a Bawaslu viewer sees their own source's hold, never Kemendagri's
        viewer = log_in(browser.new_page(), base, "viewer", PASSWORD)
        viewer.goto(f"{base}/quarantine")
        expect(viewer.locator("#hold-bawaslu")).to_be_visible()
        expect(viewer.locator("#hold-kemendagri")).to_have_count(0)
        # released (what `sbt-sync reconcile release` does): the words go
        assert source_holds.release(world.database, "kemendagri", actor="steward", reason="checked")
        page.goto(f"{base}/quarantine?source=kemendagri")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("#hold-kemendagri")).to_have_count(0)
        browser.close()
