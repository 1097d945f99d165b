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
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

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
from sbt_sync.reconcile.identity.written import shown_decision
from sbt_sync.states.conflicts import ConflictKind
from sbt_sync.steward.conflicts import kind_wording
from sbt_sync.steward.names_found import named_in_text
from sbt_sync.steward.scope import EVERYTHING, CaseScope, case_scopes, case_search, case_visible
from schemas.nip import mask_nip

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class CaseRow:
    id: int
    case_key: str | None
    nip: str | None
    status: str
    event_code: str | None
    kanreg: str | None
    held: bool
    register_no: str | None
    recommendation_no: str | None
    updated_at: datetime
    hold_reason: str | None = None
    withheld: list[str] = field(default_factory=list)
    """What an agency viewer may not see (``case_key``, ``register_no``, ``recommendation_no``):
    shown as None (:mod:`sbt_sync.steward.scope`)."""


class TimelineKind(StrEnum):
    """What a case timeline entry records; its ``title`` is what the kind names."""

    LINKED = "linked"
    """A record joined the case; title: ``<source> <record key>``."""
    UNLINKED = "unlinked"
    CONFLICT_OPENED = "conflict_opened"
    """Title: ``#<id> <conflict kind>[ <field>]``; ``conflict_kind`` and ``conflict_field`` say the same."""
    CONFLICT_CLOSED = "conflict_closed"
    DECISION = "decision"
    """A steward decided a conflict; title: ``#<conflict id>``."""
    CONTROL = "control"
    """Title: the control action."""
    PUSH = "push"
    """Title: the push action (blokir, buka)."""
    AUDIT = "audit"
    """Title: the audit log's action."""


@dataclass
class TimelineEntry:
    at: datetime | None
    kind: TimelineKind
    title: str
    detail: dict[str, Any] = field(default_factory=dict)
    conflict_id: int | None = None
    """The conflict an entry is about (opened, closed, decided): the page links to it."""
    conflict_kind: ConflictKind | None = None
    """The kind of that conflict, for an opened or closed one (also in the title)."""
    conflict_field: str | None = None
    """The golden field that conflict is about, if any (also in the title)."""


@dataclass
class CaseTimeline:
    case: CaseRow
    golden: dict[str, Any]
    provenance: list[dict[str, Any]]
    records: list[dict[str, Any]]
    entries: list[TimelineEntry]
    withheld: list[str] = field(default_factory=list)
    """Golden fields an agency viewer may not see (their value is None here and in ``provenance``)."""


def _row(case: Case, scope: CaseScope = EVERYTHING) -> CaseRow:
    numbers, hidden = scope.golden(
        {"register_no": case.register_no, "recommendation_no": case.recommendation_no}
    )
    texts, unquoted = scope.texts(case_key=case.case_key)
    return CaseRow(
        case.id,
        texts["case_key"],
        case.nip,
        case.status,
        case.event_code,
        case.kanreg_id,
        case.held,
        numbers["register_no"],
        numbers["recommendation_no"],
        case.updated_at,
        scope.hold_reason(case.hold_reason),
        withheld=unquoted + hidden,
    )


