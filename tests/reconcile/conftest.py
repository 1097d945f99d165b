"""A running sandbox with its clock frozen at the manifest's ``as_of`` (when the ground truth holds),
and a project whose sbt.yaml points at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from tests.conftest import REPO_ROOT
from tests.ingest.conftest import SandboxProject

SEED = 11


@pytest.fixture(scope="session")
def small_truth_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("golden-sandbox-data")
    generate_sandbox(seed=SEED, scale="small", out=out)
    return out


@pytest.fixture(scope="module")
def as_of_sandbox(small_truth_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    manifest = json.loads((small_truth_data / "manifest.json").read_text(encoding="utf-8"))
    with Sandbox(small_truth_data, state_dir=tmp_path_factory.mktemp("golden-sandbox-state")) as sandbox:
        sandbox.clock.set(datetime.fromisoformat(manifest["clock"]["as_of"]), frozen=True)
        yield sandbox


@pytest.fixture
def as_of_project(
    as_of_sandbox: Sandbox, small_truth_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SandboxProject:
    base: dict[str, Any] = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config = sandbox_config(base, as_of_sandbox.endpoints)
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = sandbox_secrets(config, as_of_sandbox.credentials, as_of_sandbox.endpoints)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    as_of_sandbox.faults.reset()
    return SandboxProject(small_truth_data, as_of_sandbox, path, env)
