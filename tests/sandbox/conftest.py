"""Shared fixtures for the sandbox tests: generated data directories, built once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sbt_sync.sandbox.generate import generate_sandbox


@pytest.fixture(scope="session")
def small_sandbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A small-scale sandbox for seed 7 and its manifest."""
    out = tmp_path_factory.mktemp("sandbox_small")
    return out, generate_sandbox(seed=7, scale="small", out=out)
