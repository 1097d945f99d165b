"""An assignment that a later one of the same record replaced is listed as superseded, not active (both
backends): on the case page (in words), in ``sbt-sync links list`` and its JSON. Only the latest
assignment applies; undoing it puts the earlier one back in force, and back to "active" in the lists.
Before: both were listed "aktif", telling an auditor that two contradictory decisions were in force."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.steward.links import CorrectionRequest, correct_link, undo_correction
from tests.console.test_link_pages import Desk, desk  # noqa: F401  (a fixture)
from tests.reconcile.corrections_world import blocked_nips
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def test_a_replaced_assignment_is_listed_as_superseded_until_the_later_one_is_undone(
    desk: Desk,  # noqa: F811
    project_dir: Path,
) -> None:
    first = correct_link(
        desk.database, CorrectionRequest("assign_person", desk.recommendation, target_nip=NIP_B),
        reason="the letter names Siti", actor="steward",
    )  # fmt: skip
    desk.reconcile(1)
    second = correct_link(
        desk.database, CorrectionRequest("assign_person", desk.recommendation, target_nip=NIP_A),
        reason="Siti's letter was a draft; the SK names Budi", actor="steward",
    )  # fmt: skip
    desk.reconcile(2)
    assert blocked_nips(desk.database, desk.settings) == {NIP_A}  # the later assignment applies

    runner = CliRunner(env={"SBT_DATABASE_URL": desk.database.url})
    listing = [
        "--config",
        str(project_dir / "sbt.yaml"),
        "links",
        "list",
        "--record",
        str(desk.recommendation),
    ]
    shown = runner.invoke(app, [*listing, "--json"])
    assert shown.exit_code == 0, shown.output
    listed = {row["id"]: row for row in json.loads(shown.output)}
    assert (listed[second]["status"], listed[second]["superseded_by"]) == ("active", None)
    assert (listed[first]["status"], listed[first]["superseded_by"]) == ("superseded", second)
    text = runner.invoke(app, listing).output
    assert f"{first}: assign_person record {desk.recommendation}" in text and "[superseded]" in text
    assert f"superseded by correction {second}" in text

    page = desk.login("steward").get(f"/cases/{desk.case_of(desk.recommendation)}").text
    rows = page[page.index('id="corrections"') :]
    assert rows.count(">aktif") == 1 and "digantikan" in rows
    assert f"Koreksi #{second} yang lebih baru menetapkan ulang catatan ini" in rows

    undo_correction(desk.database, second, reason="the SK was withdrawn", actor="steward")
    desk.reconcile(3)
    assert blocked_nips(desk.database, desk.settings) == {NIP_B}  # the earlier one applies again
    listed = {row["id"]: row for row in json.loads(runner.invoke(app, [*listing, "--json"]).output)}
    assert (listed[first]["status"], listed[first]["superseded_by"]) == ("active", None)
    assert listed[second]["status"] == "revoked"
