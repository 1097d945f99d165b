"""Steward decisions through the service layer and the CLI: applied by the next run, sticky across
later runs, reopened with the reason when a source value they relied on changes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, Case, Conflict, FieldProvenance, StagedRecord, StewardDecision
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.steward.conflicts import InvalidDecision
from sbt_sync.steward.decisions import resolve_conflict
from tests.ingest.conftest import SandboxProject

pytestmark = pytest.mark.integration


def _cycle(project: SandboxProject, database: Database) -> None:
    definitions = build_definitions(config_path=str(project.config_path), database_url=database.url)
    assert definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(raise_on_error=False).success


def _open(database: Database, kind: str) -> Conflict:
    with database.session() as session:
        found = session.scalars(
            select(Conflict).where(Conflict.kind == kind, Conflict.status == "open").order_by(Conflict.id)
        ).first()
    assert found is not None, f"the sandbox raised no open {kind} conflict"
    return found


def test_critical_field_decision_survives_later_runs_and_reopens_when_its_source_changes(
    as_of_project: SandboxProject, migrated_database: Database
) -> None:
    _cycle(as_of_project, migrated_database)
    conflict = _open(migrated_database, "critical_field")
    chosen = conflict.candidates[-1]
    with pytest.raises(InvalidDecision):
        resolve_conflict(migrated_database, conflict.id, value="not-a-candidate", reason="x", actor="ani")
    resolve_conflict(
        migrated_database, conflict.id, value=str(chosen["value"]), reason="SK checked", actor="ani"
    )
    settings = as_of_project.settings()
    for _ in range(2):  # applied by the next run, and still in force on the one after
        reconcile_database(migrated_database, settings)
        with migrated_database.session() as session:
            row = session.get(Conflict, conflict.id)
            assert row is not None and row.status == "resolved"
            case = session.get(Case, row.case_id)
            assert case is not None and case.golden[str(conflict.field)] == chosen["value"]
            provenance = session.scalars(
                select(FieldProvenance).where(
                    FieldProvenance.case_id == case.id, FieldProvenance.field == conflict.field
                )
            ).one()
            assert provenance.rule == "steward_decision"
            decision = session.scalars(
                select(StewardDecision).where(StewardDecision.conflict_id == row.id)
            ).one()
            assert decision.applied_at is not None
            audit = session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "conflict", AuditEntry.object_id == str(row.id)
                )
            ).one()
            assert (audit.actor_name, audit.action, audit.reason) == ("ani", "conflict.resolve", "SK checked")

    # A source the decision relied on now says something else: the conflict reopens and says why.
    other = next(c for c in conflict.candidates if c["value"] != chosen["value"])
    with migrated_database.session() as session:
        staged = session.get(StagedRecord, other["staged_record_id"])
        assert staged is not None
        staged.fields = {**staged.fields, str(conflict.field): "7"}
        staged.needs_reconcile = True
    reconcile_database(migrated_database, settings)
    with migrated_database.session() as session:
        row = session.get(Conflict, conflict.id)
        assert row is not None and row.status == "open"
        assert row.reopened_reason and "changed since the decision" in row.reopened_reason


def test_identity_decision_through_the_cli_links_the_row_and_reopens_when_the_row_changes(
    as_of_project: SandboxProject, migrated_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cycle(as_of_project, migrated_database)
    monkeypatch.setenv("SBT_DATABASE_URL", migrated_database.url)
    runner = CliRunner()
    config = ["--config", str(as_of_project.config_path)]
    listed = runner.invoke(app, [*config, "conflicts", "list", "--kind", "name_mismatch", "--json"])
    assert listed.exit_code == 0, listed.output
    conflict_id = json.loads(listed.output)["conflicts"][0]["id"]
    shown = runner.invoke(app, [*config, "conflicts", "show", str(conflict_id), "--json"])
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.output)
    nip = detail["candidates"][-1]["nip"]
    assert detail["candidates"][-1]["name"]  # registry details shown beside each candidate NIP
    refused = runner.invoke(
        app,
        [*config, "conflicts", "resolve", str(conflict_id), "--value", nip, "--reason", " ",
         "--basis", detail["basis_hash"]],
    )  # fmt: skip
    assert isinstance(refused.exception, InvalidDecision)  # the console entry point prints it as one line
    done = runner.invoke(
        app,
        [
            *config,
            "conflicts",
            "resolve",
            str(conflict_id),
            "--value",
            nip,
            "--reason",
            "KTP checked",
            "--by",
            "budi",
            "--basis",
            detail["basis_hash"],
        ],
    )
    assert done.exit_code == 0, done.output
    ran = runner.invoke(app, [*config, "reconcile", "run", "--json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output)["identity"]["by_steward"] == 1
    # Without --json, a full run says each stage as it ends, with its rows and rows/s.
    full = runner.invoke(app, [*config, "reconcile", "run", "--full"])
    assert full.exit_code == 0, full.output
    stages = [line.split(":")[0].strip() for line in full.stderr.splitlines() if " rows/s" in line]
    assert stages == ["identities resolved", "records in scope loaded", "cases reconciled", "cases written"]
    staged_id = detail["record"]["id"]
    with migrated_database.session() as session:
        staged = session.get(StagedRecord, staged_id)
        assert staged is not None and (staged.resolved_nip, staged.identity_rule) == (nip, "steward")
        staged.name = "Someone Else Entirely"
        staged.needs_reconcile = True
    reconcile_database(migrated_database, as_of_project.settings())
    with migrated_database.session() as session:
        row = session.get(Conflict, conflict_id)
        assert row is not None and row.status == "open" and row.reopened_reason
        staged = session.get(StagedRecord, staged_id)
        assert staged is not None and staged.identity_rule != "steward"
