"""A cycle's push against a SIASN that throttles every call: the run ends within the push budget
(``push.cycle_budget_seconds``), the rows left stay pending with their keys, the metadata says how many
and why, and the next cycle with SIASN healthy delivers each exactly once."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from assets.enforcement import block_state, no_block_on_conflicted_case
from assets.sync import siasn_flags, siasn_readback
from connectors.http import HttpClient, HttpSettings
from connectors.siasn import SiasnClient, SiasnConfig
from sbt_sync.db.engine import Database
from sbt_sync.push import Pusher
from sbt_sync.push.client import CYCLE_RETRY
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from tests.conftest import REPO_ROOT
from tests.enforce.rows import add_case, nip
from tests.push.conftest import FAST_PUSH, credentials, ledger, pusher
from tests.push.helpers import assert_siasn_matches, outbox_rows, queue_blocks

# Both bound how long a push takes: they run alone (tests/support/scheduling.py).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("serial")]

ASSETS = [block_state, no_block_on_conflicted_case, siasn_flags, siasn_readback]
RUN_CONFIG = {"ops": {"enforcement__block_state": {"config": {"as_of": "2025-01-20"}}}}
BUDGET = 2.0
RETRY_AFTER = 5
"""SIASN's Retry-After: without a budget every row would wait on it, try after try, for minutes."""


@pytest.fixture
def resources(
    migrated_database: Database, siasn_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    base = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config = sandbox_config(base, siasn_sandbox.endpoints)
    config["push"]["cycle_budget_seconds"] = BUDGET
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    for name, value in sandbox_secrets(config, siasn_sandbox.credentials, siasn_sandbox.endpoints).items():
        monkeypatch.setenv(name, value)
    settings = SbtSettingsResource(config_path=str(path))
    url = migrated_database.engine.url.render_as_string(hide_password=False)
    return {
        "settings": settings,
        "db": DatabaseResource(settings=settings, url=url),
        "connectors": ConnectorsResource(settings=settings),
    }


def _metadata(result: dg.ExecuteInProcessResult, node: str) -> dict[str, Any]:
    return {k: v.value for k, v in result.asset_materializations_for_node(node)[0].metadata.items()}


def test_a_throttled_siasn_delays_only_the_push_and_the_next_cycle_delivers_every_row_once(
    migrated_database: Database, siasn_sandbox: Sandbox, resources: dict[str, Any]
) -> None:
    nips = [nip(i) for i in range(1, 9)]
    with migrated_database.session() as session:
        for number in nips:
            add_case(session, f"CASE-{number}", number)
    siasn_sandbox.faults.set("siasn", throttle_rate=1.0, retry_after_seconds=RETRY_AFTER)

    started = time.monotonic()
    throttled = dg.materialize(ASSETS, resources=resources, run_config=RUN_CONFIG)
    elapsed = time.monotonic() - started

    assert throttled.success
    # The budget, plus at most one short inner retry of the calls in flight, plus Dagster's own work.
    assert elapsed < 30, f"the throttled cycle took {elapsed:.0f} s"
    flags = _metadata(throttled, "sync__siasn_flags")
    assert flags["acked"] == 0
    assert flags["left_pending"] == len(nips)
    assert flags["budget_exhausted"] is True
    assert "throttled" in flags["left_because"]
    readback = _metadata(throttled, "sync__siasn_readback")
    assert readback["in_sync"] == 0
    assert readback["failed"] + readback["skipped"] == len(nips)  # none observed: all read next time
    assert ledger(siasn_sandbox)["keys"] == {}  # SIASN applied nothing
    rows = outbox_rows(migrated_database)
    assert sorted(r.nip for r in rows) == sorted(nips)
    assert {r.state for r in rows} == {"pending"}
    keys = {r.id: r.idempotency_key for r in rows}

    siasn_sandbox.faults.reset()
    time.sleep(RETRY_AFTER)  # the rows honour SIASN's last Retry-After before they are due again
    healthy = dg.materialize(ASSETS, resources=resources, run_config=RUN_CONFIG)

    assert healthy.success
    flags = _metadata(healthy, "sync__siasn_flags")
    assert flags["acked"] == len(nips)
    assert flags["left_pending"] == 0
    assert flags["budget_exhausted"] is False
    assert flags["lost_claims"] == 0  # one pusher: no claim ran out under another
    assert _metadata(healthy, "sync__siasn_readback")["in_sync"] == len(nips)
    assert {r.id: r.idempotency_key for r in outbox_rows(migrated_database)} == keys
    assert_siasn_matches(migrated_database, siasn_sandbox)  # each row applied exactly once
    assert all(ledger(siasn_sandbox)["blocks"][number]["status"] == "DIBLOKIR" for number in nips)


SLOW_TIMEOUT = 3.0
"""``push.timeout_seconds`` of the slow-SIASN test: far longer than its budget."""
SLOW_BUDGET = 1.0


def test_a_call_under_way_ends_with_the_budget_and_its_row_stays_pending_with_its_key(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    """SIASN answers slower than the read timeout (latency fault): without a bound, a call started
    just before the budget ends runs its inner tries to the end (3 x ``timeout_seconds``). Each try's
    timeout is cut to the time left and no try (nor a retry of the same call) starts after it."""
    nips = [nip(i) for i in range(1, 9)]
    queue_blocks(migrated_database, nips)
    http = HttpClient(
        HttpSettings(
            connect_timeout=2, read_timeout=SLOW_TIMEOUT, ca_bundle=siasn_sandbox.endpoints.ca_bundle
        ),
        retry=CYCLE_RETRY,
    )
    client = SiasnClient(
        SiasnConfig(siasn_sandbox.endpoints.siasn_base_url, credentials(siasn_sandbox)), http=http
    )
    try:
        assert client.status(nips[0]) is not None  # tokens fetched while SIASN is quick
        siasn_sandbox.faults.set("siasn", latency_ms=int((SLOW_TIMEOUT + 1) * 1000))
        started = time.monotonic()
        report = Pusher(migrated_database, client, replace(FAST_PUSH, concurrency=4)).run(budget=SLOW_BUDGET)
        elapsed = time.monotonic() - started
    finally:
        client.close()

    # Unbounded, the calls under way would last until 3 x 3 s; bounded, they end with the budget.
    assert elapsed < SLOW_BUDGET + SLOW_TIMEOUT / 2, f"the push took {elapsed:.1f} s"
    assert report.acked == 0 and report.budget_exhausted
    assert report.left_pending == len(nips)
    rows = outbox_rows(migrated_database)
    assert {r.state for r in rows} == {"pending"}
    keys = {r.id: r.idempotency_key for r in rows}

    siasn_sandbox.faults.reset()  # the slow writes may still land at SIASN: the next run replays them
    healthy = pusher(migrated_database, siasn_sandbox).run()
    assert healthy.acked == len(nips)
    assert {r.id: r.idempotency_key for r in outbox_rows(migrated_database)} == keys
    assert_siasn_matches(migrated_database, siasn_sandbox)
