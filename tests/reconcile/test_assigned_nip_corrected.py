"""A steward's ``assign_person`` correction whose NIP SIASN then corrects (same SIASN id, new
``nipBaru``), end to end in the database (both backends): the correction is reopened with the reason,
the record names nobody and holds its case until a steward decides, and the machine's link (the ASN
the steward exonerated) never comes back silently; incremental runs equal a full rerun."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case, CaseLink, Conflict, LinkCorrection, StagedRecord
from sbt_sync.enforce.load import load_cases
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.ingest.registry import lookup_registry
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import CorrectionRequest, correct_link
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    T0,
    Spec,
    _reset,
    _snapshot,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

NIP_B2 = "199002022015022009"
"""Siti's NIP as SIASN corrects it (the same SIASN id)."""


def _run(database: Database, settings: Settings, minutes: int, *, full: bool = False) -> None:
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=minutes), full=full)


def _blocked(database: Database, settings: Settings) -> set[str]:
    with database.session() as session:
        plan = plan_enforcement(load_cases(session), settings.enforcement, AS_OF)
    return {nip for nip, decision in plan.blocks.items() if decision.blocked}


def _correct_siti_nip(database: Database) -> None:
    """SIASN's per-NIP lookup returns Siti under her corrected NIP, with her SIASN id unchanged."""
    with database.session() as session:
        siasn_id = session.scalar(select(AsnRegistryEntry.siasn_id).where(AsnRegistryEntry.nip == NIP_B))
    item = registry_item(NIP_B2, "SITI AMINAH", back="S.Pd.") | {"id": siasn_id}
    result = lookup_registry(database, lambda nip: item if nip == NIP_B2 else None, [NIP_B2])
    assert result.nip_corrected == 1


def _case_of(database: Database, staged_id: int) -> Case:
    with database.session() as session:
        case = session.scalars(
            select(Case)
            .join(CaseLink, CaseLink.case_id == Case.id)
            .where(CaseLink.staged_record_id == staged_id, CaseLink.unlinked_at.is_(None))
        ).one()
        session.expunge(case)
    return case


@pytest.fixture
def assigned_to_siti(migrated_database: Database, project_settings: Settings) -> tuple[int, int]:  # noqa: F811
    """Budi (NIP A) wrote on a finding and a proven recommendation of register 0, Siti (NIP B) on a
    finding of register 1; a steward assigned the recommendation to Siti (the SK names her), which
    unblocks Budi and blocks Siti. Returns (the recommendation's staged id, the correction's id)."""
    _reset(migrated_database)
    _write(migrated_database, 0, Spec("finding", "a", 0, 0), 1)
    _write(migrated_database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(migrated_database, 2, Spec("finding", "b", 1, 1), 1)
    _run(migrated_database, project_settings, 0)
    assert _blocked(migrated_database, project_settings) == {NIP_A}
    with migrated_database.session() as session:
        query = select(StagedRecord.id).where(StagedRecord.source == "bkn_wasdal")
        recommendation = session.scalars(query).one()
    request = CorrectionRequest("assign_person", recommendation, target_nip=NIP_B)
    correction = correct_link(migrated_database, request, reason="SK names Siti", actor="ani", now=T0)
    _run(migrated_database, project_settings, 1)
    assert _blocked(migrated_database, project_settings) == {NIP_B}
    return recommendation, correction


def test_siasn_correcting_the_assigned_nip_reopens_the_correction_and_holds_instead_of_reblocking(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    assigned_to_siti: tuple[int, int],
) -> None:
    recommendation, correction = assigned_to_siti
    _correct_siti_nip(migrated_database)

    for minute in (2, 3):  # the run after the correction, and the one after it: still held
        _run(migrated_database, project_settings, minute)
        assert NIP_A not in _blocked(migrated_database, project_settings)  # Budi stays exonerated
        with migrated_database.session() as session:
            row = session.get(LinkCorrection, correction)
            assert row is not None and row.status == "reopened"
            assert "no longer in the SIASN registry" in str(row.reopened_reason)
            assert NIP_B not in str(row.reopened_reason)  # masked
            staged = session.get(StagedRecord, recommendation)
            assert staged is not None and staged.resolved_nip is None
            query = select(Conflict).where(Conflict.staged_record_id == recommendation)
            conflict = session.scalars(query).one()
            assert conflict.status == "open" and "link correction" in str(conflict.reopened_reason)
            assert NIP_A in {c["nip"] for c in conflict.candidates or []}  # offered, not linked
        case = _case_of(migrated_database, recommendation)
        assert case.held and f"identity conflict {conflict.id}" in str(case.hold_reason)
    incremental = _snapshot(migrated_database)
    _run(migrated_database, project_settings, 4, full=True)
    assert _snapshot(migrated_database) == incremental
    assert NIP_A not in _blocked(migrated_database, project_settings)


def test_a_steward_deciding_the_held_record_after_the_reopening_is_applied(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    assigned_to_siti: tuple[int, int],
) -> None:
    recommendation, correction = assigned_to_siti
    _correct_siti_nip(migrated_database)
    _run(migrated_database, project_settings, 2)
    with migrated_database.session() as session:
        conflict_id = session.scalars(
            select(Conflict.id).where(Conflict.staged_record_id == recommendation)
        ).one()
    resolve_conflict(migrated_database, conflict_id, value=NIP_B2, reason="Siti, NIP corrected", actor="ani")
    _run(migrated_database, project_settings, 3)
    with migrated_database.session() as session:
        staged = session.get(StagedRecord, recommendation)
        assert staged is not None and (staged.resolved_nip, staged.identity_rule) == (NIP_B2, "steward")
        row = session.get(LinkCorrection, correction)
        assert row is not None and row.status == "reopened"  # append-only: the decision supersedes it
    assert _blocked(migrated_database, project_settings) == {NIP_B2}
    incremental = _snapshot(migrated_database)
    _run(migrated_database, project_settings, 4, full=True)
    assert _snapshot(migrated_database) == incremental
