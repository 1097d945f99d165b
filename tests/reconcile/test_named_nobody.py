"""The "nobody" twin of a record naming another ASN (both backends).

I'DIS files a sanction naming Joko (a well-formed NIP nobody holds) under the number of Budi's proven,
overdue recommendation: it joins Budi's case by that number, its identity is disputed, Budi's case is
held. A steward then records that the sanction names no ASN: by a decision on its identity conflict
(``none``) or by a link correction assigning it nobody. Before the fix the record still held Budi's case
("names nobody in the registry") while no open conflict was left in the queue: the case could never be
blocked and no steward could see why. Now the record's place in the case is a ``named_other`` conflict
(the ASN it names: nobody): the case stays held (no block rests on a record about someone else) and the
steward keeps the record in the case (its sanction then ends Budi's case) or splits it out (Budi is
blocked by his own overdue recommendation).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, CaseLink, Conflict, StagedRecord
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.settings import Settings
from sbt_sync.states.conflicts import ConflictKind
from sbt_sync.steward.conflicts import ConflictFilter, list_conflicts
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import CorrectionRequest, correct_link
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    NIP_A,
    Spec,
    _blocked_only_on_undisputed_identities,
    _reset,
    _snapshot,
    _write,
    project_settings,  # noqa: F401  (a fixture)
    specs,
)

pytestmark = pytest.mark.integration


def every_held_case_shows_an_open_conflict(database: Database) -> None:
    """The invariant: a case held for an identity dispute has, for each record its hold names, an open
    conflict a steward can act on (the record's identity conflict, or a conflict on the case about
    the record); a case held for a critical conflict has it open."""
    with database.session() as session:
        for case in session.scalars(select(Case).where(Case.held.is_(True))):
            linked = {
                staged_id: f"{source} {key}#{item}"
                for staged_id, source, key, item in session.execute(
                    select(
                        StagedRecord.id, StagedRecord.source, StagedRecord.record_key, StagedRecord.item_no
                    )
                    .join(CaseLink, CaseLink.staged_record_id == StagedRecord.id)
                    .where(CaseLink.case_id == case.id, CaseLink.unlinked_at.is_(None))
                ).tuples()
            }
            open_about: set[int] = set()
            case_open = False
            for conflict in session.scalars(select(Conflict).where(Conflict.status == "open")):
                if conflict.kind in IDENTITY_CONFLICT_KINDS and conflict.staged_record_id in linked:
                    open_about.add(conflict.staged_record_id)
                elif conflict.case_id == case.id:
                    case_open = True
                    if conflict.staged_record_id is not None:
                        open_about.add(conflict.staged_record_id)
            reason = case.hold_reason or ""
            named = {i for i, label in linked.items() if f"identity disputed: {label}:" in reason}
            assert named <= open_about, (case.case_key, reason, named - open_about)
            assert named or case_open or "open " in reason, (case.case_key, reason)


def _budi_and_a_sanction_naming_nobody(database: Database) -> int:
    """Budi's proven, overdue case, and a sanction naming Joko (nobody in the registry) filed under
    Budi's recommendation number, in force by AS_OF; the sanction's row."""
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 4, Spec("sanction", "unknown", 0, 0), 1)
    with database.session() as session:
        sanction = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "idis-4")).one()
        sanction.fields = {**sanction.fields, "sanction_date": "2025-01-10"}
        return sanction.id


def _budi(database: Database) -> Case:
    with database.session() as session:
        case = session.scalars(select(Case).where(Case.nip == NIP_A)).one()
        session.expunge(case)
        return case


def _conflicts_about(database: Database, staged_id: int, kind: str) -> list[Conflict]:
    with database.session() as session:
        query = select(Conflict).where(Conflict.staged_record_id == staged_id, Conflict.kind == kind)
        found = list(session.scalars(query))
        for conflict in found:
            session.expunge(conflict)
        return found


def _queue_about(database: Database, staged_id: int) -> list[tuple[str, int | None]]:
    """(kind, case id) of every open conflict in the stewards' queue about record ``staged_id``."""
    _, queue = list_conflicts(database, filters=ConflictFilter(status="open"), limit=50)
    with database.session() as session:
        rows = session.scalars(select(Conflict).where(Conflict.id.in_([q.id for q in queue])))
        return [(c.kind, c.case_id) for c in rows if c.staged_record_id == staged_id]


def _named_nobody_is_in_the_queue(database: Database, sanction_id: int) -> Conflict:
    budi = _budi(database)
    assert budi.held and budi.hold_reason is not None
    assert "idis idis-4#0: names nobody in the registry" in budi.hold_reason
    assert _queue_about(database, sanction_id) == [(ConflictKind.NAMED_OTHER, budi.id)], (
        "the record holding Budi's case has no open conflict in the stewards' queue"
    )
    [conflict] = _conflicts_about(database, sanction_id, ConflictKind.NAMED_OTHER)
    [candidate] = conflict.candidates
    value: dict[str, Any] = candidate["value"]
    assert (value["joined_by"], value["case_nip"], value["named_nip"]) == ("recommendation_no", NIP_A, None)
    every_held_case_shows_an_open_conflict(database)
    return conflict


