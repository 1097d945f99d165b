"""The stewards' link corrections as a reconciliation reads them (DESIGN.md, "The golden dataset").

A correction (:class:`~sbt_sync.db.models.LinkCorrection`) holds while the records it involves say what
it relied on when the steward decided (its basis hash, :func:`basis_of`): for ``assign_person``, whom
the record names (its NIP, name and instansi as written, the basis of a decision on its identity
conflict), so a source edit of another field keeps it; for a move, split or merge, what linking reads
of the records (their keys, whom they name and :data:`~sbt_sync.reconcile.golden.link.LINK_FIELDS`),
so a revised sanction code or a corrected SK number keeps it. Each run reads the active corrections of
its scope: those that still hold become :class:`LinkOverride` (move, split, merge) or a person for a
record (assign); those whose records changed are ``reopened`` with the reason and no longer applied,
so the machine's linking takes over again and the steward sees why. A record the source withdrew
changes nothing by itself: the correction waits (there is nothing to move while it is gone) and
applies again when the record is re-delivered as it was. A correction recorded with the earlier basis
(the records' whole content) still holds while that content is unchanged, and its basis is restated
the current way (:func:`holds`).

An ``assign_person`` correction whose NIP left the registry (SIASN corrected the NIP, or removed it)
is reopened too, but the machine does not take over: its link could be the very ASN the steward
exonerated. The mirror keeps no trace of a corrected NIP (the old row is replaced), so the correction
cannot be carried to the new NIP; the record names nobody and its identity conflict stays open (the
case held) until a steward decides again: a new correction, an undoing, or a decision on that
conflict. Everything happens in the caller's session.

Whom a record names is also what a decision on its identity conflict says, so the later of the two
steward words wins: an ``assign_person`` correction is reopened (and no longer applied) once a steward
decides or reopens the record's identity conflict after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import Conflict, LinkCorrection, StagedRecord, StewardDecision
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.reconcile.golden.link import LINK_FIELDS
from sbt_sync.reconcile.golden.model import LinkOverride, OverrideKind
from sbt_sync.reconcile.identity.store import chunks, identity_basis, registered_nips
from schemas.nip import mask_nip

LINK_KINDS: tuple[OverrideKind, ...] = ("move_record", "split", "merge")
ASSIGN = "assign_person"


@dataclass(frozen=True)
class RecordSaid:
    """What a staged record says now, as far as a correction's basis is concerned."""

    staged_id: int
    content_hash: str
    withdrawn: bool
    identity: str
    """Whom the record names: :func:`~sbt_sync.reconcile.identity.store.identity_basis`."""
    linking: str
    """What linking reads of the record: its keys, whom it names and its ``LINK_FIELDS``."""


def correction_basis(contents: Iterable[tuple[int, str, bool]]) -> str:
    """The basis of a correction: the (staged id, content hash, withdrawn) of the records it involves."""
    return hashlib.sha256(json.dumps(sorted(contents)).encode()).hexdigest()


def basis_of(kind: str, said: Iterable[RecordSaid]) -> str:
    """The basis of a ``kind`` correction over the records it involves (module docstring)."""
    # Not whether a record is withdrawn: while it is, there is nothing to move (``link`` skips the
    # correction); re-delivered as it was, it is what the steward decided on.
    relied = sorted((s.staged_id, s.identity if kind == ASSIGN else s.linking) for s in said)
    return hashlib.sha256(json.dumps(relied).encode()).hexdigest()


def holds(correction: LinkCorrection, contents: Mapping[int, RecordSaid]) -> bool:
    """Whether the records ``correction`` involves still say what it relied on.

    A correction whose basis was taken the earlier way (the records' whole content, before each kind
    relied on what it needs: :func:`basis_of`) holds while that content is unchanged; its basis is then
    restated the current way, so a later edit of another field keeps it too.
    """
    ids = involved(correction)
    said = [contents[i] for i in ids if i in contents]
    if len(said) < len(ids):
        return False
    basis = basis_of(correction.kind, said)
    if correction.basis_hash == basis:
        return True
    earlier = correction_basis((s.staged_id, s.content_hash, False) for s in said)
    if correction.basis_hash != earlier:
        return False
    correction.basis_hash = basis
    return True


