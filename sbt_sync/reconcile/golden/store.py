"""Writing a reconciled part of the golden dataset to the database.

:func:`persist` takes the cases the pure reconciliation produced for a closed scope
(:mod:`scope`) and brings ``cases``, ``case_links``, ``field_provenance`` and ``conflicts`` in
line with them, as a diff:

- A case row keeps its id when its key is unchanged, or when its key changed (a stronger anchor
  arrived) but it holds most of the new case's records: the row is renamed, so control actions and
  block state that refer to it stay attached. A case of the scope that no new case continues is
  removed (its links go with it, kept in the audit log first; its conflicts close).
- Links are never deleted while their case lives: a record leaving a case is stamped ``unlinked_at``
  with the reason, and linking it again inserts a new row.
- A case whose content hash is unchanged is not rewritten (its ``version`` counts real changes).
- Conflicts are matched by key: new ones open with a due date, raised-again ones reopen and say so,
  ones no longer raised close themselves (``auto_closed``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import AsnRegistryEntry, AuditEntry, Case, CaseLink, Conflict, FieldProvenance
from sbt_sync.reconcile.conflict_lifecycle import close, keep_raised, open_conflict
from sbt_sync.reconcile.golden.model import ConflictDraft, GoldenCase
from sbt_sync.reconcile.golden.sanction_store import release_removed, sync_versions
from sbt_sync.reconcile.golden.status import day_of
from sbt_sync.reconcile.identity.store import chunks
from sbt_sync.states.conflicts import CASE_KINDS, ConflictKind
from sbt_sync.states.conflicts import ConflictStatus as _S

SYSTEM_ACTOR = "sbt-sync"
"""Who the audit log names for what reconciliation did on its own."""
_STILL_ON = (_S.OPEN, _S.RESOLVED)
"""A case conflict the reconciliation no longer raises closes from these (``auto_closed``)."""


@dataclass
class PersistStats:
    cases_recomputed: int = 0
    cases_created: int = 0
    cases_changed: int = 0
    cases_renamed: int = 0
    cases_removed: int = 0
    links_added: int = 0
    links_removed: int = 0
    conflicts_opened: int = 0
    conflicts_closed: int = 0


Placed = tuple[str | None, str | None]
"""An ASN's Kanreg and instansi in the registry mirror (None: SIASN did not say)."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def golden_fields(case: GoldenCase) -> dict[str, Any]:
    return {name: _jsonable(fv.value) for name, fv in sorted(case.fields.items())}


