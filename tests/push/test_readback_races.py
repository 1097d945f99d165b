"""The readback beside the other actors on the outbox: a push that lands while the readback reads is
not drift, so ``--queue-drift`` never queues a second block under a new key."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from connectors.siasn import BlockStatus, SiasnClient
from sbt_sync.db.engine import Database
from sbt_sync.db.models import SiasnObservation
from sbt_sync.push import ReadbackReport, readback
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import ledger, pusher, siasn_client
from tests.push.helpers import assert_siasn_matches, meanwhile_before, outbox_rows, queue_blocks

pytestmark = pytest.mark.integration

NIPS = [nip(i) for i in range(1, 4)]


class ThenMeanwhile:
    """The real SIASN client; after the first read's answer arrives (and before the readback records
    it), ``meanwhile`` runs: another actor's work falls between a read and its record."""

    def __init__(self, client: SiasnClient, meanwhile: Callable[[], None]) -> None:
        self._client = client
        self._meanwhile: Callable[[], None] | None = meanwhile
        self._lock = threading.Lock()

    def status(self, number: str) -> BlockStatus | None:
        answer = self._client.status(number)
        with self._lock:
            run, self._meanwhile = self._meanwhile, None
        if run is not None:
            run()
        return answer

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)


def test_a_push_landing_during_the_reads_is_pending_not_drift_and_queues_nothing(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, NIPS)  # blocks written, not yet pushed: SIASN holds none of them

    def push_now() -> None:  # the daemon's push (or a steward's `push run`) delivers them meanwhile
        assert pusher(migrated_database, siasn_sandbox).run().acked == len(NIPS)

    client = ThenMeanwhile(siasn_client(siasn_sandbox), push_now)
    report = readback(migrated_database, client, concurrency=1, queue_drift=True)  # type: ignore[arg-type]

    # The NIP read before the push landed saw no block: that is the push on its way, not drift.
    assert (report.checked, report.drift, report.queued) == (len(NIPS), 0, 0)
    assert report.pending == 1 and report.in_sync == len(NIPS) - 1
    with migrated_database.session() as session:
        assert not any(session.scalars(select(SiasnObservation.drift)))
    assert [(r.action, r.state) for r in outbox_rows(migrated_database)] == [("blokir", "acked")] * len(NIPS)
    assert pusher(migrated_database, siasn_sandbox).run().sent == 0
    assert_siasn_matches(migrated_database, siasn_sandbox)


def test_a_push_recording_while_the_readback_records_fails_neither(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    """The readback's record reads the desired flags and then writes observations; the daemon's push
    (or a steward's `push run`) claims and records rows in between. On SQLite the readback's write must
    wait its turn instead of failing 'database is locked' (losing the whole readback)."""
    queue_blocks(migrated_database, NIPS[:2])
    assert pusher(migrated_database, siasn_sandbox).run().acked == 2
    queue_blocks(migrated_database, NIPS[2:])  # one more block, pushed while the readback records
    other = Database(migrated_database.engine.url.render_as_string(hide_password=False))
    pushes: list[int] = []

    def push() -> None:
        pushes.append(pusher(other, siasn_sandbox).run().acked)

    try:
        with meanwhile_before(migrated_database, "INSERT INTO siasn_observations", push):
            report = readback(migrated_database, siasn_client(siasn_sandbox), nips=NIPS)
    finally:
        other.dispose()

    assert (report.checked, report.drift) == (len(NIPS), 0)
    assert pushes == [1]
    assert_siasn_matches(migrated_database, siasn_sandbox)


def test_two_readbacks_that_see_one_drift_queue_one_correction(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    """The daemon's readback and a steward's `push readback --queue-drift` both read a NIP someone
    else unblocked in SIASN; the second records while the first is recording. One correction is queued
    between them (the other sees it on its way), never two blocks under two keys."""
    queue_blocks(migrated_database, NIPS[:1])
    assert pusher(migrated_database, siasn_sandbox).run().acked == 1
    siasn_client(siasn_sandbox).buka(NIPS[0], {"alasan": "someone else unblocked"}, "outside-change")
    other = Database(migrated_database.engine.url.render_as_string(hide_password=False))
    reports: list[ReadbackReport] = []

    def second() -> None:
        reports.append(readback(other, siasn_client(siasn_sandbox), queue_drift=True))

    try:
        with meanwhile_before(migrated_database, "INSERT INTO siasn_observations", second):
            reports.append(readback(migrated_database, siasn_client(siasn_sandbox), queue_drift=True))
    finally:
        other.dispose()

    assert sum(r.queued for r in reports) == 1
    assert sorted((r.drift, r.pending) for r in reports) == [(0, 1), (1, 0)]
    assert pusher(migrated_database, siasn_sandbox).run().acked == 1
    assert [(r.action, r.state) for r in outbox_rows(migrated_database)] == [("blokir", "acked")] * 2
    assert ledger(siasn_sandbox)["applied_per_nip"][NIPS[0]] == {"blokir": 2, "buka": 1}
