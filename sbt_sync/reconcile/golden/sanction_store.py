"""Sanction versions in the database: the stewards' entries read for a reconciliation, and the versions
it derived written back as a diff (``sanction_versions``).

A derived version (one the sources state) is matched by its key in its case: unchanged, nothing is
written; changed (a new record restates it, it is no longer in force), its row is updated; no longer
stated, its row goes. A steward's row is never deleted here: it is placed (``seq``, ``in_force``),
follows its case when the case is renamed or merged, and is stamped ``applied_at`` the first time. When
its case is removed with no case continuing it, the row keeps the records that case held
(``released_records``) and returns to the first case that links one of them again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import CaseLink, SanctionVersion
from sbt_sync.db.models.sanctions import STEWARD_SOURCE, SanctionKind
from sbt_sync.reconcile.golden.model import GoldenCase
from sbt_sync.reconcile.golden.model import SanctionVersion as VersionDraft
from sbt_sync.reconcile.golden.sanctions import StewardSanction
from sbt_sync.reconcile.identity.store import chunks


def steward_entries(
    session: Session, case_ids: Iterable[int], case_keys: Mapping[int, str], staged_ids: Iterable[int] = ()
) -> list[StewardSanction]:
    """The stewards' sanction entries on ``case_ids``, each with its case's key and current records,
    and the released entries (their case removed) that followed any of ``staged_ids``, each with the
    records it followed."""
    wanted = sorted(set(case_ids))
    rows: list[SanctionVersion] = []
    for chunk in chunks(wanted):
        query = select(SanctionVersion).where(
            SanctionVersion.case_id.in_(chunk), SanctionVersion.source == STEWARD_SOURCE
        )
        rows.extend(session.scalars(query))
    released = released_entries(session, staged_ids)
    records: dict[int, set[int]] = {}
    for chunk in chunks(sorted({r.case_id for r in rows if r.case_id is not None})):
        links = select(CaseLink.case_id, CaseLink.staged_record_id).where(
            CaseLink.case_id.in_(chunk), CaseLink.unlinked_at.is_(None)
        )
        for case_id, staged_id in session.execute(links).tuples():
            records.setdefault(case_id, set()).add(staged_id)
    entries = []
    for row in sorted([*rows, *released], key=lambda r: r.id):
        assert row.letter_no is not None and row.decided_on is not None
        followed = records.get(row.case_id, ()) if row.case_id is not None else row.released_records or ()
        entries.append(
            StewardSanction(
                entry_id=row.id,
                case_key=None if row.case_id is None else case_keys.get(row.case_id),
                staged_ids=frozenset(followed),
                code=row.code,
                letter_no=row.letter_no,
                letter_date=row.decided_on,
                entered_at=row.recorded_at,
            )
        )
    return entries


def unapplied_cases(session: Session) -> list[int]:
    """Cases with a steward's sanction entry no reconciliation has taken into account yet."""
    query = select(SanctionVersion.case_id).where(
        SanctionVersion.source == STEWARD_SOURCE,
        SanctionVersion.applied_at.is_(None),
        SanctionVersion.case_id.is_not(None),
    )
    return sorted({case_id for case_id in session.scalars(query) if case_id is not None})


def released_entries(session: Session, staged_ids: Iterable[int]) -> list[SanctionVersion]:
    """The steward entries with no case (:func:`release_removed`) that followed any of ``staged_ids``.

    They are few (a case must lose every record with no case continuing it), so all are read and
    matched here rather than through an index on the JSON column."""
    wanted = set(staged_ids)
    if not wanted:
        return []
    query = select(SanctionVersion).where(
        SanctionVersion.case_id.is_(None), SanctionVersion.source == STEWARD_SOURCE
    )
    return [row for row in session.scalars(query) if wanted.intersection(row.released_records or ())]


def waiting_entries(session: Session) -> int:
    """How many steward entries wait with no case for their records to be linked again."""
    query = select(func.count()).where(
        SanctionVersion.case_id.is_(None), SanctionVersion.source == STEWARD_SOURCE
    )
    return int(session.scalar(query) or 0)


def release_removed(session: Session, case_ids: Sequence[int]) -> None:
    """Before cases reconciliation removes are deleted: their derived versions go (the case that
    takes their records derives its own); their steward entries are kept with the records their case
    held, and wait for the case that links one of those records again."""
    held: dict[int, list[int]] = {}
    links = select(CaseLink.case_id, CaseLink.staged_record_id).where(
        CaseLink.case_id.in_(case_ids), CaseLink.unlinked_at.is_(None)
    )
    for case_id, staged_id in session.execute(links).tuples():
        held.setdefault(case_id, []).append(staged_id)
    query = select(SanctionVersion).where(
        SanctionVersion.case_id.in_(case_ids), SanctionVersion.source == STEWARD_SOURCE
    )
    for row in session.scalars(query):
        assert row.case_id is not None
        row.released_records = sorted(set(held.get(row.case_id, ())) | set(row.released_records or ()))
        row.case_id = None
    session.flush()
    session.execute(delete(SanctionVersion).where(SanctionVersion.case_id.in_(case_ids)))


def _columns(draft: VersionDraft) -> dict[str, object]:
    return {
        "seq": draft.seq,
        "kind": (SanctionKind.ANNULMENT if draft.annulment else SanctionKind.SANCTION).value,
        "code": draft.code,
        "letter_no": None if draft.letter_no is None else draft.letter_no[:128],
        "decided_on": draft.decided_on,
        "source": draft.source,
        "source_ref": None if draft.source_ref is None else draft.source_ref[:255],
        "staged_record_id": draft.staged_id,
        "reported_by": list(draft.reported_by),
        "in_force": draft.in_force,
        "source_updated_at": draft.source_updated_at,
    }


def sync_versions(
    session: Session, cases: Sequence[GoldenCase], ids: Mapping[str, int], now: datetime
) -> None:
    """Bring the ``sanction_versions`` rows of ``cases`` (written with ids ``ids``) in line with their
    derived versions; steward rows are placed and follow their case."""
    case_ids = sorted({ids[c.case_key] for c in cases})
    existing: dict[tuple[int, str], SanctionVersion] = {}
    for chunk in chunks(case_ids):
        query = select(SanctionVersion).where(
            SanctionVersion.case_id.in_(chunk), SanctionVersion.source != STEWARD_SOURCE
        )
        existing.update(((r.case_id or 0, r.version_key), r) for r in session.scalars(query))
    entry_ids = sorted({v.entry_id for c in cases for v in c.sanction_versions if v.entry_id is not None})
    entries: dict[int, SanctionVersion] = {}
    for chunk in chunks(entry_ids):
        entries.update(
            (r.id, r) for r in session.scalars(select(SanctionVersion).where(SanctionVersion.id.in_(chunk)))
        )
    wanted: set[tuple[int, str]] = set()
    for case in cases:
        case_id = ids[case.case_key]
        for draft in case.sanction_versions:
            if draft.entry_id is not None:
                row = entries.get(draft.entry_id)
                if row is not None:
                    row.case_id, row.seq, row.in_force = case_id, draft.seq, draft.in_force
                    row.applied_at = row.applied_at or now
                    row.released_records = None
                continue
            key = (case_id, draft.version_key)
            wanted.add(key)
            values = _columns(draft)
            row = existing.get(key)
            if row is None:
                session.add(
                    SanctionVersion(case_id=case_id, version_key=draft.version_key, recorded_at=now, **values)
                )
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
    for key, row in existing.items():
        if key not in wanted:
            session.delete(row)
    session.flush()
