"""The conflict queue as a service for the CLI, the console and the API: list (filtered, scoped to
an agency viewer's sources), show with candidates side by side, claim and release.

An identity conflict is about one staged row and carries no ``case_id``: its case is the one the row
is linked to now (its active ``case_links`` row), which is what every view shows.

Deciding a conflict is :mod:`sbt_sync.steward.decisions`; what an identity conflict's side by side
compares is :mod:`sbt_sync.steward.identity_review`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AuditEntry,
    Case,
    CaseLink,
    Conflict,
    FieldProvenance,
    StagedRecord,
    StewardDecision,
    User,
)
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.errors import SbtError
from sbt_sync.reconcile.identity import IdentityThresholds
from sbt_sync.steward.identity_review import (
    candidate_profile,
    compare,
    mark_ties,
    source_profile,
    top_refusal,
)
from sbt_sync.steward.registry_search import registry_hits

IDENTITY_KINDS = IDENTITY_CONFLICT_KINDS
STATUSES = ("open", "resolved", "auto_closed")


class ConflictNotFound(SbtError):
    """No conflict has that id."""


class InvalidDecision(SbtError):
    """A decision that cannot apply to its conflict (wrong value, missing reason, closed conflict)."""


@dataclass
class ConflictSummary:
    id: int
    kind: str
    field: str | None
    status: str
    priority: int
    case_key: str | None
    agency: str | None
    opened_at: datetime
    due_at: datetime | None
    candidates: int
    reopened_reason: str | None
    kanreg: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    case_id: int | None = None


@dataclass
class ConflictDetail:
    summary: ConflictSummary
    candidates: list[dict[str, Any]]
    record: dict[str, Any] | None
    """The staged row an identity conflict is about (as the source wrote it)."""
    case: dict[str, Any] | None
    decisions: list[dict[str, Any]] = field(default_factory=list)
    source: dict[str, Any] | None = None
    """Identity conflicts: what the row says of its person, field by field (the side by side's first
    column; each candidate carries ``matches`` against it)."""
    preselected: str | None = None
    """The value the form offers chosen: never a tied candidate, nor one that disagrees with the row."""
    top_refusal: str | None = None
    """Why bulk "top candidate" would refuse this conflict (an :class:`identity_review.Refusal` code)."""
    top_refusal_fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ConflictClaimed(SbtError):
    """Another steward has claimed the conflict."""


def conflict_case_id() -> ColumnElement[int | None]:
    """The case a conflict is about: its own ``case_id``, else the case its row is linked to now."""
    link = aliased(CaseLink)
    active = (
        select(link.case_id)
        .where(link.staged_record_id == Conflict.staged_record_id, link.unlinked_at.is_(None))
        .correlate(Conflict)
        .scalar_subquery()
    )
    return func.coalesce(Conflict.case_id, active)


def visible_to(sources: Sequence[str]) -> ColumnElement[bool]:
    """Conflicts an agency viewer may see: raised on their sources' rows, or on a case one links."""
    case_id = conflict_case_id()
    linked = exists().where(
        CaseLink.case_id == case_id,
        CaseLink.unlinked_at.is_(None),
        CaseLink.source.in_(list(sources)),
    )
    return or_(Conflict.agency.in_(list(sources)), and_(case_id.is_not(None), linked))


def conflict_visible(database: Database, conflict_id: int, sources: Sequence[str] | None) -> bool:
    """Whether the conflict exists and a user scoped to ``sources`` (None: all) may see it."""
    query = select(Conflict.id).where(Conflict.id == conflict_id)
    if sources is not None:
        query = query.where(visible_to(sources))
    with database.session() as session:
        return session.scalar(query) is not None


def _summary(
    conflict: Conflict,
    case_key: str | None,
    kanreg: str | None = None,
    claimed_by: str | None = None,
    case_id: int | None = None,
) -> ConflictSummary:
    return ConflictSummary(
        id=conflict.id,
        kind=conflict.kind,
        field=conflict.field,
        status=conflict.status,
        priority=conflict.priority,
        case_key=case_key,
        agency=conflict.agency,
        opened_at=conflict.opened_at,
        due_at=conflict.due_at,
        candidates=len(conflict.candidates or []),
        reopened_reason=conflict.reopened_reason,
        kanreg=kanreg,
        claimed_by=claimed_by,
        claimed_at=conflict.claimed_at,
        case_id=case_id,
    )


