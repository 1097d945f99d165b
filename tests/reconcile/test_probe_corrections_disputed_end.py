"""Acceptance probe: an end event that rests on a disputed identity does not silently end a case (both
backends). I'DIS records a sanction that names Siti (her valid NIP and name) under the number of
Budi's recommendation: it joins Budi's case by that number while naming someone else, so its identity
is disputed (DESIGN.md, "Identity disputes hold"). Before the fix the sanction ended Budi's case as
``dijatuhi_hukuman``, which drops the hold, so nothing reached the stewards: Budi was unblocked on it
and Siti, who was sanctioned, stayed blocked with nobody told. Now Budi's case is held (still never
blocked) and says why; a steward moves the sanction to Siti's case, as the preview shows beforehand:
Siti is unblocked and Budi, who was never sanctioned, is blocked again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, CaseLink, Conflict, StagedRecord
from sbt_sync.settings import Settings
from sbt_sync.states.conflicts import ConflictKind
from sbt_sync.steward.cases import list_cases
from sbt_sync.steward.conflicts import ConflictFilter, InvalidDecision, list_conflicts
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import CorrectionRequest, correct_link, preview_correction
from schemas.nip import mask_nip
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    Spec,
    _reset,
    _snapshot,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def _case_of(database: Database, nip: str) -> Case:
    with database.session() as session:
        case = session.scalars(select(Case).where(Case.nip == nip)).one()
        session.expunge(case)
        return case


def test_a_sanction_naming_another_asn_under_a_cases_number_holds_it_instead_of_ending_it(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)  # Budi: register 1, recommendation 1
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)  # Siti: register 2, recommendation 2
    _write(database, 3, Spec("recommendation", "b", 1, 1), 1)
    run_at(database, project_settings, 0)
    assert blocked_nips(database, project_settings) == {NIP_A, NIP_B}  # both overdue

    _write(database, 4, Spec("sanction", "b", 0, 0), 1)  # Siti's sanction, Budi's recommendation number
    with database.session() as session:
        sanction = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "idis-4")).one()
        sanction.fields = {**sanction.fields, "sanction_date": "2025-01-10"}  # in force by AS_OF
        sanction_id = sanction.id
    run_at(database, project_settings, 1)

    budi = _case_of(database, NIP_A)
    assert budi.held, (budi.status, budi.hold_reason)
    assert budi.hold_reason is not None and "idis idis-4#0: names another ASN" in budi.hold_reason
    assert blocked_nips(database, project_settings) == {NIP_B}  # no block rests on the disputed sanction

    with database.session() as session:
        siti_recommendation = session.scalar(
            select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-3")
        )
    assert siti_recommendation is not None
    move = CorrectionRequest("move_record", sanction_id, siti_recommendation)
    shown = preview_correction(database, project_settings, move, as_of=AS_OF)
    assert {(c.nip, c.blocked_before, c.blocked_after) for c in shown.flag_changes} == {
        (mask_nip(NIP_A), False, True),
        (mask_nip(NIP_B), True, False),
    }
    correct_link(database, move, reason="the SK names Siti; I'DIS typed Budi's number", actor="ani")
    run_at(database, project_settings, 2)
    assert blocked_nips(database, project_settings) == {NIP_A}
    assert not _case_of(database, NIP_A).held and _case_of(database, NIP_B).status == "dijatuhi_hukuman"
    incremental = _snapshot(database)
    run_at(database, project_settings, 3, full=True)
    assert _snapshot(database) == incremental


def _siti_sanctioned_under_budis_number(database: Database) -> int:
    """Budi's and Siti's proven, overdue cases, and I'DIS's sanction of Siti (her NIP and name, in force
    by AS_OF) filed under Budi's recommendation number, all arriving together; the sanction's row."""
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    _write(database, 3, Spec("recommendation", "b", 1, 1), 1)
    _write(database, 4, Spec("sanction", "b", 0, 0), 1)
    with database.session() as session:
        sanction = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "idis-4")).one()
        sanction.fields = {**sanction.fields, "sanction_date": "2025-01-10"}
        return sanction.id


def test_a_sanction_whose_nip_and_name_name_another_asn_joins_by_number_and_holds_until_a_steward_moves_it(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    """The lead's answer to the design question (DESIGN.md, "Identity disputes hold ... including a
    record that joined the case by register or recommendation number while naming someone else"): the
    number links, not the NIP and name; Budi's case is held, never blocked on the sanction, and shows
    among the held cases with why; Siti stays blocked until a steward moves the sanction to her case.
    After the move Siti is unblocked and Budi's case is no longer held: Budi is blocked again by his
    own overdue, proven recommendation (the policy), nothing resting on the sanction."""
    database = migrated_database
    sanction_id = _siti_sanctioned_under_budis_number(database)
    run_at(database, project_settings, 0)

    budi = _case_of(database, NIP_A)
    assert budi.held and budi.hold_reason is not None
    assert "idis idis-4#0: names another ASN, not the case's ASN" in budi.hold_reason
    with database.session() as session:
        linked = session.scalar(select(CaseLink.case_id).where(CaseLink.staged_record_id == sanction_id))
    assert linked == budi.id  # joined by Budi's recommendation number
    assert blocked_nips(database, project_settings) == {NIP_B}  # Budi never blocked on a disputed record
    _, held = list_cases(database, held=True)
    assert [(c.nip, c.hold_reason) for c in held] == [(NIP_A, budi.hold_reason)]

    with database.session() as session:
        siti_recommendation = session.scalar(
            select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-3")
        )
    assert siti_recommendation is not None
    correct_link(
        database, CorrectionRequest("move_record", sanction_id, siti_recommendation),
        reason="the SK names Siti; I'DIS typed Budi's number", actor="ani",
    )  # fmt: skip
    run_at(database, project_settings, 1)
    assert NIP_B not in blocked_nips(database, project_settings)  # Siti's sanction now ends her case
    assert _case_of(database, NIP_B).status == "dijatuhi_hukuman"
    budi = _case_of(database, NIP_A)
    assert not budi.held and budi.status == "menunggu_tindak_lanjut_ppk"
    assert blocked_nips(database, project_settings) == {NIP_A}  # by his own overdue recommendation


def test_the_dispute_of_a_sanction_naming_another_asn_is_in_the_conflict_queue(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database = migrated_database
    sanction_id = _siti_sanctioned_under_budis_number(database)
    run_at(database, project_settings, 0)
    _, queue = list_conflicts(database, filters=ConflictFilter(status="open"), limit=50)
    with database.session() as session:
        about = {
            c.id: (c.staged_record_id, c.reopened_reason or "")
            for c in session.scalars(select(Conflict).where(Conflict.id.in_([q.id for q in queue])))
        }
    assert any(row == sanction_id or "another ASN" in why for row, why in about.values()), (
        "no open conflict in the queue is about the sanction that names Siti in Budi's case"
    )


def _named_other(database: Database, sanction_id: int) -> Conflict:
    """The ``named_other`` conflict about the sanction's row (there is exactly one)."""
    with database.session() as session:
        query = select(Conflict).where(
            Conflict.kind == ConflictKind.NAMED_OTHER, Conflict.staged_record_id == sanction_id
        )
        conflict = session.scalars(query).one()
        session.expunge(conflict)
        return conflict


