"""A running sandbox for ingestion tests: small generated data (seed 7), every record available (the
clock at the manifest's end), and a project folder whose sbt.yaml points at it (secrets in the
environment). The project helpers live in tests/support/sandbox.py; they are re-exported here for the
test files that import them from this module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sbt_sync.sandbox.runtime import Sandbox
from tests.support.sandbox import GeneratedSandboxes, SandboxProject, clock_at, make_project, truth_quarantine

__all__ = ["SEED", "SandboxProject", "make_project", "truth_quarantine"]

SEED = 7


@pytest.fixture(scope="session")
def small_sandbox_data(generated_sandboxes: GeneratedSandboxes) -> Path:
    return generated_sandboxes.small(SEED)


@pytest.fixture(scope="module")
def running_sandbox(small_sandbox_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(small_sandbox_data, state_dir=tmp_path_factory.mktemp("sandbox-state")) as sandbox:
        sandbox.clock.set(clock_at(small_sandbox_data, "end"), frozen=True)
        yield sandbox


@pytest.fixture
def sandbox_project(
    running_sandbox: Sandbox, small_sandbox_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SandboxProject:
    return make_project(running_sandbox, small_sandbox_data, tmp_path, monkeypatch.setenv)
