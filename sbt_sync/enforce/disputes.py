"""The open disputes behind each case, read for enforcement's own guard (DESIGN.md, "Identity disputes
hold": no block ever rests on a disputed identity).

The reconciliation holds a case while a critical conflict is open on it or a record linked to it has
an open identity dispute, and stores that verdict on the case (``cases.held``). That flag is only as
fresh as the last reconciliation of the case: a steward can reopen a decision, or an identity conflict
can open on a record, before the case is recomputed. Enforcement therefore reads the open disputes
itself, here, and the policy holds every case they touch whatever its stored flag says
(:func:`with_disputes`); the policy stays a pure function of what this loader hands it.

A dispute is, for one case:

- an open identity conflict (:data:`~sbt_sync.states.conflicts.IDENTITY_KINDS`) on a live record
  linked to it;
- an open ``named_other`` conflict on it: a record joined it by a number while naming someone else;
- an open critical conflict on it (DESIGN.md, "Enforcement": held, never blocked).

Each is said as the reconciliation says it in ``cases.hold_reason`` (the clauses of
:mod:`sbt_sync.reconcile.golden.status`), so the console words it the same way; the clauses name
records by their keys and identity conflicts by their id, never a person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import CaseLink, Conflict, StagedRecord
from sbt_sync.enforce.model import EnforcementCase
from sbt_sync.reconcile.golden.scope import identity_conflict_words
from sbt_sync.reconcile.golden.status import conflict_clause, disputed_clause, names_other_words, record_words
from sbt_sync.states.conflicts import IDENTITY_KINDS, ConflictKind, ConflictStatus

CHUNK = 1000
"""Bounded IN lists."""


@dataclass(frozen=True)
class Dispute:
    """One open dispute on a case: its hold-reason clause and the record it is about (None: the case)."""

    clause: str
    record: str | None = None
    """The record as hold reasons name it (:func:`~sbt_sync.reconcile.golden.status.record_words`)."""


def open_disputes(session: Session, case_ids: Sequence[int] | None = None) -> dict[int, list[Dispute]]:
    """Case id -> its open disputes (module docstring), sorted; cases with none are absent.
    ``case_ids`` limits the answer to those cases (None: every case)."""
    found: dict[int, set[Dispute]] = defaultdict(set)
    if case_ids is None:
        _identity(session, None, found)
        _on_case(session, None, found)
    else:
        ids = sorted(set(case_ids))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            _identity(session, chunk, found)
            _on_case(session, chunk, found)
    return {case_id: sorted(disputes, key=lambda d: d.clause) for case_id, disputes in found.items()}


def _identity(session: Session, case_ids: Sequence[int] | None, found: dict[int, set[Dispute]]) -> None:
    """Open identity conflicts on the live records linked to a case."""
    query = (
        select(
            CaseLink.case_id,
            Conflict.id,
            Conflict.kind,
            Conflict.candidates,
            StagedRecord.source,
            StagedRecord.record_key,
            StagedRecord.item_no,
        )
        .join(CaseLink, CaseLink.staged_record_id == Conflict.staged_record_id)
        .join(StagedRecord, StagedRecord.id == Conflict.staged_record_id)
        .where(
            Conflict.status == ConflictStatus.OPEN,
            Conflict.kind.in_(IDENTITY_KINDS),
            CaseLink.unlinked_at.is_(None),
            StagedRecord.withdrawn.is_(False),
        )
    )
    if case_ids is not None:
        query = query.where(CaseLink.case_id.in_(case_ids))
    for case_id, conflict_id, kind, candidates, source, record_key, item_no in session.execute(query):
        record = record_words(source, record_key, item_no)
        why = identity_conflict_words(conflict_id, kind, len(candidates or []))
        found[case_id].add(Dispute(disputed_clause(f"{record}: {why}"), record))


def _on_case(session: Session, case_ids: Sequence[int] | None, found: dict[int, set[Dispute]]) -> None:
    """Open conflicts on a case that hold it: critical ones, and records naming someone else."""
    query = (
        select(
            Conflict.case_id,
            Conflict.kind,
            Conflict.conflict_key,
            Conflict.candidates,
            StagedRecord.source,
            StagedRecord.record_key,
            StagedRecord.item_no,
        )
        .outerjoin(StagedRecord, StagedRecord.id == Conflict.staged_record_id)
        .where(
            Conflict.status == ConflictStatus.OPEN,
            Conflict.case_id.is_not(None),
            or_(Conflict.critical.is_(True), Conflict.kind == ConflictKind.NAMED_OTHER),
        )
    )
    if case_ids is not None:
        query = query.where(Conflict.case_id.in_(case_ids))
    for case_id, kind, key, candidates, source, record_key, item_no in session.execute(query):
        if kind == ConflictKind.NAMED_OTHER and source is not None:
            # Said as the reconciliation says it, by the record's keys: the conflict's key holds the
            # case key, and with it the NIP.
            record = record_words(source, record_key, item_no)
            why = names_other_words(_named_nip(candidates))
            found[case_id].add(Dispute(disputed_clause(f"{record}: {why}"), record))
        else:
            found[case_id].add(Dispute(conflict_clause(kind, key)))


def _named_nip(candidates: Sequence[Mapping[str, Any]] | None) -> str | None:
    """The NIP a ``named_other`` conflict's record names (its one candidate's value); None: nobody."""
    value = (candidates or [{}])[0].get("value")
    return value.get("named_nip") if isinstance(value, Mapping) else None


def with_disputes(
    cases: Iterable[EnforcementCase], disputes: Mapping[int, Sequence[Dispute]]
) -> list[EnforcementCase]:
    """``cases``, each one ``disputes`` names held, its hold reason adding what its stored reason does
    not say yet (the reconciliation's reason first). Pure."""
    guarded: list[EnforcementCase] = []
    for case in cases:
        found = disputes.get(case.case_id, ())
        stored = (case.hold_reason or "") if case.held else ""
        missing = [d.clause for d in found if not _said(d, stored)]
        if missing or (found and not case.held):
            case = replace(case, held=True, hold_reason="; ".join([*([stored] if stored else []), *missing]))
        guarded.append(case)
    return guarded


def _said(dispute: Dispute, reason: str) -> bool:
    """Whether ``reason`` (a stored hold reason) already says ``dispute``: the same clause, or the same
    record disputed (the reconciliation names a ``named_other`` record by its keys, not its conflict)."""
    if dispute.clause in reason:
        return True
    return dispute.record is not None and disputed_clause(f"{dispute.record}: ") in reason
