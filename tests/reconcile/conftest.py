"""A running sandbox (seed 11) with its clock frozen at the manifest's ``as_of`` (when the ground truth
holds), and a project whose sbt.yaml points at it. ``tests/reports`` imports these fixtures too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sbt_sync.sandbox.runtime import Sandbox
from tests.support.sandbox import GeneratedSandboxes, SandboxProject, clock_at, make_project

SEED = 11


@pytest.fixture(scope="session")
def small_truth_data(generated_sandboxes: GeneratedSandboxes) -> Path:
    return generated_sandboxes.small(SEED)


@pytest.fixture(scope="module")
def as_of_sandbox(small_truth_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(small_truth_data, state_dir=tmp_path_factory.mktemp("golden-sandbox-state")) as sandbox:
        sandbox.clock.set(clock_at(small_truth_data, "as_of"), frozen=True)
        yield sandbox


@pytest.fixture
def as_of_project(
    as_of_sandbox: Sandbox, small_truth_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SandboxProject:
    return make_project(as_of_sandbox, small_truth_data, tmp_path, monkeypatch.setenv)
