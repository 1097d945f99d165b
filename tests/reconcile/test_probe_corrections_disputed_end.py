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
from sbt_sync.db.models import Case, StagedRecord
from sbt_sync.settings import Settings
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


@pytest.mark.xfail(
    strict=True,
    reason=(
        "Design question for the lead: an I'DIS sanction whose valid NIP and name both name Siti, filed "
        "under the number of Budi's recommendation, joins Budi's case by that number (held since the "
        "fix, so a steward sees it); Siti, whom the SK names and who has a proven case of her own, stays "
        "blocked until a steward moves it, and Budi's case reads dijatuhi_hukuman meanwhile. Should a "
        "sanction's NIP and name win over its number when they name an ASN with a case of her own, so "
        "that her unblock does not wait for a steward? DESIGN.md says numbers link and disputes hold, "
        "and is silent on which key wins."
    ),
)
def test_design_question_a_sanction_whose_nip_and_name_name_another_asn_unblocks_her(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    _write(database, 3, Spec("recommendation", "b", 1, 1), 1)
    _write(database, 4, Spec("sanction", "b", 0, 0), 1)
    with database.session() as session:
        sanction = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "idis-4")).one()
        sanction.fields = {**sanction.fields, "sanction_date": "2025-01-10"}
    run_at(database, project_settings, 0)
    assert NIP_B not in blocked_nips(database, project_settings)
