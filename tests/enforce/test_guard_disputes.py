"""No block ever rests on a disputed identity, even when golden/cases is stale (DESIGN.md, "Identity
disputes hold"): enforcement reads the open identity disputes itself and holds a case they touch,
whatever the case's stored ``held`` flag says (both backends, end to end to the SIASN simulator).

Budi's and Siti's proven, overdue cases are blocked in SIASN. Then, before any reconciliation
recomputes Budi's case:

- a steward reopens the "keep" they decided on a record naming another ASN that joined Budi's case
  by its number (``named_other``);
- an identity conflict opens on a record of Budi's case (its NIP names someone else).

Either way the enforcement run that follows holds Budi's case (the hold says why, in the clauses the
console words) and SIASN unblocks him; Siti stays blocked. A block row queued before the dispute
opened is caught by the pre-push safety query too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sbt_sync.console.holds import parse_hold
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, ControlAction, StagedRecord
from sbt_sync.enforce import conflicted_blocks, run_enforcement
from sbt_sync.enforce.load import load_cases
from sbt_sync.reconcile.conflict_lifecycle import open_conflict
from sbt_sync.reconcile.identity.store import identity_conflict_key
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import Settings
from sbt_sync.states.conflicts import ConflictKind, ConflictStatus
from sbt_sync.states.control import ControlAction as Action
from sbt_sync.steward.links import reopen_decision
from tests.push.conftest import pusher
from tests.push.helpers import UNGUARDED, assert_siasn_matches
from tests.reconcile.corrections_world import run_at
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    T0,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.reconcile.test_named_other_reopen import _budi, _keep, _named_other, _world
from tests.reconcile.test_probe_corrections_siasn import _cycle, _siasn_blocked, siasn  # noqa: F401

pytestmark = pytest.mark.integration


def _enforce_and_push(database: Database, box: Sandbox, minutes: int) -> None:
    """An enforcement run and a push, with no reconciliation before them (golden/cases as stored)."""
    with database.session() as session:
        run_enforcement(session, UNGUARDED, AS_OF, now=T0 + timedelta(minutes=minutes))
    pusher(database, box).run()
    assert_siasn_matches(database, box)


def _latest_hold(database: Database, case_id: int) -> str:
    with database.session() as session:
        query = (
            select(ControlAction.reason)
            .where(ControlAction.case_id == case_id, ControlAction.action == Action.HOLD)
            .order_by(ControlAction.id.desc())
        )
        return session.scalars(query).first() or ""


def _two_blocked_cases(database: Database) -> int:
    """Budi's and Siti's proven, overdue cases; the staged id of Budi's recommendation."""
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    _write(database, 3, Spec("recommendation", "b", 1, 1), 1)
    with database.session() as session:
        return session.scalars(select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-1")).one()


def _open_identity_conflict(database: Database, staged_id: int) -> int:
    """Open a ``name_mismatch`` conflict on ``staged_id`` as identity resolution does, and nothing more
    (the record's case is not recomputed); its id."""
    with database.session() as session:
        row = session.get(StagedRecord, staged_id)
        assert row is not None
        conflict = open_conflict(
            session,
            key=identity_conflict_key(row.source, row.record_key, row.item_no),
            kind=ConflictKind.NAME_MISMATCH,
            status=ConflictStatus.OPEN,
            now=T0,
            due_at=T0 + timedelta(days=3),
            staged_record_id=staged_id,
            field="nip",
            critical=True,
            priority=1,
            candidates=[{"nip": NIP_A, "score": 0.4, "source": "siasn"}],
            basis_hash="x" * 64,
            agency=row.source,
        )
        session.flush()
        return conflict.id


def test_a_reopened_keep_holds_the_case_before_reconciliation_and_siasn_unblocks(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,  # noqa: F811
) -> None:
    database = migrated_database
    sanction_id = _world(database)
    _cycle(database, project_settings, siasn, 0)
    conflict = _named_other(database, sanction_id)
    _keep(database, conflict.id)
    _cycle(database, project_settings, siasn, 1)
    assert _siasn_blocked(siasn) == {NIP_A, NIP_B} and not _budi(database).held

    reopen_decision(database, conflict.id, reason="salah baca SK", actor="ani")
    assert not _budi(database).held  # golden/cases is stale: no reconciliation ran since
    with database.session() as session:
        [budi] = [c for c in load_cases(session) if c.nip == NIP_A]
    # Said as the reconciliation says it (the console words it), by the record's keys: no NIP.
    other = "identity disputed: idis idis-4#0: names another ASN, not the case's ASN"
    assert budi.held and budi.hold_reason == other
    [part] = parse_hold(budi.hold_reason)
    assert (part.kind, part.record) == ("other_asn", "idis idis-4#0")
    _enforce_and_push(database, siasn, 2)
    assert _siasn_blocked(siasn) == {NIP_B}  # SIASN unblocks Budi: his case rests on a disputed record

    _cycle(database, project_settings, siasn, 3)  # the reconciliation agrees, nothing flips back
    assert _budi(database).held and _siasn_blocked(siasn) == {NIP_B}


def test_an_identity_conflict_opened_after_reconciliation_holds_the_case_and_siasn_unblocks(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,  # noqa: F811
) -> None:
    database = migrated_database
    recommendation = _two_blocked_cases(database)
    _cycle(database, project_settings, siasn, 0)
    assert _siasn_blocked(siasn) == {NIP_A, NIP_B}

    conflict_id = _open_identity_conflict(database, recommendation)
    with database.session() as session:
        [budi] = [c for c in load_cases(session) if c.nip == NIP_A]
    assert budi.held and budi.hold_reason is not None
    [part] = parse_hold(budi.hold_reason)  # said as the console words a reconciliation's hold
    assert (part.kind, part.conflict_id) == ("identity_conflict", conflict_id)
    assert part.conflict_kind == "name_mismatch"
    assert part.record == "bkn_wasdal bkn_wasdal-1#0"

    _enforce_and_push(database, siasn, 1)
    assert _siasn_blocked(siasn) == {NIP_B}
    assert f"identity conflict {conflict_id} (name_mismatch" in _latest_hold(database, budi.case_id)


def test_a_block_queued_before_an_identity_conflict_opened_is_caught_before_the_push(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database = migrated_database
    recommendation = _two_blocked_cases(database)
    run_at(database, project_settings, 0)
    with database.session() as session:
        run_enforcement(session, UNGUARDED, AS_OF, now=T0)
    _open_identity_conflict(database, recommendation)
    with database.session() as session:
        budi_key = session.scalars(select(Case.case_key).where(Case.nip == NIP_A)).one()
        caught = conflicted_blocks(session)
    assert [(nip, key) for _, nip, key in caught] == [(NIP_A, budi_key)]