def involved(correction: LinkCorrection) -> list[int]:
    """The staged records a correction relies on."""
    ids = [correction.staged_record_id]
    if correction.target_staged_record_id is not None:
        ids.append(correction.target_staged_record_id)
    return ids


def record_contents(session: Session, ids: Iterable[int]) -> dict[int, RecordSaid]:
    """Staged id -> what the record says now, as a correction's basis covers it."""
    found: dict[int, RecordSaid] = {}
    for chunk in chunks(sorted(set(ids))):
        for row in session.scalars(select(StagedRecord).where(StagedRecord.id.in_(chunk))):
            identity = identity_basis(row.nip_raw, row.name, row.instansi)
            fields = row.fields or {}
            read = [row.event_code, row.register_no, row.recommendation_no, identity]
            read += [fields.get(name) for name in LINK_FIELDS]
            linking = hashlib.sha256(json.dumps(read, sort_keys=True, default=str).encode()).hexdigest()
            found[row.id] = RecordSaid(row.id, row.content_hash, bool(row.withdrawn), identity, linking)
    return found


def active_corrections(session: Session, staged_ids: Iterable[int]) -> list[LinkCorrection]:
    """Active corrections that involve any of ``staged_ids`` (as the record or the target)."""
    found: dict[int, LinkCorrection] = {}
    for chunk in chunks(sorted(set(staged_ids))):
        query = select(LinkCorrection).where(
            LinkCorrection.status == "active",
            or_(
                LinkCorrection.staged_record_id.in_(chunk),
                LinkCorrection.target_staged_record_id.in_(chunk),
            ),
        )
        found.update((c.id, c) for c in session.scalars(query))
    return [found[i] for i in sorted(found)]


@dataclass
class InForce:
    """The corrections a run applies, and what it did with the others."""

    overrides: list[LinkOverride] = field(default_factory=list)
    persons: dict[int, str | None] = field(default_factory=dict)
    """Staged id -> the NIP a steward assigned the record (None: it names nobody in the registry)."""
    reopened: int = 0


def corrections_in_force(session: Session, staged_ids: Sequence[int], now: datetime) -> InForce:
    """The active corrections of the scope that still hold; the others are reopened with the reason.

    Also stamps ``applied_at`` on the corrections (and the undoings) this run is the first to apply.
    """
    result = InForce()
    corrections = active_corrections(session, staged_ids)
    contents = record_contents(session, (i for c in corrections for i in involved(c)))
    registered = registered_nips(session, (c.target_nip for c in corrections if c.target_nip))
    decided = _identity_decided_at(session, [c.staged_record_id for c in corrections if c.kind == ASSIGN])
    for c in corrections:
        if not holds(c, contents):
            changed = [f"record {i}" for i in involved(c) if i not in contents or contents[i].withdrawn]
            c.status = "reopened"
            c.reopened_reason = (
                f"the records it relied on changed since {c.decided_at:%Y-%m-%d %H:%M} UTC"
                + (f" ({', '.join(changed)} withdrawn)" if changed else "")
                + ": the machine's link applies until a steward decides again"
            )
            result.reopened += 1
            continue
        if _superseded(c, decided):
            c.status = "reopened"
            c.reopened_reason = (
                f"a steward decided (or reopened) the record's identity conflict on "
                f"{decided[c.staged_record_id]:%Y-%m-%d %H:%M} UTC, after this correction: that decision "
                "applies"
            )
            result.reopened += 1
            continue
        if c.kind == "assign_person" and c.target_nip is not None and c.target_nip not in registered:
            c.status = "reopened"
            c.reopened_reason = target_gone_reason(c.target_nip)
            result.reopened += 1
            continue
        if c.applied_at is None:
            c.applied_at = now
        if c.kind == "assign_person":
            result.persons[c.staged_record_id] = c.target_nip
        else:
            kind = next(k for k in LINK_KINDS if k == c.kind)
            result.overrides.append(LinkOverride(c.id, kind, c.staged_record_id, c.target_staged_record_id))
    for chunk in chunks(sorted(set(staged_ids))):
        undone = select(LinkCorrection).where(
            LinkCorrection.status == "revoked",
            LinkCorrection.applied_at.is_(None),
            LinkCorrection.staged_record_id.in_(chunk),
        )
        for c in session.scalars(undone):
            c.applied_at = now
    return result


