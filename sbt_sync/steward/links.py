"""Steward corrections of the crosswalk: move a record to another case or person, split, merge, undo,
and reopen a resolved decision, each previewed before it is confirmed and audited when it is.

A correction is a sticky decision (:class:`~sbt_sync.db.models.LinkCorrection`): the next
reconciliation applies it and every later one keeps it while the records it involves are unchanged
(:mod:`sbt_sync.reconcile.corrections`); undoing it is itself a decision, and the crosswalk keeps both
(``case_links.unlinked_at``).

The preview runs the production path itself (reconciliation, then the enforcement policy) inside a
transaction that is rolled back: first with the data as it is, then with the correction added; what
differs is the consequence: the cases that change and every NIP whose block flag would change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database, lock_for_write, lock_product_writes
from sbt_sync.db.models import (
    AsnRegistryEntry,
    AuditEntry,
    Case,
    CaseLink,
    Conflict,
    LinkCorrection,
    StagedRecord,
    StewardDecision,
    User,
)
from sbt_sync.enforce.load import load_cases
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.enforce.store import held_before_ours
from sbt_sync.reconcile.conflict_lifecycle import reopen
from sbt_sync.reconcile.corrections import basis_of, involved, record_contents
from sbt_sync.reconcile.identity.store import chunks
from sbt_sync.reconcile.run import reconcile_in_session
from sbt_sync.settings import Settings
from sbt_sync.states.conflicts import ConflictStatus
from sbt_sync.steward.conflicts import ConflictNotFound, InvalidDecision
from schemas.nip import NipError, mask_nip, parse_nip

CorrectionKind = Literal["move_record", "assign_person", "split", "merge"]
TARGET_RECORD = ("move_record", "merge")


@dataclass(frozen=True)
class CorrectionRequest:
    """What a steward asks: see :class:`~sbt_sync.db.models.LinkCorrection` for each kind."""

    kind: CorrectionKind
    staged_record_id: int
    target_staged_record_id: int | None = None
    target_nip: str | None = None
    """For ``assign_person``: the ASN the record names, or None when it names nobody in the registry."""


@dataclass
class FlagChange:
    nip: str
    """Masked, as everything a person reads outside the case page."""
    blocked_before: bool
    blocked_after: bool
    cases_after: list[str] = field(default_factory=list)
    name: str | None = None
    """The registry's name for the NIP, so a steward can tell the two people apart on the preview."""
    waits_for_steward: bool = False
    """An unblock SIASN will not follow by itself: SIASN held the NIP's block before ours (a Kanreg's
    own block), so enforcement parks the ``buka`` for a steward on the push monitor
    (:func:`~sbt_sync.enforce.store.held_before_ours`) and SIASN keeps the block until one sends it."""


@dataclass
class Consequence:
    """What a correction would change at the next reconciliation and enforcement."""

    cases_before: dict[str, list[int]]
    """Case key -> its staged records, for the cases the records involved belong to now."""
    cases_after: dict[str, list[int]]
    """The same records' cases once the correction is applied."""
    flag_changes: list[FlagChange]
    held_after: list[str]
    """Case keys that would be held afterwards (a disputed identity or an open critical conflict)."""
    people: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    """The full NIPs of everyone the consequence names (a flag that flips, by name and masked NIP; a
    case whose label ends in a masked NIP): whoever is shown it read their personal data, so every
    face records these (:func:`sbt_sync.pdp.access.nips_in` walks this field). Never shown: not in
    :meth:`as_dict` nor in :attr:`digest`."""

    def as_dict(self) -> dict[str, Any]:
        shown = asdict(self)
        del shown["people"]
        return shown

    @property
    def changes_anything(self) -> bool:
        return self.cases_before != self.cases_after or bool(self.flag_changes)

    @property
    def digest(self) -> str:
        """A fingerprint of this consequence: a confirmation that carries it back from the preview is
        refused when the consequence is no longer the one the steward was shown."""
        shown = json.dumps(self.as_dict(), sort_keys=True, default=str)
        return hashlib.sha256(shown.encode()).hexdigest()


