"""Generated sandboxes and project folders pointed at a running one, shared by every test directory.

A small sandbox is generated once per seed per session (:class:`GeneratedSandboxes`); tests that only
read it share the folder, tests that add deliveries work on a copy. :func:`make_project` writes the
sbt.yaml a deployment pointed at a running sandbox has and publishes its secrets.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
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

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SandboxProject:
    data_dir: Path
    sandbox: Sandbox
    config_path: Path
    env: dict[str, str]

    def settings(self) -> Settings:
        return load_settings(self.config_path, env=self.env)


class GeneratedSandboxes:
    """Small sandboxes by seed, each generated once for the session. Treat them as read-only."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._made: dict[int, Path] = {}

    def small(self, seed: int) -> Path:
        if seed not in self._made:
            out = self._factory.mktemp(f"sandbox-small-{seed}")
            generate_sandbox(seed=seed, scale="small", out=out)
            self._made[seed] = out
        return self._made[seed]

    def copy(self, seed: int, destination: Path) -> Path:
        """A copy of the small sandbox of ``seed`` at ``destination`` (for tests that change it)."""
        shutil.copytree(self.small(seed), destination)
        return destination


def manifest_of(data_dir: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def clock_at(data_dir: Path, moment: str) -> datetime:
    """The manifest's ``clock[moment]`` (``start``, ``as_of`` or ``end``)."""
    return datetime.fromisoformat(manifest_of(data_dir)["clock"][moment])


def project_config(sandbox: Sandbox, database_url: str | None = None) -> dict[str, Any]:
    """The committed sbt.yaml pointed at ``sandbox`` (and at ``database_url`` when given)."""
    base: dict[str, Any] = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config = sandbox_config(base, sandbox.endpoints)
    if database_url is not None:
        config["database"] = {"url": database_url}
    return config


def make_project(
    sandbox: Sandbox,
    data_dir: Path,
    folder: Path,
    setenv: Callable[[str, str], None],
    *,
    database_url: str | None = None,
) -> SandboxProject:
    """A project folder whose sbt.yaml points at ``sandbox``; its secrets published with ``setenv``."""
    config = project_config(sandbox, database_url)
    # A test's daemon runs what the test asks for: the hourly cycle and the nightly jobs stay stopped
    # (a run they start beside the test's own is counted by the test; seen in CI at 07:00 UTC).
    config.setdefault("schedule", {})["start_running"] = False
    path = folder / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = sandbox_secrets(config, sandbox.credentials, sandbox.endpoints)
    for name, value in env.items():
        setenv(name, value)
    sandbox.faults.reset()
    return SandboxProject(data_dir, sandbox, path, env)


def truth_quarantine(data_dir: Path) -> set[tuple[str, str, int | None]]:
    """``(source, key or file name, row)`` of every row the ground truth says must be quarantined."""
    rows = [json.loads(line) for line in (data_dir / "truth" / "quarantine.jsonl").read_text().splitlines()]
    return {(r["source"], r["key"], r["row"]) for r in rows}
