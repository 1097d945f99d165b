"""Steward decisions on conflicts: validate the value, then record it with its audit entry.

Resolving writes an append-only :class:`~sbt_sync.db.models.StewardDecision` carrying the conflict's
basis hash and an audit-log entry, in one transaction. The decision takes effect at the next
reconciliation, which applies it on every later run until a source value it relied on changes; then
the conflict reopens and says why (:mod:`sbt_sync.reconcile.run`).

What a decision's value means, per kind:

- ``identity`` / ``name_mismatch`` / ``unresolved``: the NIP of the ASN the row names (a candidate, or
  any registered NIP a registry search found), or ``none`` when the row names nobody in the registry
  ("bukan ASN / tidak dapat diidentifikasi");
- ``critical_field`` / ``lifecycle``: the field's golden value (one of the candidates' values unless
  ``allow_other``);
- ``ambiguous_link``: ``keep`` (the record stays a case of its own);
- ``named_other``: ``keep`` (the record belongs to this case although it names another ASN: its NIP
  and name are the source's mistake; the hold lifts and the record counts). The other answer, moving
  the record to the case of the ASN it names, is a link correction (:mod:`sbt_sync.steward.links`),
  after which the conflict closes by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select

from sbt_sync.db.engine import Database, lock_for_write, lock_product_writes
from sbt_sync.db.models import AsnRegistryEntry, AuditEntry, Conflict, StagedRecord, StewardDecision, User
from sbt_sync.errors import SbtError
from sbt_sync.reconcile.conflict_lifecycle import resolve
from sbt_sync.reconcile.golden.model import CODE_FIELDS
from sbt_sync.reconcile.identity.resolve import IdentityThresholds
from sbt_sync.reconcile.identity.store import identity_basis
from sbt_sync.reconcile.identity.written import WRITTEN_KEY, shown_decision, written_fingerprints
from sbt_sync.states.conflicts import ConflictKind, ConflictStatus
from sbt_sync.steward.conflict_detail import show_conflict
from sbt_sync.steward.conflicts import (
    IDENTITY_KINDS,
    ConflictClaimed,
    ConflictNotFound,
    InvalidDecision,
    conflict_visible,
)
from sbt_sync.steward.identity_review import Refusal, top_refusal
from schemas.feeds.bkn_wasdal import HASIL
from schemas.feeds.kemendagri import STATUS as FOLLOW_UP_STATUS
from schemas.nip import NipError, mask_nip, parse_nip
from schemas.reference import sanction_codes


def _identity_value(database: Database, conflict: Conflict, value: str) -> dict[str, Any]:
    if value.strip().lower() == "none":
        return {"nip": None}
    try:
        parsed = parse_nip(value)
    except NipError as exc:
        raise InvalidDecision(
            f"conflict {conflict.id}: {exc}", code="nip_invalid", id=conflict.id, detail=exc.reason
        ) from exc
    if parsed is None:
        raise InvalidDecision(
            f"conflict {conflict.id}: give a NIP or 'none'", code="nip_missing", id=conflict.id
        )
    with database.session() as session:
        if session.get(AsnRegistryEntry, parsed.value) is None:
            raise InvalidDecision(
                f"conflict {conflict.id}: NIP {mask_nip(parsed.value)} is not in the registry",
                code="nip_not_registered", id=conflict.id, nip=mask_nip(parsed.value),
            )  # fmt: skip
    return {"nip": parsed.value}


def _written_as_shown(record: StagedRecord | None, conflict: Conflict) -> dict[str, str] | None:
    """The fingerprints of what ``record`` writes about its person, when that is what the steward was
    shown on ``conflict``; None when the record changed since the last reconciliation (the decision
    then rests on its basis alone, as one recorded before fingerprints were kept)."""
    if record is None:
        return None
    basis = identity_basis(record.nip_raw, record.name, record.instansi)
    if conflict.kind in IDENTITY_KINDS and basis != conflict.basis_hash:
        return None
    if conflict.kind not in IDENTITY_KINDS and record.needs_reconcile:
        return None
    return written_fingerprints(record.nip_raw, record.name, record.instansi)


def _field_value(conflict: Conflict, value: str, *, allow_other: bool) -> dict[str, Any]:
    if conflict.kind == ConflictKind.AMBIGUOUS_LINK:
        if value != "keep":
            raise InvalidDecision(
                f"conflict {conflict.id}: an ambiguous link is resolved with 'keep'",
                code="keep_only",
                id=conflict.id,
            )
        return {"value": "keep"}
    if conflict.kind == ConflictKind.NAMED_OTHER:
        if value != "keep":
            raise InvalidDecision(
                f"conflict {conflict.id}: a record naming another ASN is resolved with 'keep' here, "
                "or moved to that ASN's case with a link correction",
                code="named_other_keep_only",
                id=conflict.id,
            )
        return {"value": "keep"}
    offered = {str(c.get("value")): c.get("value") for c in conflict.candidates or []}
    if value in offered:
        return {"value": offered[value]}
    if not allow_other:
        choices = ", ".join(sorted(offered))
        raise InvalidDecision(
            f"conflict {conflict.id}: {value!r} is not a candidate ({choices}); use --other",
            code="not_a_candidate",
            id=conflict.id,
            value=value,
            choices=sorted(offered),
            field=conflict.field,
        )
    allowed = allowed_values(conflict.field)
    if allowed is not None and value not in allowed:
        raise InvalidDecision(
            f"conflict {conflict.id}: {value!r} is no {conflict.field} value (allowed: {', '.join(allowed)})",
            code="not_allowed_value",
            id=conflict.id,
            value=value,
            field=conflict.field,
            allowed=list(allowed),
        )
    return {"value": value}


def allowed_values(field: str | None) -> tuple[str, ...] | None:
    """The values a field's "other value" may take (reference codes, a feed's vocabulary); None when
    the field is free text."""
    if field in CODE_FIELDS:
        return tuple(str(code.id) for code in sanction_codes())
    if field == "verification_result":
        return tuple(HASIL)
    if field == "follow_up_status":
        return tuple(FOLLOW_UP_STATUS)
    return None


def resolve_conflict(
    database: Database,
    conflict_id: int,
    *,
    value: str,
    reason: str,
    actor: str,
    channel: str = "cli",
    allow_other: bool = False,
    now: datetime | None = None,
    client_address: str | None = None,
    override_claim: bool = False,
    basis_seen: str | None = None,
) -> int:
    """Record a steward's decision on an open conflict; returns the decision's id.

    ``basis_seen`` is the basis hash of the conflict as the steward was shown it (the console's form
    carries it back): when a reconciliation has changed what the conflict is about since, the decision
    would rest on values nobody read, and is refused (``conflict_changed``).

    Raises :class:`ConflictNotFound`, :class:`ConflictClaimed` (another user claimed it and
    ``override_claim`` is off) or :class:`InvalidDecision` (no reason, a conflict already closed or
    changed since it was shown, a value that is not a candidate or not a registered NIP).
    """
    if not reason.strip():
        raise InvalidDecision("a decision needs a reason", code="reason_required")
    now = now or datetime.now(UTC)
    with database.session() as session:
        conflict = session.get(Conflict, conflict_id)
        if conflict is None:
            raise ConflictNotFound(f"no conflict with id {conflict_id}", code="not_found", id=conflict_id)
        if conflict.status != ConflictStatus.OPEN:
            raise InvalidDecision(
                f"conflict {conflict_id} is {conflict.status}, not open",
                code="conflict_not_open", id=conflict_id, status=conflict.status,
            )  # fmt: skip
        holder = session.get(User, conflict.claimed_by_id) if conflict.claimed_by_id else None
        if holder is not None and holder.username != actor and not override_claim:
            raise ConflictClaimed(
                f"conflict {conflict_id} is claimed by {holder.username}",
                code="conflict_claimed", id=conflict_id, holder=holder.username,
            )  # fmt: skip
        if basis_seen is not None and basis_seen != conflict.basis_hash:
            raise InvalidDecision(
                f"conflict {conflict_id} changed since it was shown; show it again",
                code="conflict_changed", id=conflict_id,
            )  # fmt: skip
        snapshot = {"status": conflict.status, "basis_hash": conflict.basis_hash}
        written = _written_as_shown(session.get(StagedRecord, conflict.staged_record_id or 0), conflict)
    if conflict.kind in IDENTITY_KINDS:
        decision = _identity_value(database, conflict, value)
    else:
        decision = _field_value(conflict, value, allow_other=allow_other)
    if written is not None and conflict.kind in (*IDENTITY_KINDS, ConflictKind.NAMED_OTHER):
        # What the record wrote about its person when the steward decided: the decision rests on it,
        # and a reopening says which part changed (:mod:`sbt_sync.reconcile.identity.written`).
        decision[WRITTEN_KEY] = written
    with database.session() as session:
        # PostgreSQL: first the lock a reconciliation and a link confirmation hold (as they take it), so
        # a confirmation checking its consequence never has this decision land under its check; it
        # waits for them to commit, then writes (only this short transaction holds it, never the
        # reads above). SQLite: the write lock serialises every writer already.
        lock_product_writes(session)
        # Hold the conflict row until this decision commits: a steward deciding it at the same time
        # waits, then finds it resolved, instead of recording a second decision on top of this one.
        lock_for_write(session, Conflict)
        conflict = session.get(Conflict, conflict_id, with_for_update=True)
        assert conflict is not None
        if conflict.basis_hash != snapshot["basis_hash"] or conflict.status != ConflictStatus.OPEN:
            raise InvalidDecision(
                f"conflict {conflict_id} changed while deciding; show it again",
                code="conflict_changed",
                id=conflict_id,
            )
        user = session.scalar(select(User).where(User.username == actor))
        row = StewardDecision(
            conflict_id=conflict.id,
            decided_by_id=user.id if user else None,
            decided_at=now,
            decision=decision,
            reason=reason.strip(),
            basis_hash=conflict.basis_hash,
        )
        session.add(row)
        resolve(conflict, now)
        session.flush()
        session.add(
            AuditEntry(
                at=now,
                actor_id=user.id if user else None,
                actor_name=actor,
                action="conflict.resolve",
                object_type="conflict",
                object_id=str(conflict.id),
                before=snapshot,
                after={
                    "status": ConflictStatus.RESOLVED,
                    "decision": _masked(decision),
                    "decision_id": row.id,
                },
                reason=reason.strip(),
                channel=channel,
                client_address=client_address,
            )
        )
        conflict.claimed_by_id, conflict.claimed_at, conflict.assigned_by_id = None, None, None
        return row.id


def _masked(decision: dict[str, Any]) -> dict[str, Any]:
    """The decision as the audit log shows it: NIPs masked, without the fingerprints of what the record
    wrote (the decision row keeps both)."""
    if decision.get("nip"):
        return {"nip": mask_nip(decision["nip"])}
    return shown_decision(decision)


BulkChoice = Literal["top", "none", "keep"]
BULK_MAX = 500
"""Conflicts one bulk answer may decide: a page of the queue is 50; more is a mistake, not a job."""


@dataclass(frozen=True, slots=True)
class BulkRefusal:
    """One conflict a bulk answer left untouched, and why."""

    conflict_id: int
    code: str
    """``tie``, ``disagrees``, ``no_candidate`` (:class:`identity_review.Refusal`), ``not_found``,
    ``forbidden``, ``claimed`` or ``invalid`` (the decision itself was refused: see ``message``)."""
    message: str
    fields: tuple[str, ...] = ()
    tied: int = 0
    error: SbtError | None = None
    """The refusal itself for ``invalid``: its ``code`` lets the console say it in its language."""


@dataclass
class BulkResult:
    resolved: list[tuple[int, int]] = field(default_factory=list)
    """(conflict id, decision id) of each conflict decided."""
    refused: list[BulkRefusal] = field(default_factory=list)


def bulk_resolve(
    database: Database,
    conflict_ids: Sequence[int],
    *,
    choice: BulkChoice,
    reason: str,
    actor: str,
    sources: Sequence[str] | None = None,
    channel: str = "cli",
    client_address: str | None = None,
    override_claim: bool = False,
    thresholds: IdentityThresholds | None = None,
) -> BulkResult:
    """The same answer for many conflicts, each with its own decision and audit entry.

    ``top`` takes each conflict's best candidate, except where a look is needed: an identity conflict
    whose top candidates tie or whose top candidate disagrees with the row
    (:func:`identity_review.top_refusal`), or a conflict without candidates. Those, and conflicts the
    user may not see (``sources``) or decide, are left open and reported in ``refused``; the others
    go on. Raises :class:`InvalidDecision` for an empty reason or more than ``BULK_MAX`` conflicts.
    """
    if not reason.strip():
        raise InvalidDecision("a decision needs a reason", code="reason_required")
    if len(conflict_ids) > BULK_MAX:
        raise InvalidDecision(
            f"at most {BULK_MAX} conflicts at once, {len(conflict_ids)} given",
            code="bulk_too_many", max=BULK_MAX, count=len(conflict_ids),
        )  # fmt: skip
    result = BulkResult()
    for conflict_id in dict.fromkeys(conflict_ids):
        refusal = _bulk_one(
            database, conflict_id, choice=choice, reason=reason, actor=actor, sources=sources,
            channel=channel, client_address=client_address, override_claim=override_claim,
            thresholds=thresholds, result=result,
        )  # fmt: skip
        if refusal is not None:
            result.refused.append(refusal)
    return result


def _bulk_one(
    database: Database,
    conflict_id: int,
    *,
    choice: BulkChoice,
    reason: str,
    actor: str,
    sources: Sequence[str] | None,
    channel: str,
    client_address: str | None,
    override_claim: bool,
    thresholds: IdentityThresholds | None,
    result: BulkResult,
) -> BulkRefusal | None:
    if not conflict_visible(database, conflict_id, None):
        return BulkRefusal(conflict_id, "not_found", f"no conflict with id {conflict_id}")
    if not conflict_visible(database, conflict_id, sources):
        return BulkRefusal(conflict_id, "forbidden", f"conflict {conflict_id} belongs to another agency")
    value: str = choice
    basis: str | None = None
    if choice == "top":
        detail = show_conflict(database, conflict_id, thresholds=thresholds)
        basis = detail.basis_hash  # the top candidate was judged on this: refused if it changes meanwhile
        if detail.summary.kind in IDENTITY_KINDS:
            refusal = top_refusal(detail.candidates)
            if refusal is not None:
                return BulkRefusal(
                    conflict_id, refusal.code, refusal.message(conflict_id), refusal.fields, refusal.tied
                )
            value = str(detail.candidates[0]["nip"])
        elif not detail.candidates:
            return BulkRefusal(conflict_id, "no_candidate", Refusal("no_candidate").message(conflict_id))
        else:
            value = str(detail.candidates[0].get("value"))
    try:
        decision = resolve_conflict(
            database, conflict_id, value=value, reason=reason, actor=actor, channel=channel,
            client_address=client_address, override_claim=override_claim, basis_seen=basis,
        )  # fmt: skip
    except ConflictClaimed as exc:
        return BulkRefusal(conflict_id, "claimed", str(exc))
    except SbtError as exc:
        return BulkRefusal(conflict_id, "invalid", str(exc), error=exc)
    result.resolved.append((conflict_id, decision))
    return None