def list_cases(
    database: Database,
    *,
    search: str | None = None,
    status: str | None = None,
    kanreg: str | None = None,
    held: bool | None = None,
    issuer: str | None = None,
    sources: Sequence[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[CaseRow]]:
    """Total and one page of cases, newest change first; ``search`` matches key, NIP or numbers
    (:func:`~sbt_sync.steward.scope.case_search`) or the name of someone a record names
    (:func:`~sbt_sync.steward.names_found.named_in_text`); ``issuer`` (``KASN``, ``BKN``) the golden
    ``recommending_body``. With ``sources`` (an agency viewer's), only their cases, each as
    :mod:`sbt_sync.steward.scope` lets them see it."""
    query = select(Case)
    if status:
        query = query.where(Case.status == status)
    if kanreg:
        query = query.where(Case.kanreg_id == kanreg)
    if held is not None:
        query = query.where(Case.held.is_(held))
    if issuer:
        query = query.where(func.upper(Case.golden["recommending_body"].as_string()) == issuer.upper())
    if sources is not None:
        query = query.where(case_visible(sources))
    with database.session() as session:
        if search and search.strip():
            _, named = named_in_text(session, search, sources)
            found = case_search(search.strip(), sources)
            query = query.where(or_(found, Case.id.in_(named)) if named else found)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(
            session.scalars(
                query.order_by(Case.updated_at.desc(), Case.id.desc()).limit(limit).offset(offset)
            )
        )
        scopes = case_scopes(session, (c.id for c in rows), sources)
        return total, [_row(c, scopes[c.id]) for c in rows]


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

    With ``sources`` (an agency viewer's), what :mod:`sbt_sync.steward.scope` withholds is withheld:
    other agencies' records and their links, golden values chosen from them, decisions choosing them
    and every text quoting them.
    """
    with database.session() as session:
        case = session.get(Case, case_id)
        if case is None:
            return None
        scope = case_scopes(session, [case_id], sources)[case_id]
        entries: list[TimelineEntry] = []
        records = _records(session, case_id, scope, entries)
        conflicts = list(session.scalars(select(Conflict).where(Conflict.case_id == case_id)))
        for c in conflicts:
            label = f"#{c.id} {kind_wording(c.kind, c.candidates)}" + (f" {c.field}" if c.field else "")
            kind = ConflictKind(c.kind)
            opened = TimelineEntry(c.opened_at, TimelineKind.CONFLICT_OPENED, label, {"priority": c.priority},
                                   c.id, kind, c.field)  # fmt: skip
            entries.append(opened)
            if c.closed_at is not None:
                closed = TimelineEntry(c.closed_at, TimelineKind.CONFLICT_CLOSED, label, {"status": c.status},
                                       c.id, kind, c.field)  # fmt: skip
                entries.append(closed)
        entries += _decisions(session, conflicts, scope)
        for a in session.scalars(select(ControlAction).where(ControlAction.case_id == case_id)):
            entries.append(
                TimelineEntry(
                    datetime.combine(a.due_on, time.min, UTC),
                    TimelineKind.CONTROL,
                    a.action,
                    _scrubbed(scope, {"decided_at": a.decided_at}, reason=a.reason),
                )
            )
        if case.nip:
            for o in session.scalars(select(OutboxEntry).where(OutboxEntry.nip == case.nip)):
                if case.case_key not in (o.case_refs or []):
                    continue
                entries.append(
                    TimelineEntry(
                        o.acked_at or o.created_at,
                        TimelineKind.PUSH,
                        o.action,
                        {"state": o.state, "attempts": o.attempts, "siasn_reference": o.siasn_reference},
                    )
                )
        audit_ids = [str(case_id)], [str(c.id) for c in conflicts]
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
                TimelineEntry(
                    e.at,
                    TimelineKind.AUDIT,
                    e.action,
                    _scrubbed(scope, {"actor": e.actor_name}, reason=e.reason),
                )
            )
        provenance = scope.provenance_rows(
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
        )
        golden, withheld = scope.golden(dict(case.golden or {}))
        entries.sort(key=lambda e: (e.at is None, e.at or _EPOCH))
        return CaseTimeline(_row(case, scope), golden, provenance, records, entries, withheld)


def _scrubbed(scope: CaseScope, detail: dict[str, Any], **texts: str | None) -> dict[str, Any]:
    """``detail`` with ``texts`` added, those quoting another agency's record listed as withheld."""
    shown, withheld = scope.texts(**texts)
    return {**detail, **shown, **({"withheld": withheld} if withheld else {})}


def _records(
    session: Session, case_id: int, scope: CaseScope, entries: list[TimelineEntry]
) -> list[dict[str, Any]]:
    """The records the user may see that were ever linked to the case; their (un)linking into
    ``entries``."""
    links = session.execute(
        select(CaseLink, StagedRecord)
        .join(StagedRecord, StagedRecord.id == CaseLink.staged_record_id)
        .where(CaseLink.case_id == case_id)
        .order_by(CaseLink.linked_at, CaseLink.id)
    ).tuples()
    records: list[dict[str, Any]] = []
    for link, record in links:
        if not scope.sees_source(record.source):
            continue
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
        title = f"{record.source} {record.record_key}"
        entries.append(
            TimelineEntry(
                record.source_updated_at or link.linked_at,
                TimelineKind.LINKED,
                title,
                {"rule": link.rule, "by": link.linked_by, "source_updated_at": record.source_updated_at},
            )
        )
        if link.unlinked_at is not None:
            entries.append(
                TimelineEntry(
                    link.unlinked_at,
                    TimelineKind.UNLINKED,
                    title,
                    _scrubbed(scope, {}, reason=link.unlink_reason),
                )
            )
    return records


def _decisions(session: Session, conflicts: Sequence[Conflict], scope: CaseScope) -> list[TimelineEntry]:
    """The steward decisions on ``conflicts``, what each chose withheld where the user may not see it."""
    if not conflicts:
        return []
    by_id = {c.id: c for c in conflicts}
    rows = [c.staged_record_id for c in conflicts if c.staged_record_id is not None]
    sources = select(StagedRecord.id, StagedRecord.source).where(StagedRecord.id.in_(rows))
    row_source = dict(session.execute(sources).tuples().all())
    entries = []
    for d in session.scalars(select(StewardDecision).where(StewardDecision.conflict_id.in_(list(by_id)))):
        c = by_id[d.conflict_id]
        said = shown_decision(d.decision)  # not the fingerprints of what the record wrote
        chosen = scope.decision(c.kind, c.field, row_source.get(c.staged_record_id or 0), said)
        shown = {"nip": mask_nip(chosen["nip"])} if chosen and chosen.get("nip") else chosen
        if shown is not None and c.kind == ConflictKind.NAMED_OTHER:
            shown = {**shown, "kind": ConflictKind.NAMED_OTHER.value}  # its keep has words of its own
        decided = {"decision": shown, "field": c.field, "applied_at": d.applied_at}
        detail = _scrubbed(scope, decided, reason=d.reason)
        if chosen is None:
            detail["withheld"] = ["decision", *detail.get("withheld", [])]
        entries.append(
            TimelineEntry(d.decided_at, TimelineKind.DECISION, f"#{d.conflict_id}", detail, d.conflict_id)
        )
    return entries
