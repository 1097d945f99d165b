"""The stewards' side of I-MUT findings: the queue (filtered list) and decisions (investigate, confirm,
dismiss with a reason), each an append-only decision row and an audit entry in one transaction.

A decision is sticky: re-evaluation keeps it while the finding's basis is unchanged, and sends a
confirmed or dismissed finding back to the queue with the reason when it changes
(:mod:`sbt_sync.imut.store`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, ImutFinding, ImutFindingDecision, User
from sbt_sync.errors import SbtError
from sbt_sync.imut.reasons import Language, render, text
from sbt_sync.imut.review import REVIEW_AFTER, FindingStatus, StewardChoice
from schemas.nip import mask_nip


class FindingNotFound(SbtError):
    """No I-MUT finding has that id."""


class InvalidFindingDecision(SbtError):
    """A decision that cannot apply (no reason, a closed finding)."""


@dataclass(frozen=True)
class FindingFilter:
    status: str | None = FindingStatus.OPEN.value
    review: str | None = None
    rule: str | None = None
    instansi_id: str | None = None
    nip: str | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class FindingSummary:
    id: int
    action_id: str
    rule: str
    disposition: str
    status: str
    review: str
    nip_masked: str
    instansi_id: str | None
    official: str
    decision_no: str | None
    decision_date: date | None
    event_id: str | None
    reason: str
    basis: str
    evidence: dict[str, str]
    provisional: bool
    reopened_reason: str | None
    closed_reason: str | None


def _summary(row: ImutFinding, language: Language) -> FindingSummary:
    role = text(f"role.{row.official_role}", language) if row.official_role else "-"
    return FindingSummary(
        id=row.id,
        action_id=row.action_id,
        rule=row.rule,
        disposition=row.disposition,
        status=row.status,
        review=row.review,
        nip_masked=mask_nip(row.nip),
        instansi_id=row.instansi_id,
        official=f"{row.official_name or '-'} ({role})",
        decision_no=row.decision_no,
        decision_date=row.decision_date,
        event_id=row.event_id,
        reason=render(row.reason_key, row.reason_params or {}, language),
        basis=text(row.basis_key, language),
        evidence=dict(row.evidence or {}),
        provisional=row.provisional,
        reopened_reason=row.reopened_reason,
        closed_reason=row.closed_reason,
    )


def list_findings(
    database: Database,
    filters: FindingFilter,
    *,
    limit: int = 50,
    offset: int = 0,
    language: Language = "id",
) -> tuple[int, list[FindingSummary]]:
    """Total and one page of findings: breaches before investigations, oldest decision first."""
    query = select(ImutFinding)
    for column, value in (
        (ImutFinding.status, filters.status),
        (ImutFinding.review, filters.review),
        (ImutFinding.rule, filters.rule),
        (ImutFinding.instansi_id, filters.instansi_id),
        (ImutFinding.nip, filters.nip),
        (ImutFinding.event_id, filters.event_id),
    ):
        if value is not None:
            query = query.where(column == value)
    with database.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        ordered = query.order_by(ImutFinding.disposition, ImutFinding.decision_date, ImutFinding.id)
        rows = session.scalars(ordered.limit(limit).offset(offset))
        return total, [_summary(row, language) for row in rows]


def decide_finding(
    database: Database,
    finding_id: int,
    *,
    choice: StewardChoice,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
    now: datetime | None = None,
) -> int:
    """Record a steward's decision on an open finding; returns the decision's id.

    Raises :class:`FindingNotFound`, or :class:`InvalidFindingDecision` for an empty reason or a
    closed finding (the rules no longer find it: nothing to decide).
    """
    if not reason.strip():
        raise InvalidFindingDecision("a decision needs a reason", code="reason_required")
    at = now or datetime.now(UTC)
    # The write lock before the first read (SQLite): a writer committing between the read and the
    # write would otherwise refuse the decision 'database is locked' (the console takes it anyway).
    with database.session(write=True) as session:
        row = session.get(ImutFinding, finding_id)
        if row is None:
            raise FindingNotFound(f"no I-MUT finding with id {finding_id}", code="not_found", id=finding_id)
        if row.status != FindingStatus.OPEN:
            raise InvalidFindingDecision(
                f"I-MUT finding {finding_id} is {row.status}: {row.closed_reason}",
                code="finding_closed",
                id=finding_id,
            )
        user = session.scalar(select(User).where(User.username == actor))
        before: dict[str, Any] = {"review": row.review, "basis_hash": row.basis_hash}
        decision = ImutFindingDecision(
            finding_id=row.id,
            decision=choice.value,
            reason=reason.strip(),
            basis_hash=row.basis_hash,
            decided_by_id=user.id if user else None,
            decided_by=actor,
            decided_at=at,
        )
        session.add(decision)
        row.review = REVIEW_AFTER[choice].value
        row.review_reason, row.reviewed_by, row.reviewed_at = reason.strip(), actor, at
        row.reopened_reason = None
        session.flush()
        session.add(
            AuditEntry(
                at=at,
                actor_id=user.id if user else None,
                actor_name=actor,
                action="imut_finding.decide",
                object_type="imut_finding",
                object_id=str(row.id),
                before=before,
                after={
                    "review": row.review,
                    "decision": choice.value,
                    "decision_id": decision.id,
                    "rule": row.rule,
                    "nip": mask_nip(row.nip),
                },
                reason=reason.strip(),
                channel=channel,
                client_address=client_address,
            )
        )
        return decision.id
