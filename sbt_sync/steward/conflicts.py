"""The conflict queue as a service for the CLI, the console and the API: list (filtered, sorted,
scoped to an agency viewer's sources), count, show with candidates side by side, and assign.

An identity conflict is about one staged row and carries no ``case_id``: its case is the one the row
is linked to now (its active ``case_links`` row), which is what every view shows.

**Assignment is claiming.** A conflict has one holder (``claimed_by_id``): the steward who handles it.
Claiming is assigning it to oneself; a steward may also assign it to a colleague (a steward or an
admin), and ``assigned_by_id`` keeps who gave it. Releasing (unassigning) leaves it to nobody. The
holder, whoever assigned it to them and an admin may change the holder; anyone may take a conflict
nobody holds. "Tugas saya" (my tasks) are the open conflicts I hold.

**Priority** (the queue's default order, :func:`urgency`): first the conflicts holding a case whose
recommendation awaits the PPK's follow-up (a block is at stake: the hold stops peringatan, teguran
and pemblokiran), then those holding any other case, then the rest; within each, the conflict's own
priority (1 highest), the due date (none last) and the id.

One conflict side by side is :mod:`sbt_sync.steward.conflict_detail`; deciding a conflict is
:mod:`sbt_sync.steward.decisions`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    AuditEntry,
    Case,
    Conflict,
    User,
)
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.errors import SbtError
from sbt_sync.states.conflicts import ConflictKind, ConflictStatus
from sbt_sync.steward.case_labels import case_labels
from sbt_sync.steward.due import Today
from sbt_sync.steward.names_found import named_in_text
from sbt_sync.steward.scope import CaseScope, case_scopes, case_search, conflict_case_id
from sbt_sync.steward.scope import conflict_visible as conflict_visible_to

IDENTITY_KINDS = IDENTITY_CONFLICT_KINDS
STATUSES = tuple(ConflictStatus)
SORTS = ("priority", "due")
"""``priority``: :func:`urgency` first; ``due``: the due date first (none last)."""
UNASSIGNED = "-"
"""The assignee filter's value for conflicts nobody holds."""
ASSIGNABLE_ROLES = ("steward", "admin")
AWAITING_PPK = "menunggu_tindak_lanjut_ppk"
INSTANSI_CHOICES = 1000
"""At most this many instansi in the queue's filter list (by id); the case filter finds any other."""


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
    assigned_by: str | None = None
    """Who gave the conflict to ``claimed_by`` (themself for a claim)."""
    label: str | None = None
    """The case's short label (:mod:`sbt_sync.steward.case_labels`), on queue pages."""
    held: bool | None = None
    """Whether the conflict's case is held, on queue pages."""
    due: str | None = None
    """``overdue`` or ``today`` for an open conflict past or on its due date, on queue pages."""
    wording: str = ""
    """The kind as people read it (``kind.<wording>`` in the i18n table): :func:`kind_wording`."""


NAMED_NOBODY = "named_nobody"
"""The wording of a ``named_other`` conflict whose record names nobody in the registry."""


def kind_wording(kind: str, candidates: Sequence[Mapping[str, Any]] | None) -> str:
    """How a conflict's kind is worded (``kind.<wording>``): its kind, except a ``named_other`` whose
    record names nobody in the registry (its candidate's ``named_nip`` is None: a steward decided the
    person it names is no ASN), which joined the case by its number without naming any ASN, not
    naming another one (:data:`NAMED_NOBODY`)."""
    if kind == ConflictKind.NAMED_OTHER and candidates:
        value = candidates[0].get("value")
        if isinstance(value, Mapping) and value.get("named_nip") is None:
            return NAMED_NOBODY
    return kind


class ConflictClaimed(SbtError):
    """Another steward holds the conflict; ``holder`` names them."""

    def __init__(self, message: str = "", *, holder: str | None = None, **kwargs: Any) -> None:
        if kwargs:  # a refusal with a code (sbt_sync.errors): the holder is one of its parameters
            kwargs["holder"] = holder
        super().__init__(message, **kwargs)
        self.holder = holder


class InvalidAssignee(SbtError):
    """A conflict can be assigned only to an active steward or admin account."""


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
    assigned_by: str | None = None,
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
        assigned_by=assigned_by if claimed_by else None,
        wording=kind_wording(conflict.kind, conflict.candidates),
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