def _validate(session: Session, request: CorrectionRequest) -> None:
    record = session.get(StagedRecord, request.staged_record_id)
    if record is None or record.withdrawn:
        raise InvalidDecision(f"record {request.staged_record_id} does not exist or its source withdrew it")
    if request.kind in TARGET_RECORD:
        target_id = request.target_staged_record_id
        target = session.get(StagedRecord, target_id) if target_id is not None else None
        if target is None or target.withdrawn:
            raise InvalidDecision(f"{request.kind} needs a live target record (got {target_id})")
        if target.id == record.id:
            raise InvalidDecision("a record cannot be moved to or merged with itself")
        here = _case_of(session, record.id)
        if here is not None and here == _case_of(session, target.id):
            raise InvalidDecision("both records are already in the same case")
    unknown = request.target_nip is not None and session.get(AsnRegistryEntry, request.target_nip) is None
    if request.kind == "assign_person" and unknown:
        raise InvalidDecision(f"NIP {mask_nip(request.target_nip)} is not in the registry")


def parse_person(value: str) -> str | None:
    """A NIP as a steward typed it, or None for 'none' (the record names nobody in the registry)."""
    if value.strip().lower() == "none":
        return None
    try:
        parsed = parse_nip(value)
    except NipError as exc:
        raise InvalidDecision(str(exc)) from exc
    if parsed is None:
        raise InvalidDecision("give a NIP or 'none'")
    return parsed.value


def _case_of(session: Session, staged_id: int) -> int | None:
    return session.scalar(
        select(CaseLink.case_id).where(CaseLink.staged_record_id == staged_id, CaseLink.unlinked_at.is_(None))
    )


def case_label(key: str) -> str:
    """A case key as people outside the case page read it: its NIP masked."""
    head, _, last = key.rpartition("|")
    return f"{head}|{mask_nip(last)}" if head and len(last) == 18 and last.isdigit() else key


def _nip_of_key(key: str) -> str | None:
    """The NIP a case key ends in (the one :func:`case_label` masks), if it ends in one."""
    last = key.rpartition("|")[2]
    return last if len(last) == 18 and last.isdigit() else None


def _membership(
    session: Session, staged_ids: Iterable[int], named: set[str] | None = None
) -> dict[str, list[int]]:
    """Case label (:func:`case_label`) -> its staged records, for the cases holding ``staged_ids``;
    the NIPs the cases' keys end in are added to ``named``."""
    case_ids = {c for i in staged_ids if (c := _case_of(session, i)) is not None}
    found: dict[str, list[int]] = {}
    for case_id in sorted(case_ids):
        key = session.scalar(select(Case.case_key).where(Case.id == case_id))
        members = session.scalars(
            select(CaseLink.staged_record_id)
            .where(CaseLink.case_id == case_id, CaseLink.unlinked_at.is_(None))
            .order_by(CaseLink.staged_record_id)
        )
        found[case_label(str(key))] = list(members)
        if named is not None and (nip := _nip_of_key(str(key))):
            named.add(nip)
    return found


def _mark(session: Session, ids: Iterable[int]) -> None:
    """Flag the records for the next reconciliation (and its sensor) to pick up."""
    session.execute(
        update(StagedRecord).where(StagedRecord.id.in_(sorted(set(ids)))).values(needs_reconcile=True)
    )


def _records_of_request(request: CorrectionRequest) -> list[int]:
    ids = [request.staged_record_id]
    if request.target_staged_record_id is not None and request.kind in TARGET_RECORD:
        ids.append(request.target_staged_record_id)
    return ids


