"""The steward sensor: a decision triggers a run that applies it, and then nothing more. The push
sensor: pending outbox rows are retried once due, and not before."""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from sqlalchemy import select

from assets.automation import build_automation
from assets.keys import FULL_CYCLE_JOB, GOLDEN_CASES, SIASN_FLAGS
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, Conflict, OutboxEntry, StewardDecision
from sbt_sync.db.models.sanctions import SanctionVersion
from sbt_sync.resources import DatabaseResource, SbtSettingsResource
from sbt_sync.settings import load_settings
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.sanctions import revise_sanction
from tests.daemon.conftest import DaemonProject, run_job, run_sensor_target, tick

pytestmark = pytest.mark.integration

NOW = datetime(2025, 1, 20, 12, 0, tzinfo=UTC)


@pytest.mark.slow
def test_a_steward_decision_triggers_a_run_that_applies_it(daemon_project: DaemonProject) -> None:
    manifest = json.loads((daemon_project.data_dir / "manifest.json").read_text(encoding="utf-8"))
    daemon_project.sandbox.clock.set(datetime.fromisoformat(manifest["clock"]["as_of"]), frozen=True)
    definitions = daemon_project.definitions()
    assert run_job(definitions, FULL_CYCLE_JOB).success
    idle = tick(definitions, "steward_decisions")
    assert idle.run_keys == [] and idle.skip_reason and "no unapplied steward decision" in idle.skip_reason

    database = Database(daemon_project.database_url)
    with database.session() as session:
        conflict = session.scalars(
            select(Conflict).where(Conflict.kind == "critical_field", Conflict.status == "open")
        ).first()
    assert conflict is not None, "the sandbox raised no open critical-field conflict"
    decision_id = resolve_conflict(
        database, conflict.id, value=str(conflict.candidates[-1]["value"]), reason="SK checked", actor="ani"
    )

    requested = tick(definitions, "steward_decisions")
    assert requested.run_keys == [f"steward:decision-{decision_id}:approval-0"]
    assert run_sensor_target(definitions, "steward_decisions").success
    with database.session() as session:
        decision = session.get(StewardDecision, decision_id)
        assert decision is not None and decision.applied_at is not None
    assert tick(definitions, "steward_decisions").run_keys == []

    # A sanction reduced on objection, entered by a steward, triggers a run that applies it too.
    with database.session() as session:
        sanctioned = session.scalars(
            select(Case).where(Case.sanction_imposed.is_not(None)).order_by(Case.id)
        ).first()
    assert sanctioned is not None, "the sandbox has no sanctioned case"
    version_id = revise_sanction(
        database,
        str(sanctioned.id),
        code="1",
        letter_no="6678/B-AK.02.02/SD/F/2025",
        letter_date=NOW.date(),
        reason="keberatan diterima",
        actor="ani",
        now=NOW,
    )
    requested = tick(definitions, "steward_decisions")
    assert requested.run_keys == [f"steward:decision-0:approval-0:sanction-{version_id}"]
    assert run_sensor_target(definitions, "steward_decisions").success
    with database.session() as session:
        version = session.get(SanctionVersion, version_id)
        assert version is not None and version.applied_at is not None
    database.dispose()
    assert tick(definitions, "steward_decisions").run_keys == []


def _push_sensor(project: DaemonProject, clock: datetime) -> tuple[dg.SensorDefinition, dict[str, object]]:
    """The push sensor as built for a graph holding ``sync/siasn_flags``, and its resources."""
    settings = load_settings(project.config_path, env=project.env)
    built = build_automation(settings, asset_keys={GOLDEN_CASES, SIASN_FLAGS}, now=lambda: clock)
    sensor = next(s for s in built.sensors if s.name == "due_pushes")
    config = SbtSettingsResource(config_path=str(project.config_path))
    return sensor, {"db": DatabaseResource(settings=config, url=project.database_url)}


def _push_tick(project: DaemonProject, clock: datetime) -> dg.SensorResult | dg.RunRequest | dg.SkipReason:
    sensor, resources = _push_sensor(project, clock)
    with dg.build_sensor_context(resources=resources) as context:
        data = sensor.evaluate_tick(context)
    if data.run_requests:
        (request,) = data.run_requests
        return request
    return dg.SkipReason(data.skip_message)


def test_push_sensor_retries_pending_rows_once_they_are_due(daemon_project: DaemonProject) -> None:
    assert isinstance(_push_tick(daemon_project, NOW), dg.SkipReason)
    database = Database(daemon_project.database_url)
    with database.session() as session:
        session.add(
            OutboxEntry(
                idempotency_key="blokir:199001012015012002:1",
                nip="199001012015012002",
                action="blokir",
                payload={"nip": "199001012015012002"},
                state="pending",
                attempts=1,
                next_attempt_at=NOW + timedelta(minutes=5),
                block_version=1,
            )
        )
    database.dispose()
    early = _push_tick(daemon_project, NOW)
    assert isinstance(early, dg.SkipReason) and "no pending push is due" in str(early.skip_message)
    due = _push_tick(daemon_project, NOW + timedelta(minutes=6))
    assert isinstance(due, dg.RunRequest)
    assert due.run_key and due.run_key.startswith("push:") and due.tags["sbt/db"] == "write"
