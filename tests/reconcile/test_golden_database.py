"""The golden dataset in the database, end to end on a small sandbox at its ``as_of``: ingestion and
reconciliation through Dagster, then measured against the ground truth; incremental runs; integrity."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, CaseLink, Conflict, FieldProvenance, StagedRecord
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from sbt_sync.reconcile.integrity import integrity_violations
from sbt_sync.reconcile.quality import measure
from sbt_sync.reconcile.run import reconcile_database
from tests.ingest.conftest import SandboxProject

pytestmark = pytest.mark.integration


def _run_cycle(project: SandboxProject, database: Database) -> None:
    definitions = build_definitions(config_path=str(project.config_path), database_url=database.url)
    result = definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(raise_on_error=False)
    assert result.success, [str(e.event_specific_data) for e in result.get_step_failure_events()]
    checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["integrity"], "golden/cases integrity check failed"


def test_full_cycle_builds_a_golden_dataset_matching_the_ground_truth(
    as_of_project: SandboxProject, migrated_database: Database
) -> None:
    _run_cycle(as_of_project, migrated_database)
    quality = measure(migrated_database, as_of_project.data_dir / "truth")
    assert quality.identity_precision >= 0.99, quality
    assert quality.identity_recall >= 0.95, quality
    assert quality.case_accuracy >= 0.98, quality
    assert quality.conflicts_missed == 0, quality.missed
    assert quality.conflicts_beyond <= max(1, 0.05 * quality.conflicts_expected), quality.beyond_by_kind
    # Every case the truth holds (identity disputes included) is held, and no other.
    assert (quality.held_missed, quality.held_beyond) == ([], []), quality
    assert quality.identity_kind_wrong == [], quality.identity_kind_wrong
    assert integrity_violations(migrated_database) == dict.fromkeys(
        integrity_violations(migrated_database), 0
    )
    with migrated_database.session() as session:
        # every case anchored by an agency record carries provenance for its fields (a complaint
        # alone may name no golden field), and nothing is left flagged as changed
        assert session.scalar(select(func.count()).select_from(Case)) == quality.golden_cases
        anchored = select(Case.id).where(Case.case_key.not_like("-|complaint:%"))
        with_provenance = (
            select(FieldProvenance.case_id).where(FieldProvenance.case_id.in_(anchored)).distinct()
        )
        assert set(session.scalars(with_provenance)) == set(session.scalars(anchored))
        assert not session.scalar(select(func.count()).where(StagedRecord.needs_reconcile.is_(True)))


def test_second_run_recomputes_nothing_and_a_changed_record_recomputes_only_its_case(
    as_of_project: SandboxProject, migrated_database: Database
) -> None:
    _run_cycle(as_of_project, migrated_database)
    settings = as_of_project.settings()
    idle = reconcile_database(migrated_database, settings)
    assert (idle.staged_changed, idle.golden.cases_recomputed, idle.golden.cases_changed) == (0, 0, 0)

    with migrated_database.session() as session:
        # a kasn recommendation linked to a case whose ASN has no other case
        target = session.execute(
            select(StagedRecord.id, CaseLink.case_id, StagedRecord.resolved_nip)
            .join(CaseLink, CaseLink.staged_record_id == StagedRecord.id)
            .where(CaseLink.unlinked_at.is_(None), StagedRecord.source == "bkn_wasdal")
            .where(
                StagedRecord.resolved_nip.in_(select(Case.nip).group_by(Case.nip).having(func.count() == 1))
            )
            .order_by(StagedRecord.id)
            .limit(1)
        ).one()
        row = session.get(StagedRecord, target.id)
        assert row is not None
        row.fields = {**row.fields, "recommended_sanction": "99"}
        row.needs_reconcile = True
        before = session.get(Case, target.case_id)
        assert before is not None
        version = before.version
    stats = reconcile_database(migrated_database, settings)
    assert stats.staged_changed == 1
    assert stats.golden.cases_recomputed == 1
    assert stats.golden.cases_changed == 1
    with migrated_database.session() as session:
        case = session.get(Case, target.case_id)
        assert case is not None and case.version == version + 1
        assert case.golden["recommended_sanction"] == "99"
        provenance = session.scalars(
            select(FieldProvenance).where(
                FieldProvenance.case_id == case.id, FieldProvenance.field == "recommended_sanction"
            )
        ).one()
        assert provenance.staged_record_id == target.id and provenance.source == "bkn_wasdal"


def test_full_rerun_changes_nothing(as_of_project: SandboxProject, migrated_database: Database) -> None:
    _run_cycle(as_of_project, migrated_database)
    with migrated_database.session() as session:
        before = {(c.case_key, c.content_hash, c.version) for c in session.scalars(select(Case))}
        conflicts = {(c.conflict_key, c.status) for c in session.scalars(select(Conflict))}
    stats = reconcile_database(migrated_database, as_of_project.settings(), full=True)
    assert stats.golden.cases_changed == 0 and stats.golden.cases_created == 0
    with migrated_database.session() as session:
        assert {(c.case_key, c.content_hash, c.version) for c in session.scalars(select(Case))} == before
        assert {(c.conflict_key, c.status) for c in session.scalars(select(Conflict))} == conflicts