def urgency() -> ColumnElement[int]:
    """The queue's first sort key (the module's "Priority"): 0 for a conflict holding a case that
    awaits the PPK's follow-up, 1 for one holding any other case, 2 for the rest."""
    return sql_case(
        (and_(Case.held.is_(True), Case.status == AWAITING_PPK), 0), (Case.held.is_(True), 1), else_=2
    )


@dataclass(frozen=True)
class ConflictFilter:
    """What the queue shows. ``agency`` is the source a conflict was raised on; ``sources`` limits it
    to what an agency viewer may see (:func:`visible_to`); ``opened_before`` keeps the conflicts
    older than a moment; ``case_id`` keeps a case's conflicts, the identity conflicts of its rows
    included; ``case_text`` finds cases by key, NIP or numbers (:func:`case_search`), and by the
    name of someone a record names (:func:`with_names` finds those records: the conflicts on them
    and on their cases); ``assignee`` is a username or :data:`UNASSIGNED`."""

    status: str | None = ConflictStatus.OPEN
    kind: str | None = None
    agency: str | None = None
    kanreg: str | None = None
    instansi: str | None = None
    opened_before: datetime | None = None
    case_id: int | None = None
    case_text: str | None = None
    assignee: str | None = None
    sources: Sequence[str] | None = None
    named_records: tuple[int, ...] = ()
    """The records naming someone like ``case_text`` (:func:`with_names`)."""
    named_cases: tuple[int, ...] = ()
    """The cases those records are linked to."""

    def apply(self, query: Select[Any], holder: Any) -> Select[Any]:
        if self.status is not None and self.status not in STATUSES:
            raise SbtError(f"unknown status {self.status!r}: use one of {', '.join(STATUSES)}")
        conditions: list[ColumnElement[bool]] = []
        if self.status is not None:
            conditions.append(Conflict.status == self.status)
        if self.kind is not None:
            conditions.append(Conflict.kind == self.kind)
        if self.agency is not None:
            conditions.append(Conflict.agency == self.agency)
        if self.kanreg is not None:
            conditions.append(Case.kanreg_id == self.kanreg)
        if self.instansi is not None:
            conditions.append(Case.instansi_id == self.instansi)
        if self.opened_before is not None:
            conditions.append(Conflict.opened_at <= self.opened_before)
        if self.case_id is not None:
            conditions.append(Case.id == self.case_id)
        if self.case_text and self.case_text.strip():
            found = [case_search(self.case_text.strip(), self.sources)]
            if self.named_cases:
                found.append(Case.id.in_(self.named_cases))
            if self.named_records:
                found.append(Conflict.staged_record_id.in_(self.named_records))
            conditions.append(or_(*found))
        if self.assignee == UNASSIGNED:
            conditions.append(Conflict.claimed_by_id.is_(None))
        elif self.assignee is not None:
            conditions.append(holder.username == self.assignee)
        if self.sources is not None:
            conditions.append(visible_to(self.sources))
        return query.where(*conditions)


def with_names(session: Session, filters: ConflictFilter) -> ConflictFilter:
    """``filters`` with the records (and their cases) naming someone like its case text, when that
    text reads as a name (:func:`~sbt_sync.steward.names_found.named_in_text`); a viewer's name
    search reads only their agency's records."""
    records, cases = named_in_text(session, filters.case_text, filters.sources)
    return replace(filters, named_records=records, named_cases=cases) if records else filters


def _queue(columns: Sequence[Any], filters: ConflictFilter) -> tuple[Select[Any], Any, Any]:
    holder, giver = aliased(User), aliased(User)
    query = (
        select(*columns)
        .select_from(Conflict)
        .outerjoin(Case, Case.id == conflict_case_id())
        .outerjoin(holder, holder.id == Conflict.claimed_by_id)
        .outerjoin(giver, giver.id == Conflict.assigned_by_id)
    )
    return filters.apply(query, holder), holder, giver


