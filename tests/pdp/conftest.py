"""Fixtures of the personal-data tests: the sandbox's SFTP server (downloads are owner-only), the
small sandbox of seed 11, and one full cycle per backend shared by every module that only reads it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pdp.cycle import BACKENDS, SEED, Cycled, cycled_database
from tests.sandbox.helpers_sftp import sftp_env
from tests.support.sandbox import GeneratedSandboxes

__all__ = ["sftp_env"]


@pytest.fixture(scope="session")
def pdp_sandbox_data(generated_sandboxes: GeneratedSandboxes) -> Path:
    return generated_sandboxes.small(SEED)


@pytest.fixture(scope="session", params=BACKENDS)
def cycled(
    request: pytest.FixtureRequest, pdp_sandbox_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cycled]:
    """A database after one full cycle and the push, once per backend for the session."""
    folder = tmp_path_factory.mktemp(f"pdp-cycle-{request.param}")
    with cycled_database(request.param, pdp_sandbox_data, folder) as cycle:
        yield cycle