def test_a_record_a_steward_says_names_no_asn_keeps_its_case_held_with_a_conflict_to_act_on(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    """Decided "not an ASN" on its identity conflict: the hold stays, and now shows in the queue; the
    steward keeps the record in Budi's case (the name on it is I'DIS's mistake): its sanction ends the
    case, the hold lifts; an incremental run equals a full rerun."""
    database = migrated_database
    sanction_id = _budi_and_a_sanction_naming_nobody(database)
    run_at(database, project_settings, 0)
    [identity] = _conflicts_about(database, sanction_id, ConflictKind.UNRESOLVED)
    assert identity.status == "open" and _budi(database).held
    assert blocked_nips(database, project_settings) == set()
    every_held_case_shows_an_open_conflict(database)

    resolve_conflict(database, identity.id, value="none", reason="Joko is a contract worker", actor="ani")
    run_at(database, project_settings, 1)
    conflict = _named_nobody_is_in_the_queue(database, sanction_id)
    assert blocked_nips(database, project_settings) == set()  # no block while the record is in dispute

    resolve_conflict(
        database, conflict.id, value="keep", reason="the SK is Budi's; I'DIS wrote Joko", actor="ani"
    )
    run_at(database, project_settings, 2)
    budi = _budi(database)
    assert not budi.held and budi.status == "dijatuhi_hukuman"
    assert blocked_nips(database, project_settings) == set()
    incremental = _snapshot(database)
    run_at(database, project_settings, 3, full=True)
    assert _snapshot(database) == incremental


def test_a_record_assigned_nobody_by_a_link_correction_shows_in_the_queue_and_a_split_releases_the_case(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    """Assigned nobody by a link correction: the same conflict shows; the steward splits the record
    out of Budi's case: the conflict closes by itself and Budi is blocked by his own overdue
    recommendation, nothing resting on the sanction."""
    database = migrated_database
    sanction_id = _budi_and_a_sanction_naming_nobody(database)
    run_at(database, project_settings, 0)
    assign = CorrectionRequest("assign_person", sanction_id, target_nip=None)
    correct_link(database, assign, reason="Joko is no ASN", actor="ani")
    run_at(database, project_settings, 1)
    conflict = _named_nobody_is_in_the_queue(database, sanction_id)
    assert blocked_nips(database, project_settings) == set()

    correct_link(database, CorrectionRequest("split", sanction_id), reason="not Budi's sanction", actor="ani")
    run_at(database, project_settings, 2)
    [closed] = _conflicts_about(database, sanction_id, ConflictKind.NAMED_OTHER)
    assert (closed.id, closed.status) == (conflict.id, "auto_closed")
    budi = _budi(database)
    assert not budi.held and budi.status == "menunggu_tindak_lanjut_ppk"
    assert blocked_nips(database, project_settings) == {NIP_A}
    every_held_case_shows_an_open_conflict(database)
    incremental = _snapshot(database)
    run_at(database, project_settings, 3, full=True)
    assert _snapshot(database) == incremental


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(initial=st.lists(specs(), min_size=1, max_size=6), nobody=st.lists(st.booleans(), max_size=8))
def test_every_held_case_shows_a_conflict_a_steward_can_act_on_whatever_they_decided(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    initial: list[Spec],
    nobody: list[bool],
) -> None:
    """Any mix of records; stewards then say "not an ASN" for some of the records whose identity is
    open (the others stay open): every held case still has an open conflict for each record its hold
    names, no block rests on a disputed identity, and an incremental run equals a full rerun."""
    database = migrated_database
    _reset(database)
    for index, spec in enumerate(initial):
        _write(database, index, spec, 1)
    run_at(database, project_settings, 0)
    every_held_case_shows_an_open_conflict(database)
    with database.session() as session:
        query = (
            select(Conflict.id)
            .where(Conflict.status == "open", Conflict.kind.in_(IDENTITY_CONFLICT_KINDS))
            .order_by(Conflict.id)
        )
        open_ids = list(session.scalars(query))
    for conflict_id, decide in zip(open_ids, nobody, strict=False):
        if decide:
            resolve_conflict(database, conflict_id, value="none", reason="no ASN", actor="ani")
    run_at(database, project_settings, 1)
    every_held_case_shows_an_open_conflict(database)
    _blocked_only_on_undisputed_identities(database, project_settings)
    incremental = _snapshot(database)
    run_at(database, project_settings, 2, full=True)
    assert _snapshot(database) == incremental
