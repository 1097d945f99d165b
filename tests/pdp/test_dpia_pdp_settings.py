"""``sbt-sync pdp dpia`` renders the deployment's personal-data settings from the live sbt.yaml: the
retention per kind of data and the ``pdp`` section (where the access log's hashing key comes from,
the unusual-read threshold), so an impact assessment states what this deployment does, not defaults."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database


def test_the_dpia_renders_the_pdp_and_retention_settings_of_the_live_configuration(
    migrated_database: Database, project_dir: Path
) -> None:
    config = project_dir / "sbt.yaml"
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    document["pdp"] = {"access_key_env": "SBT_TEST_PDP_KEY", "unusual_distinct_asn_per_day": 37}
    document["retention"] = {**document.get("retention", {}), "quarantine_days": 91, "access_log_days": 404}
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    runner = CliRunner(env={"SBT_DATABASE_URL": migrated_database.url, "SBT_TEST_PDP_KEY": "k" * 32})
    shown = runner.invoke(app, ["--config", str(config), "pdp", "dpia"])
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert "Baris karantina yang sudah selesai: 91 hari" in text
    assert "Log akses data pribadi: 404 hari" in text
    # the pdp section, in words: the key's source (never the key) and the unusual-read threshold
    assert "SBT_TEST_PDP_KEY" in text and "k" * 32 not in text
    assert "lebih dari 37 ASN berbeda dalam sehari" in text