def _new_row(
    session: Session, request: CorrectionRequest, reason: str, actor: str, now: datetime
) -> LinkCorrection:
    ids = _records_of_request(request)
    user = session.scalar(select(User).where(User.username == actor))
    row = LinkCorrection(
        kind=request.kind,
        staged_record_id=request.staged_record_id,
        target_staged_record_id=request.target_staged_record_id if request.kind in TARGET_RECORD else None,
        target_nip=request.target_nip if request.kind == "assign_person" else None,
        basis_hash=basis_of(request.kind, record_contents(session, ids).values()),
        reason=reason,
        status="active",
        decided_by_id=user.id if user else None,
        decided_by=actor,
        decided_at=now,
    )
    session.add(row)
    session.flush()
    _mark(session, involved(row))
    return row


def _blocks(session: Session, settings: Settings, as_of: date) -> dict[str, tuple[bool, list[str]]]:
    """NIP -> (blocked, the keys of the cases blocking it), unmasked: labelled where shown."""
    plan = plan_enforcement(load_cases(session), settings.enforcement, as_of)
    return {nip: (d.blocked, list(d.blocking_case_keys)) for nip, d in plan.blocks.items()}


Change = Callable[[Session, datetime], list[int]]
"""A step a preview applies inside its rolled-back savepoint; returns the records it involves."""


def correction_change(request: CorrectionRequest) -> Change:
    """What recording ``request`` changes, as :func:`consequence_in` applies it.

    Raises :class:`InvalidDecision` when the request cannot apply (module docstring)."""

    def change(session: Session, now: datetime) -> list[int]:
        _validate(session, request)
        _new_row(session, request, "preview", "preview", now)
        return _records_of_request(request)

    return change


def undo_change(correction_id: int) -> Change:
    """What undoing correction ``correction_id`` changes (:func:`undo_correction`)."""

    def change(session: Session, now: datetime) -> list[int]:
        row = _undoable(session, correction_id)
        _revoke(session, row, "preview", "preview", now)
        return sorted(involved(row))

    return change


def reopen_change(conflict_id: int) -> Change:
    """What reopening conflict ``conflict_id`` changes (:func:`reopen_decision`)."""

    def change(session: Session, now: datetime) -> list[int]:
        conflict = _reopenable(session, conflict_id)
        _reopen_conflict(session, conflict, None, "preview", "preview", now)
        if conflict.staged_record_id is not None:
            return [conflict.staged_record_id]
        return sorted(_case_records(session, conflict.case_id))

    return change


def preview_correction(
    database: Database, settings: Settings, request: CorrectionRequest, *, as_of: date | None = None
) -> Consequence:
    """The consequence of ``request`` at ``as_of`` (default: today in the schedule's timezone), changing
    nothing stored.

    Raises :class:`InvalidDecision` when the request cannot apply (module docstring).
    """
    return _preview(database, settings, correction_change(request), as_of=as_of)


def preview_undo(
    database: Database, settings: Settings, correction_id: int, *, as_of: date | None = None
) -> Consequence:
    """The consequence of undoing correction ``correction_id`` (:func:`undo_correction`), changing
    nothing stored."""
    return _preview(database, settings, undo_change(correction_id), as_of=as_of)


def preview_reopen(
    database: Database, settings: Settings, conflict_id: int, *, as_of: date | None = None
) -> Consequence:
    """The consequence of reopening conflict ``conflict_id`` (:func:`reopen_decision`), changing nothing
    stored: its decision stops applying, so its case may be held or linked as the machine would."""
    return _preview(database, settings, reopen_change(conflict_id), as_of=as_of)


def _case_records(session: Session, case_id: int | None) -> set[int]:
    if case_id is None:
        return set()
    query = select(CaseLink.staged_record_id).where(
        CaseLink.case_id == case_id, CaseLink.unlinked_at.is_(None)
    )
    return set(session.scalars(query))


