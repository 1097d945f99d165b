"""Identity resolution over the staged records in the database (DESIGN.md, "The golden dataset").

For every staged row that changed since the last reconciliation (``needs_reconcile``), or every row
when asked for a full run, this writes ``resolved_nip``, ``identity_rule`` and ``identity_score``, and
keeps one identity conflict per row in step with the decision:

- a steward decision on the row's conflict whose basis (the NIP, name and instansi as written) still
  holds wins: its NIP, or none, with rule ``steward``; the conflict stays ``resolved``;
- otherwise :func:`~sbt_sync.reconcile.identity.resolve.resolve` decides; a link closes an open conflict
  (``auto_closed``), a conflict outcome opens or refreshes one with the ranked candidates (and, when an
  earlier decision no longer holds, says why it reopened: which of the NIP, name and instansi the row
  writes changed, in words, :mod:`~sbt_sync.reconcile.identity.written`); a row that names an ASN
  (a NIP or a name) whom no registry ASN comes close to (``no_candidate``) opens one of kind
  ``unresolved`` with no candidates, for a steward to search the registry or to record that the row
  names no ASN. A row that names nobody opens none.

Everything happens in the caller's session, so it commits with the rest of the reconciliation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from sbt_sync.db.base import fitted_key
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Conflict, StagedRecord, StewardDecision
from sbt_sync.reconcile.conflict_lifecycle import close, keep_raised, open_conflict
from sbt_sync.reconcile.identity.candidates import CandidateSearch
from sbt_sync.reconcile.identity.resolve import (
    IdentityDecision,
    IdentityThresholds,
    make_query,
    names_someone,
    resolve,
)
from sbt_sync.reconcile.identity.written import (
    WRITTEN_KEY,
    changed_parts,
    changed_reason,
    written_fingerprints,
)
from sbt_sync.states.conflicts import CONFLICT_KEY_CHARS, ConflictKind
from sbt_sync.states.conflicts import ConflictStatus as _S
from schemas.nip import mask_nip

CHUNK = 2_000
STEWARD_RULE = "steward"
ASSIGNMENT_GONE_RULE = "steward_reopened"
"""A steward assigned the row an ASN whose NIP left the registry: nobody, disputed until they decide."""
IDENTITY_PRIORITY = {
    ConflictKind.NAME_MISMATCH: (1, 3),
    ConflictKind.IDENTITY: (2, 5),
    ConflictKind.UNRESOLVED: (2, 5),
}
"""(priority, days until due): a NIP that names someone else could block the wrong person."""


@dataclass
class IdentityStats:
    examined: int = 0
    linked: int = 0
    by_steward: int = 0
    conflicts: int = 0
    unresolved: int = 0
    conflicts_opened: int = 0
    conflicts_closed: int = 0
    rules: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingRow:
    id: int
    source: str
    record_key: str
    item_no: int
    nip_raw: str | None
    name: str | None
    instansi: str | None
    withdrawn: bool


def names_person(nip_raw: str | None, name: str | None) -> bool:
    """Whether a row names a person at all: a NIP (well-formed or not) is written, or a name that is
    more than a stand-in for "some civil servant" (:func:`.resolve.names_someone`)."""
    return bool((nip_raw or "").strip()) or names_someone(name)


def identity_conflict_key(source: str, record_key: str, item_no: int) -> str:
    """The identity conflict's key; one too long for ``conflicts.conflict_key`` (a record key of up to
    255 characters inside it) ends in the SHA-256 of the whole (:func:`fitted_key`)."""
    return fitted_key(f"identity|{source}|{record_key}|{item_no}", CONFLICT_KEY_CHARS)


def identity_basis(nip_raw: str | None, name: str | None, instansi: str | None) -> str:
    """The hash of what a row says about its person; a steward decision holds while it is unchanged."""
    return hashlib.sha256(json.dumps([nip_raw, name, instansi]).encode()).hexdigest()


def chunks(values: Sequence[Any], size: int = CHUNK) -> list[Sequence[Any]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def pending_rows(session: Session, *, full: bool, extra_ids: Sequence[int] = ()) -> list[PendingRow]:
    """The staged rows to (re)resolve: changed ones (or all), plus ``extra_ids`` (new decisions)."""
    columns = (
        StagedRecord.id,
        StagedRecord.source,
        StagedRecord.record_key,
        StagedRecord.item_no,
        StagedRecord.nip_raw,
        StagedRecord.name,
        StagedRecord.instansi,
        StagedRecord.withdrawn,
    )
    query = select(*columns)
    if not full:
        query = query.where(StagedRecord.needs_reconcile.is_(True))
    rows = {row.id: PendingRow(*row) for row in session.execute(query)}
    missing = sorted(set(extra_ids) - set(rows))
    for chunk in chunks(missing):
        rows.update(
            (r.id, PendingRow(*r))
            for r in session.execute(select(*columns).where(StagedRecord.id.in_(chunk)))
        )
    return [rows[i] for i in sorted(rows)]


def _latest_decisions(session: Session, conflict_ids: Sequence[int]) -> dict[int, StewardDecision]:
    latest: dict[int, StewardDecision] = {}
    for chunk in chunks(conflict_ids):
        query = (
            select(StewardDecision)
            .where(StewardDecision.conflict_id.in_(chunk))
            .order_by(StewardDecision.decided_at, StewardDecision.id)
        )
        for decision in session.scalars(query):
            latest[decision.conflict_id] = decision
    return latest


def registered_nips(session: Session, nips: Iterable[str]) -> set[str]:
    """The NIPs of ``nips`` the registry mirror holds."""
    found: set[str] = set()
    for chunk in chunks(sorted(set(nips))):
        found.update(session.scalars(select(AsnRegistryEntry.nip).where(AsnRegistryEntry.nip.in_(chunk))))
    return found


def _candidates(decision: IdentityDecision) -> list[dict[str, Any]]:
    """The conflict's candidates as stored; when the cap cut a tie, each tied candidate offered also
    carries ``tied_total``, how many the search found at that score (the console says so)."""
    last = decision.candidates[-1].score if decision.tied and decision.candidates else None
    return [
        {"nip": c.nip, "score": c.score, "source": "siasn"}
        | ({"tied_total": decision.tied} if c.score == last else {})
        for c in decision.candidates
    ]


def _raise_assignment_gone(
    session: Session,
    conflict: Conflict | None,
    key: str,
    row: PendingRow,
    searched: IdentityDecision,
    nip: str | None,
    now: datetime,
) -> bool:
    """Open (or keep open) the row's identity conflict because the NIP a steward assigned it left the
    registry; the machine's answer is only offered as a candidate. Returns whether it opened."""
    why = (
        f"the NIP a steward assigned this record by a link correction ({mask_nip(nip)}) is no "
        "longer in the registry (SIASN corrected or removed it): the record names nobody until a "
        "steward decides again; the machine's search: " + (searched.reason or searched.rule)
    )
    candidates = _candidates(searched)
    if searched.nip is not None and all(c["nip"] != searched.nip for c in candidates):
        candidates.insert(0, {"nip": searched.nip, "score": searched.score, "source": "siasn"})
    kind = ConflictKind.IDENTITY
    priority, due_days = IDENTITY_PRIORITY[kind]
    basis = identity_basis(row.nip_raw, row.name, row.instansi)
    due_at = now + timedelta(days=due_days)
    if conflict is None:
        opened = open_conflict(
            session, key=key, kind=kind, status=_S.OPEN, now=now, due_at=due_at,
            staged_record_id=row.id, field="nip", critical=True, priority=priority,
            candidates=candidates, basis_hash=basis, agency=row.source,
        )  # fmt: skip
        opened.reopened_reason = why
        return True
    reopened = keep_raised(conflict, _S.OPEN, now=now, due_at=due_at, reopen_reason=why, note=why)
    conflict.kind, conflict.priority = kind, priority
    conflict.candidates, conflict.basis_hash = candidates, basis
    return reopened


