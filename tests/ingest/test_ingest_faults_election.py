"""At election scale, with every fault switch on, ingestion stages exactly what it stages without."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT
from tests.ingest.conftest import truth_quarantine
from tests.ingest.test_ingest_sandbox import _ingest_all, _quarantined, _staged_fingerprint

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.reliability]


@pytest.fixture(scope="module")
def election_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Sandbox]]:
    data = tmp_path_factory.mktemp("election-data")
    generate_sandbox(seed=11, scale="election", out=data)
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    with Sandbox(data, state_dir=tmp_path_factory.mktemp("election-state")) as sandbox:
        sandbox.clock.set(datetime.fromisoformat(manifest["clock"]["end"]), frozen=True)
        yield data, sandbox


def test_election_ingest_with_every_fault_on_stages_the_same_rows_as_without(
    election_sandbox: tuple[Path, Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, sandbox = election_sandbox
    base: dict[str, Any] = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config = sandbox_config(base, sandbox.endpoints)
    (tmp_path / "sbt.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    for name, value in sandbox_secrets(config, sandbox.credentials, sandbox.endpoints).items():
        monkeypatch.setenv(name, value)
    settings = load_settings(tmp_path / "sbt.yaml")
    clean, faulty = (Database(f"sqlite:///{tmp_path / name}.db") for name in ("clean", "faulty"))
    for database in (clean, faulty):
        migrate.upgrade(database)

    _ingest_all(settings, clean, tmp_path / "clean")
    for endpoint in ("bawaslu", "bkn_wasdal", "idis", "siasn"):
        sandbox.faults.set(
            endpoint,
            error_5xx_rate=0.15,
            throttle_rate=0.1,
            retry_after_seconds=0,
            latency_ms=2,
            truncate_rate=0.1,
            token_ttl_seconds=2,
        )
    sandbox.faults.set("sftp", disconnect_rate=0.15)
    try:
        _ingest_all(settings, faulty, tmp_path / "faulty")
    finally:
        sandbox.faults.reset()

    assert _staged_fingerprint(faulty) == _staged_fingerprint(clean)
    assert _quarantined(faulty) == _quarantined(clean) == truth_quarantine(data)