def list_conflicts(
    database: Database,
    *,
    status: str | None = ConflictStatus.OPEN,
    kind: str | None = None,
    agency: str | None = None,
    kanreg: str | None = None,
    opened_before: datetime | None = None,
    case_id: int | None = None,
    sources: Sequence[str] | None = None,
    limit: int = 100,
    offset: int = 0,
    filters: ConflictFilter | None = None,
    sort: str = "priority",
    today: Today | None = None,
    labels: bool = False,
) -> tuple[int, list[ConflictSummary]]:
    """The total matching and one page of conflicts, by ``sort`` (:data:`SORTS`; ``priority`` is
    the module's "Priority").

    ``filters`` replaces the single filter arguments (kept for callers that name them). With
    ``today`` each open conflict carries its due state; with ``labels`` its case's short label.
    """
    if filters is None:
        filters = ConflictFilter(status=status, kind=kind, agency=agency, kanreg=kanreg,
                                 opened_before=opened_before, case_id=case_id, sources=sources)  # fmt: skip
    if sort not in SORTS:
        raise SbtError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    due_last = (Conflict.due_at.is_(None), Conflict.due_at)
    by_urgency = (urgency(), Conflict.priority, *due_last)
    order = by_urgency if sort == "priority" else (*due_last, urgency(), Conflict.priority)
    with database.session() as session:
        filters = with_names(session, filters)
        columns = [Conflict, Case.case_key, Case.kanreg_id, Case.id, Case.held]
        query, holder, giver = _queue(columns, filters)
        query = query.add_columns(holder.username, giver.username)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = session.execute(query.order_by(*order, Conflict.id).limit(limit).offset(offset)).all()
        scopes = case_scopes(session, (row[3] for row in page), filters.sources)
        named = case_labels(session, (row[3] for row in page), scopes) if labels else {}
        rows = []
        for c, key, kanreg_id, case_id_, held, claimer, giver_name in page:
            summary = summary_of(c, key, kanreg_id, claimer, case_id_, assigned_by=giver_name)
            summary.held = held
            summary.label = named.get(case_id_) if case_id_ is not None else None
            if today is not None and c.status == ConflictStatus.OPEN:
                summary.due = today.state(c.due_at)
            rows.append(scoped_summary(summary, scopes[case_id_]))
        return total, rows


@dataclass
class QueueCounts:
    """What the queue's header counts: over the filters but the kind, conflicts per kind and the open
    ones overdue and due today; and every open conflict I hold ("tugas saya")."""

    kinds: dict[str, int]
    overdue: int
    today: int
    mine: int


def count_queue(database: Database, filters: ConflictFilter, *, today: Today, me: str | None) -> QueueCounts:
    """The counts above the queue (:class:`QueueCounts`); ``me`` is the user whose tasks are counted."""
    start, end = today.bounds()
    open_ = Conflict.status == ConflictStatus.OPEN
    with database.session() as session:
        query, _, _ = _queue(
            [
                Conflict.kind,
                func.count(),
                func.sum(sql_case((and_(open_, Conflict.due_at < start), 1), else_=0)),
                func.sum(
                    sql_case((and_(open_, Conflict.due_at >= start, Conflict.due_at < end), 1), else_=0)
                ),
            ],
            with_names(session, replace(filters, kind=None)),
        )
        rows = session.execute(query.group_by(Conflict.kind)).all()
        mine = 0
        if me:
            # "Tugas saya" counts every open conflict I hold, whatever the other filters say.
            held, _, _ = _queue([func.count()], ConflictFilter(assignee=me, sources=filters.sources))
            mine = session.scalar(held) or 0
    return QueueCounts(
        kinds={row[0]: row[1] for row in rows},
        overdue=sum(int(row[2] or 0) for row in rows),
        today=sum(int(row[3] or 0) for row in rows),
        mine=mine,
    )


def queue_instansi(database: Database, sources: Sequence[str] | None) -> list[tuple[str, str]]:
    """The instansi of the cases open conflicts are about (the queue's instansi filter): id and the
    registry's name (the id when the registry has none), by name; scoped like the queue."""
    query, _, _ = _queue([Case.instansi_id], ConflictFilter(sources=sources))
    with database.session() as session:
        ids = sorted({i for i in session.scalars(query.where(Case.instansi_id.is_not(None)).distinct()) if i})
        # One indexed lookup per instansi (ix_asn_registry_instansi_id): a grouping over the registry
        # would read every ASN of each instansi, millions of rows nationally.
        name_of = select(AsnRegistryEntry.instansi_name).where(AsnRegistryEntry.instansi_id == bindparam("i"))
        named = [(i, session.scalar(name_of.limit(1), {"i": i}) or i) for i in ids[:INSTANSI_CHOICES]]
    return sorted(named, key=lambda pair: (pair[1].lower(), pair[0]))


