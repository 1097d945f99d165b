"""Enforcement running while a pusher drains the outbox (the daemon's cycle beside a ``push run``): on
SQLite enforcement waits its turn instead of failing 'database is locked' after its first read, and on
both backends what it decides holds against what the pusher did meanwhile: SIASN ends with the desired
flags, each change applied once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, Case
from sbt_sync.enforce import run_enforcement
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import pusher
from tests.push.helpers import UNGUARDED, assert_siasn_matches, meanwhile_before, queue_blocks

pytestmark = pytest.mark.integration

SANCTIONED = date(2025, 1, 21)


def test_enforcement_while_a_pusher_drains_waits_its_turn_and_siasn_follows(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1), nip(2)])  # two blocks waiting for the pusher
    with db.session() as session:  # reconciliation records a sanction on the first one's case
        case = session.scalars(select(Case).where(Case.nip == nip(1))).one()
        case.status, case.sanction_imposed, case.sanction_date = "dijatuhi_hukuman", "22", SANCTIONED
    other = Database(db.engine.url.render_as_string(hide_password=False))
    acked: list[int] = []

    def push() -> None:
        acked.append(pusher(other, siasn_sandbox).run().acked)

    try:
        # The pusher starts once enforcement has read the cases, before it writes anything.
        with meanwhile_before(db, "SELECT asn_registry", push), db.session() as session:
            report = run_enforcement(session, UNGUARDED, date(2025, 1, 22))
    finally:
        other.dispose()

    assert len(acked) == 1
    assert [c.action for c in report.changes] == ["buka"]
    pusher(db, siasn_sandbox).run()  # whatever the drain above left (an unblock queued behind it)
    with db.session() as session:
        desired = {s.nip: s.blocked for s in session.scalars(select(BlockState))}
    assert desired == {nip(1): False, nip(2): True}
    assert_siasn_matches(db, siasn_sandbox)
