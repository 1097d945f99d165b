"""Deterministic synthetic data for the sandbox: registry, cases, six agency sources and ground truth.

The directory layout and every field are specified in ``sbt_sync/sandbox/DATA_FORMAT.md``.
"""

from sbt_sync.sandbox.generate.config import GENERATOR_VERSION
from sbt_sync.sandbox.generate.pipeline import generate_sandbox

__all__ = ["GENERATOR_VERSION", "generate_sandbox"]
