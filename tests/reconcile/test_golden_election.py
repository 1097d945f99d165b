"""Acceptance at ``election`` scale, end to end: one full Dagster cycle at the sandbox's ``as_of``
(ingest, reconcile, enforce, push), measured against the ground truth:

- the golden dataset (#5): identity precision >= 0.99, recall >= 0.95, every truth conflict raised,
  at most 5% raised beyond it;
- the SIASN push (#6): the first load trips the change guard; once approved, the outbox is drained
  with every SIASN fault switched on, and SIASN's final flags equal the truth's block state with exactly
  one applied change per intended change.

Slow: runs in CI, skipped by ``-m "not slow"``. It runs once, on PostgreSQL when one is configured (the
production backend; CI always has one), else on SQLite: the small-scale tests run the same code on both.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry, PushApproval
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from sbt_sync.push import Pusher, PushOptions
from sbt_sync.push.admin import approve
from sbt_sync.push.client import siasn_push_client
from sbt_sync.reconcile.quality import Quality, measure
from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT
from tests.ingest.conftest import make_project
from tests.push.helpers import assert_siasn_matches

EVERY_SIASN_FAULT: dict[str, Any] = {
    "error_5xx_rate": 0.3,
    "throttle_rate": 0.1,
    "retry_after_seconds": 1,
    "latency_ms": 5,
    "token_ttl_seconds": 2,
    "truncate_rate": 0.1,
    "drop_after_apply_rate": 0.3,
}


@dataclass
class ElectionRun:
    quality: Quality
    approvals: int
    truth_blocked: set[str]
    siasn_blocked: set[str]


def run_election(
    data_dir: Path,
    work: Path,
    database: Database,
    setenv: Callable[[str, str], None],
    *,
    faults_for_push: bool = True,
) -> ElectionRun:
    """Serve ``data_dir`` at its ``as_of``, run one full cycle into ``database``, approve what the guard
    held, drain the outbox (with every SIASN fault on) and measure; ``setenv`` publishes the sandbox's
    secrets to the resources (``monkeypatch.setenv`` in tests)."""
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    instant = datetime.fromisoformat(manifest["clock"]["as_of"])
    with Sandbox(data_dir, state_dir=work / "state") as sandbox:
        sandbox.clock.set(instant, frozen=True)
        path = make_project(sandbox, data_dir, work, setenv).config_path
        definitions = build_definitions(config_path=str(path), database_url=database.url)
        day = instant.astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
        result = definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(
            raise_on_error=False,
            run_config={
                "loggers": {"console": {"config": {"log_level": "WARNING"}}},
                "ops": {"enforcement__block_state": {"config": {"as_of": day}}},
            },
        )
        assert result.success, [str(e.event_specific_data) for e in result.get_step_failure_events()]
        with database.session() as session:
            waiting = session.scalars(select(PushApproval.id).where(PushApproval.status == "waiting")).all()
        for approval_id in waiting:
            with database.session() as session:
                approve(session, approval_id, reason="first load of the scenario", actor="tester")
        if faults_for_push:
            sandbox.faults.set("siasn", **EVERY_SIASN_FAULT)
        settings = load_settings(path)
        client = siasn_push_client(settings)
        try:
            options = PushOptions.from_settings(settings.push, defer_seconds=0)
            for _ in range(8):  # as the push-retry sensor would, until nothing is pending
                Pusher(database, client, options).run(recover=True)
                with database.session() as session:
                    pending = session.scalar(
                        select(func.count()).where(OutboxEntry.state.in_(("pending", "in_flight")))
                    )
                if not pending:
                    break
        finally:
            client.close()
        sandbox.faults.reset()
        assert_siasn_matches(database, sandbox)
        assert sandbox.ledger is not None
        blocks = sandbox.ledger.snapshot()["blocks"]
    truth = json.loads((data_dir / "truth" / "enforcement.json").read_text(encoding="utf-8"))
    return ElectionRun(
        quality=measure(database, data_dir / "truth"),
        approvals=len(waiting),
        truth_blocked={n["nip"] for n in truth["nips"] if n["blocked"]},
        siasn_blocked={nip for nip, state in blocks.items() if state["status"] == "DIBLOKIR"},
    )


@pytest.fixture(scope="module")
def election_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("election")
    generate_sandbox(seed=1, scale="election", out=out)
    yield out


@pytest.mark.slow
@pytest.mark.integration
def test_election_golden_dataset_and_siasn_flags_match_the_ground_truth(
    election_data: Path, production_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_election(election_data, tmp_path, production_database, monkeypatch.setenv)
    quality = run.quality
    assert quality.identity_precision >= 0.99, quality
    assert quality.identity_recall >= 0.95, quality
    assert quality.conflicts_missed == 0, quality.missed[:5]
    assert quality.conflicts_beyond <= 0.05 * quality.conflicts_expected, quality.beyond_by_kind
    assert quality.case_accuracy >= 0.98, quality
    # A first load that changes more flags than the guard's max_changes (sbt.yaml: 50) waits for approval.
    guard = load_settings(REPO_ROOT / "sbt.yaml", env={}).enforcement.guard.max_changes
    assert run.approvals >= (1 if len(run.truth_blocked) > guard else 0)
    assert run.siasn_blocked == run.truth_blocked and len(run.truth_blocked) > 0


def main(data_dir: str, url: str) -> None:
    """Manual run: ``python -c "from tests.reconcile.test_golden_election import main; main(DIR, URL)"``."""
    from sbt_sync.db import migrate

    database = Database(url)
    migrate.upgrade(database)
    started = time.monotonic()
    work = Path(data_dir).parent / "election-work"
    work.mkdir(exist_ok=True)
    run = run_election(Path(data_dir), work, database, os.environ.__setitem__)
    summary = {k: v for k, v in run.quality.as_dict().items() if k != "missed"}
    print(
        f"{time.monotonic() - started:.1f}s",
        json.dumps(summary),
        len(run.siasn_blocked),
        len(run.truth_blocked),
    )
