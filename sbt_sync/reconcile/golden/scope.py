"""Which staged records an incremental reconciliation must re-link, and loading them.

Linking joins records through four keys only: the register number, the recommendation number, the
resolved NIP (events, forms, complaint windows are all compared within one NIP) and the source record
itself (the items of one Bawaslu register); a steward's link correction joins the records it involves.
So the records reachable from the changed ones through those keys, and through the cases they are
linked to now, form a closed part of the dataset: linking that part alone gives exactly the cases a
full run would give for it. :func:`closure` computes it. A changed row is followed through the keys
it was last linked by as well as its new ones (``StagedRecord.linked_*``): the records it leaves
behind may link differently without it (a recommendation whose register's one unidentified finding
is now the only one, an ambiguity that is gone).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.models import CaseLink, Conflict, RawRecord, StagedRecord
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.reconcile.corrections import active_corrections, involved
from sbt_sync.reconcile.golden.model import SourceRecord
from sbt_sync.reconcile.identity.store import chunks, names_person
from sbt_sync.reconcile.identity.written import written_fingerprints
from sbt_sync.states.conflicts import ConflictStatus
from schemas.feeds import CASELESS_SOURCES

_KEY_COLUMNS = (
    StagedRecord.id,
    StagedRecord.source,
    StagedRecord.record_key,
    StagedRecord.register_no,
    StagedRecord.recommendation_no,
    StagedRecord.resolved_nip,
    StagedRecord.linked_register_no,
    StagedRecord.linked_recommendation_no,
    StagedRecord.linked_nip,
)


@dataclass
class Scope:
    staged_ids: set[int] = field(default_factory=set)
    case_ids: set[int] = field(default_factory=set)
    """Cases that hold a record of the scope now: they are recomputed, renamed or removed."""


def _frontier(session: Session, ids: Iterable[int]) -> list[Any]:
    rows: list[Any] = []
    for chunk in chunks(sorted(ids)):
        rows.extend(session.execute(select(*_KEY_COLUMNS).where(StagedRecord.id.in_(chunk))))
    return rows


def closure(session: Session, seed_ids: Iterable[int], seed_cases: Iterable[int] = ()) -> Scope:
    """The closed part of the dataset reachable from ``seed_ids`` and ``seed_cases`` (module docstring)."""
    scope = Scope()
    new_ids, new_cases = set(seed_ids), set(seed_cases)
    seen_keys: dict[str, set[Any]] = {
        "register": set(),
        "recommendation": set(),
        "nip": set(),
        "record": set(),
    }
    while new_ids or new_cases:
        scope.staged_ids |= new_ids
        scope.case_ids |= new_cases
        found: set[int] = set()
        for chunk in chunks(sorted(new_cases)):
            query = select(CaseLink.staged_record_id).where(
                CaseLink.case_id.in_(chunk), CaseLink.unlinked_at.is_(None)
            )
            found.update(session.scalars(query))
        wanted: dict[str, set[Any]] = {name: set() for name in seen_keys}
        for row in _frontier(session, new_ids):
            for name, value in (
                ("register", row.register_no),
                ("register", row.linked_register_no),
                ("recommendation", row.recommendation_no),
                ("recommendation", row.linked_recommendation_no),
                ("nip", row.resolved_nip),
                ("nip", row.linked_nip),
                ("record", (row.source, row.record_key)),
            ):
                if value is not None and value not in seen_keys[name]:
                    wanted[name].add(value)
                    seen_keys[name].add(value)
        found |= _by_keys(session, wanted)
        found.update(i for c in active_corrections(session, new_ids) for i in involved(c))
        cases: set[int] = set()
        for chunk in chunks(sorted(new_ids)):
            query = select(CaseLink.case_id).where(
                CaseLink.staged_record_id.in_(chunk), CaseLink.unlinked_at.is_(None)
            )
            cases.update(session.scalars(query))
        new_ids = found - scope.staged_ids
        new_cases = cases - scope.case_ids
    return scope


def _by_keys(session: Session, wanted: dict[str, set[Any]]) -> set[int]:
    found: set[int] = set()
    columns = {
        "register": StagedRecord.register_no,
        "recommendation": StagedRecord.recommendation_no,
        "nip": StagedRecord.resolved_nip,
    }
    for name, column in columns.items():
        for chunk in chunks(sorted(wanted[name])):
            found.update(session.scalars(select(StagedRecord.id).where(column.in_(chunk))))
    by_source: dict[str, list[str]] = {}
    for source, key in sorted(wanted["record"]):
        by_source.setdefault(source, []).append(key)
    for source, keys in by_source.items():
        for chunk in chunks(keys):
            # Through raw_records' unique (source, key): staged rows are keyed by (raw record, item).
            raw_ids = select(RawRecord.id).where(RawRecord.source == source, RawRecord.record_key.in_(chunk))
            found.update(
                session.scalars(select(StagedRecord.id).where(StagedRecord.raw_record_id.in_(raw_ids)))
            )
    return found


def all_staged_ids(session: Session) -> set[int]:
    """Every staged row that can belong to a case (not I-MUT's personnel actions)."""
    query = select(StagedRecord.id).where(StagedRecord.source.not_in(sorted(CASELESS_SOURCES)))
    return set(session.scalars(query))


def identity_disputes(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Staged id -> the open identity conflict that disputes the row's identity, named for people."""
    found: dict[int, str] = {}
    columns = (Conflict.staged_record_id, Conflict.id, Conflict.kind, Conflict.candidates)
    for chunk in chunks(sorted(ids)):
        query = select(*columns).where(
            Conflict.staged_record_id.in_(chunk),
            Conflict.status == ConflictStatus.OPEN,
            Conflict.kind.in_(IDENTITY_CONFLICT_KINDS),
        )
        for staged_id, conflict_id, kind, candidates in session.execute(query):
            found[staged_id] = identity_conflict_words(conflict_id, kind, len(candidates or []))
    return found


def identity_conflict_words(conflict_id: int, kind: str, offered: int) -> str:
    """Why a row's identity is disputed while its identity conflict is open (a hold reason's words,
    which :mod:`sbt_sync.console.holds` reads back)."""
    return f"identity conflict {conflict_id} ({kind}, {offered} candidate(s)) is open"


def load_records(
    session: Session, ids: Sequence[int], disputes: Mapping[int, str] | None = None
) -> list[SourceRecord]:
    """The scope's live (not withdrawn) staged rows as :class:`SourceRecord`, identity resolved.

    ``disputes`` (staged id -> why) marks the rows whose identity is disputed (:func:`identity_disputes`).
    """
    disputes = disputes or {}
    records: list[SourceRecord] = []
    for chunk in chunks(sorted(ids)):
        query = select(StagedRecord).where(StagedRecord.id.in_(chunk), StagedRecord.withdrawn.is_(False))
        for row in session.scalars(query):
            fields = dict(row.fields or {})
            records.append(
                SourceRecord(
                    staged_id=row.id,
                    source=row.source,
                    record_key=row.record_key,
                    item_no=row.item_no,
                    record_type=str(fields.get("record_type") or ""),
                    nip=row.resolved_nip,
                    event_code=row.event_code,
                    register_no=row.register_no,
                    recommendation_no=row.recommendation_no,
                    source_updated_at=row.source_updated_at,
                    fields=fields,
                    names_person=names_person(row.nip_raw, row.name),
                    identity_dispute=disputes.get(row.id),
                    written=written_fingerprints(row.nip_raw, row.name, row.instansi),
                )
            )
    return records
