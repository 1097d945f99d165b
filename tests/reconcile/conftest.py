"""A running sandbox with its clock frozen at the manifest's ``as_of`` (when the ground truth holds),
and a project whose sbt.yaml points at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.runtime import Sandbox
from tests.ingest.conftest import SandboxProject, make_project

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
    return make_project(as_of_sandbox, small_truth_data, tmp_path, monkeypatch.setenv)
