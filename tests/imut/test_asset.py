"""``golden/imut_findings`` in Dagster: one materialization evaluates the staged actions and reports
what it did in its metadata, duplicate deliveries of a decision and withdrawn actions included."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from sqlalchemy import update

from assets.imut import build_imut_assets
from sbt_sync.db.engine import Database
from sbt_sync.db.models import StagedRecord
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource
from sbt_sync.settings import load_settings
from tests.imut.builders import action_id, ingest, payload

RUN_CONFIG = {"ops": {"golden__imut_findings": {"config": {"as_of": "2024-11-27"}}}}


def test_the_asset_reports_duplicate_deliveries_and_withdrawn_actions(
    migrated_database: Database, tmp_path: Path
) -> None:
    same_sk = "821/77/BKPSDM/2024"
    ingest(migrated_database, payload(1, nomorSk=same_sk), payload(2, nomorSk=same_sk), payload(3))
    with migrated_database.session() as session:  # I-MUT's file no longer has action 3
        session.execute(
            update(StagedRecord).where(StagedRecord.record_key == action_id(3)).values(withdrawn=True)
        )
    config = tmp_path / "sbt.yaml"
    config.write_text("{}\n", encoding="utf-8")
    settings = SbtSettingsResource(config_path=str(config))
    url = migrated_database.engine.url.render_as_string(hide_password=False)
    resources = {
        "settings": settings,
        "db": DatabaseResource(settings=settings, url=url),
        "connectors": ConnectorsResource(settings=settings),
    }

    result = dg.materialize(
        build_imut_assets(load_settings(config)), resources=resources, run_config=RUN_CONFIG
    )

    assert result.success
    metadata = result.asset_materializations_for_node("golden__imut_findings")[0].metadata
    assert metadata["duplicates"] == dg.IntMetadataValue(1)
    assert metadata["withdrawn"] == dg.IntMetadataValue(1)
    assert metadata["actions"] == dg.IntMetadataValue(1)
    assert metadata["findings_opened"] == dg.IntMetadataValue(2)  # action 1, and withdrawn action 3
