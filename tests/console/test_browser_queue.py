"""The conflict queue as a team's task list in a real headless Chromium, on a real cycle (both backends).

The small sandbox election runs through one full Dagster cycle, which opens the conflicts its sources
disagree on. At 1366x768 (an office laptop) and at 820x1180 (a tablet) the queue does not scroll
sideways (measured in the page: the document's and the table's scrollWidth against their clientWidth)
and each row's status, due date, assignee and action are on screen; the case column shows short
labels, never a raw case key. Then the steward Siti assigns a conflict to her colleague Budi from the
queue; Budi logs in and finds it under "Tugas saya", assigned by Siti; the audit log holds the step.
Screenshots go to ``var/test-artifacts/console/<backend>/queue-*``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, Conflict
from sbt_sync.definitions import run_full_cycle
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets, scoped_environment
from sbt_sync.settings import load_settings
from tests.console.browser import ARTIFACTS, chromium_path, log_in, serve
from tests.support.sandbox import GeneratedSandboxes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

PASSWORD = "correct horse battery staple"
if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

VIEWPORTS: tuple[ViewportSize, ...] = ({"width": 1366, "height": 768}, {"width": 820, "height": 1180})
KEPT_IN_VIEW = ("td.status", "td.due", "td.holder", "td.action")
"""What a steward must see of every row without scrolling sideways."""

MEASURE = """(selectors) => {
  const doc = document.documentElement, table = document.querySelector('table.queue');
  const cells = [...document.querySelectorAll('table.queue tbody tr[data-conflict]')].slice(0, 10)
    .flatMap(row => selectors.map(sel => [sel, row.querySelector(sel)]));
  return {
    doc: [doc.scrollWidth, doc.clientWidth],
    table: [table.scrollWidth, table.clientWidth],
    hidden: cells.filter(([sel, c]) => {
      if (!c) return true;
      const r = c.getBoundingClientRect();
      return r.width === 0 || r.left < 0 || r.right > doc.clientWidth + 0.5;
    }).map(([sel]) => sel),
  };
}"""


@pytest.fixture
def scenario(
    tmp_path: Path, database_url: str, project_dir: Path, generated_sandboxes: GeneratedSandboxes
) -> Iterator[dict[str, Any]]:
    data_dir = generated_sandboxes.small(3)  # read only
    manifest = json.loads((data_dir / "manifest.json").read_text())
    as_of = datetime.fromisoformat(manifest["clock"]["as_of"])
    with Sandbox(data_dir, state_dir=tmp_path / "sandbox-state") as sandbox:
        base = yaml.safe_load((project_dir / "sbt.yaml").read_text())
        base["database"]["url"] = database_url
        config = sandbox_config(base, sandbox.endpoints)
        config_path = project_dir / "sbt.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        with scoped_environment(sandbox_secrets(config, sandbox.credentials, sandbox.endpoints)):
            sandbox.clock.set(as_of, frozen=True)
            yield {
                "config_path": config_path,
                "project_dir": project_dir,
                "database_url": database_url,
                "as_of": as_of.astimezone(ZoneInfo("Asia/Jakarta")).date(),
            }


def _login(page: Any, base: str, username: str) -> None:
    log_in(page, base, username, PASSWORD)


def test_queue_fits_a_laptop_and_a_tablet_and_a_colleague_finds_an_assigned_conflict_in_tugas_saya(
    scenario: dict[str, Any],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    s = scenario
    database = Database(s["database_url"])
    migrate.upgrade(database)
    result = run_full_cycle(config_path=s["config_path"], project_dir=s["project_dir"], as_of=s["as_of"])
    assert result.success, "the full cycle failed"
    with database.session() as session:
        opened = session.scalar(select(func.count()).where(Conflict.status == "open")) or 0
    assert opened >= 2, "the small election opens conflicts for stewards"

    settings = load_settings(s["config_path"])
    for username, display in (("siti", "Siti Rahmawati"), ("budi", "Budi Santoso")):
        add_user(database, settings, username=username, password=PASSWORD, role="steward",
                 display_name=display, actor="test")  # fmt: skip
    shots = ARTIFACTS / database.dialect
    shots.mkdir(parents=True, exist_ok=True)
    with serve(create_app(settings, database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        for viewport in VIEWPORTS:
            page = browser.new_context(viewport=viewport).new_page()
            _login(page, base, "siti")
            page.goto(f"{base}/conflicts")
            expect(page.locator("table.queue tbody tr[data-conflict]").first).to_be_visible()
            size = f"{viewport['width']}x{viewport['height']}"
            page.screenshot(path=shots / f"queue-{size}.png", full_page=True)
            measured = page.evaluate(MEASURE, list(KEPT_IN_VIEW))
            assert measured["doc"][0] <= measured["doc"][1], (
                f"the page scrolls sideways at {size}: {measured}"
            )
            assert measured["table"][0] <= measured["table"][1], f"the queue scrolls sideways at {size}"
            assert measured["hidden"] == [], f"off screen at {size}: {measured['hidden']}"
            cases = page.locator("table.queue td.case a").all_inner_texts()
            assert cases and not [c for c in cases if "|" in c], f"raw case keys at {size}: {cases[:3]}"
            page.context.close()

        # Siti gives the first open conflict to Budi, from the queue, at the laptop's size.
        page = browser.new_context(viewport=VIEWPORTS[0]).new_page()
        _login(page, base, "siti")
        page.goto(f"{base}/conflicts")
        row = page.locator("table.queue tbody tr[data-conflict]").first
        conflict_id = row.get_attribute("data-conflict")
        assert conflict_id is not None
        row.get_by_label(f"Tugaskan konflik #{conflict_id} kepada").select_option(label="Budi Santoso")
        row.get_by_role("button", name="Tugaskan").click()
        expect(page.get_by_text(f"Konflik #{conflict_id} kini ditangani budi.")).to_be_visible()
        assigned = page.locator(f'tr[data-conflict="{conflict_id}"] td.holder')
        expect(assigned).to_contain_text("Budi Santoso")
        expect(assigned).to_contain_text("ditugaskan oleh Siti Rahmawati")
        page.context.close()

        # Budi, on a tablet, finds it under "Tugas saya", and only it.
        page = browser.new_context(viewport=VIEWPORTS[1]).new_page()
        _login(page, base, "budi")
        page.goto(f"{base}/conflicts")
        tab = page.get_by_role("link", name="Tugas saya")
        expect(tab).to_contain_text("1")
        tab.click()
        mine = page.locator("table.queue tbody tr[data-conflict]")
        expect(mine).to_have_count(1)
        expect(mine.first).to_have_attribute("data-conflict", conflict_id)
        expect(page.get_by_role("link", name="Tugas saya")).to_have_attribute("aria-current", "page")
        page.screenshot(path=shots / "queue-tugas-saya-820x1180.png", full_page=True)
        page.context.close()
        browser.close()

    with database.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "conflict.assign")).all()
        assert [(e.actor_name, e.object_id, (e.after or {}).get("claimed_by")) for e in entries] == [
            ("siti", conflict_id, "budi")
        ]
    database.dispose()
