"""Running the contenders: each run in its own child process, against one benchmark database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from benchmarks.identity.spec import Outcome, RunSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_SECONDS = 1_800
CHILD_ENV = {"PYTHONHASHSEED": "0"}


def identity_thresholds() -> dict[str, float]:
    """sbt.yaml's ``identity`` block, the thresholds the product runs with (``IdentitySettings``)."""
    config = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    return {key: float(value) for key, value in config["identity"].items()}


def run_child(spec: RunSpec) -> Outcome:
    """``spec`` in a fresh ``python -m benchmarks.identity.child``; raises ``RuntimeError`` if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.identity.child"],
        input=spec.to_json(),
        text=True,
        capture_output=True,
        env={**os.environ, **CHILD_ENV},
        cwd=REPO_ROOT,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{spec.contender} {spec.task} failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
        )
    return Outcome.read(Path(spec.result_path))
