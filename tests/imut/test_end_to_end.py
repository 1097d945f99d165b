"""End to end: the sandbox serves I-MUT over real HTTPS (SIASN's two tokens, Link paging), one full
Dagster cycle at the sandbox's ``as_of`` ingests it with every other source, reconciles, enforces and
pushes; once the change guard's approval is given and the blocks are delivered, the next evaluation
sees them, and the findings equal the truth the generator planted: precision and recall 1.0. At small
scale on both backends; at election scale (slow) once, on the production backend."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, CaseLink, OutboxEntry, PushApproval, QuarantinedRow, StagedRecord
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from sbt_sync.imut.quality import measure_imut
from sbt_sync.imut.run import evaluate_database
from sbt_sync.push import Pusher, PushOptions
from sbt_sync.push.admin import approve
from sbt_sync.push.client import siasn_push_client
from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.generate.truth_imut import imut_actions
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import load_settings
from tests.ingest.conftest import make_project

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("imut-e2e")
    generate_sandbox(seed=17, scale="small", out=out)
    return out


def test_a_full_cycle_ingests_imut_and_its_findings_equal_the_truth(
    sandbox_data: Path, migrated_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cycle_and_measure(sandbox_data, migrated_database, tmp_path, monkeypatch)


@pytest.mark.slow
def test_at_election_scale_the_findings_equal_the_truth(
    production_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "election"
    generate_sandbox(seed=5, scale="election", out=data)
    _cycle_and_measure(data, production_database, tmp_path / "work", monkeypatch)


def _cycle_and_measure(
    sandbox_data: Path, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((sandbox_data / "manifest.json").read_text(encoding="utf-8"))
    instant = datetime.fromisoformat(manifest["clock"]["as_of"])
    day = instant.astimezone(ZoneInfo("Asia/Jakarta")).date()
    with Sandbox(sandbox_data, state_dir=tmp_path / "state") as sandbox:
        sandbox.clock.set(instant, frozen=True)
        path = make_project(sandbox, sandbox_data, tmp_path, monkeypatch.setenv).config_path
        definitions = build_definitions(config_path=str(path), database_url=database.url)
        on_day = {"config": {"as_of": day.isoformat()}}
        result = definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(
            raise_on_error=False,
            run_config={
                "loggers": {"console": {"config": {"log_level": "WARNING"}}},
                "ops": {"enforcement__block_state": on_day, "golden__imut_findings": on_day},
            },
        )
        assert result.success, [str(e.event_specific_data) for e in result.get_step_failure_events()]
        settings = load_settings(path)
        # The first load trips the change guard: approve it and deliver, as a steward and the push-retry
        # sensor would; the next cycle's I-MUT evaluation then sees the acknowledged blocks.
        with database.session() as session:
            waiting = session.scalars(select(PushApproval.id).where(PushApproval.status == "waiting")).all()
        for approval_id in waiting:
            with database.session() as session:
                approve(session, approval_id, reason="first load of the scenario", actor="tester")
        client = siasn_push_client(settings)
        try:
            Pusher(database, client, PushOptions.from_settings(settings.push, defer_seconds=0)).run(
                recover=True
            )
        finally:
            client.close()
        stats = evaluate_database(database, settings, as_of=day)
    assert not stats.full  # the same day: only the NIPs whose blocks were just delivered
    with database.session() as session:
        staged = session.scalar(select(func.count()).where(StagedRecord.source == "imut")) or 0
        linked = session.scalar(
            select(func.count())
            .select_from(CaseLink)
            .join(StagedRecord, StagedRecord.id == CaseLink.staged_record_id)
            .where(StagedRecord.source == "imut")
        )
        acked = session.scalar(select(func.count()).where(OutboxEntry.state == "acked")) or 0
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
        # An action whose NIP alone is rejected is staged (without it) and has a quarantine entry too.
        quarantined = session.scalar(
            select(func.count(func.distinct(QuarantinedRow.record_key))).where(
                QuarantinedRow.source == "imut",
                QuarantinedRow.record_key.not_in(
                    select(StagedRecord.record_key).where(StagedRecord.source == "imut")
                ),
            )
        )
    # Every action served by as_of is staged or quarantined (whole); none joins a neutrality case.
    assert staged + (quarantined or 0) == len(imut_actions(sandbox_data / "truth", instant))
    assert staged > 0 and linked == 0 and acked > 0 and cases > 0
    quality = measure_imut(database, sandbox_data / "truth", instant)
    assert quality is not None and quality.expected > 0
    assert (quality.missed_by_category, quality.beyond_by_rule) == ({}, {})
    assert (quality.precision, quality.recall, quality.disposition_wrong) == (1.0, 1.0, 0)
