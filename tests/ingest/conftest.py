"""A running sandbox for ingestion tests: small generated data, every record available, and a
project folder whose sbt.yaml points at it (secrets set in the environment)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from sbt_sync.settings import Settings, load_settings
from tests.conftest import REPO_ROOT

SEED = 7


@dataclass
class SandboxProject:
    data_dir: Path
    sandbox: Sandbox
    config_path: Path
    env: dict[str, str]

    def settings(self) -> Settings:
        return load_settings(self.config_path, env=self.env)


@pytest.fixture(scope="session")
def small_sandbox_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sandbox-data")
    generate_sandbox(seed=SEED, scale="small", out=out)
    return out


@pytest.fixture(scope="module")
def running_sandbox(small_sandbox_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    manifest = json.loads((small_sandbox_data / "manifest.json").read_text(encoding="utf-8"))
    with Sandbox(small_sandbox_data, state_dir=tmp_path_factory.mktemp("sandbox-state")) as sandbox:
        sandbox.clock.set(datetime.fromisoformat(manifest["clock"]["end"]), frozen=True)
        yield sandbox


def make_project(
    sandbox: Sandbox, data_dir: Path, folder: Path, setenv: Callable[[str, str], None]
) -> SandboxProject:
    """A project folder whose sbt.yaml points at ``sandbox``; its secrets published with ``setenv``."""
    base: dict[str, Any] = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config = sandbox_config(base, sandbox.endpoints)
    path = folder / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = sandbox_secrets(config, sandbox.credentials, sandbox.endpoints)
    for name, value in env.items():
        setenv(name, value)
    sandbox.faults.reset()
    return SandboxProject(data_dir, sandbox, path, env)


@pytest.fixture
def sandbox_project(
    running_sandbox: Sandbox, small_sandbox_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SandboxProject:
    return make_project(running_sandbox, small_sandbox_data, tmp_path, monkeypatch.setenv)


def truth_quarantine(data_dir: Path) -> set[tuple[str, str, int | None]]:
    """``(source, key or file name, row)`` of every row the ground truth says must be quarantined."""
    rows = [json.loads(line) for line in (data_dir / "truth" / "quarantine.jsonl").read_text().splitlines()]
    return {(r["source"], r["key"], r["row"]) for r in rows}
