"""The I-MUT feed contract: good rows stage as personnel actions, bad rows go to quarantine naming the
record and the field, and case reconciliation never reads a personnel action."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, Conflict, QuarantinedRow, StagedRecord
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from tests.imut.builders import NIP_A, action_id, ingest, payload


@pytest.mark.parametrize(
    ("changes", "column", "check"),
    [
        # An action I-MUT does not know.
        ({"jenisTindakan": "mutasi_paksa"}, "jenisTindakan", "isin"),
        # A post class outside the six the rules know.
        ({"kelasJabatanBaru": "eselon_ii"}, "kelasJabatanBaru", "isin"),
        # An impossible decision date.
        ({"tanggalSk": "31-02-2024"}, "tanggalSk", "dmy_date"),
        # A report date written the ISO way instead of dd-mm-yyyy.
        ({"tanggalLaporKemendagri": "2024-06-12"}, "tanggalLaporKemendagri", "dmy_date"),
        # A region code that is not Kemendagri's.
        ({"pejabatPenetapWilayah": "Kota Bandung"}, "pejabatPenetapWilayah", "str_matches"),
        # An instant without its offset (WIB, WITA or WIT?).
        ({"updatedAt": "2024-06-12T09:00:00"}, "updatedAt", "iso_datetime_with_offset"),
        # No decision date at all.
        ({"tanggalSk": None}, "tanggalSk", "not_nullable"),
    ],
)
def test_a_bad_row_is_quarantined_naming_record_and_field_and_good_rows_stage(
    migrated_database: Database, changes: dict[str, object], column: str | None, check: str
) -> None:
    result = ingest(migrated_database, payload(1), payload(2, **changes))
    assert (result.validated, result.staged_new, result.quarantined_records) == (2, 1, 1)
    with migrated_database.session() as session:
        quarantined = session.scalars(select(QuarantinedRow)).all()
        assert {q.record_key for q in quarantined} == {action_id(2)}
        assert any(q.column == column and check in q.check for q in quarantined), [
            (q.column, q.check) for q in quarantined
        ]
        staged = session.scalars(select(StagedRecord)).one()
    assert staged.record_key == action_id(1) and staged.nip == NIP_A
    assert staged.fields["record_type"] == "personnel_action"
    assert staged.fields["decision_date"] == "2024-06-10" and staged.fields["approval_date"] is None


def test_an_action_whose_nip_alone_is_rejected_is_staged_without_it_and_the_nip_quarantined(
    migrated_database: Database,
) -> None:
    # A float-mangled NIP is rejected, never repaired; the action is still an action (DESIGN.md).
    mangled = "1.98001012005011E+17"
    result = ingest(migrated_database, payload(1), payload(2, nipBaru=mangled))
    assert (result.validated, result.staged_new, result.quarantined_records) == (2, 2, 0)
    assert result.nips_rejected == 1
    with migrated_database.session() as session:
        quarantined = session.scalars(select(QuarantinedRow)).all()
        assert [(q.record_key, q.column, q.check, q.value) for q in quarantined] == [
            (action_id(2), "nipBaru", "acceptable_nip", mangled)
        ]
        staged = session.scalars(select(StagedRecord).where(StagedRecord.record_key == action_id(2))).one()
    assert staged.nip is None and staged.birth_date is None and staged.nip_raw == mangled
    assert staged.fields["record_type"] == "personnel_action"


def test_reconciliation_never_links_or_resolves_a_personnel_action(migrated_database: Database) -> None:
    # NIP_A is in no registry: a neutrality record naming it would open an identity conflict.
    ingest(migrated_database, payload(1), payload(2, nipBaru=None))
    stats = reconcile_database(migrated_database, Settings(), full=False)
    assert stats.staged_changed == 0 and stats.scope_records == 0
    full = reconcile_database(migrated_database, Settings(), full=True)
    assert full.scope_records == 0
    with migrated_database.session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
        assert session.scalar(select(func.count()).select_from(Conflict)) == 0
        flags = session.scalars(select(StagedRecord.needs_reconcile)).all()
    assert flags == [True, True]  # the I-MUT findings' own flag, cleared by their evaluation