def assignable_users(database: Database) -> list[tuple[str, str]]:
    """The accounts a conflict may be assigned to (active stewards and admins): username and display
    name, by display name."""
    with database.session() as session:
        rows = session.execute(
            select(User.username, User.display_name)
            .where(User.role.in_(ASSIGNABLE_ROLES), User.active.is_(True))
            .order_by(User.display_name, User.username)
        ).tuples()
        return [(username, display or username) for username, display in rows]


def assign_conflict(
    database: Database,
    conflict_id: int,
    *,
    actor: str,
    assignee: str | None,
    force: bool = False,
    channel: str = "cli",
    client_address: str | None = None,
) -> ConflictSummary:
    """Give a conflict to ``assignee`` (``actor`` themself: a claim), or to nobody (None: a release);
    audited as ``conflict.claim``, ``conflict.assign`` or ``conflict.release``. Giving it to its
    holder again changes nothing and is not audited.

    Raises :class:`ConflictNotFound`; :class:`ConflictClaimed` when someone else holds it and
    ``actor`` neither assigned it to them nor may ``force`` it (an admin); :class:`InvalidAssignee`
    when ``assignee`` is no active steward or admin; :class:`InvalidDecision` when a conflict that is
    not open would be given to someone.
    """
    now = datetime.now(UTC)
    with database.session() as session:
        conflict = session.get(Conflict, conflict_id)
        if conflict is None:
            raise ConflictNotFound(f"no conflict with id {conflict_id}", code="not_found", id=conflict_id)
        user = session.scalar(select(User).where(User.username == actor))
        holder = session.get(User, conflict.claimed_by_id) if conflict.claimed_by_id else None
        giver = session.get(User, conflict.assigned_by_id) if conflict.assigned_by_id else None
        target = None
        if assignee is not None:
            target = session.scalar(select(User).where(User.username == assignee))
            if target is None or not target.active or target.role not in ASSIGNABLE_ROLES:
                raise InvalidAssignee(
                    f"{assignee!r} is no active steward or admin account",
                    code="invalid_assignee",
                    who=assignee,
                )
            if conflict.status != ConflictStatus.OPEN:
                raise InvalidDecision(
                    f"conflict {conflict_id} is {conflict.status}, not open",
                    code="conflict_not_open", id=conflict_id, status=conflict.status,
                )  # fmt: skip
        mine = user is not None and ((holder is not None and holder.id == user.id) or
                                     (giver is not None and giver.id == user.id))  # fmt: skip
        if holder is not None and not mine and not force:
            raise ConflictClaimed(
                f"conflict {conflict_id} is claimed by {holder.username}",
                code="conflict_claimed", id=conflict_id, holder=holder.username,
            )  # fmt: skip
        case = case_of(session, conflict)
        if (holder.id if holder else None) != (target.id if target else None):
            action = "release" if target is None else "claim" if target.username == actor else "assign"
            session.add(
                AuditEntry(
                    at=now,
                    actor_id=user.id if user else None,
                    actor_name=actor,
                    action=f"conflict.{action}",
                    object_type="conflict",
                    object_id=str(conflict.id),
                    before={"claimed_by": holder.username if holder else None,
                            "assigned_by": giver.username if giver and holder else None},
                    after={"claimed_by": target.username if target else None,
                           "assigned_by": actor if target else None},
                    channel=channel,
                    client_address=client_address,
                )
            )  # fmt: skip
            conflict.claimed_by_id = target.id if target else None
            conflict.assigned_by_id = (user.id if user else None) if target else None
            conflict.claimed_at = now if target else None
            holder, giver = target, user if target else None
        return summary_of(
            conflict,
            case.case_key if case else None,
            case.kanreg_id if case else None,
            claimed_by=holder.username if holder else None,
            case_id=case.id if case else None,
            assigned_by=giver.username if giver else None,
        )


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
    """Claim an open conflict for ``actor`` (or release it): :func:`assign_conflict` to oneself or
    to nobody.

    Raises :class:`ConflictClaimed` when another user holds it, unless ``force`` (an admin's override).
    """
    return assign_conflict(
        database, conflict_id, actor=actor, assignee=actor if claim else None, force=force,
        channel=channel, client_address=client_address,
    )  # fmt: skip
