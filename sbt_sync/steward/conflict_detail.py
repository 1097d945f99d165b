"""One conflict as a steward decides it: its candidates side by side, the record and case it is about,
and the decisions taken on it.

An identity conflict compares the row with each candidate field by field and marks ties
(:mod:`sbt_sync.steward.identity_review`); a field conflict names each candidate's record and the
rule that chose the golden value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, Conflict, FieldProvenance, StagedRecord, StewardDecision, User
from sbt_sync.reconcile.identity.resolve import IdentityThresholds, normalise_instansi
from sbt_sync.reconcile.identity.written import shown_decision
from sbt_sync.states.conflicts import ConflictKind
from sbt_sync.steward.conflicts import (
    IDENTITY_KINDS,
    ConflictNotFound,
    ConflictSummary,
    case_of,
    scoped_summary,
    summary_of,
)
from sbt_sync.steward.identity_review import (
    candidate_profile,
    compare,
    mark_ties,
    source_profile,
    top_refusal,
)
from sbt_sync.steward.registry_search import instansi_name, registry_hits
from sbt_sync.steward.scope import CaseScope, case_scopes


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
    basis_hash: str | None = None
    """What the conflict is about as shown (its basis): a decision made from this view carries it
    back, and is refused if a reconciliation changed it meanwhile (:func:`resolve_conflict`)."""
    withheld: list[str] = field(default_factory=list)
    """What an agency viewer may not see (``record``: the row and its person, ``candidates``: some or
    all candidates' values); each is None or marked ``withheld`` (:mod:`sbt_sync.steward.scope`)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def show_conflict(
    database: Database,
    conflict_id: int,
    *,
    thresholds: IdentityThresholds | None = None,
    sources: Sequence[str] | None = None,
) -> ConflictDetail:
    """One conflict with its candidates side by side, the record, the case and the decisions.

    Identity conflicts get the row's profile (``source``), each candidate's registry profile with
    ``matches`` against the row and ``tie``, and what bulk "top candidate" would say
    (``top_refusal``); field conflicts get each candidate's record and the rule that chose the golden
    value. With ``sources`` (an agency viewer's), what :mod:`sbt_sync.steward.scope` withholds is
    withheld (:func:`_scoped`).
    """
    with database.session() as session:
        conflict = session.get(Conflict, conflict_id)
        if conflict is None:
            raise ConflictNotFound(f"no conflict with id {conflict_id}")
        case = case_of(session, conflict)
        record = session.get(StagedRecord, conflict.staged_record_id) if conflict.staged_record_id else None
        decisions = list(
            session.execute(
                select(StewardDecision, User.username, User.display_name)
                .outerjoin(User, User.id == StewardDecision.decided_by_id)
                .where(StewardDecision.conflict_id == conflict.id)
                .order_by(StewardDecision.id)
            ).tuples()
        )
        latest = decisions[-1][0].id if decisions else None
        holder = session.get(User, conflict.claimed_by_id) if conflict.claimed_by_id else None
        detail = ConflictDetail(
            summary=summary_of(
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
                    "decided_by_name": display_name,
                    "decision": shown_decision(d.decision),
                    "reason": d.reason,
                    "applied_at": d.applied_at,
                    # The latest decision is the one in force: one followed by another (a later
                    # choice, or a reopening) no longer holds, whatever its basis.
                    "still_holds": d.basis_hash == conflict.basis_hash and d.id == latest,
                }
                for d, username, display_name in decisions
            ],
            source=None if record is None else source_profile(record),
            basis_hash=conflict.basis_hash,
        )
    if conflict.kind in IDENTITY_KINDS:
        _side_by_side(database, conflict.kind, detail, thresholds)
    else:
        _with_records(database, conflict, detail.candidates)
        first = detail.candidates[0] if detail.candidates else None
        detail.preselected = None if first is None else str(first.get("value"))
    if sources is not None:
        with database.session() as session:
            scope = case_scopes(session, [detail.summary.case_id], sources)[detail.summary.case_id]
        _scoped(detail, scope, conflict)
    _decisions_in_words(database, conflict, detail, registry=sources is None)
    return detail


