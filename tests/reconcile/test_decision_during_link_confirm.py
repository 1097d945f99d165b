"""A conflict decision waits for a link confirmation under way; the correction lands on what was read
(both backends).

Budi's finding and a recommendation carrying Budi's NIP under Siti's name: the recommendation's
identity conflict (name_mismatch) is open, so Budi's case is held and nobody is blocked. Ani previews
assigning the recommendation to Siti: Siti would be blocked, Budi's flag unchanged (held, then without
it). Budi, the steward, decides the conflict for Budi (the NIP is right) while Ani's confirmation is
between its check and its write. Had the decision come before Ani's check, her preview would have been
refused: with the decision, Budi is blocked before the correction and unblocked by it, a consequence
she never read.

Before: ``resolve_conflict`` took no lock a confirmation holds (on PostgreSQL only the conflict's row,
which the confirmation does not lock), so the decision committed in the middle, the audit log shows
it before the correction, and the correction was recorded on a state with a decision its check never
saw. Now the decision's write transaction takes the product-writes lock first (as a confirmation and
a reconciliation do): it waits for the confirmation to commit, then lands after it. On SQLite every
writer was already serialised by the database's write lock.

No sleep orders them: the decision starts when Ani's confirmation is about to write, and the
confirmation goes on once the decision has finished or waits for a lock (``pg_locks``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, Conflict, StewardDecision
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.link_confirm import confirm_correction
from sbt_sync.steward.links import CorrectionRequest, preview_correction
from schemas.nip import mask_nip
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.reconcile.test_link_confirm_concurrent import Other, meanwhile_before_the_write

pytestmark = pytest.mark.integration


def test_a_decision_during_a_link_confirmation_lands_after_it_not_under_its_check(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database, settings = migrated_database, project_settings
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)  # Budi's finding
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)  # Budi's NIP, Siti's name
    _write(database, 2, Spec("finding", "b", 1, 1), 1)  # Siti's finding of another register
    run_at(database, settings, 0)
    assert blocked_nips(database, settings) == set()  # Budi's case is held on the open conflict
    with database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == "name_mismatch")).one()
    recommendation = conflict.staged_record_id
    assert recommendation is not None

    assign = CorrectionRequest("assign_person", recommendation, target_nip=NIP_B)
    shown = preview_correction(database, settings, assign, as_of=AS_OF)
    assert [(c.nip, c.blocked_before, c.blocked_after) for c in shown.flag_changes] == [
        (mask_nip(NIP_B), False, True)
    ]

    def budi_decides(own: Database) -> int:
        return resolve_conflict(
            own, conflict.id, value=NIP_A, reason="the NIP is right; the SK names Budi", actor="budi"
        )

    budi = Other(database.url, budi_decides)
    with meanwhile_before_the_write(database, budi):
        correction, confirmed = confirm_correction(
            database, settings, assign, shown=shown.digest, reason="the SK PPK names Siti", actor="ani",
            channel="web", as_of=AS_OF,
        )  # fmt: skip
    assert budi.error is None, budi.error
    assert confirmed.digest == shown.digest

    # The decision came in after the correction, on the state the correction left, as the log says.
    with database.session() as session:
        order = [
            (a.action, a.object_id)
            for a in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.in_(("link.assign_person", "conflict.resolve")))
                .order_by(AuditEntry.id)
            )
        ]
        decision = session.scalars(select(StewardDecision)).one()
    assert order == [("link.assign_person", str(correction)), ("conflict.resolve", str(conflict.id))]
    assert decision.id == budi.result
