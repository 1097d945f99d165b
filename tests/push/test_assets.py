"""The enforcement and sync assets in Dagster, against the SIASN simulator: block, push, read back, and
the blocking check that stops the push while a queued block has an open critical conflict."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from assets.enforcement import block_state, no_block_on_conflicted_case
from assets.sync import siasn_flags, siasn_readback
from sbt_sync.db.engine import Database
from sbt_sync.enforce import run_enforcement
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from sbt_sync.settings import EnforcementSettings
from tests.conftest import REPO_ROOT
from tests.enforce.rows import add_case, nip, open_conflict
from tests.push.conftest import ledger
from tests.push.helpers import assert_siasn_matches

pytestmark = pytest.mark.integration

ASSETS = [block_state, no_block_on_conflicted_case, siasn_flags, siasn_readback]
RUN_CONFIG = {"ops": {"enforcement__block_state": {"config": {"as_of": "2025-01-20"}}}}


@pytest.fixture
def resources(
    migrated_database: Database, siasn_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    base = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config = sandbox_config(base, siasn_sandbox.endpoints)
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


def test_assets_block_push_and_read_back_in_one_run(
    migrated_database: Database, siasn_sandbox: Sandbox, resources: dict[str, Any]
) -> None:
    with migrated_database.session() as session:
        for i in range(1, 4):
            add_case(session, f"CASE-{i}", nip(i))
        add_case(session, "CASE-HELD", nip(4), held=True)
    result = dg.materialize(ASSETS, resources=resources, run_config=RUN_CONFIG)
    assert result.success
    flags = result.asset_materializations_for_node("sync__siasn_flags")[0].metadata
    assert flags["acked"] == dg.IntMetadataValue(3)
    enforcement = result.asset_materializations_for_node("enforcement__block_state")[0].metadata
    assert enforcement["holds"] == dg.IntMetadataValue(1)
    readback = result.asset_materializations_for_node("sync__siasn_readback")[0].metadata
    assert readback["in_sync"] == dg.IntMetadataValue(3)
    assert_siasn_matches(migrated_database, siasn_sandbox)


def test_a_case_with_an_open_critical_conflict_is_never_blocked_even_when_its_held_flag_is_stale(
    migrated_database: Database, siasn_sandbox: Sandbox, resources: dict[str, Any]
) -> None:
    """The conflict opened after the reconciliation set the held flag. Enforcement reads open disputes
    itself (``enforce.disputes``), so it holds the case and queues no block; the blocking check,
    which stops the push when a queued block names such a case (a conflict opened between the
    enforcement and the push of one run; ``conflicted_blocks`` is tested in tests/enforce), passes,
    and SIASN receives nothing."""
    with migrated_database.session() as session:
        case = add_case(session, "CASE-1", nip(1))
        open_conflict(session, case)  # opened after the reconciliation set the held flag
    result = dg.materialize(ASSETS, resources=resources, run_config=RUN_CONFIG, raise_on_error=False)
    assert result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations["no_block_on_conflicted_case"] is True
    enforcement = result.asset_materializations_for_node("enforcement__block_state")[0].metadata
    assert enforcement["holds"] == dg.IntMetadataValue(1)
    assert enforcement["blocked_nips"] == dg.IntMetadataValue(0)
    assert ledger(siasn_sandbox)["keys"] == {}


def test_enforcement_and_sync_assets_form_one_graph_after_golden_cases() -> None:
    settings = SbtSettingsResource()
    defs = dg.Definitions(
        assets=[block_state, siasn_flags, siasn_readback],
        asset_checks=[no_block_on_conflicted_case],
        resources={
            "settings": settings,
            "db": DatabaseResource(settings=settings),
            "connectors": ConnectorsResource(settings=settings),
        },
    )
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"enforcement/block_state", "sync/siasn_flags", "sync/siasn_readback"} <= keys
    upstream = graph.get(dg.AssetKey(["enforcement", "block_state"])).parent_keys
    assert upstream == {dg.AssetKey(["golden", "cases"])}
    assert graph.get(dg.AssetKey(["sync", "siasn_flags"])).parent_keys == {
        dg.AssetKey(["enforcement", "block_state"])
    }


def test_the_blocking_check_names_the_conflicted_cases_with_their_nips_masked(
    migrated_database: Database, resources: dict[str, Any]
) -> None:
    """A case key holds its ASN's NIP (``PILKADA-2024|rec:...|<NIP>``); the check's metadata, shown in
    Dagster's UI, must not (DESIGN.md, "Personal data": metadata never holds NIPs in clear)."""
    key = f"PILKADA-2024|rec:B-0001/D.IV/WAS/11/2024|{nip(1)}"
    with migrated_database.session() as session:
        case = add_case(session, key, nip(1))
        run_enforcement(session, EnforcementSettings(), date(2025, 1, 20))  # the block is queued
        open_conflict(session, case)  # ... and a conflict opens before the push

    result = no_block_on_conflicted_case(db=resources["db"])

    assert isinstance(result, dg.AssetCheckResult) and not result.passed
    shown = json.dumps(result.metadata["sample"].value)
    assert nip(1) not in shown and nip(1)[-4:] in shown
