"""Scripts decide only what they read (both backends). A conflict's decision through the CLI or the API
carries the basis the script read (``conflicts show --json`` / ``GET /api/v1/conflicts/{id}``); when a
reconciliation changed the row since, the decision is refused in words and the conflict as it is now
is shown with its new basis, and a script that sends no basis at all is refused rather than recording
against whatever the row has become. Before: ``conflicts resolve`` had no basis and the API's was
optional, so a script recorded Budi's NIP on a row that now names someone else, and Budi was blocked."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user, create_token
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict, StagedRecord, StewardDecision
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import AS_OF, NIP_A, T0, Spec, _reset, _write

pytestmark = pytest.mark.integration

DECISION = {"value": NIP_A, "reason": "the name is a typo, the NIP is Budi's"}


def _name_mismatch(database: Database, settings: Settings) -> tuple[int, int]:
    """Budi's finding and a recommendation with Budi's NIP under Siti's name: the conflict (held,
    nobody blocked) and the recommendation's staged row."""
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)
    reconcile_database(database, settings, as_of=AS_OF, now=T0)
    with database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == "name_mismatch")).one()
        assert conflict.staged_record_id is not None
        return conflict.id, conflict.staged_record_id


def _renamed(database: Database, settings: Settings, row_id: int) -> None:
    """BKN re-sends the recommendation under a third name; the next cycle reconciles it."""
    with database.session() as session:
        row = session.get(StagedRecord, row_id)
        assert row is not None
        row.name, row.content_hash, row.needs_reconcile = "Joko Prasetyo", "changed", True
    run_at(database, settings, 1)


def _decisions(database: Database) -> int:
    with database.session() as session:
        return len(session.scalars(select(StewardDecision.id)).all())


def test_a_cli_decision_on_a_conflict_that_changed_since_the_script_read_it_is_refused(
    migrated_database: Database,
    console_settings: Settings,
    project_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database, settings = migrated_database, console_settings
    monkeypatch.setenv("SBT_DATABASE_URL", database.url)
    config = ["--config", str(project_dir / "sbt.yaml")]
    runner = CliRunner()
    conflict_id, row_id = _name_mismatch(database, settings)
    read = runner.invoke(app, [*config, "conflicts", "show", str(conflict_id), "--json"])
    assert read.exit_code == 0, read.output
    seen = json.loads(read.output)["basis_hash"]
    assert seen
    _renamed(database, settings, row_id)

    resolve = [
        *config,
        "conflicts",
        "resolve",
        str(conflict_id),
        "--value",
        NIP_A,
        "--reason",
        DECISION["reason"],
    ]
    blind = runner.invoke(app, resolve)  # an old script that read nothing: refused, not recorded
    assert blind.exit_code == 2 and "--basis" in blind.output
    stale = runner.invoke(app, [*resolve, "--basis", seen])
    assert stale.exit_code == 1, stale.output
    assert f"conflict {conflict_id} changed since you read it" in stale.output
    assert "nothing was recorded" in stale.output and "'Joko Prasetyo'" in stale.output  # the row now
    with database.session() as session:
        now = session.get(Conflict, conflict_id)
        assert now is not None and now.basis_hash != seen
        current = now.basis_hash
    assert f"--basis {current}" in stale.output
    as_json = runner.invoke(app, [*resolve, "--basis", seen, "--json"])
    assert as_json.exit_code == 1
    refused = json.loads(as_json.output)
    assert refused["refused"]["code"] == "conflict_changed"
    assert refused["conflict"]["basis_hash"] == current
    assert refused["conflict"]["record"]["name"] == "Joko Prasetyo"
    assert _decisions(database) == 0
    run_at(database, settings, 2)
    assert blocked_nips(database, settings) == set()  # before the fix: Budi blocked on an unread name

    done = runner.invoke(app, [*resolve, "--basis", current])
    assert done.exit_code == 0, done.output
    run_at(database, settings, 3)
    assert blocked_nips(database, settings) == {NIP_A}


def test_an_api_decision_needs_the_basis_read_and_a_stale_one_gets_the_conflict_as_it_is_now(
    migrated_database: Database, console_settings: Settings
) -> None:
    database, settings = migrated_database, console_settings
    conflict_id, row_id = _name_mismatch(database, settings)
    add_user(database, settings, username="ani", password="correct horse battery", role="steward", actor="t")
    token, _ = create_token(database, "ani", name="script", days=1, actor="test")
    headers = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app(settings, database))
    read = client.get(f"/api/v1/conflicts/{conflict_id}", headers=headers)
    assert read.status_code == 200
    seen = read.json()["basis_hash"]
    _renamed(database, settings, row_id)

    url = f"/api/v1/conflicts/{conflict_id}/resolve"
    blind = client.post(url, json=DECISION, headers=headers)
    assert blind.status_code == 422 and "basis" in blind.text
    stale = client.post(url, json={**DECISION, "basis": seen}, headers=headers)
    assert stale.status_code == 422
    detail: dict[str, Any] = stale.json()["detail"]
    assert detail["code"] == "conflict_changed" and "nothing was recorded" in detail["message"]
    assert detail["conflict"]["record"]["name"] == "Joko Prasetyo"
    assert detail["conflict"]["basis_hash"] not in (None, seen)
    assert _decisions(database) == 0
    run_at(database, settings, 2)
    assert blocked_nips(database, settings) == set()

    fresh = client.post(url, json={**DECISION, "basis": detail["conflict"]["basis_hash"]}, headers=headers)
    assert fresh.status_code == 200, fresh.text
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=3))
    assert blocked_nips(database, settings) == {NIP_A}