def _decisions_in_words(
    database: Database, conflict: Conflict, detail: ConflictDetail, *, registry: bool
) -> None:
    """Each decision as a person reads it (``chosen``: the NIP and name of the person, or the value with
    its reference name and the source that offered it) and the audit entry that recorded it.

    Runs after scoping: it names only what the user may see (a withheld decision stays withheld; an
    agency viewer gets names only from the candidates shown to them, never from the registry).
    """
    with database.session() as session:
        entries = session.execute(
            select(AuditEntry.id, AuditEntry.after).where(
                AuditEntry.object_type == "conflict",
                AuditEntry.object_id == str(conflict.id),
                AuditEntry.action.in_(("conflict.resolve", "conflict.reopen")),
            )
        ).tuples()
        audit_ids = {after.get("decision_id"): id_ for id_, after in entries if isinstance(after, dict)}
    wanted = [
        d["decision"]["nip"]
        for d in detail.decisions
        if isinstance(d["decision"], dict) and d["decision"].get("nip")
    ]
    hits = registry_hits(database, wanted) if registry and wanted else {}
    for d in detail.decisions:
        d["audit_id"] = audit_ids.get(d["id"])
        d["chosen"] = _chosen(conflict, d["decision"], detail.candidates, hits, detail.record)


def _chosen(
    conflict: Conflict,
    decision: dict[str, Any] | None,
    candidates: list[dict[str, Any]],
    hits: dict[str, Any],
    record: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """What a decision chose, in parts a template puts in words (None: withheld); a value's name is the
    console's (:func:`sbt_sync.console.labels.golden_value`)."""
    if not isinstance(decision, dict):
        return None
    if decision.get("reopened"):
        return {"kind": "reopened"}
    if "nip" in decision:
        nip = decision["nip"]
        if not nip:
            return {"kind": "nobody"}
        offered = next((c for c in candidates if c.get("nip") == nip), None)
        hit = hits.get(nip)
        name = (offered or {}).get("name") or (hit.name if hit is not None else None)
        return {"kind": "person", "nip": nip, "name": name, "source": (record or {}).get("source")}
    value = decision.get("value")
    if conflict.kind in (ConflictKind.AMBIGUOUS_LINK, ConflictKind.NAMED_OTHER) and value == "keep":
        return {"kind": "keep"}
    offered = next((c for c in candidates if not c.get("withheld") and c.get("value") == value), None)
    return {
        "kind": "value",
        "value": value,
        "source": offered.get("source") if offered else None,
        "other": offered is None,
    }


def _scoped(detail: ConflictDetail, scope: CaseScope, conflict: Conflict) -> None:
    """Withhold in ``detail`` what ``scope``'s user may not see: another agency's row (and the
    persons offered for it), candidate values, golden values, decisions and texts quoting them."""
    row_source = detail.record["source"] if detail.record else None
    if detail.record is not None and not scope.sees_source(row_source):
        detail.record, detail.source = None, None
        detail.withheld.append("record")
    detail.candidates, hidden = scope.candidates(conflict.kind, conflict.field, row_source, detail.candidates)
    if hidden:
        detail.withheld.append("candidates")
    detail.preselected = None  # an agency viewer never resolves
    detail.basis_hash = None  # nor needs what a decision rests on (a hash of the row's identity)
    detail.summary = scoped_summary(detail.summary, scope)
    if detail.case is not None:
        golden, withheld = scope.golden(detail.case["golden"] or {})
        key, unquoted = scope.texts(case_key=detail.case["case_key"])
        detail.case.update(golden=golden, case_key=key["case_key"], withheld=unquoted + withheld)
    for d in detail.decisions:
        chosen = scope.decision(conflict.kind, conflict.field, row_source, d["decision"])
        reason, unquoted = scope.texts(reason=d["reason"])
        d.update(
            decision=chosen,
            reason=reason["reason"],
            withheld=(["decision"] if chosen is None else []) + unquoted,
        )


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
    if detail.source is not None:
        detail.source["instansi_name"] = instansi_name(database, detail.source.get("instansi"))
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
    if refusal is None and kind == ConflictKind.IDENTITY:
        detail.preselected = detail.candidates[0]["nip"]


def _with_records(database: Database, conflict: Conflict, candidates: list[dict[str, Any]]) -> None:
    """Each field candidate with its record (key, the source's time) and, for the golden one, the rule
    that chose it, so a steward sees the values side by side with where they came from.

    The reconciliation stores a candidate's row as ``staged_record_id`` (reconcile/golden/store.py).
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


CANDIDATE_PAGE = 25
"""Candidates of an identity conflict shown at once; more are paged and may be filtered."""


@dataclass(frozen=True)
class CandidateFilter:
    """A steward's narrowing of a long candidate list: a birth date or its first digits ("1985",
    "1985-04"), part of the instansi's name or its id, a Kanreg; and the page (from 1)."""

    birth: str = ""
    instansi: str = ""
    kanreg: str = ""
    page: int = 1

    @property
    def active(self) -> bool:
        return bool(self.birth.strip() or self.instansi.strip() or self.kanreg.strip())


