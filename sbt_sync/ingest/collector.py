"""Python's cyclic garbage collector around bulk work.

Validating and writing a batch of thousands of records allocates hundreds of thousands of containers
(rows, dicts, tuples), nearly all freed by reference counting when the batch is done. With the
collector on, those allocations trigger a collection every 700 new objects, and each full collection
walks every object the process holds (Dagster, SQLAlchemy and pandas are a few hundred thousand): on
the ingest benchmark this was 40% of validation's time. Within ``paused_gc`` nothing is collected;
when the block ends the collector is back on and the next allocation collects the young generation
once, cycles created by the batch included, so nothing accumulates from batch to batch.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_PAUSED = 0
"""Blocks inside ``paused_gc`` now, in any thread of the process (the collector is process-wide)."""
_RESUME = False
"""Whether the collector was on when the first of them began."""


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection inside the block (a no-op when the collector is already off).

    Counted across threads: a validating thread and the writing thread may each be inside a block,
    and the collector comes back on when the last of them ends, not when the first does.
    """
    global _PAUSED, _RESUME
    with _LOCK:
        if _PAUSED == 0:
            _RESUME = gc.isenabled()
            gc.disable()
        _PAUSED += 1
    try:
        yield
    finally:
        with _LOCK:
            _PAUSED = max(_PAUSED - 1, 0)  # a forked child may leave a block its parent began
            if _PAUSED == 0 and _RESUME:
                gc.enable()


def _after_fork_in_child() -> None:
    """A forked child has only the forking thread: the blocks other threads were inside are not its
    own, and the lock may have been held at the fork. Start afresh, the collector as before them."""
    global _LOCK, _PAUSED
    _LOCK = threading.Lock()
    if _PAUSED and _RESUME:
        gc.enable()
    _PAUSED = 0


os.register_at_fork(after_in_child=_after_fork_in_child)


def freeze_inherited() -> None:
    """In a forked worker: move every object inherited from the parent to the permanent generation,
    so that collections neither walk them nor write to their pages (which copy-on-write would copy)."""
    gc.freeze()
