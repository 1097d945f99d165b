"""The cycle's readback against a SIASN that throttles some calls (429 with a Retry-After over a second):
it waits as asked within the budget instead of counting the reads as failed, and a read it could not
make is "not checked", never drift: the ``no_drift`` check passes and its metadata says how many NIPs
were not checked and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from assets.sync import siasn_readback
from sbt_sync.db.engine import Database
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from tests.conftest import REPO_ROOT
from tests.enforce.rows import nip
from tests.push.conftest import pusher
from tests.push.helpers import assert_siasn_matches, queue_blocks

pytestmark = pytest.mark.integration

NIPS = [nip(i) for i in range(1, 13)]
RETRY_AFTER = 2
"""Longer than the cycle client's inner retries wait for (``CYCLE_RETRY``: one second)."""
FULL = {"ops": {"sync__siasn_readback": {"config": {"full": True}}}}


def _resources(box: Sandbox, database: Database, folder: Path, budget: float) -> dict[str, Any]:
    base = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config = sandbox_config(base, box.endpoints)
    config["push"]["cycle_budget_seconds"] = budget
    path = folder / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = SbtSettingsResource(config_path=str(path))
    url = database.engine.url.render_as_string(hide_password=False)
    return {
        "settings": settings,
        "db": DatabaseResource(settings=settings, url=url),
        "connectors": ConnectorsResource(settings=settings),
    }


@pytest.fixture
def pushed(migrated_database: Database, siasn_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Database:
    """Every NIP blocked and the blocks delivered: SIASN agrees with the desired state everywhere."""
    base = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config = sandbox_config(base, siasn_sandbox.endpoints)
    for name, value in sandbox_secrets(config, siasn_sandbox.credentials, siasn_sandbox.endpoints).items():
        monkeypatch.setenv(name, value)
    queue_blocks(migrated_database, NIPS)
    assert pusher(migrated_database, siasn_sandbox).run().acked == len(NIPS)
    assert_siasn_matches(migrated_database, siasn_sandbox)
    return migrated_database


def _readback(result: dg.ExecuteInProcessResult) -> tuple[dict[str, Any], dg.AssetCheckEvaluation]:
    metadata = {
        k: v.value
        for k, v in result.asset_materializations_for_node("sync__siasn_readback")[0].metadata.items()
    }
    (check,) = result.get_asset_check_evaluations()
    return metadata, check


def test_light_throttling_is_waited_out_and_no_read_counts_as_failed(
    pushed: Database, siasn_sandbox: Sandbox, tmp_path: Path
) -> None:
    siasn_sandbox.faults.set("siasn", throttle_rate=0.3, retry_after_seconds=RETRY_AFTER)
    resources = _resources(siasn_sandbox, pushed, tmp_path, budget=120)

    result = dg.materialize([siasn_readback], resources=resources, run_config=FULL)

    assert result.success
    metadata, check = _readback(result)
    assert (metadata["checked"], metadata["in_sync"], metadata["drift"]) == (len(NIPS), len(NIPS), 0)
    assert metadata["failed"] == 0 and metadata["not_checked"] == 0
    assert check.passed
    assert {k: v.value for k, v in check.metadata.items()} == {
        "drift": 0,
        "not_checked": 0,
        "not_checked_because": {},
    }


def test_reads_the_budget_left_undone_are_not_checked_never_drift(
    pushed: Database, siasn_sandbox: Sandbox, tmp_path: Path
) -> None:
    siasn_sandbox.faults.set("siasn", throttle_rate=1.0, retry_after_seconds=RETRY_AFTER)
    resources = _resources(siasn_sandbox, pushed, tmp_path, budget=1.0)

    result = dg.materialize([siasn_readback], resources=resources, run_config=FULL)

    assert result.success
    metadata, check = _readback(result)
    assert (metadata["checked"], metadata["drift"]) == (0, 0)
    assert metadata["not_checked"] == len(NIPS)
    assert check.passed  # nothing seen differs: no drift to warn of
    because = check.metadata["not_checked_because"].value
    assert isinstance(because, dict) and sum(because.values()) == len(NIPS)
    assert set(because) <= {"throttled", "time budget spent"} and "throttled" in because
    assert check.metadata["not_checked"].value == len(NIPS)
