"""Every asset key, job name and run tag of the graph, named once.

Asset modules, the sensors, the schedule and the composition root import them from here, so a key is
spelled in one place. Keys are layered (``raw/``, ``validated/``, ``reference/``, ``golden/``,
``enforcement/``, ``sync/``, ``reports/``), one group per layer.
"""

import dagster as dg


def raw_key(source: str) -> dg.AssetKey:
    """``raw/<source>``: a source's records landed verbatim."""
    return dg.AssetKey(["raw", source])


def validated_key(source: str) -> dg.AssetKey:
    """``validated/<source>``: a source's records checked, quarantined or staged."""
    return dg.AssetKey(["validated", source])


def ingest_op(source: str) -> str:
    """The op that makes ``raw/<source>`` and ``validated/<source>`` (one step of a run)."""
    return f"ingest_{source}"


ASN_REGISTRY = dg.AssetKey(["reference", "asn_registry"])
REGISTRY_OP = "reference__asn_registry"
"""The registry asset's op name, under which a run's config sets its ``RegistryConfig``."""
GOLDEN_CASES = dg.AssetKey(["golden", "cases"])
IMUT_FINDINGS = dg.AssetKey(["golden", "imut_findings"])
BLOCK_STATE = dg.AssetKey(["enforcement", "block_state"])
LETTERS = dg.AssetKey(["enforcement", "letters"])
SIASN_FLAGS = dg.AssetKey(["sync", "siasn_flags"])
SIASN_READBACK = dg.AssetKey(["sync", "siasn_readback"])
LETTERS_MAIL = dg.AssetKey(["sync", "letters_mail"])
DATABASE_STATUS = dg.AssetKey(["reports", "database_status"])
RECAP = dg.AssetKey(["reports", "recap"])

DB_WRITE_TAG = "sbt/db"
DB_WRITE_TAGS = {DB_WRITE_TAG: "write"}
"""Carried by every run that writes the product database. ``dagster.yaml``'s (and
``deploy/dagster.postgres.yaml``'s) ``tag_concurrency_limits`` let one such run execute at a time: the
write queue, so runs never overlap on the same tables. (No op pool is configured: this run-level limit
is the only concurrency control.)"""

FULL_CYCLE_JOB = "full_cycle"
REGISTRY_REFRESH_JOB = "registry_refresh"
STEWARD_RERUN_JOB = "steward_rerun"
PUSH_RETRY_JOB = "push_retry"
RETENTION_JOB = "retention_purge"


def source_job(source: str) -> str:
    """The job a source's sensor requests: the source and everything downstream of it."""
    return f"{source}_update"