def _siti_recommendation(database: Database) -> int:
    with database.session() as session:
        found = session.scalar(select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-3"))
    assert found is not None
    return found


def test_moving_the_record_to_the_case_of_the_asn_it_names_closes_its_conflict_by_itself(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    """Resolution (a): the queue shows the dispute (kind ``named_other``, on Budi's case, about the
    sanction's row, with the number it joined by, Budi's NIP and Siti's); the steward moves the sanction
    to Siti's case; the next run closes the conflict by itself, Siti is unblocked, Budi is blocked by
    his own overdue recommendation; a full rerun gives the same dataset."""
    database = migrated_database
    sanction_id = _siti_sanctioned_under_budis_number(database)
    run_at(database, project_settings, 0)
    budi = _case_of(database, NIP_A)
    conflict = _named_other(database, sanction_id)
    assert (conflict.status, conflict.case_id, conflict.critical) == ("open", budi.id, False)
    [candidate] = conflict.candidates
    assert candidate["staged_record_id"] == sanction_id and candidate["source"] == "idis"
    value = candidate["value"]
    assert (value["joined_by"], value["case_nip"], value["named_nip"]) == ("recommendation_no", NIP_A, NIP_B)
    assert value["number"] == budi.recommendation_no
    assert budi.held and blocked_nips(database, project_settings) == {NIP_B}

    move = CorrectionRequest("move_record", sanction_id, _siti_recommendation(database))
    correct_link(database, move, reason="the SK names Siti; I'DIS typed Budi's number", actor="ani")
    run_at(database, project_settings, 1)
    assert _named_other(database, sanction_id).status == "auto_closed"
    _, queue = list_conflicts(database, filters=ConflictFilter(status="open"), limit=50)
    assert queue == []
    assert blocked_nips(database, project_settings) == {NIP_A}
    assert not _case_of(database, NIP_A).held and _case_of(database, NIP_B).status == "dijatuhi_hukuman"
    incremental = _snapshot(database)
    run_at(database, project_settings, 2, full=True)
    assert _snapshot(database) == incremental


def test_keeping_the_record_in_the_case_lifts_the_hold_and_the_record_counts_for_the_case(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    """Resolution (b): the steward decides the sanction belongs to Budi's case (the NIP and name on it
    are I'DIS's mistake). The decision is sticky: the hold lifts, the sanction ends Budi's case
    (``dijatuhi_hukuman``, unblocked) while Siti stays blocked by her own overdue case; an incremental
    run equals a full rerun. When I'DIS names someone else on the record again (here: Budi's own NIP
    and name, its correction), the conflict is no longer raised and closes by itself."""
    database = migrated_database
    sanction_id = _siti_sanctioned_under_budis_number(database)
    run_at(database, project_settings, 0)
    conflict = _named_other(database, sanction_id)
    with pytest.raises(InvalidDecision, match="keep"):
        resolve_conflict(database, conflict.id, value=NIP_B, reason="wrong answer", actor="ani")
    resolve_conflict(
        database, conflict.id, value="keep", reason="the SK is Budi's; I'DIS mistyped", actor="ani"
    )
    run_at(database, project_settings, 1)
    assert _named_other(database, sanction_id).status == "resolved"
    budi = _case_of(database, NIP_A)
    assert not budi.held and budi.hold_reason is None and budi.status == "dijatuhi_hukuman"
    assert blocked_nips(database, project_settings) == {NIP_B}  # Budi sanctioned; Siti's own case
    incremental = _snapshot(database)
    run_at(database, project_settings, 2, full=True)
    assert _snapshot(database) == incremental
    run_at(database, project_settings, 3)
    assert _named_other(database, sanction_id).status == "resolved"  # sticky on every later run

    _write(database, 4, Spec("sanction", "a", 0, 0), 2)  # I'DIS corrects the NIP and name to Budi's
    with database.session() as session:
        sanction = session.get(StagedRecord, sanction_id)
        assert sanction is not None
        sanction.fields = {**sanction.fields, "sanction_date": "2025-01-10"}
    run_at(database, project_settings, 4)
    assert _named_other(database, sanction_id).status == "auto_closed"
    budi = _case_of(database, NIP_A)
    assert not budi.held and budi.status == "dijatuhi_hukuman"
    assert blocked_nips(database, project_settings) == {NIP_B}
    incremental = _snapshot(database)
    run_at(database, project_settings, 5, full=True)
    assert _snapshot(database) == incremental
