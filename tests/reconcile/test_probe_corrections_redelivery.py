"""Acceptance probe: a steward's link correction survives its record being withdrawn by the source and
re-delivered unchanged (both backends): a Kemendagri file re-delivered under the same name without a
row, then with it again; a register that drops an ASN for one version. While the record is gone there
is nothing to move, split or merge; once it is back as it was, the steward's decision applies again
instead of the machine's link it overruled."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, CaseLink, StagedRecord
from sbt_sync.settings import Settings
from sbt_sync.steward.links import CorrectionKind, CorrectionRequest, correct_link, list_corrections
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    NIP_A,
    Spec,
    _reset,
    _snapshot,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def _cases(database: Database) -> list[list[int]]:
    with database.session() as session:
        rows = session.execute(
            select(Case.id, CaseLink.staged_record_id)
            .join(CaseLink, CaseLink.case_id == Case.id)
            .where(CaseLink.unlinked_at.is_(None))
        ).all()
    found: dict[int, list[int]] = {}
    for case_id, staged_id in rows:
        found.setdefault(case_id, []).append(staged_id)
    return sorted(sorted(members) for members in found.values())


def _set_withdrawn(database: Database, staged_id: int, withdrawn: bool) -> None:
    """The source's next version drops the record (or carries it again, its content unchanged): what
    staging writes (``sbt_sync.ingest.staging``)."""
    with database.session() as session:
        row = session.get(StagedRecord, staged_id)
        assert row is not None
        row.withdrawn, row.needs_reconcile = withdrawn, True


@pytest.mark.parametrize(
    ("kind", "moved", "target", "blocked_after"),
    [
        # The steward splits the proven recommendation out of the finding's case (another incident):
        # A stays blocked through the recommendation's own case.
        ("split", 1, None, {NIP_A}),
        # The steward merges B's finding into A's case (one incident): the merged case names two ASN,
        # so it is held and A is no longer blocked.
        ("merge", 2, 0, set()),
    ],
)
def test_a_link_correction_applies_again_when_its_record_is_redelivered_unchanged(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    kind: CorrectionKind,
    moved: int,
    target: int | None,
    blocked_after: set[str],
) -> None:
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    run_at(database, project_settings, 0)
    with database.session() as session:
        ids = list(session.scalars(select(StagedRecord.id).order_by(StagedRecord.id)))
    request = CorrectionRequest(kind, ids[moved], None if target is None else ids[target])
    correct_link(database, request, reason="read the register and the letter", actor="ani")
    run_at(database, project_settings, 1)
    corrected = _cases(database)
    assert blocked_nips(database, project_settings) == blocked_after

    _set_withdrawn(database, ids[moved], True)
    run_at(database, project_settings, 2)
    assert all(ids[moved] not in members for members in _cases(database))
    _set_withdrawn(database, ids[moved], False)
    run_at(database, project_settings, 3)

    [correction] = list_corrections(database, staged_record_id=ids[moved])
    assert (correction["status"], correction["reopened_reason"]) == ("active", None)
    # Before the fix the withdrawal reopened the correction for good: once the record was back the
    # machine's link applied as if the steward had never decided.
    assert _cases(database) == corrected
    assert blocked_nips(database, project_settings) == blocked_after
    incremental = _snapshot(database)
    run_at(database, project_settings, 4, full=True)
    assert _snapshot(database) == incremental


def test_a_link_correction_whose_record_comes_back_changed_reopens(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    run_at(database, project_settings, 0)
    with database.session() as session:
        finding, recommendation = session.scalars(select(StagedRecord.id).order_by(StagedRecord.id)).all()
    correct_link(database, CorrectionRequest("split", recommendation), reason="another incident", actor="ani")
    run_at(database, project_settings, 1)
    _set_withdrawn(database, recommendation, True)
    run_at(database, project_settings, 2)
    _write(database, 1, Spec("recommendation", "a", 0, 0, "tidak_terbukti"), 2)  # back, and changed
    run_at(database, project_settings, 3)
    [correction] = list_corrections(database, staged_record_id=recommendation)
    assert correction["status"] == "reopened" and "changed since" in str(correction["reopened_reason"])
    assert _cases(database) == [[finding, recommendation]]  # the machine's one case again
