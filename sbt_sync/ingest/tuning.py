"""How ingestion spends memory, transactions and cores: one value handed to the functions that use it.

The defaults are what the ingest benchmark settled on; a caller (a test that wants small batches, a
benchmark trying another size) passes its own ``IngestTuning`` instead of changing module state.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IngestTuning:
    batch_records: int = 10_000
    """``pull_http``: pages already fetched are landed together up to about this many records per
    transaction. Each batch has a fixed cost (Pandera's pass over every column, its failure-case
    frames, the transaction's lookups): on the ingest benchmark 23 batches of at most 5,000 records
    cost about 0.35 CPU-s per 100k rows more than 14 of at most 10,000."""
    prefetch_pages: int = 16
    """``pull_http``: pages fetched ahead of the landing transaction (memory stays a few pages); at
    least a batch's worth, or a fast source's batches stay smaller than ``batch_records``."""
    validate_in_thread: bool = True
    """``pull_http``: validate batches in a thread of this process while earlier batches are written."""
    validate_in_worker: bool = False
    """``pull_http``: validate batches after the first in a worker process instead. Off: pickling every
    batch to the worker and back cost more CPU than the validation it moved."""
    stage_chunk: int = 5000
    """``stage_pending``: raw records validated and written per transaction."""
    stage_in_worker: bool = True
    """``stage_pending``: check chunks in a worker process when a full first chunk says more follow."""
    land_chunk: int = 5000
    """``land_batch``: records compared with the stored versions per statement."""

    def __post_init__(self) -> None:
        for name in ("batch_records", "prefetch_pages", "stage_chunk", "land_chunk"):
            if getattr(self, name) < 1:
                raise ValueError(f"IngestTuning.{name} must be at least 1")


DEFAULT_TUNING = IngestTuning()
