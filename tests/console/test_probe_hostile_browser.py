"""Markup in an agency's records is shown as text and never runs, in a real headless Chromium (acceptance
probe, both backends).

Names, free text, candidate values, quarantined values and audit reasons come from agencies and
people: here each carries an HTML tag with a script. A steward reads the case, the conflict, the
quarantine, the audit log and the search results; no script runs (the page's title stays the
console's, no dialog opens) and each text reads exactly as the source wrote it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from sbt_sync.console.app import create_app
from sbt_sync.db.models import AuditEntry, Conflict, QuarantinedRow, StagedRecord
from tests.console.browser import chromium_path, log_in, serve
from tests.console.conftest import PASSWORD, World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

NAME = "Budi <img src=x onerror=\"document.title='pwned'\"> Santoso"
VALUE = "<script>document.title='pwned'</script>H9"
REASON = "<svg onload=\"alert('pwned')\">alasan</svg>"


def test_markup_from_a_source_reads_as_text_and_never_runs(world: World) -> None:
    from playwright.sync_api import expect, sync_playwright

    ids = world.ids
    with world.database.session() as session:
        session.execute(update(StagedRecord).where(StagedRecord.id == ids["staged_a"]).values(name=NAME))
        session.execute(
            update(Conflict)
            .where(Conflict.id == ids["conflict_a"])
            .values(candidates=[{"value": VALUE, "source": "idis", "record": 1},
                                {"value": "H2", "source": "kemendagri", "record": 2}])
        )  # fmt: skip
        session.execute(update(QuarantinedRow).values(value=VALUE))
        session.add(
            AuditEntry(actor_name="steward", action="conflict.claim", object_type="conflict",
                       object_id=str(ids["conflict_a"]), reason=REASON, at=datetime.now(UTC))
        )  # fmt: skip
    dialogs: list[str] = []

    def dismissed(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    with serve(create_app(world.settings, world.database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        try:
            page: Any = browser.new_context().new_page()
            page.on("dialog", dismissed)
            log_in(page, base, "steward", PASSWORD)
            for path, shown in (
                (f"/cases/{ids['case_a']}", NAME),
                (f"/conflicts/{ids['conflict_a']}", VALUE),
                ("/quarantine", VALUE),
                ("/audit", REASON),
                ("/search", NAME),  # searched with the header's box
            ):
                if path == "/search":  # posted: the name stays out of the URL
                    box = page.locator("header").get_by_role("searchbox")
                    box.fill("Budi Santoso")
                    box.press("Enter")
                    page.wait_for_url(re.compile(r"/search\?s=[\w-]+$"))
                else:
                    page.goto(f"{base}{path}")
                page.wait_for_load_state("load")
                expect(page.get_by_text(shown).first).to_be_visible()
                assert "pwned" not in page.title(), path
                assert page.locator("img[src=x], body script, svg[onload]").count() == 0, path
        finally:
            browser.close()
    assert dialogs == []
