"""A case blocked on its own schedule and later held, in a real headless Chromium, on both backends:
Budi's proven recommendation (2024-11-01) is blocked by an enforcement run; then an I'DIS sanction
naming Siti joins his case by its recommendation number (a ``named_other`` identity dispute), the
reconciliation holds the case and the next enforcement run lifts its block. The steward reaches the
case from the cases list and reads the hold step of its timeline in words: the block the case had is
lifted (not "never blocked"), and why, in the console's language, with no English clause or machine
key on the Indonesian page.

Screenshots go to ``var/test-artifacts/console/<backend>/hold-lifted-*.png``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, ControlAction
from sbt_sync.enforce import run_enforcement
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from sbt_sync.states.control import ControlAction as Step
from tests.console.browser import ARTIFACTS, chromium_path, log_in, serve
from tests.console.conftest import PASSWORD
from tests.push.helpers import UNGUARDED
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    T0,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

HELD_ID = "Ditahan (blokir atas kasus ini dibuka) sampai steward memutuskan: "
WHY_ID = "Rekaman idis-2 dari I'DIS (hukuman disiplin, BKN) menyebut ASN lain, bukan ASN kasus ini"
HELD_EN = "Held (its block lifted) until a steward decides: "
WHY_EN = "Record idis-2 from I'DIS (disciplinary sanctions, BKN) names another ASN than the case's"
LEAKS = (
    "tidak diblokir", "never blocked", "held", "identity disputed", "names another ASN", "named_other",
    "idis idis", "#0",
)  # fmt: skip


def _cycle(database: Database, settings: Settings, minutes: int) -> None:
    """One reconciliation and one enforcement run at AS_OF (every step of the schedule is due)."""
    now = T0 + timedelta(minutes=minutes)
    reconcile_database(database, settings, as_of=AS_OF, now=now)
    with database.session() as session:
        run_enforcement(session, UNGUARDED, AS_OF, now=now)


def _steps(database: Database, case_id: int) -> list[str]:
    with database.session() as session:
        query = select(ControlAction.action).where(ControlAction.case_id == case_id)
        return [str(a) for a in session.scalars(query.order_by(ControlAction.id))]


def test_a_blocked_case_held_by_a_record_naming_someone_else_says_its_block_was_lifted_in_both_languages(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    from playwright.sync_api import expect, sync_playwright

    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _cycle(database, project_settings, 0)
    with database.session() as session:
        case_id = session.scalars(select(Case.id).where(Case.nip == NIP_A)).one()
    assert _steps(database, case_id)[-1] == Step.PEMBLOKIRAN
    _write(database, 2, Spec("sanction", "b", 0, 0), 1)  # Siti's sanction under Budi's numbers
    _cycle(database, project_settings, 1)
    assert _steps(database, case_id)[-1] == Step.HOLD

    add_user(database, project_settings, username="siti", password=PASSWORD, role="steward",
             display_name="Siti Steward", actor="test")  # fmt: skip
    folder = ARTIFACTS / database.dialect
    folder.mkdir(parents=True, exist_ok=True)
    with serve(create_app(project_settings, database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page: Any = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        log_in(page, base, "siti", PASSWORD)
        page.get_by_role("link", name="Kasus", exact=True).first.click()
        row = page.locator("tbody tr").filter(has=page.locator(f'a[href="/cases/{case_id}"]'))
        expect(row).to_contain_text("ditahan")
        row.locator(f'a[href="/cases/{case_id}"]').first.click()
        page.wait_for_url(f"{base}/cases/{case_id}")

        expect(page.locator("li.t-control").filter(has_text="Ditahan (")).to_contain_text(HELD_ID + WHY_ID)
        expect(page.locator("section.hold")).to_contain_text(WHY_ID)  # the hold card says it alike
        timeline = page.locator("main").inner_text()
        page.screenshot(path=folder / "hold-lifted-1-case-id.png", full_page=True)
        for leak in LEAKS:
            assert leak not in timeline, f"{leak!r} on the Indonesian case page"

        page.get_by_role("link", name="English").click()
        page.wait_for_url(f"{base}/cases/{case_id}")
        held = page.locator("li.t-control").filter(has_text="(its block lifted)")
        expect(held).to_contain_text(HELD_EN + WHY_EN)
        english = page.locator("main").inner_text()
        for leak in ("never blocked", "Ditahan", "identity disputed", "idis idis", "#0"):
            assert leak not in english, f"{leak!r} on the English case page"
        page.screenshot(path=folder / "hold-lifted-2-case-en.png", full_page=True)
        browser.close()