def _case_of(session: Session, conflict: Conflict) -> Case | None:
    """The conflict's case (:func:`conflict_case_id`)."""
    case_id = session.scalar(select(conflict_case_id()).where(Conflict.id == conflict.id))
    return session.get(Case, case_id) if case_id is not None else None


def list_conflicts(
    database: Database,
    *,
    status: str | None = "open",
    kind: str | None = None,
    agency: str | None = None,
    kanreg: str | None = None,
    opened_before: datetime | None = None,
    sources: Sequence[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[ConflictSummary]]:
    """The total matching and one page of conflicts, most urgent first (priority, due date, id).

    ``agency`` is the source a conflict was raised on; ``sources`` limits the result to what an agency
    viewer may see (:func:`visible_to`); ``opened_before`` keeps the conflicts older than a moment.
    """
    if status is not None and status not in STATUSES:
        raise SbtError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    query = (
        select(Conflict, Case.case_key, Case.kanreg_id, User.username, Case.id)
        .select_from(Conflict)
        .outerjoin(Case, Case.id == conflict_case_id())
        .outerjoin(User, User.id == Conflict.claimed_by_id)
    )
    if status is not None:
        query = query.where(Conflict.status == status)
    if kind is not None:
        query = query.where(Conflict.kind == kind)
    if agency is not None:
        query = query.where(Conflict.agency == agency)
    if kanreg is not None:
        query = query.where(Case.kanreg_id == kanreg)
    if opened_before is not None:
        query = query.where(Conflict.opened_at <= opened_before)
    if sources is not None:
        query = query.where(visible_to(sources))
    with database.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = session.execute(
            query.order_by(Conflict.priority, Conflict.due_at, Conflict.id).limit(limit).offset(offset)
        ).tuples()
        return total, [
            _summary(c, key, kanreg_id, claimer, case_id) for c, key, kanreg_id, claimer, case_id in page
        ]


def claim_conflict(
    database: Database,
    conflict_id: int,
    *,
    actor: str,
    claim: bool = True,
    force: bool = False,
    channel: str = "cli",
    client_address: str | None = None,
) -> ConflictSummary:
    """Claim an open conflict for ``actor`` (or release it); audited.

    Raises :class:`ConflictClaimed` when another user holds it, unless ``force`` (an admin's override).
    """
    now = datetime.now(UTC)
    with database.session() as session:
        conflict = session.get(Conflict, conflict_id)
        if conflict is None:
            raise ConflictNotFound(f"no conflict with id {conflict_id}")
        user = session.scalar(select(User).where(User.username == actor))
        holder = session.get(User, conflict.claimed_by_id) if conflict.claimed_by_id else None
        if holder is not None and user is not None and holder.id != user.id and not force:
            raise ConflictClaimed(f"conflict {conflict_id} is claimed by {holder.username}")
        if claim and conflict.status != "open":
            raise InvalidDecision(f"conflict {conflict_id} is {conflict.status}, not open")
        before = {"claimed_by": holder.username if holder else None}
        conflict.claimed_by_id = (user.id if user else None) if claim else None
        conflict.claimed_at = now if claim else None
        session.add(
            AuditEntry(
                at=now,
                actor_id=user.id if user else None,
                actor_name=actor,
                action="conflict.claim" if claim else "conflict.release",
                object_type="conflict",
                object_id=str(conflict.id),
                before=before,
                after={"claimed_by": actor if claim else None},
                channel=channel,
                client_address=client_address,
            )
        )
        case = _case_of(session, conflict)
        return _summary(
            conflict,
            case.case_key if case else None,
            case.kanreg_id if case else None,
            claimed_by=actor if claim else None,
            case_id=case.id if case else None,
        )


def show_conflict(
    database: Database, conflict_id: int, *, thresholds: IdentityThresholds | None = None
) -> ConflictDetail:
    """One conflict with its candidates side by side, the record, the case and the decisions.

    Identity conflicts get the row's profile (``source``), each candidate's registry profile with
    ``matches`` against the row and ``tie``, and what bulk "top candidate" would say
    (``top_refusal``); field conflicts get each candidate's record and the rule that chose the golden
    value.
    """
    with database.session() as session:
        conflict = session.get(Conflict, conflict_id)
        if conflict is None:
            raise ConflictNotFound(f"no conflict with id {conflict_id}")
        case = _case_of(session, conflict)
        record = session.get(StagedRecord, conflict.staged_record_id) if conflict.staged_record_id else None
        decisions = session.execute(
            select(StewardDecision, User.username)
            .outerjoin(User, User.id == StewardDecision.decided_by_id)
            .where(StewardDecision.conflict_id == conflict.id)
            .order_by(StewardDecision.id)
        ).tuples()
        holder = session.get(User, conflict.claimed_by_id) if conflict.claimed_by_id else None
        detail = ConflictDetail(
            summary=_summary(
                conflict,
                case.case_key if case else None,
                case.kanreg_id if case else None,
                holder.username if holder else None,
                case.id if case else None,
            ),
            candidates=[dict(c) for c in conflict.candidates or []],
            record=None if record is None else _record(record),
            case=None
            if case is None
            else {
                "id": case.id,
                "case_key": case.case_key,
                "nip": case.nip,
                "status": case.status,
                "held": case.held,
                "kanreg": case.kanreg_id,
                "golden": case.golden,
            },
            decisions=[
                {
                    "id": d.id,
                    "decided_at": d.decided_at,
                    "decided_by_id": d.decided_by_id,
                    "decided_by": username,
                    "decision": d.decision,
                    "reason": d.reason,
                    "applied_at": d.applied_at,
                    "still_holds": d.basis_hash == conflict.basis_hash,
                }
                for d, username in decisions
            ],
            source=None if record is None else source_profile(record),
        )
    if conflict.kind in IDENTITY_KINDS:
        _side_by_side(database, conflict.kind, detail, thresholds)
    else:
        _with_records(database, conflict, detail.candidates)
        first = detail.candidates[0] if detail.candidates else None
        detail.preselected = None if first is None else str(first.get("value"))
    return detail


def _record(record: StagedRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "source": record.source,
        "record_key": record.record_key,
        "item_no": record.item_no,
        "nip_as_written": record.nip_raw,
        "name": record.name,
        "instansi": record.instansi,
        "resolved_nip": record.resolved_nip,
        "identity_rule": record.identity_rule,
    }


def _side_by_side(
    database: Database, kind: str, detail: ConflictDetail, thresholds: IdentityThresholds | None
) -> None:
    """Registry profiles, matches against the row and ties on an identity conflict's candidates."""
    hits = registry_hits(database, [c["nip"] for c in detail.candidates if c.get("nip")])
    for candidate in detail.candidates:
        hit = hits.get(candidate.get("nip") or "")
        if hit is None:
            continue  # left the registry since the conflict opened: the NIP and score still show
        candidate.update(candidate_profile(hit))
        candidate["matches"] = compare(detail.source or {}, hit, thresholds)
    mark_ties(detail.candidates)
    refusal = top_refusal(detail.candidates)
    detail.top_refusal = refusal.code if refusal else None
    detail.top_refusal_fields = refusal.fields if refusal else ()
    if refusal is None and kind == "identity":
        detail.preselected = detail.candidates[0]["nip"]


def _with_records(database: Database, conflict: Conflict, candidates: list[dict[str, Any]]) -> None:
    """Each field candidate with its record (key, the source's time) and, for the golden one, the rule
    that chose it, so a steward sees the values side by side with where they came from.

    The reconciliation stores a candidate's row as ``staged_record_id`` (reconcile/golden_store.py).
    """
    ids = [int(c["staged_record_id"]) for c in candidates if c.get("staged_record_id") is not None]
    with database.session() as session:
        records = {r.id: r for r in session.scalars(select(StagedRecord).where(StagedRecord.id.in_(ids)))}
        provenance = (
            session.scalar(
                select(FieldProvenance).where(
                    FieldProvenance.case_id == conflict.case_id, FieldProvenance.field == conflict.field
                )
            )
            if conflict.case_id and conflict.field
            else None
        )
    for candidate in candidates:
        staged_id = candidate.get("staged_record_id")
        record = records.get(int(staged_id)) if staged_id is not None else None
        if record is not None:
            candidate["record_key"] = record.record_key
            candidate["source_updated_at"] = record.source_updated_at
        if provenance is not None and staged_id is not None and provenance.staged_record_id == int(staged_id):
            candidate["rule"] = provenance.rule
            candidate["golden"] = True