def resolve_identities(
    session: Session,
    database: Database,
    thresholds: IdentityThresholds,
    rows: Sequence[PendingRow],
    now: datetime,
    assigned: Mapping[int, str | None] | None = None,
) -> IdentityStats:
    """Resolve ``rows`` and keep their identity conflicts in step; see the module docstring.

    ``assigned`` (staged id -> NIP, or None for nobody) holds the persons stewards assigned records
    by a link correction: they win over the machine, as a decision on the row's conflict does.
    """
    assigned = assigned or {}
    stats = IdentityStats(examined=len(rows))
    keys = {identity_conflict_key(r.source, r.record_key, r.item_no): r for r in rows}
    existing: dict[str, Conflict] = {}
    for chunk in chunks(sorted(keys)):
        existing.update(
            (c.conflict_key, c)
            for c in session.scalars(select(Conflict).where(Conflict.conflict_key.in_(chunk)))
        )
    decisions = _latest_decisions(session, sorted(c.id for c in existing.values()))

    chosen = {d.decision.get("nip") for d in decisions.values()} | set(assigned.values())
    registered = registered_nips(session, {nip for nip in chosen if nip})
    stale: set[int] = set()
    """Rows whose steward-chosen NIP left the registry (a NIP correction): decided again, reopened."""
    gone: set[int] = set()
    """Rows a steward assigned (link correction) an ASN whose NIP left the registry: never linked by
    the machine instead (it may be the person the steward exonerated); disputed until they decide."""
    outcome: dict[int, tuple[str | None, str, float | None]] = {}
    to_search: list[PendingRow] = []
    for key, row in keys.items():
        conflict = existing.get(key)
        decision = decisions.get(conflict.id) if conflict else None
        if decision is not None and decision.decision.get("reopened"):
            # A steward reopened the conflict: the machine decides again until a new decision.
            decision.applied_at = decision.applied_at or now
            decision = None
        basis = identity_basis(row.nip_raw, row.name, row.instansi)
        if row.withdrawn:
            outcome[row.id] = (None, "withdrawn", None)
        elif row.id in assigned and assigned[row.id] in registered | {None}:
            outcome[row.id] = (assigned[row.id], STEWARD_RULE, None)
        elif row.id in assigned:
            gone.add(row.id)
            to_search.append(row)  # the candidates a steward will choose from
        elif decision is not None and decision.decision.get("nip") not in registered | {None}:
            stale.add(row.id)
            to_search.append(row)
        elif decision is not None and conflict is not None and decision.basis_hash == basis:
            outcome[row.id] = (decision.decision.get("nip"), STEWARD_RULE, None)
            if decision.applied_at is None:
                decision.applied_at = now
        else:
            to_search.append(row)
    queries = [make_query(nip_raw=r.nip_raw, name=r.name, instansi=r.instansi) for r in to_search]
    found = CandidateSearch(database, thresholds).search(queries) if queries else []
    resolved = {
        row.id: resolve(query, candidates, thresholds)
        for row, query, candidates in zip(to_search, queries, found, strict=True)
    }

    for key, row in keys.items():
        conflict = existing.get(key)
        decision_made = resolved.get(row.id)
        if decision_made is None:
            rule = outcome[row.id][1]
            if rule == STEWARD_RULE:
                stats.by_steward += 1
                close(conflict, _S.RESOLVED, now, closing=(_S.OPEN, _S.AUTO_CLOSED))
            elif close(conflict, _S.AUTO_CLOSED, now, closing=(_S.OPEN,)):
                stats.conflicts_closed += 1
            stats.rules[rule] = stats.rules.get(rule, 0) + 1
            continue
        if row.id in gone:
            if _raise_assignment_gone(session, conflict, key, row, decision_made, assigned[row.id], now):
                stats.conflicts_opened += 1
            outcome[row.id] = (None, ASSIGNMENT_GONE_RULE, None)
            stats.conflicts += 1
            stats.rules[ASSIGNMENT_GONE_RULE] = stats.rules.get(ASSIGNMENT_GONE_RULE, 0) + 1
            continue
        outcome[row.id] = (decision_made.nip, decision_made.rule, decision_made.score)
        stats.rules[decision_made.rule] = stats.rules.get(decision_made.rule, 0) + 1
        if decision_made.outcome == "linked":
            stats.linked += 1
            if close(conflict, _S.AUTO_CLOSED, now, closing=(_S.OPEN, _S.RESOLVED)):
                stats.conflicts_closed += 1
            continue
        if decision_made.outcome == "unresolved":
            stats.unresolved += 1
            if not names_person(row.nip_raw, row.name):
                # The row names nobody (no NIP, no name): there is no person to find.
                if close(conflict, _S.AUTO_CLOSED, now, closing=(_S.OPEN,)):
                    stats.conflicts_closed += 1
                continue
            # It names an ASN the registry cannot offer: a steward searches the registry for them or
            # records that they are no ASN; until then the row's case is held.
            kind = ConflictKind.UNRESOLVED
        else:
            stats.conflicts += 1
            kind = ConflictKind(decision_made.conflict or ConflictKind.IDENTITY)
        priority, due_days = IDENTITY_PRIORITY[kind]
        basis = identity_basis(row.nip_raw, row.name, row.instansi)
        candidates = _candidates(decision_made)
        due_at = now + timedelta(days=due_days)
        if conflict is None:
            existing[key] = open_conflict(
                session, key=key, kind=kind, status=_S.OPEN, now=now, due_at=due_at,
                staged_record_id=row.id, field="nip", critical=True, priority=priority,
                candidates=candidates, basis_hash=basis, agency=row.source,
            )  # fmt: skip
            stats.conflicts_opened += 1
            continue
        why: str | None = None
        if conflict.basis_hash != basis and conflict.status == _S.RESOLVED:
            # Said in words, never the values: the reason shows on the queue and in logs.
            decided = decisions.get(conflict.id)
            before = decided.decision.get(WRITTEN_KEY) if decided is not None else None
            now_written = written_fingerprints(row.nip_raw, row.name, row.instansi)
            why = changed_reason(decided.decided_at if decided else None, changed_parts(before, now_written))
        elif row.id in stale:
            why = "the NIP the steward chose is no longer in the registry (corrected or removed): " + (
                decision_made.reason or decision_made.rule
            )
        again = why or "raised again: " + (decision_made.reason or decision_made.rule)
        if keep_raised(conflict, _S.OPEN, now=now, due_at=due_at, reopen_reason=again, note=why):
            stats.conflicts_opened += 1
        conflict.kind, conflict.priority = kind, priority
        conflict.candidates, conflict.basis_hash = candidates, basis

    updates = [
        {"row_id": row_id, "v_nip": nip, "v_rule": rule, "v_score": score}
        for row_id, (nip, rule, score) in outcome.items()
    ]
    statement = (
        update(StagedRecord)
        .where(StagedRecord.id == bindparam("row_id"))
        .values(
            resolved_nip=bindparam("v_nip"),
            identity_rule=bindparam("v_rule"),
            identity_score=bindparam("v_score"),
        )
    )
    for chunk in chunks(updates):
        session.connection().execute(statement, list(chunk))
    return stats
