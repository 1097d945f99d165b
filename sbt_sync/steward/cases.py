"""Cases for stewards and viewers: a searchable list and one case's timeline across every source.

The timeline puts in time order what happened to a case: the source records linked to it (at the
source's own time of the record, with the rule that linked them), BKN's control steps (on the day they
fell due), conflicts opened and closed, steward decisions, the SIASN pushes for its NIP and the audit
entries about it; beside it, each golden field's provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import func, or_, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AuditEntry,
    Case,
    CaseLink,
    Conflict,
    ControlAction,
    FieldProvenance,
    OutboxEntry,
    StagedRecord,
    StewardDecision,
)
from sbt_sync.steward.scope import case_visible
from schemas.nip import mask_nip

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class CaseRow:
    id: int
    case_key: str
    nip: str | None
    status: str
    event_code: str | None
    kanreg: str | None
    held: bool
    register_no: str | None
    recommendation_no: str | None
    updated_at: datetime
    hold_reason: str | None = None


@dataclass
class TimelineEntry:
    at: datetime | None
    kind: str
    """linked, unlinked, conflict_opened, conflict_closed, decision, control, push, audit."""
    title: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class CaseTimeline:
    case: CaseRow
    golden: dict[str, Any]
    provenance: list[dict[str, Any]]
    records: list[dict[str, Any]]
    entries: list[TimelineEntry]


def _row(case: Case) -> CaseRow:
    return CaseRow(
        case.id,
        case.case_key,
        case.nip,
        case.status,
        case.event_code,
        case.kanreg_id,
        case.held,
        case.register_no,
        case.recommendation_no,
        case.updated_at,
        case.hold_reason,
    )


def list_cases(
    database: Database,
    *,
    search: str | None = None,
    status: str | None = None,
    kanreg: str | None = None,
    held: bool | None = None,
    sources: Sequence[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[CaseRow]]:
    """Total and one page of cases, newest change first; ``search`` matches key, NIP or numbers."""
    query = select(Case)
    if search:
        term = search.strip()
        like = f"%{term}%"
        query = query.where(
            or_(
                Case.case_key.like(like),
                Case.nip == term.replace(" ", ""),
                Case.register_no.like(like),
                Case.recommendation_no.like(like),
            )
        )
    if status:
        query = query.where(Case.status == status)
    if kanreg:
        query = query.where(Case.kanreg_id == kanreg)
    if held is not None:
        query = query.where(Case.held.is_(held))
    if sources is not None:
        query = query.where(case_visible(sources))
    with database.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(Case.updated_at.desc(), Case.id.desc()).limit(limit).offset(offset)
        )
        return total, [_row(c) for c in rows]


def case_visible_to(database: Database, case_id: int, sources: Sequence[str] | None) -> bool:
    query = select(Case.id).where(Case.id == case_id)
    if sources is not None:
        query = query.where(case_visible(sources))
    with database.session() as session:
        return session.scalar(query) is not None


def case_timeline(
    database: Database, case_id: int, *, sources: Sequence[str] | None = None
) -> CaseTimeline | None:
    """The case's timeline, or None when no case has that id.

    With ``sources`` (an agency viewer's), the source records of other agencies are left out.
    """
    with database.session() as session:
        case = session.get(Case, case_id)
        if case is None:
            return None
        links = session.execute(
            select(CaseLink, StagedRecord)
            .join(StagedRecord, StagedRecord.id == CaseLink.staged_record_id)
            .where(CaseLink.case_id == case_id)
            .order_by(CaseLink.linked_at, CaseLink.id)
        ).tuples()
        entries: list[TimelineEntry] = []
        records: list[dict[str, Any]] = []
        for link, record in links:
            records.append(
                {
                    "id": record.id,
                    "source": record.source,
                    "record_key": record.record_key,
                    "item_no": record.item_no,
                    "name": record.name,
                    "nip_as_written": record.nip_raw,
                    "identity_rule": record.identity_rule,
                    "rule": link.rule,
                    "active": link.unlinked_at is None,
                    "fields": record.fields,
                    "source_updated_at": record.source_updated_at,
                }
            )
            entries.append(
                TimelineEntry(
                    record.source_updated_at or link.linked_at,
                    "linked",
                    f"{record.source} {record.record_key}",
                    {"rule": link.rule, "by": link.linked_by, "source_updated_at": record.source_updated_at},
                )
            )
            if link.unlinked_at is not None:
                entries.append(
                    TimelineEntry(
                        link.unlinked_at,
                        "unlinked",
                        f"{record.source} {record.record_key}",
                        {"reason": link.unlink_reason},
                    )
                )
        conflicts = list(session.scalars(select(Conflict).where(Conflict.case_id == case_id)))
        for c in conflicts:
            label = f"#{c.id} {c.kind}" + (f" {c.field}" if c.field else "")
            entries.append(TimelineEntry(c.opened_at, "conflict_opened", label, {"priority": c.priority}))
            if c.closed_at is not None:
                entries.append(TimelineEntry(c.closed_at, "conflict_closed", label, {"status": c.status}))
        conflict_ids = [c.id for c in conflicts]
        if conflict_ids:
            for d in session.scalars(
                select(StewardDecision).where(StewardDecision.conflict_id.in_(conflict_ids))
            ):
                shown = {"nip": mask_nip(d.decision["nip"])} if d.decision.get("nip") else d.decision
                entries.append(
                    TimelineEntry(
                        d.decided_at,
                        "decision",
                        f"#{d.conflict_id}",
                        {"decision": shown, "reason": d.reason, "applied_at": d.applied_at},
                    )
                )
        for a in session.scalars(select(ControlAction).where(ControlAction.case_id == case_id)):
            entries.append(
                TimelineEntry(
                    datetime.combine(a.due_on, time.min, UTC),
                    "control",
                    a.action,
                    {"decided_at": a.decided_at, "reason": a.reason},
                )
            )
        if case.nip:
            for o in session.scalars(select(OutboxEntry).where(OutboxEntry.nip == case.nip)):
                if case.case_key not in (o.case_refs or []):
                    continue
                entries.append(
                    TimelineEntry(
                        o.acked_at or o.created_at,
                        "push",
                        o.action,
                        {"state": o.state, "attempts": o.attempts, "siasn_reference": o.siasn_reference},
                    )
                )
        audit_ids = [str(case_id)], [str(i) for i in conflict_ids]
        audits = session.scalars(
            select(AuditEntry).where(
                or_(
                    (AuditEntry.object_type == "case") & AuditEntry.object_id.in_(audit_ids[0]),
                    (AuditEntry.object_type == "conflict") & AuditEntry.object_id.in_(audit_ids[1] or ["-"]),
                )
            )
        )
        for e in audits:
            entries.append(
                TimelineEntry(e.at, "audit", e.action, {"actor": e.actor_name, "reason": e.reason})
            )
        provenance = [
            {
                "field": p.field,
                "value": p.value,
                "source": p.source,
                "record": p.staged_record_id,
                "rule": p.rule,
            }
            for p in session.scalars(
                select(FieldProvenance)
                .where(FieldProvenance.case_id == case_id)
                .order_by(FieldProvenance.field)
            )
        ]
        if sources is not None:
            records = [r for r in records if r["source"] in sources]
            entries = [
                e for e in entries if e.kind not in ("linked", "unlinked") or e.title.split()[0] in sources
            ]
        entries.sort(key=lambda e: (e.at is None, e.at or _EPOCH))
        return CaseTimeline(_row(case), dict(case.golden or {}), provenance, records, entries)