def _preview(
    database: Database, settings: Settings, change: Change, *, as_of: date | None = None
) -> Consequence:
    """:func:`consequence_in` in a transaction of its own, rolled back: nothing stored changes."""
    with database.session() as session:
        try:
            return consequence_in(session, database, settings, change, as_of=as_of)
        finally:
            session.rollback()


def consequence_in(
    session: Session, database: Database, settings: Settings, change: Change, *, as_of: date | None = None
) -> Consequence:
    """In the caller's transaction: reconcile, apply ``change``, reconcile again and judge the block
    flags before and after, all inside a savepoint rolled back, so the caller's transaction is left as
    it was (a confirmation then records the step in it, under the locks it took first)."""
    now = datetime.now(UTC)
    # Today where the deployment is, the day the enforcement run decides for (not the UTC day).
    as_of = as_of or now.astimezone(ZoneInfo(settings.schedule.timezone)).date()
    savepoint = session.begin_nested()
    try:
        reconcile_in_session(session, database, settings, as_of=as_of, now=now)
        before = _blocks(session, settings, as_of)
        ids = change(session, now)  # a row the next reconciliation reads: no link moved yet
        named: set[str] = set()
        before_cases = _membership(session, ids, named)
        reconcile_in_session(session, database, settings, as_of=as_of, now=now)
        after_cases = _membership(
            session, {i for members in before_cases.values() for i in members} | set(ids), named
        )
        after = _blocks(session, settings, as_of)
        involved = {i for members in after_cases.values() for i in members}
        held_keys = {
            str(key)
            for chunk in chunks(sorted(involved))
            for key in session.scalars(
                select(Case.case_key)
                .join(CaseLink, CaseLink.case_id == Case.id)
                .where(
                    CaseLink.staged_record_id.in_(chunk),
                    CaseLink.unlinked_at.is_(None),
                    Case.held.is_(True),
                )
            )
        }
    finally:
        savepoint.rollback()
    unflagged: tuple[bool, list[str]] = (False, [])
    flipped = [
        nip
        for nip in sorted(set(before) | set(after))
        if before.get(nip, unflagged)[0] != after.get(nip, unflagged)[0]
    ]
    names = dict(
        session.execute(
            select(AsnRegistryEntry.nip, AsnRegistryEntry.name).where(AsnRegistryEntry.nip.in_(flipped))
        )
        .tuples()
        .all()
    )
    # As enforcement will write them (the outbox is as it was: the savepoint touched no row of it).
    parked = held_before_ours(session, [nip for nip in flipped if not after.get(nip, unflagged)[0]])
    changes = [
        FlagChange(
            mask_nip(nip),
            before.get(nip, unflagged)[0],
            after.get(nip, unflagged)[0],
            [case_label(k) for k in after.get(nip, unflagged)[1]],
            names.get(nip),
            nip in parked,
        )
        for nip in flipped
    ]
    blocking = {k for nip in flipped for k in after.get(nip, unflagged)[1]}
    named |= set(flipped) | {n for k in held_keys | blocking if (n := _nip_of_key(k))}
    held = sorted({case_label(k) for k in held_keys})
    return Consequence(before_cases, after_cases, changes, held, frozenset(named))


def _audit(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: int,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str,
    channel: str,
    client_address: str | None,
    now: datetime,
) -> None:
    user = session.scalar(select(User).where(User.username == actor))
    session.add(
        AuditEntry(
            at=now,
            actor_id=user.id if user else None,
            actor_name=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=before,
            after=after,
            reason=reason,
            channel=channel,
            client_address=client_address,
        )
    )


def _hold_for_writing(session: Session) -> None:
    """First in a correction's or an undoing's transaction, as every steward writer does
    (:mod:`sbt_sync.steward.decisions`, :mod:`sbt_sync.steward.link_confirm`): PostgreSQL's
    product-writes lock, so a reconciliation or a confirmation checking its consequence never has this
    land under its check (it waits for them to commit, then writes); then SQLite's write lock, before
    the first read, so another writer committing between the read and the write makes this wait its
    turn instead of failing at once ('database is locked')."""
    lock_product_writes(session)
    lock_for_write(session, LinkCorrection)