def unapplied_records(session: Session) -> set[int]:
    """The records of corrections (and undoings) no run has applied yet.

    A run takes them in whatever their ``needs_reconcile`` flag says: a correction recorded while a
    run worked set the flag after the run had read it, and the run then cleared it with the rest of
    its scope; without this the correction would wait for something else to touch its records.
    """
    query = select(LinkCorrection).where(
        LinkCorrection.applied_at.is_(None), LinkCorrection.status.in_(("active", "revoked"))
    )
    return {i for c in session.scalars(query) for i in involved(c)}


def _superseded(correction: LinkCorrection, decided: Mapping[int, datetime]) -> bool:
    """Whether a steward decided (or reopened) the identity conflict of an ``assign_person``
    correction's record after the correction: the later word on whom the record names wins."""
    since = decided.get(correction.staged_record_id)
    return correction.kind == ASSIGN and since is not None and since > correction.decided_at


def target_gone_reason(nip: str) -> str:
    """Why an ``assign_person`` correction whose NIP left the registry was reopened."""
    return (
        f"the NIP it assigns ({mask_nip(nip)}) is no longer in the SIASN registry (SIASN corrected "
        "or removed it): the record names nobody and its case is held until a steward decides again"
    )


def persons_assigned(session: Session, staged_ids: Sequence[int]) -> dict[int, str | None]:
    """Staged id -> the NIP a steward assigned the record (None: nobody), read before identity
    resolution searches: a steward's assignment wins over the machine.

    Per record the latest ``assign_person`` correction not undone counts, while its basis holds and
    until a steward decides (or reopens) the record's identity conflict after it: an active one, or
    one reopened because its NIP left the registry. A NIP that is not in the registry keeps the record
    disputed (:func:`~sbt_sync.reconcile.identity.store.resolve_identities`): never the machine's link.
    """
    latest: dict[int, LinkCorrection] = {}
    for chunk in chunks(sorted(set(staged_ids))):
        query = (
            select(LinkCorrection)
            .where(
                LinkCorrection.kind == "assign_person",
                LinkCorrection.status.in_(("active", "reopened")),
                LinkCorrection.staged_record_id.in_(chunk),
            )
            .order_by(LinkCorrection.id)
        )
        latest.update((c.staged_record_id, c) for c in session.scalars(query))
    contents = record_contents(session, latest)
    reopened = [c for c in latest.values() if c.status == "reopened"]
    gone = {c.target_nip for c in reopened if c.target_nip} - registered_nips(
        session, (c.target_nip for c in reopened if c.target_nip)
    )
    decided = _identity_decided_at(session, list(latest))
    held: dict[int, str | None] = {}
    for staged_id, c in latest.items():
        if not holds(c, contents) or (c.status == "active" and _superseded(c, decided)):
            continue
        if c.status == "reopened":
            since = decided.get(staged_id)
            if c.target_nip not in gone or (since is not None and since >= c.decided_at):
                continue
        held[staged_id] = c.target_nip
    return held


def _identity_decided_at(session: Session, staged_ids: Sequence[int]) -> dict[int, datetime]:
    """Staged id -> when a steward last decided (or reopened) the record's identity conflict."""
    found: dict[int, datetime] = {}
    for chunk in chunks(sorted(set(staged_ids))):
        query = (
            select(Conflict.staged_record_id, func.max(StewardDecision.decided_at))
            .join(StewardDecision, StewardDecision.conflict_id == Conflict.id)
            .where(Conflict.staged_record_id.in_(chunk), Conflict.kind.in_(IDENTITY_CONFLICT_KINDS))
            .group_by(Conflict.staged_record_id)
        )
        found.update((staged_id, at) for staged_id, at in session.execute(query).tuples() if staged_id)
    return found
