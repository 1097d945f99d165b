"""The outbox drain both the SIASN pusher and the mail notifier run (``sbt_sync.drain``), on an
in-memory queue: every row claimed is recorded or given back exactly once, a limit is a limit, and an
aborted run claims nothing more and gives back what it had not started."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbt_sync.drain import Delivery, Outcome, drain


@dataclass
class Queue:
    outcomes: dict[int, Outcome]
    due: list[int] = field(default_factory=list)
    claims: list[int] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)
    recorded: list[tuple[int, Outcome]] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    recorder_threads: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.due = sorted(self.outcomes)

    def claim(self, room: int) -> list[int]:
        assert room > 0
        batch, self.due = self.due[:room], self.due[room:]
        self.claims.append(len(batch))
        return batch

    def deliver(self, row: int) -> Delivery[str]:
        with self.lock:
            self.delivered.append(row)
        outcome = self.outcomes[row]
        return Delivery(
            outcome, 1, answer="ok" if outcome == Outcome.DONE else None, message=f"{outcome} {row}"
        )

    def record(self, row: int, delivery: Delivery[str]) -> None:
        self.recorder_threads.add(threading.current_thread().name)
        self.recorded.append((row, delivery.outcome))

    def release(self, rows: Sequence[int]) -> None:
        self.released.extend(rows)

    def run(self, workers: int, window: int, limit: int | None = None) -> tuple[int, str | None]:
        return drain(
            claim=self.claim,
            deliver=self.deliver,
            record=self.record,
            release=self.release,
            workers=workers,
            window=window,
            limit=limit,
        )


@pytest.mark.parametrize("workers", [1, 4])
def test_every_due_row_is_delivered_and_recorded_once_on_the_calling_thread(workers: int) -> None:
    queue = Queue(dict.fromkeys(range(25), Outcome.DONE) | {7: Outcome.PARKED, 9: Outcome.DEFERRED})
    claimed, aborted = queue.run(workers=workers, window=6)
    assert (claimed, aborted) == (25, None)
    assert sorted(row for row, _ in queue.recorded) == list(range(25))
    assert dict(queue.recorded)[7] == Outcome.PARKED and dict(queue.recorded)[9] == Outcome.DEFERRED
    assert queue.released == [] and queue.due == []
    assert queue.recorder_threads == {threading.current_thread().name}


@pytest.mark.parametrize("workers", [1, 3])
def test_a_limit_claims_no_more_than_it_says(workers: int) -> None:
    queue = Queue(dict.fromkeys(range(20), Outcome.DONE))
    claimed, _ = queue.run(workers=workers, window=4, limit=7)
    assert claimed == 7 == len(queue.recorded)
    assert queue.due == list(range(7, 20))


def test_one_worker_gives_back_the_rest_of_its_batch_when_a_delivery_aborts() -> None:
    queue = Queue(dict.fromkeys(range(10), Outcome.DONE) | {2: Outcome.ABORTED})
    claimed, aborted = queue.run(workers=1, window=4)
    assert (claimed, aborted) == (4, "aborted 2")
    assert queue.delivered == [0, 1, 2]
    assert queue.recorded == [(0, Outcome.DONE), (1, Outcome.DONE), (2, Outcome.ABORTED)]
    assert queue.released == [3]
    assert queue.claims == [4]  # nothing claimed after the abort


@settings(max_examples=60, deadline=None)
@given(
    outcomes=st.lists(st.sampled_from(list(Outcome)), max_size=30),
    workers=st.integers(1, 4),
    window=st.integers(1, 8),
    limit=st.none() | st.integers(1, 40),
)
def test_every_claimed_row_ends_recorded_or_given_back_exactly_once(
    outcomes: list[Outcome], workers: int, window: int, limit: int | None
) -> None:
    queue = Queue(dict(enumerate(outcomes)))
    claimed, aborted = queue.run(workers=workers, window=window, limit=limit)
    recorded = [row for row, _ in queue.recorded]
    assert sorted(recorded + queue.released) == sorted(set(recorded + queue.released))  # once each
    assert len(recorded) + len(queue.released) == claimed == sum(queue.claims)
    assert limit is None or claimed <= limit
    assert not set(queue.released) & set(queue.delivered)  # given back means never sent
    assert set(recorded) == set(queue.delivered)
    if aborted is None:
        assert Outcome.ABORTED not in {outcome for _, outcome in queue.recorded}
        assert queue.due == [] or (limit is not None and claimed == limit)
    else:
        first = next(row for row, outcome in queue.recorded if outcome == Outcome.ABORTED)
        assert aborted == f"aborted {first}"