def correct_link(
    database: Database,
    request: CorrectionRequest,
    *,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
    now: datetime | None = None,
) -> int:
    """Record a correction (applied by the next reconciliation) with its audit entry; its id.

    Raises :class:`InvalidDecision` without a reason or when the request cannot apply. A person's
    correction goes through :func:`sbt_sync.steward.link_confirm.confirm_correction`, which records it
    only on the consequence they read."""
    with database.session() as session:
        _hold_for_writing(session)
        return record_correction(
            session, request, reason=reason, actor=actor, channel=channel, client_address=client_address,
            now=now,
        )  # fmt: skip


def record_correction(
    session: Session,
    request: CorrectionRequest,
    *,
    reason: str,
    actor: str,
    channel: str,
    client_address: str | None,
    now: datetime | None = None,
) -> int:
    """:func:`correct_link` in the caller's transaction."""
    if not reason.strip():
        raise InvalidDecision("a correction needs a reason", code="reason_required")
    now = now or datetime.now(UTC)
    _validate(session, request)
    row = _new_row(session, request, reason.strip(), actor, now)
    _audit(
        session,
        actor=actor,
        action=f"link.{request.kind}",
        object_type="link_correction",
        object_id=row.id,
        before={"case": _case_shown(session, request.staged_record_id)},
        after=_described(row),
        reason=reason.strip(),
        channel=channel,
        client_address=client_address,
        now=now,
    )
    return row.id


def _case_key(session: Session, staged_id: int) -> str | None:
    case_id = _case_of(session, staged_id)
    return None if case_id is None else session.scalar(select(Case.case_key).where(Case.id == case_id))


def _case_shown(session: Session, staged_id: int) -> str | None:
    """The key of the record's case as the audit log shows it: its NIP masked (:func:`case_label`)."""
    key = _case_key(session, staged_id)
    return None if key is None else case_label(key)


def _described(row: LinkCorrection) -> dict[str, Any]:
    """A correction as the audit log shows it: NIPs masked."""
    return {
        "kind": row.kind,
        "record": row.staged_record_id,
        "target_record": row.target_staged_record_id,
        "target_nip": mask_nip(row.target_nip) if row.target_nip else None,
        "status": row.status,
    }


def undo_correction(
    database: Database,
    correction_id: int,
    *,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
    now: datetime | None = None,
) -> None:
    """Revoke a correction: the next reconciliation links its records as if it had never been made."""
    with database.session() as session:
        _hold_for_writing(session)
        record_undo(
            session, correction_id, reason=reason, actor=actor, channel=channel,
            client_address=client_address, now=now,
        )  # fmt: skip


def record_undo(
    session: Session,
    correction_id: int,
    *,
    reason: str,
    actor: str,
    channel: str,
    client_address: str | None,
    now: datetime | None = None,
) -> None:
    """:func:`undo_correction` in the caller's transaction."""
    if not reason.strip():
        raise InvalidDecision("undoing a correction needs a reason", code="reason_required")
    now = now or datetime.now(UTC)
    row = _undoable(session, correction_id)
    before = _described(row)
    _revoke(session, row, actor, reason.strip(), now)
    _audit(
        session,
        actor=actor,
        action="link.undo",
        object_type="link_correction",
        object_id=row.id,
        before=before,
        after=_described(row),
        reason=reason.strip(),
        channel=channel,
        client_address=client_address,
        now=now,
    )


def _undoable(session: Session, correction_id: int) -> LinkCorrection:
    row = session.get(LinkCorrection, correction_id)
    if row is None:
        raise InvalidDecision(f"no link correction with id {correction_id}")
    if row.status == "revoked":
        raise InvalidDecision(f"link correction {correction_id} is already undone")
    return row


