"""The conflict queue as a service for the CLI, the console and the API: list (filtered, scoped to
an agency viewer's sources), show with candidates side by side, claim and release.

An identity conflict is about one staged row and carries no ``case_id``: its case is the one the row
is linked to now (its active ``case_links`` row), which is what every view shows.

One conflict side by side is :mod:`sbt_sync.steward.conflict_detail`; deciding a conflict is
:mod:`sbt_sync.steward.decisions`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AuditEntry,
    Case,
    Conflict,
    User,
)
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.errors import SbtError
from sbt_sync.steward.scope import CaseScope, case_scopes, conflict_case_id
from sbt_sync.steward.scope import conflict_visible as conflict_visible_to

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
    withheld: list[str] = dataclasses.field(default_factory=list)
    """What an agency viewer may not see here (``case_key``, ``reopened_reason``): shown as None."""


class ConflictClaimed(SbtError):
    """Another steward has claimed the conflict."""


visible_to = conflict_visible_to
"""Kept for callers that name it so (:func:`sbt_sync.steward.scope.conflict_visible`)."""


def conflict_visible(database: Database, conflict_id: int, sources: Sequence[str] | None) -> bool:
    """Whether the conflict exists and a user scoped to ``sources`` (None: all) may see it."""
    query = select(Conflict.id).where(Conflict.id == conflict_id)
    if sources is not None:
        query = query.where(visible_to(sources))
    with database.session() as session:
        return session.scalar(query) is not None


def summary_of(
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


def scoped_summary(summary: ConflictSummary, scope: CaseScope) -> ConflictSummary:
    """The summary as ``scope``'s user may see it: a case key or reopening reason quoting another
    agency's record is withheld."""
    if scope.everything:
        return summary
    shown, withheld = scope.texts(case_key=summary.case_key, reopened_reason=summary.reopened_reason)
    return replace(
        summary, case_key=shown["case_key"], reopened_reason=shown["reopened_reason"], withheld=withheld
    )


def case_of(session: Session, conflict: Conflict) -> Case | None:
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
    case_id: int | None = None,
    sources: Sequence[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[ConflictSummary]]:
    """The total matching and one page of conflicts, most urgent first (priority, due date, id).

    ``agency`` is the source a conflict was raised on; ``sources`` limits the result to what an agency
    viewer may see (:func:`visible_to`); ``opened_before`` keeps the conflicts older than a moment;
    ``case_id`` keeps a case's conflicts, the identity conflicts of its rows included.
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
    if case_id is not None:
        query = query.where(Case.id == case_id)
    if sources is not None:
        query = query.where(visible_to(sources))
    with database.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = session.execute(
            query.order_by(Conflict.priority, Conflict.due_at, Conflict.id).limit(limit).offset(offset)
        ).all()
        scopes = case_scopes(session, (row[4] for row in page), sources)
        return total, [
            scoped_summary(summary_of(c, key, kanreg_id, claimer, case_id), scopes[case_id])
            for c, key, kanreg_id, claimer, case_id in page
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
        case = case_of(session, conflict)
        return summary_of(
            conflict,
            case.case_key if case else None,
            case.kanreg_id if case else None,
            claimed_by=actor if claim else None,
            case_id=case.id if case else None,
        )
