"""The readback and a block in SIASN that is not ours (a Kanreg blocked the NIP itself, DOMAIN.md):
where our desired flag says not blocked, it is reported as blocked by someone else and never
unblocked by a correction; a block we placed whose unblock was lost is still corrected."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry, SiasnObservation
from sbt_sync.push import readback
from sbt_sync.push.readback import BLOCKED_BY_OTHER
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import pusher, siasn_client
from tests.push.helpers import outbox_rows, queue_blocks, toggle_sanctions

pytestmark = pytest.mark.integration

A = nip(1)
SANCTIONED = date(2025, 1, 22)
KANREG = {"alasan": "Kanreg memblokir atas temuannya sendiri"}


def _blocked(box: Sandbox) -> bool:
    assert box.ledger is not None
    return box.ledger.state(A).status == "DIBLOKIR"


def _kanreg_blocks(box: Sandbox) -> None:
    siasn_client(box).blokir(A, KANREG, "kanreg-own-block")


def _our_block_never_sent(db: Database, box: Sandbox) -> None:
    """Our block was overtaken by the PPK's sanction before any push: nothing of ours reached SIASN."""
    queue_blocks(db, [A])
    toggle_sanctions(db, [A], as_of=SANCTIONED)
    assert [(r.action, r.state) for r in outbox_rows(db)] == [("blokir", "superseded")]


def _we_blocked_and_unblocked(db: Database, box: Sandbox) -> None:
    """We blocked A and unblocked it after the sanction, both acknowledged."""
    queue_blocks(db, [A])
    assert pusher(db, box).run().acked == 1
    toggle_sanctions(db, [A], as_of=SANCTIONED)
    assert pusher(db, box).run().acked == 1


@pytest.mark.parametrize("history", [_our_block_never_sent, _we_blocked_and_unblocked])
def test_a_block_someone_else_placed_is_reported_and_never_unblocked_by_a_correction(
    migrated_database: Database, siasn_sandbox: Sandbox, history: object
) -> None:
    db = migrated_database
    history(db, siasn_sandbox)  # type: ignore[operator]
    rows_before = len(outbox_rows(db))
    _kanreg_blocks(siasn_sandbox)

    report = readback(db, siasn_client(siasn_sandbox), queue_drift=True)

    assert (report.drift, report.queued) == (1, 0)
    assert report.blocked_by_others == 1
    assert report.drift_sample and "blocked in SIASN by someone else" in report.drift_sample[0]
    assert A not in report.drift_sample[0]  # masked
    assert len(outbox_rows(db)) == rows_before  # no unblock queued
    assert pusher(db, siasn_sandbox).run().sent == 0
    assert _blocked(siasn_sandbox)  # the Kanreg's block stands
    with db.session() as session:
        seen = session.scalars(select(SiasnObservation).where(SiasnObservation.drift)).one()
        assert (seen.blocked, seen.desired_blocked) == (True, False)
        assert seen.response["kind"] == BLOCKED_BY_OTHER
    again = readback(db, siasn_client(siasn_sandbox), queue_drift=True)  # reported again, still not queued
    assert (again.blocked_by_others, again.queued) == (1, 0)


def test_our_own_block_whose_unblock_was_lost_is_still_corrected(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    queue_blocks(db, [A])
    assert pusher(db, siasn_sandbox).run().acked == 1
    toggle_sanctions(db, [A], as_of=SANCTIONED)
    with db.session() as session:  # the unblock is lost (withdrawn before it was sent)
        session.execute(update(OutboxEntry).where(OutboxEntry.action == "buka").values(state="superseded"))

    report = readback(db, siasn_client(siasn_sandbox), queue_drift=True)

    assert (report.drift, report.blocked_by_others, report.queued) == (1, 0, 1)
    assert pusher(db, siasn_sandbox).run().acked == 1
    assert not _blocked(siasn_sandbox)
