"""The cycle's readback costs what changed, against the SIASN simulator: it reads the NIPs whose flag or
push changed and those that differed, plus a rotating slice; a drift SIASN makes on its own is still
found within the sweep (plus one cycle), whatever the rotation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, OutboxEntry, SiasnObservation
from sbt_sync.push import readback
from sbt_sync.push.readback import ReadbackReport
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import BLOCKING_DAY
from tests.push.conftest import REGISTERED, pusher, siasn_client
from tests.push.helpers import queue_blocks, toggle_sanctions

NIPS = REGISTERED[10:16]
SWEEP = timedelta(hours=24)


def _age(database: Database, hours: float) -> None:
    """As if everything so far (flags, pushes, readbacks) had happened ``hours`` earlier."""
    shift = timedelta(hours=hours)
    with database.session() as session:
        for observation in session.scalars(select(SiasnObservation)):
            observation.observed_at -= shift
        for state in session.scalars(select(BlockState)):
            state.updated_at -= shift
        for row in session.scalars(select(OutboxEntry)):
            row.created_at -= shift
            row.next_attempt_at -= shift
            row.acked_at = row.acked_at - shift if row.acked_at else None


def _read(database: Database, box: Sandbox, run_id: str) -> tuple[ReadbackReport, set[str]]:
    client = siasn_client(box)
    try:
        report = readback(database, client, sweep=SWEEP, run_id=run_id)
    finally:
        client.close()
    with database.session() as session:
        read = set(session.scalars(select(SiasnObservation.nip).where(SiasnObservation.run_id == run_id)))
    return report, read


def test_a_cycle_reads_what_changed_and_a_rotating_slice(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, NIPS)
    assert pusher(migrated_database, siasn_sandbox).run().acked == len(NIPS)

    first, read = _read(migrated_database, siasn_sandbox, "first")  # newly blocked, never read: all
    assert (first.total, first.changed, first.rotating, first.in_sync) == (6, 6, 0, 6)
    assert read == set(NIPS)

    again, read = _read(migrated_database, siasn_sandbox, "again")  # nothing changed, no time passed
    assert (again.changed, again.checked) == (0, len(read)) and len(read) <= 1

    _age(migrated_database, 11.9)  # about half the sweep: half of the NIPs, the longest unread first
    half, read = _read(migrated_database, siasn_sandbox, "half")
    assert (half.changed, half.rotating, half.in_sync) == (0, 3, 3)
    with migrated_database.session() as session:
        reread = set(session.scalars(select(SiasnObservation.nip).where(SiasnObservation.run_id == "again")))
    assert not read & reread

    _age(migrated_database, 1)
    toggle_sanctions(migrated_database, [NIPS[0]], as_of=BLOCKING_DAY)  # unblock: flag and push change
    assert pusher(migrated_database, siasn_sandbox).run().acked == 1
    changed, read = _read(migrated_database, siasn_sandbox, "changed")
    assert changed.changed == 1 and NIPS[0] in read and changed.in_sync == changed.checked
    assert changed.checked < len(NIPS)


def test_a_drift_made_in_siasn_is_found_within_the_sweep_and_read_until_it_is_gone(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, NIPS)
    assert pusher(migrated_database, siasn_sandbox).run().acked == len(NIPS)
    _read(migrated_database, siasn_sandbox, "first")
    client = siasn_client(siasn_sandbox)
    client.buka(NIPS[2], {"alasan": "someone else unblocked"}, "outside-change")  # nothing of ours changed
    client.close()

    cycle_hours = 6
    found_after = None
    for cycle in range(1, 6):  # a readback every 6 hours
        _age(migrated_database, cycle_hours)
        report, read = _read(migrated_database, siasn_sandbox, f"cycle-{cycle}")
        assert report.changed == 0 and report.checked < len(NIPS)
        if report.drift:
            found_after = cycle * cycle_hours
            break
    assert found_after is not None and found_after <= SWEEP / timedelta(hours=1) + cycle_hours

    # A drift is read every cycle until it is gone (the no_drift check stays red meanwhile).
    report, read = _read(migrated_database, siasn_sandbox, "next")
    assert report.drift == 1 and report.changed == 1 and NIPS[2] in read
