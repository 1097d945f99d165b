"""``sbt-sync links ... --yes`` records only the consequence its preview showed (both backends).

A script previews a correction (``--json`` gives the consequence and its fingerprint), then records it
with ``--yes --fingerprint``. ``--yes`` without a fingerprint is a usage error (exit 2) and records
nothing; with the fingerprint of a preview whose consequence has changed since (BKN re-sent the
recommendation as not proven), it is refused (exit 1) with the consequence now and its fingerprint,
and nothing is recorded. Undo and reopen follow the same rule. Before: ``--yes`` recorded whatever the
consequence had become by then, with no preview needed at all.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict, StagedRecord
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import list_corrections
from tests.conftest import REPO_ROOT
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration

AS_OF = ["--as-of", "2025-01-20"]
NOT_PROVEN = Spec("recommendation", "a", 0, 0, "tidak_terbukti")


def _cli(database: Database) -> Any:
    runner = CliRunner(env={"SBT_DATABASE_URL": database.url})
    config = ["--config", str(REPO_ROOT / "sbt.yaml")]

    def run(*args: str) -> Any:
        return runner.invoke(app, [*config, "links", *args])

    return run


def _budi_blocked(database: Database, settings: Settings) -> int:
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)  # proven, overdue: Budi is blocked
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    run_at(database, settings, 0)
    assert blocked_nips(database, settings) == {NIP_A}
    with database.session() as session:
        return session.scalars(select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-1")).one()


def test_links_yes_needs_the_fingerprint_of_the_preview_and_refuses_a_stale_one(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database, settings = migrated_database, project_settings
    recommendation = _budi_blocked(database, settings)
    links = _cli(database)
    assign = ["assign", str(recommendation), "--nip", NIP_B, "--reason", "SK PPK names Siti", "--by", "ani",
              *AS_OF]  # fmt: skip

    shown = links(*assign)  # the preview says how to record it
    assert shown.exit_code == 0, shown.output
    read = json.loads(links(*assign, "--json").output)
    seen = read["fingerprint"]
    assert len(seen) == 64 and f"--fingerprint {seen}" in shown.output
    assert NIP_A not in shown.output and NIP_B not in shown.output  # masked

    blind = links(*assign, "--yes")
    assert blind.exit_code == 2 and "--fingerprint" in blind.output, blind.output
    assert list_corrections(database) == []

    # Meanwhile BKN re-sends the recommendation as not proven: assigning it blocks nobody now.
    _write(database, 1, NOT_PROVEN, 2)
    run_at(database, settings, 1)
    stale = links(*assign, "--yes", "--fingerprint", seen, "--json")
    assert stale.exit_code == 1, stale.output
    now = json.loads(stale.stdout)
    assert now["recorded"] is False and now["refused"] == "consequence_changed"
    assert now["fingerprint"] not in ("", seen) and now["consequence"]["flag_changes"] == []
    stale_text = links(*assign, "--yes", "--fingerprint", seen)
    assert stale_text.exit_code == 1 and f"--fingerprint {now['fingerprint']}" in stale_text.output
    assert "nothing was recorded" in stale_text.output
    assert list_corrections(database) == []

    done = links(*assign, "--yes", "--fingerprint", now["fingerprint"], "--json")
    assert done.exit_code == 0, done.output
    recorded = json.loads(done.stdout)
    assert recorded["recorded"] is True and recorded["fingerprint"] == now["fingerprint"]
    [listed] = list_corrections(database)
    assert (listed["id"], listed["decided_by"]) == (recorded["correction_id"], "ani")

    undo = ["undo", str(recorded["correction_id"]), "--reason", "wrong SK", "--by", "budi", *AS_OF]
    assert links(*undo, "--yes").exit_code == 2
    undo_seen = json.loads(links(*undo, "--json").output)["fingerprint"]
    undone = links(*undo, "--yes", "--fingerprint", undo_seen)
    assert undone.exit_code == 0, undone.output
    assert "undone" in undone.output and list_corrections(database)[0]["status"] == "revoked"


def test_links_reopen_yes_needs_the_fingerprint_of_the_preview(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database, settings = migrated_database, project_settings
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)
    run_at(database, settings, 0)
    with database.session() as session:
        conflict = session.scalars(select(Conflict.id).where(Conflict.kind == "name_mismatch")).one()
    resolve_conflict(database, conflict, value=NIP_A, reason="typo in the name", actor="ani")
    links = _cli(database)
    reopen = ["reopen", str(conflict), "--reason", "the SK names someone else", "--by", "budi", *AS_OF]

    blind = links(*reopen, "--yes")
    assert blind.exit_code == 2 and "--fingerprint" in blind.output
    wrong = links(*reopen, "--yes", "--fingerprint", "0" * 64)
    assert wrong.exit_code == 1 and "nothing was recorded" in wrong.output
    with database.session() as session:
        assert session.get(Conflict, conflict).status == "resolved"  # type: ignore[union-attr]
    seen = json.loads(links(*reopen, "--json").output)["fingerprint"]
    done = links(*reopen, "--yes", "--fingerprint", seen, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["recorded"] is True
    with database.session() as session:
        assert session.get(Conflict, conflict).status == "open"  # type: ignore[union-attr]
    assert NIP_A not in done.output