def _revoke(session: Session, row: LinkCorrection, actor: str, reason: str, now: datetime) -> None:
    row.status, row.revoked_at, row.revoked_by, row.revoke_reason = "revoked", now, actor, reason
    row.applied_at = None  # the next run applies the undoing
    _mark(session, involved(row))
    session.flush()


SUPERSEDED = "superseded"
"""How a listing shows an ``active`` assignment that a later one of the same record replaced (the
stored status stays ``active``: undoing the later one puts it back in force)."""


def list_corrections(
    database: Database,
    *,
    staged_record_id: int | None = None,
    staged_record_ids: Collection[int] | None = None,
) -> list[dict[str, Any]]:
    """Every correction (newest first), or those involving one record (or any of several: a case's).

    An assignment a later one of the same record replaced (not undone) is listed with status
    ``superseded`` and ``superseded_by``: only the latest applies
    (:func:`~sbt_sync.reconcile.corrections.persons_assigned`)."""
    wanted = set(staged_record_ids or ()) | ({staged_record_id} if staged_record_id is not None else set())
    if staged_record_ids is not None and not wanted:
        return []
    with database.session() as session:
        query = select(LinkCorrection).order_by(LinkCorrection.id.desc())
        if wanted:
            query = query.where(
                LinkCorrection.staged_record_id.in_(sorted(wanted))
                | LinkCorrection.target_staged_record_id.in_(sorted(wanted))
            )
        rows = list(session.scalars(query))
        replaced = _replaced_by(session, rows)
        return [
            {
                **_described(row),
                "id": row.id,
                "reason": row.reason,
                "decided_by": row.decided_by,
                "decided_at": row.decided_at,
                "applied_at": row.applied_at,
                "reopened_reason": row.reopened_reason,
                "revoked_by": row.revoked_by,
                "revoked_at": row.revoked_at,
                "revoke_reason": row.revoke_reason,
                **({"status": SUPERSEDED} if row.id in replaced else {}),
                "superseded_by": replaced.get(row.id),
            }
            for row in rows
        ]


def _replaced_by(session: Session, rows: Iterable[LinkCorrection]) -> dict[int, int]:
    """Active assignment id -> the latest later assignment of its record that is not undone: the one
    a reconciliation applies instead (``persons_assigned`` takes the latest per record)."""
    active = [r for r in rows if r.kind == "assign_person" and r.status == "active"]
    latest: dict[int, int] = {}
    for chunk in chunks(sorted({r.staged_record_id for r in active})):
        query = select(LinkCorrection.staged_record_id, func.max(LinkCorrection.id)).where(
            LinkCorrection.kind == "assign_person",
            LinkCorrection.status.in_(("active", "reopened")),
            LinkCorrection.staged_record_id.in_(chunk),
        )
        latest.update(session.execute(query.group_by(LinkCorrection.staged_record_id)).tuples().all())
    return {r.id: latest[r.staged_record_id] for r in active if latest.get(r.staged_record_id, r.id) > r.id}


def reopen_decision(
    database: Database,
    conflict_id: int,
    *,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
    now: datetime | None = None,
) -> int:
    """Reopen a conflict a steward resolved: the decision stops applying at the next reconciliation
    and the conflict waits in the queue again. Appends a decision row that says so; its id."""
    with database.session() as session:
        # As a decision and a link confirmation do (PostgreSQL): first the product-writes lock, so a
        # confirmation checking its consequence never has this reopening land under its check; SQLite:
        # the write lock, before the first read (one steward word on a conflict at a time).
        lock_product_writes(session)
        lock_for_write(session, Conflict)
        return record_reopen(
            session, conflict_id, reason=reason, actor=actor, channel=channel,
            client_address=client_address, now=now,
        )  # fmt: skip


