"""Steward decisions on conflicts: validate the value, then record it with its audit entry.

Resolving writes an append-only :class:`~sbt_sync.db.models.StewardDecision` carrying the conflict's
basis hash and an audit-log entry, in one transaction. The decision takes effect at the next
reconciliation, which applies it on every later run until a source value it relied on changes; then
the conflict reopens and says why (:mod:`sbt_sync.reconcile.run`).

What a decision's value means, per kind:

- ``identity`` / ``name_mismatch``: the NIP of the ASN the row names (a candidate, or any registered
  NIP), or ``none`` when the row names nobody in the registry;
- ``critical_field`` / ``lifecycle``: the field's golden value (one of the candidates' values unless
  ``allow_other``);
- ``ambiguous_link``: ``keep`` (the record stays a case of its own).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, AuditEntry, Conflict, StewardDecision, User
from sbt_sync.steward.conflicts import (
    IDENTITY_KINDS,
    ConflictClaimed,
    ConflictNotFound,
    InvalidDecision,
)
from schemas.nip import NipError, mask_nip, parse_nip


def _identity_value(database: Database, conflict: Conflict, value: str) -> dict[str, Any]:
    if value.strip().lower() == "none":
        return {"nip": None}
    try:
        parsed = parse_nip(value)
    except NipError as exc:
        raise InvalidDecision(f"conflict {conflict.id}: {exc}") from exc
    if parsed is None:
        raise InvalidDecision(f"conflict {conflict.id}: give a NIP or 'none'")
    with database.session() as session:
        if session.get(AsnRegistryEntry, parsed.value) is None:
            raise InvalidDecision(
                f"conflict {conflict.id}: NIP {mask_nip(parsed.value)} is not in the registry"
            )
    return {"nip": parsed.value}


def _field_value(conflict: Conflict, value: str, *, allow_other: bool) -> dict[str, Any]:
    if conflict.kind == "ambiguous_link":
        if value != "keep":
            raise InvalidDecision(f"conflict {conflict.id}: an ambiguous link is resolved with 'keep'")
        return {"value": "keep"}
    offered = {str(c.get("value")): c.get("value") for c in conflict.candidates or []}
    if value in offered:
        return {"value": offered[value]}
    if not allow_other:
        choices = ", ".join(sorted(offered))
        raise InvalidDecision(
            f"conflict {conflict.id}: {value!r} is not a candidate ({choices}); use --other"
        )
    return {"value": value}


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
) -> int:
    """Record a steward's decision on an open conflict; returns the decision's id.

    Raises :class:`ConflictNotFound`, :class:`ConflictClaimed` (another user claimed it and
    ``override_claim`` is off) or :class:`InvalidDecision` (no reason, a conflict already closed, a
    value that is not a candidate or not a registered NIP).
    """
    if not reason.strip():
        raise InvalidDecision("a decision needs a reason")
    now = now or datetime.now(UTC)
    with database.session() as session:
        conflict = session.get(Conflict, conflict_id)
        if conflict is None:
            raise ConflictNotFound(f"no conflict with id {conflict_id}")
        if conflict.status != "open":
            raise InvalidDecision(f"conflict {conflict_id} is {conflict.status}, not open")
        holder = session.get(User, conflict.claimed_by_id) if conflict.claimed_by_id else None
        if holder is not None and holder.username != actor and not override_claim:
            raise ConflictClaimed(f"conflict {conflict_id} is claimed by {holder.username}")
        snapshot = {"status": conflict.status, "basis_hash": conflict.basis_hash}
    if conflict.kind in IDENTITY_KINDS:
        decision = _identity_value(database, conflict, value)
    else:
        decision = _field_value(conflict, value, allow_other=allow_other)
    with database.session() as session:
        conflict = session.get(Conflict, conflict_id)
        assert conflict is not None
        if conflict.basis_hash != snapshot["basis_hash"] or conflict.status != "open":
            raise InvalidDecision(f"conflict {conflict_id} changed while deciding; show it again")
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
        conflict.status, conflict.closed_at, conflict.reopened_reason = "resolved", now, None
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
                after={"status": "resolved", "decision": _masked(decision), "decision_id": row.id},
                reason=reason.strip(),
                channel=channel,
                client_address=client_address,
            )
        )
        conflict.claimed_by_id, conflict.claimed_at = None, None
        return row.id


def _masked(decision: dict[str, Any]) -> dict[str, Any]:
    """The decision as the audit log shows it: NIPs masked (the decision row keeps the full value)."""
    if decision.get("nip"):
        return {"nip": mask_nip(decision["nip"])}
    return decision