def content_hash(case: GoldenCase) -> str:
    """Hash of everything a case row and its provenance and links say."""
    body = {
        "nip": case.draft.nip,
        "event": case.draft.event_code,
        "status": case.status,
        "held": case.held,
        "hold_reason": case.hold_reason,
        "fields": {
            name: [_jsonable(fv.value), fv.source, fv.staged_id, fv.rule]
            for name, fv in sorted(case.fields.items())
        },
        "links": sorted([link.staged_id, link.rule] for link in case.draft.links),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _text(value: Any, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


def _apply_columns(row: Case, case: GoldenCase, registry: Mapping[str, Placed]) -> None:
    values = {name: fv.value for name, fv in case.fields.items()}
    row.nip = case.draft.nip
    row.event_code = case.draft.event_code
    row.status = case.status
    row.held = case.held
    row.hold_reason = case.hold_reason
    row.violation_form = _text(values.get("violation_form"), 64)
    row.register_no = _text(values.get("register_no"), 128)
    row.recommendation_no = _text(values.get("recommendation_no"), 128)
    row.recommendation_date = day_of(values.get("recommendation_date"))
    row.follow_up_deadline = day_of(values.get("follow_up_deadline"))
    row.recommended_sanction = _text(values.get("recommended_sanction"), 8)
    row.sanction_imposed = _text(values.get("sanction_code"), 8)
    # The day the PPK followed up: a sanction revised on objection stays followed up since the first
    # decision (``sanction_since``), whatever the version in force is dated.
    row.sanction_date = day_of(values.get("sanction_since") or values.get("sanction_date"))
    _apply_registry(row, case, registry)
    row.golden = golden_fields(case)


def _apply_registry(row: Case, case: GoldenCase, registry: Mapping[str, Placed]) -> bool:
    """The registry wins for instansi and Kanreg once the identity is known: set them; True when they
    changed. They are not in the content hash (the sources' values are), so a transfer the registry
    reports reaches a case whose records did not change too."""
    kanreg, instansi = registry.get(case.draft.nip or "", (None, None))
    source_instansi = case.fields.get("instansi_id")
    wanted = (kanreg, instansi or _text(source_instansi.value if source_instansi else None, 64))
    if (row.kanreg_id, row.instansi_id) == wanted:
        return False
    row.kanreg_id, row.instansi_id = wanted
    return True


def _registry(session: Session, nips: Iterable[str]) -> dict[str, Placed]:
    found: dict[str, Placed] = {}
    columns = (AsnRegistryEntry.nip, AsnRegistryEntry.kanreg_id, AsnRegistryEntry.instansi_id)
    for chunk in chunks(sorted(set(nips))):
        for nip, kanreg, instansi in session.execute(select(*columns).where(AsnRegistryEntry.nip.in_(chunk))):
            found[nip] = (kanreg or None, instansi or None)  # empty: SIASN did not say
    return found


def _match_rows(session: Session, cases: list[GoldenCase], old_ids: set[int]) -> dict[str, Case]:
    """For each new case key, the existing row that continues it (same key, else most records)."""
    keys = [c.case_key for c in cases]
    rows: dict[int, Case] = {}
    for chunk in chunks(sorted(old_ids)):
        rows.update((r.id, r) for r in session.scalars(select(Case).where(Case.id.in_(chunk))))
    for chunk in chunks(sorted(keys)):
        rows.update((r.id, r) for r in session.scalars(select(Case).where(Case.case_key.in_(chunk))))
    by_key = {row.case_key: row for row in rows.values()}
    matched = {key: by_key[key] for key in keys if key in by_key}
    taken = {row.id for row in matched.values()}
    holder: dict[int, int] = {}
    for chunk in chunks(sorted(rows)):
        query = select(CaseLink.staged_record_id, CaseLink.case_id).where(
            CaseLink.case_id.in_(chunk), CaseLink.unlinked_at.is_(None)
        )
        holder.update(session.execute(query).tuples().all())
    for case in sorted(cases, key=lambda c: (-len(c.draft.records), c.case_key)):
        if case.case_key in matched:
            continue
        votes = Counter(holder[r.staged_id] for r in case.draft.records if r.staged_id in holder)
        for case_id, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if case_id not in taken:
                matched[case.case_key] = rows[case_id]
                taken.add(case_id)
                break
    return matched


def persist(
    session: Session, cases: list[GoldenCase], old_case_ids: set[int], now: datetime
) -> tuple[PersistStats, dict[str, int]]:
    """Write ``cases`` (the whole result of a closed scope whose rows were ``old_case_ids``).

    Returns the stats and the case id of every case key.
    """
    stats = PersistStats(cases_recomputed=len(cases))
    matched = _match_rows(session, cases, old_case_ids)
    registry = _registry(session, [c.draft.nip for c in cases if c.draft.nip])
    kept = {row.id for row in matched.values()}
    removed = sorted((old_case_ids | {r.id for r in matched.values()}) - kept)
    for chunk in chunks(removed):
        _record_removal(session, chunk, now)
        release_removed(session, chunk)
        for conflict in session.scalars(select(Conflict).where(Conflict.case_id.in_(chunk))):
            if conflict.kind in CASE_KINDS and close(conflict, _S.AUTO_CLOSED, now, closing=_STILL_ON):
                stats.conflicts_closed += 1
        session.execute(delete(Case).where(Case.id.in_(chunk)))
    stats.cases_removed = len(removed)
    # Free the keys of renamed rows first: a rename can take a key another row gives up.
    renames = {key: row for key, row in matched.items() if row.case_key != key}
    for renamed in renames.values():
        renamed.case_key = f"renaming:{renamed.id}"
    session.flush()
    ids: dict[str, int] = {}
    for case in cases:
        row = matched.get(case.case_key)
        digest = content_hash(case)
        if row is None:
            row = Case(case_key=case.case_key, content_hash=digest, version=1, created_at=now, updated_at=now)
            _apply_columns(row, case, registry)
            session.add(row)
            stats.cases_created += 1
        else:
            if case.case_key in renames:
                row.case_key = case.case_key
                stats.cases_renamed += 1
            if row.content_hash != digest:
                _apply_columns(row, case, registry)
                row.content_hash, row.version, row.updated_at = digest, row.version + 1, now
                stats.cases_changed += 1
            elif _apply_registry(row, case, registry):  # e.g. a transfer only the registry reports
                row.version, row.updated_at = row.version + 1, now
                stats.cases_changed += 1
        session.flush()
        ids[case.case_key] = row.id
    _sync_links(session, cases, ids, now, stats)
    _sync_provenance(session, cases, ids, now)
    sync_versions(session, cases, ids, now)
    _sync_conflicts(session, cases, ids, set(ids.values()) | set(old_case_ids), now, stats)
    return stats, ids


def _sync_links(
    session: Session, cases: list[GoldenCase], ids: Mapping[str, int], now: datetime, stats: PersistStats
) -> None:
    wanted = {link.staged_id: (ids[case.case_key], link) for case in cases for link in case.draft.links}
    case_ids = sorted(set(ids.values()))
    active: dict[int, CaseLink] = {}
    for chunk in chunks(case_ids):
        query = select(CaseLink).where(CaseLink.case_id.in_(chunk), CaseLink.unlinked_at.is_(None))
        active.update((link.staged_record_id, link) for link in session.scalars(query))
    for chunk in chunks(sorted(set(wanted) - set(active))):
        query = select(CaseLink).where(CaseLink.staged_record_id.in_(chunk), CaseLink.unlinked_at.is_(None))
        active.update((link.staged_record_id, link) for link in session.scalars(query))
    for staged_id, current in active.items():
        target = wanted.get(staged_id)
        if target is None or target[0] != current.case_id:
            current.unlinked_at = now
            current.unlink_reason = "withdrawn or no longer matched" if target is None else "relinked"
            stats.links_removed += 1
        elif target[1].rule != current.rule:
            current.rule = target[1].rule
    session.flush()
    for staged_id, (case_id, draft) in sorted(wanted.items()):
        link = active.get(staged_id)
        if link is not None and link.case_id == case_id:
            continue
        session.add(
            CaseLink(
                case_id=case_id,
                staged_record_id=staged_id,
                source=draft.source,
                record_key=draft.record_key[:255],
                rule=draft.rule,
                linked_by="steward" if draft.rule.startswith("steward_") else "machine",
                linked_at=now,
            )
        )
        stats.links_added += 1
    session.flush()


def _sync_provenance(
    session: Session, cases: list[GoldenCase], ids: Mapping[str, int], now: datetime
) -> None:
    case_ids = sorted(set(ids.values()))
    existing: dict[tuple[int, str], FieldProvenance] = {}
    for chunk in chunks(case_ids):
        for found in session.scalars(select(FieldProvenance).where(FieldProvenance.case_id.in_(chunk))):
            existing[(found.case_id, found.field)] = found
    seen: set[tuple[int, str]] = set()
    for case in cases:
        case_id = ids[case.case_key]
        for name, fv in case.fields.items():
            key = (case_id, name)
            seen.add(key)
            value = _jsonable(fv.value)
            row = existing.get(key)
            if row is None:
                session.add(
                    FieldProvenance(
                        case_id=case_id,
                        field=name,
                        value=value,
                        source=fv.source,
                        staged_record_id=fv.staged_id,
                        rule=fv.rule,
                        decided_at=now,
                    )
                )
            elif (row.value, row.source, row.staged_record_id, row.rule) != (
                value,
                fv.source,
                fv.staged_id,
                fv.rule,
            ):
                row.value, row.source, row.staged_record_id, row.rule = (
                    value,
                    fv.source,
                    fv.staged_id,
                    fv.rule,
                )
                row.decided_at = now
    for key, gone in existing.items():
        if key not in seen:
            session.delete(gone)


def _record_removal(session: Session, case_ids: Sequence[int], now: datetime) -> None:
    """Keep in the audit log (append-only) what a case that reconciliation removes (merged into
    another, or left without records) was and which records it held, before its row and its
    crosswalk go: the crosswalk's history outlives the case. Ids, statuses and rules only: a case key
    carries a NIP, so it is not copied."""
    links: dict[int, list[dict[str, Any]]] = {}
    query = select(CaseLink).where(CaseLink.case_id.in_(case_ids)).order_by(CaseLink.id)
    for link in session.scalars(query):
        links.setdefault(link.case_id, []).append(
            {
                "staged_record_id": link.staged_record_id,
                "source": link.source,
                "rule": link.rule,
                "linked_by": link.linked_by,
                "linked_at": link.linked_at.isoformat(),
                "unlinked_at": link.unlinked_at.isoformat() if link.unlinked_at else None,
            }
        )
    for case in session.scalars(select(Case).where(Case.id.in_(case_ids)).order_by(Case.id)):
        session.add(
            AuditEntry(
                at=now,
                actor_name=SYSTEM_ACTOR,
                action="case.remove",
                object_type="case",
                object_id=str(case.id),
                before={"status": case.status, "held": case.held, "links": links.get(case.id, [])},
                after=None,
                reason="reconciliation: the case's records now belong to another case, or to none",
                channel="pipeline",
            )
        )


def _candidates(conflict: ConflictDraft) -> list[dict[str, Any]]:
    return [
        {"source": c.source, "value": _jsonable(c.value), "staged_record_id": c.staged_id}
        for c in conflict.candidates
    ]


def _sync_conflicts(
    session: Session,
    cases: list[GoldenCase],
    ids: Mapping[str, int],
    case_ids: set[int],
    now: datetime,
    stats: PersistStats,
) -> None:
    raised = {c.conflict_key: (ids[case.case_key], c) for case in cases for c in case.conflicts}
    existing: dict[str, Conflict] = {}
    for chunk in chunks(sorted(case_ids)):
        query = select(Conflict).where(Conflict.case_id.in_(chunk), Conflict.kind.in_(CASE_KINDS))
        existing.update((c.conflict_key, c) for c in session.scalars(query))
    for chunk in chunks(sorted(set(raised) - set(existing))):
        existing.update(
            (c.conflict_key, c)
            for c in session.scalars(select(Conflict).where(Conflict.conflict_key.in_(chunk)))
        )
    for key, stale in existing.items():
        if key not in raised and close(stale, _S.AUTO_CLOSED, now, closing=_STILL_ON):
            stats.conflicts_closed += 1
    for key, (case_id, draft) in sorted(raised.items()):
        row = existing.get(key)
        status = _S(draft.status)
        if row is None:
            open_conflict(
                session, key=key, kind=draft.kind, status=status, now=now, due_at=draft.due_at(now),
                case_id=case_id, staged_record_id=_record_of(draft), field=draft.field,
                critical=draft.critical, priority=draft.priority, candidates=_candidates(draft),
                basis_hash=draft.basis_hash, reopened_reason=draft.reopened_reason,
            )  # fmt: skip
            stats.conflicts_opened += status == _S.OPEN
            continue
        again = draft.reopened_reason or (draft.reason or "raised again: the sources disagree again")
        if keep_raised(
            row, status, now=now, due_at=draft.due_at(now), reopen_reason=again, note=draft.reopened_reason
        ):
            stats.conflicts_opened += 1
        row.case_id, row.kind, row.field, row.critical, row.priority = (
            case_id,
            draft.kind,
            draft.field,
            draft.critical,
            draft.priority,
        )
        row.candidates, row.basis_hash = _candidates(draft), draft.basis_hash
        row.staged_record_id = _record_of(draft)


def _record_of(draft: ConflictDraft) -> int | None:
    """The staged row a case conflict is about: the record of a ``named_other`` conflict, else None."""
    return draft.candidates[0].staged_id if draft.kind == ConflictKind.NAMED_OTHER else None
