"""The demo generates its scenario once under var/sandbox and reuses it; data a different generator
wrote (its ground truth computed by other rules) is generated again, or the demo would compare the
product with a truth the current rules no longer give."""

from __future__ import annotations

import json
from pathlib import Path

from sbt_sync.demo import prepare_data
from sbt_sync.sandbox.generate import GENERATOR_VERSION
from sbt_sync.settings import Settings


def _settings(root: Path) -> Settings:
    return Settings(config_path=root / "sbt.yaml")


def test_data_from_another_generator_version_is_generated_again(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    data_dir = prepare_data(settings, seed=3, scale="small")
    manifest_path = data_dir / "manifest.json"
    assert json.loads(manifest_path.read_text(encoding="utf-8"))["generator_version"] == GENERATOR_VERSION

    # Reused as it is when the generator is the same: nothing is written again.
    written = manifest_path.stat().st_mtime_ns
    assert prepare_data(settings, seed=3, scale="small") == data_dir
    assert manifest_path.stat().st_mtime_ns == written

    # An earlier generator's data (here: its truth says something the current rules do not).
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["generator_version"] = "0.9.0"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    recap = data_dir / "truth" / "recap.json"
    recap.write_text('{"events": {}}\n', encoding="utf-8")
    messages: list[str] = []
    prepare_data(settings, seed=3, scale="small", progress=messages.append)
    assert json.loads(manifest_path.read_text(encoding="utf-8"))["generator_version"] == GENERATOR_VERSION
    assert json.loads(recap.read_text(encoding="utf-8"))["events"]
    assert any("0.9.0" in message for message in messages)
