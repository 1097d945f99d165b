"""Running a producer one step ahead of its consumer: a bounded background thread.

Ingestion alternates between waiting on a source (HTTP pages, rows read back from the database) and
waiting on database writes. A producer thread that stays up to ``depth`` items ahead overlaps the two
waits; the bound keeps memory flat. Items arrive in order; the producer's exception is raised in the
consumer at the position it happened, after every item produced before it, so the consumer's
transactions see exactly what a sequential loop would have seen.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.1


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()
_EMPTY = object()


class Ahead(Generic[T]):
    """The consumer's side: an iterator over the produced items that can also tell whether the next
    one has already arrived."""

    def __init__(self, items: queue.Queue[object]) -> None:
        self._items = items
        self._held: object = _EMPTY

    def __iter__(self) -> Ahead[T]:
        return self

    def __next__(self) -> T:
        item, self._held = (self._items.get() if self._held is _EMPTY else self._held), _EMPTY
        if item is _DONE:
            self._held = _DONE  # stays exhausted
            raise StopIteration
        if isinstance(item, _Failed):
            raise item.error
        return item  # type: ignore[return-value]

    def ready(self) -> bool:
        """True when the next item is already produced (the end and an error are not items)."""
        if self._held is _EMPTY:
            try:
                self._held = self._items.get_nowait()
            except queue.Empty:
                return False
        return self._held is not _DONE and not isinstance(self._held, _Failed)


@contextmanager
def prefetched(source: Callable[[], Iterable[T]], *, depth: int, name: str) -> Iterator[Ahead[T]]:
    """Iterate ``source()`` in a thread named ``name``, at most ``depth`` items ahead.

    Leaving the block (normally, on ``break`` or on an error in the consumer) stops the producer at
    its next item and waits for it, so no thread outlives the block.
    """
    items: queue.Queue[object] = queue.Queue(maxsize=max(depth, 1))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source():
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Failed(exc))
            return
        put(_DONE)

    worker = threading.Thread(target=produce, name=name, daemon=True)
    worker.start()
    try:
        yield Ahead(items)
    finally:
        stop.set()
        worker.join()