def record_reopen(
    session: Session,
    conflict_id: int,
    *,
    reason: str,
    actor: str,
    channel: str,
    client_address: str | None,
    now: datetime | None = None,
) -> int:
    """:func:`reopen_decision` in the caller's transaction (which took the product-writes lock and
    SQLite's write lock first)."""
    if not reason.strip():
        raise InvalidDecision("reopening a decision needs a reason", code="reason_required")
    now = now or datetime.now(UTC)
    conflict = _reopenable(session, conflict_id, lock=True)
    user = session.scalar(select(User).where(User.username == actor))
    row = _reopen_conflict(session, conflict, user.id if user else None, actor, reason.strip(), now)
    _audit(
        session,
        actor=actor,
        action="conflict.reopen",
        object_type="conflict",
        object_id=conflict.id,
        before={"status": ConflictStatus.RESOLVED},
        after={"status": ConflictStatus.OPEN, "decision_id": row.id},
        reason=reason.strip(),
        channel=channel,
        client_address=client_address,
        now=now,
    )
    return row.id


def _reopenable(session: Session, conflict_id: int, *, lock: bool = False) -> Conflict:
    conflict = session.get(Conflict, conflict_id, with_for_update=lock)
    if conflict is None:
        raise ConflictNotFound(f"no conflict with id {conflict_id}")
    if conflict.status != ConflictStatus.RESOLVED:
        raise InvalidDecision(f"conflict {conflict_id} is {conflict.status}, not resolved")
    return conflict


def _reopen_conflict(
    session: Session, conflict: Conflict, user_id: int | None, actor: str, reason: str, now: datetime
) -> StewardDecision:
    row = StewardDecision(
        conflict_id=conflict.id,
        decided_by_id=user_id,
        decided_at=now,
        decision={"reopened": True},
        reason=reason,
        basis_hash=conflict.basis_hash,
    )
    session.add(row)
    reopen(conflict, f"reopened by {actor}: {reason}")
    if conflict.staged_record_id is not None:
        _mark(session, [conflict.staged_record_id])
    session.flush()
    return row


def describe_records(database: Database, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Staged id -> what a steward recognises a record by (source, key, item, name, the NIP it resolved
    to, masked), for the records a preview names."""
    wanted = sorted(set(ids))
    with database.session() as session:
        rows = (
            session.scalars(select(StagedRecord).where(StagedRecord.id.in_(wanted))).all() if wanted else []
        )
        return {
            r.id: {
                "id": r.id,
                "source": r.source,
                "record_key": r.record_key,
                "item_no": r.item_no,
                "name": r.name,
                "nip": mask_nip(r.resolved_nip) if r.resolved_nip else None,
            }
            for r in rows
        }


def record_identifiers(database: Database, ids: Iterable[int]) -> list[str]:
    """What names the people behind records ``ids`` (never shown; for the record of their read): each
    record's resolved NIP, the NIP its source wrote (as written), and the NIP of the case it is linked
    to now. A page listing a record by its name and masked NIP read that person's data; a record that
    names someone but carries no NIP is recorded under its case's NIP, as the case page records every
    record of the case (:func:`sbt_sync.pdp.access.nips_in` picks the NIPs out of these strings)."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    live = (CaseLink.staged_record_id == StagedRecord.id) & CaseLink.unlinked_at.is_(None)
    with database.session() as session:
        rows = session.execute(
            select(StagedRecord.resolved_nip, StagedRecord.nip_raw, Case.nip)
            .outerjoin(CaseLink, live)
            .outerjoin(Case, Case.id == CaseLink.case_id)
            .where(StagedRecord.id.in_(wanted))
        ).all()
    return [value for row in rows for value in row if value]


def case_records(database: Database, case_id: int) -> list[int]:
    """The staged records linked to a case now (the crosswalk's live links), oldest link first."""
    with database.session() as session:
        return list(
            session.scalars(
                select(CaseLink.staged_record_id)
                .where(CaseLink.case_id == case_id, CaseLink.unlinked_at.is_(None))
                .order_by(CaseLink.id)
            )
        )
