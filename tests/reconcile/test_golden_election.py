"""The issue's acceptance at ``election`` scale: ingest every source at the sandbox's ``as_of`` through
Dagster, reconcile, and measure against the ground truth (identity precision >= 0.99, recall >= 0.95,
every truth conflict raised, at most 5% raised beyond it). Slow: runs in CI, skipped by ``-m "not slow"``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from sbt_sync.db.engine import Database
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from sbt_sync.reconcile.quality import Quality, measure
from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from tests.conftest import REPO_ROOT


def run_election(
    data_dir: Path, work: Path, database: Database, setenv: Callable[[str, str], None]
) -> Quality:
    """Serve ``data_dir`` at its ``as_of``, run one full cycle into ``database`` and measure it;
    ``setenv`` publishes the sandbox's secrets to the resources (``monkeypatch.setenv`` in tests)."""
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    with Sandbox(data_dir, state_dir=work / "state") as sandbox:
        sandbox.clock.set(datetime.fromisoformat(manifest["clock"]["as_of"]), frozen=True)
        base: dict[str, Any] = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
        config = sandbox_config(base, sandbox.endpoints)
        path = work / "sbt.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        for name, value in sandbox_secrets(config, sandbox.credentials, sandbox.endpoints).items():
            setenv(name, value)
        definitions = build_definitions(config_path=str(path), database_url=database.url)
        result = definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(
            raise_on_error=False, run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        )
        assert result.success, [str(e.event_specific_data) for e in result.get_step_failure_events()]
    return measure(database, data_dir / "truth")


@pytest.fixture(scope="module")
def election_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("election")
    generate_sandbox(seed=1, scale="election", out=out)
    yield out


@pytest.mark.slow
@pytest.mark.integration
def test_election_golden_dataset_meets_the_quality_targets(
    election_data: Path, migrated_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quality = run_election(election_data, tmp_path, migrated_database, monkeypatch.setenv)
    assert quality.identity_precision >= 0.99, quality
    assert quality.identity_recall >= 0.95, quality
    assert quality.conflicts_missed == 0, quality.missed[:5]
    assert quality.conflicts_beyond <= 0.05 * quality.conflicts_expected, quality.beyond_by_kind
    assert quality.case_accuracy >= 0.98, quality


def main(data_dir: str, url: str) -> None:
    """Manual run: ``python -c "from tests.reconcile.test_golden_election import main; main(DIR, URL)"``."""
    from sbt_sync.db import migrate

    database = Database(url)
    migrate.upgrade(database)
    started = time.monotonic()
    work = Path(data_dir).parent / "election-work"
    work.mkdir(exist_ok=True)
    quality = run_election(Path(data_dir), work, database, os.environ.__setitem__)
    print(
        f"{time.monotonic() - started:.1f}s",
        json.dumps({k: v for k, v in quality.as_dict().items() if k != "missed"}),
    )
