"""Reopening a decision waits for a link confirmation under way; the correction lands on what was read
(both backends).

Budi's finding and a recommendation carrying Budi's NIP under Siti's name: the recommendation's identity
conflict (name_mismatch) was decided for Budi, so Budi is blocked. Ani previews assigning Siti's own
finding to Budi. Budi, the steward, reopens the decision (``reopen_decision``: Budi's case is held
again) while Ani's confirmation is between its fingerprint check and its write. Had the reopening come
before Ani's check, her preview would have been refused: the reopening holds the case her correction
moves the finding into, a consequence she never read.

Before: ``reopen_decision`` took SQLite's write lock only; on PostgreSQL it locked the conflict's row,
which a confirmation does not lock, so the reopening committed in the middle, the audit log shows it
before the correction, and the correction was recorded on a state its check never saw. Now it takes
the product-writes lock first (as a decision, a confirmation and a reconciliation do): it waits for
the confirmation to commit, then lands after it. On SQLite every writer was already serialised.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from sbt_sync.db.engine import PRODUCT_WRITES_LOCK_KEY, Database
from sbt_sync.db.models import AuditEntry, Conflict, StagedRecord
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.link_confirm import confirm_correction
from sbt_sync.steward.links import CorrectionRequest, preview_correction, reopen_decision
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.reconcile.test_link_confirm_concurrent import Other, meanwhile_before_the_write

pytestmark = pytest.mark.integration


def _decided_for_budi(database: Database, settings: Settings) -> tuple[int, int]:
    """The world of the module docstring: (the decided conflict's id, Siti's finding's staged id)."""
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)  # Budi's finding
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)  # Budi's NIP, Siti's name
    _write(database, 2, Spec("finding", "b", 1, 1), 1)  # Siti's finding of another register
    run_at(database, settings, 0)
    with database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == "name_mismatch")).one()
        sitis = session.scalars(select(StagedRecord.id).where(StagedRecord.record_key.like("%-2"))).one()
    resolve_conflict(database, conflict.id, value=NIP_A, reason="the SK names Budi", actor="budi")
    run_at(database, settings, 1)
    assert blocked_nips(database, settings) == {NIP_A}
    return conflict.id, sitis


def test_a_reopening_during_a_link_confirmation_lands_after_it_not_under_its_check(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database, settings = migrated_database, project_settings
    conflict, sitis = _decided_for_budi(database, settings)
    move = CorrectionRequest("assign_person", sitis, target_nip=NIP_A)
    shown = preview_correction(database, settings, move, as_of=AS_OF)

    def budi_reopens(own: Database) -> int:
        return reopen_decision(own, conflict, reason="the SK was annulled", actor="budi")

    budi = Other(database.url, budi_reopens)
    with meanwhile_before_the_write(database, budi):
        correction, confirmed = confirm_correction(
            database, settings, move, shown=shown.digest, reason="the finding is Budi's", actor="ani",
            channel="web", as_of=AS_OF,
        )  # fmt: skip
    assert budi.error is None, budi.error
    assert confirmed.digest == shown.digest

    # The reopening came in after the correction, on the state the correction left, as the log says.
    with database.session() as session:
        order = [
            (a.action, a.object_id)
            for a in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.in_(("link.assign_person", "conflict.reopen")))
                .order_by(AuditEntry.id)
            )
        ]
    assert order == [("link.assign_person", str(correction)), ("conflict.reopen", str(conflict))]


def test_a_reopening_waits_while_another_holds_the_product_writes_lock(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    """The lock itself, on PostgreSQL: a reconciliation (or a confirmation) holding the product-writes
    lock keeps a reopening from writing until it commits."""
    database, settings = migrated_database, project_settings
    if database.dialect != "postgresql":
        pytest.skip("the product-writes lock is PostgreSQL's; SQLite's write lock serialises writers")
    conflict, _ = _decided_for_budi(database, settings)
    budi = Other(database.url, lambda own: reopen_decision(own, conflict, reason="again", actor="budi"))
    with database.engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PRODUCT_WRITES_LOCK_KEY})
        budi.reached(database)  # returns once the reopening waits for a lock (or has finished)
        assert not budi.done.is_set(), "the reopening wrote while another held the product-writes lock"
        with database.session() as session:
            assert session.get(Conflict, conflict).status == "resolved"  # type: ignore[union-attr]
        holder.rollback()
    budi.close()
    assert budi.error is None, budi.error
    with database.session() as session:
        assert session.get(Conflict, conflict).status == "open"  # type: ignore[union-attr]
