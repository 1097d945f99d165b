"""The sandbox the benchmark resolves against (national scale), generated once per seed, cached in ``var/``.

A cached directory is reused when its manifest names the same seed, scale and generator version and
every file the benchmark reads is there; anything else is generated afresh (about a minute, 0.7 GB).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sbt_sync.sandbox.generate import GENERATOR_VERSION, generate_sandbox
from sbt_sync.sandbox.generate.config import Scale

log = logging.getLogger(__name__)

SCALE: Scale = "national"
NEEDED = ("manifest.json", "registry.csv.gz", "truth/source_nips.jsonl", "sftp/deliveries.jsonl")


def cached_sandbox(cache: Path, seed: int, scale: Scale = SCALE) -> Path:
    """The generated sandbox for ``seed`` under ``cache``, generated if missing or stale."""
    out = cache / f"sandbox-{scale}-{seed}"
    manifest = out / "manifest.json"
    if all((out / name).exists() for name in NEEDED):
        found = json.loads(manifest.read_text(encoding="utf-8"))
        if (found["seed"], found["scale"], found["generator_version"]) == (seed, scale, GENERATOR_VERSION):
            log.info("reusing the national sandbox in %s", out)
            return out
    log.info("generating the %s sandbox (seed %d) in %s ...", scale, seed, out)
    manifest.unlink(missing_ok=True)  # a half-written directory must never look complete
    generate_sandbox(seed=seed, scale=scale, out=out)
    return out


def registry_size(sandbox: Path) -> int:
    """The number of ASN the sandbox's registry lists (from its manifest)."""
    counts = json.loads((sandbox / "manifest.json").read_text(encoding="utf-8"))["counts"]
    return int(counts["asn"])
