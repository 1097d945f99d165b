"""Draining an outbox: claim due rows, deliver them on worker threads, record each outcome as soon as
it is known. The SIASN pusher (:mod:`sbt_sync.push.pusher`) and the mail notifier
(:mod:`sbt_sync.notify.notifier`) are this loop with their own claim, delivery and record.

The loop keeps at most ``window`` claimed rows in hand (delivering or waiting for a worker), so a
crash leaves few rows claimed, and a run that must stop (``ABORTED``: the receiver refused our
credentials) gives back, untouched, every row no worker has started. Every outcome is recorded by the
caller in its own transaction before the next row is claimed, so a kill loses at most the rows in
hand; their leases expire (or the next run recovers them) and they go again with the same key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

Row = TypeVar("Row")
Answer = TypeVar("Answer")


class Outcome(StrEnum):
    """What became of one delivery; each is recorded by one move of the outbox's state machine."""

    DONE = "done"
    """The receiver took it (SIASN acknowledged it, the mail server accepted it)."""
    PARKED = "parked"
    """The receiver refused it, or it cannot be sent: a steward must look."""
    DEFERRED = "deferred"
    """Transient failures outlasted this run's tries: due again later."""
    ABORTED = "aborted"
    """The receiver refused us (credentials, TLS): the row goes back untouched and the run stops."""


@dataclass(frozen=True)
class Delivery(Generic[Answer]):
    """One row's delivery in this run."""

    outcome: Outcome
    tries: int
    """Attempts within this run (0: nothing was sent)."""
    answer: Answer | None = None
    """The receiver's answer to a delivery that was ``DONE``."""
    message: str = ""
    """Why it was parked, deferred or aborted."""
    retry_after: float | None = None
    """Seconds the receiver asked us to wait, when it said; for an ``ABORTED`` row, how long it rests
    before it is due again (None: given back due at once)."""
    ambiguous: int = 0
    """Tries whose result we could not know (the receiver may hold the message)."""

    @property
    def extra_attempts(self) -> int:
        """Attempts beyond the one the claim counted."""
        return max(0, self.tries - 1)


def drain(
    *,
    claim: Callable[[int], Sequence[Row]],
    deliver: Callable[[Row], Delivery[Answer]],
    record: Callable[[Row, Delivery[Answer]], None],
    release: Callable[[Sequence[Row]], None],
    workers: int,
    window: int,
    limit: int | None = None,
    thread_name: str = "drain",
) -> tuple[int, str | None]:
    """Deliver due rows until none is left, ``limit`` rows were claimed, or a delivery was ``ABORTED``.

    ``claim(n)`` claims (and commits) up to ``n`` rows; ``record`` runs on the calling thread, one row
    at a time, as each delivery ends; ``release`` gives back rows claimed but never started when the run
    stops. With one worker each row is delivered and recorded on the calling thread before the next
    starts, ``window`` rows claimed at a time (a delivery may then write to the database while it runs,
    even on SQLite); with more, ``deliver`` runs on ``workers`` threads and a new row is claimed as each
    ends. Returns the rows claimed and the message of the delivery that aborted the run (None when none
    did).
    """
    if workers == 1:
        return _in_turn(claim, deliver, record, release, window, limit)
    claimed = 0
    aborted: str | None = None
    running: dict[Future[Delivery[Answer]], Row] = {}
    with ThreadPoolExecutor(workers, thread_name_prefix=thread_name) as pool:
        while True:
            room = window - len(running)
            if limit is not None:
                room = min(room, limit - claimed)
            if room > 0 and aborted is None:
                batch = claim(room)
                for row in batch:
                    running[pool.submit(deliver, row)] = row
                claimed += len(batch)
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                row = running.pop(future)
                delivery = future.result()
                if delivery.outcome == Outcome.ABORTED and aborted is None:
                    aborted = delivery.message
                    unstarted = [future for future in running if future.cancel()]
                    release([running.pop(future) for future in unstarted])
                record(row, delivery)
    return claimed, aborted


def _in_turn(
    claim: Callable[[int], Sequence[Row]],
    deliver: Callable[[Row], Delivery[Answer]],
    record: Callable[[Row, Delivery[Answer]], None],
    release: Callable[[Sequence[Row]], None],
    window: int,
    limit: int | None,
) -> tuple[int, str | None]:
    """:func:`drain` with one worker: the calling thread delivers and records each row in turn."""
    claimed = 0
    while limit is None or claimed < limit:
        batch = claim(window if limit is None else min(window, limit - claimed))
        if not batch:
            break
        claimed += len(batch)
        for position, row in enumerate(batch):
            delivery = deliver(row)
            if delivery.outcome == Outcome.ABORTED:
                release(batch[position + 1 :])
                record(row, delivery)
                return claimed, delivery.message
            record(row, delivery)
    return claimed, None
