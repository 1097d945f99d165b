"""Integrity of the golden dataset: what the blocking ``golden/cases`` check verifies after each run.

Each check counts violations with one query; all zero means the dataset can be acted on:

- ``duplicate_case_keys``: two cases with one key (the unique index should make this impossible);
- ``records_in_two_cases``: a staged record with more than one active link;
- ``links_to_withdrawn``: an active link to a record its source withdrew;
- ``cases_without_records``: a case no active link supports;
- ``nips_not_in_registry``: a case whose NIP is not in the SIASN registry.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case, CaseLink, StagedRecord


def _queries() -> dict[str, Select[tuple[int]]]:
    active = CaseLink.unlinked_at.is_(None)
    duplicate_keys = select(Case.case_key).group_by(Case.case_key).having(func.count() > 1).subquery()
    doubly_linked = (
        select(CaseLink.staged_record_id)
        .where(active)
        .group_by(CaseLink.staged_record_id)
        .having(func.count() > 1)
    ).subquery()
    return {
        "duplicate_case_keys": select(func.count()).select_from(duplicate_keys),
        "records_in_two_cases": select(func.count()).select_from(doubly_linked),
        "links_to_withdrawn": select(func.count())
        .select_from(CaseLink)
        .join(StagedRecord, StagedRecord.id == CaseLink.staged_record_id)
        .where(active, StagedRecord.withdrawn.is_(True)),
        "cases_without_records": select(func.count())
        .select_from(Case)
        .where(~select(CaseLink.id).where(CaseLink.case_id == Case.id, active).exists()),
        "nips_not_in_registry": select(func.count())
        .select_from(Case)
        .where(
            Case.nip.is_not(None),
            ~select(AsnRegistryEntry.nip).where(AsnRegistryEntry.nip == Case.nip).exists(),
        ),
    }


def integrity_violations(database: Database) -> dict[str, int]:
    """Every check's count of violations (see the module docstring)."""
    with database.session() as session:
        return {name: int(session.scalar(query) or 0) for name, query in _queries().items()}