@dataclass(frozen=True)
class CandidatePage:
    """Which of an identity conflict's candidates one page shows, and how many there are."""

    offered: int
    """Candidates the conflict offers (all of them, before any filter)."""
    matching: int
    """Of those, the ones the filter keeps."""
    page: int
    pages: int
    first: int
    """1-based position of the first shown among the matching (0 when none match)."""
    last: int
    kanregs: tuple[str, ...]
    """The Kanregs among the candidates: the filter's choices."""
    tied_total: int = 0
    """When the reconciliation's cap cut a tie: how many ASN share the tied score (``tied_total``)."""
    tied_shown: int = 0
    """Of those, how many the conflict offers."""

    @property
    def paged(self) -> bool:
        """Whether the list is long enough to be paged and filtered."""
        return self.offered > CANDIDATE_PAGE


def page_candidates(detail: ConflictDetail, chosen: CandidateFilter) -> CandidatePage:
    """Cut ``detail.candidates`` to the page ``chosen`` asks for, after its filters; ties, the
    pre-selection and bulk's refusal were already judged on the whole list (``show_conflict``)."""
    everyone = detail.candidates
    birth, instansi, kanreg = chosen.birth.strip(), normalise_instansi(chosen.instansi), chosen.kanreg.strip()
    kept = [
        c
        for c in everyone
        if (not birth or _birth_text(c.get("birth_date")).startswith(birth))
        and (
            not instansi or any(instansi in normalise_instansi(c.get(k)) for k in ("instansi", "instansi_id"))
        )
        and (not kanreg or str(c.get("kanreg") or "") == kanreg)
    ]
    pages = max(1, -(-len(kept) // CANDIDATE_PAGE))
    page = min(max(chosen.page, 1), pages)
    start = (page - 1) * CANDIDATE_PAGE
    detail.candidates = kept[start : start + CANDIDATE_PAGE]
    tied = [c for c in everyone if isinstance(c.get("tied_total"), int)]
    return CandidatePage(
        offered=len(everyone),
        matching=len(kept),
        page=page,
        pages=pages,
        first=start + 1 if kept else 0,
        last=start + len(detail.candidates),
        kanregs=tuple(sorted({str(c["kanreg"]) for c in everyone if c.get("kanreg")})),
        tied_total=max((int(c["tied_total"]) for c in tied), default=0),
        tied_shown=len(tied),
    )


def _birth_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value or "")
