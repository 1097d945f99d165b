"""Shared fixtures for the sandbox tests: generated data directories, built once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.sandbox import GeneratedSandboxes, manifest_of


@pytest.fixture(scope="session")
def small_sandbox(generated_sandboxes: GeneratedSandboxes) -> tuple[Path, dict[str, Any]]:
    """A small-scale sandbox for seed 7 and its manifest."""
    out = generated_sandboxes.small(7)
    return out, manifest_of(out)
