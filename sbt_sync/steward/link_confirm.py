"""Confirming a link correction, an undo or a reopening against the preview that was read.

A person or a script previews the step (its consequence: the cases and block flags it changes,
:mod:`sbt_sync.steward.links`) and confirms it with that preview's fingerprint
(:attr:`Consequence.digest`). The confirmation previews again and records the step only while its
consequence is still the one that was read; otherwise nothing is recorded and
:class:`ConsequenceChanged` carries the consequence as it is now, so the caller can show it. This is
the one check: the console, the API and the CLI all confirm through it.

The check and the write are one transaction, under the locks taken before its first read
(:func:`_hold`): a reconciliation, or another steward's confirmation of a conflicting step, waits for
it, then previews on the state it left, so two confirmations at once never both land on a state
neither read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database, lock_for_write, lock_product_writes
from sbt_sync.db.models import Conflict, LinkCorrection, StagedRecord
from sbt_sync.reconcile.corrections import involved
from sbt_sync.settings import Settings
from sbt_sync.steward.conflicts import InvalidDecision
from sbt_sync.steward.links import (
    Consequence,
    CorrectionRequest,
    consequence_in,
    correction_change,
    record_correction,
    record_reopen,
    record_undo,
    reopen_change,
    undo_change,
)


class ConsequenceChanged(InvalidDecision):
    """The step's consequence is no longer the one its preview showed; nothing was recorded."""

    def __init__(self, what: str, consequence: Consequence) -> None:
        super().__init__(
            f"{what}: its consequence changed since the preview that was read; nothing was recorded. "
            "Read the new consequence, then confirm with its fingerprint",
            code="consequence_changed",
        )
        self.consequence = consequence


def _seen(shown: str, what: str) -> str:
    """The fingerprint read, refused when there is none (before the costly preview)."""
    if not shown.strip():
        raise InvalidDecision(
            f"{what}: confirm it with the fingerprint of the preview you read", code="preview_required"
        )
    return shown.strip()


def _check(consequence: Consequence, shown: str, what: str) -> None:
    if consequence.digest != shown:
        raise ConsequenceChanged(what, consequence)


def _reason(reason: str, what: str) -> None:
    """Refuse an empty reason before the (costly) preview, as the recording would."""
    if not reason.strip():
        raise InvalidDecision(f"{what} needs a reason", code="reason_required")


def _hold(session: Session) -> None:
    """Take, first in the confirmation's transaction, what keeps its check and its write together.

    PostgreSQL: the product-writes lock a reconciliation holds (:func:`lock_product_writes`), so a
    reconciliation or another confirmation waits until this one commits, then reads what it recorded.
    SQLite: the database's write lock (:func:`lock_for_write`), which serialises every writer; taken
    before any read, so the transaction never has to upgrade a snapshot another writer made stale.
    """
    lock_product_writes(session)
    lock_for_write(session, LinkCorrection)


def _hold_records(session: Session, records: Iterable[int]) -> None:
    """PostgreSQL: lock the rows of the records the step names, so a source re-sending one (an ingest
    updates its staged row) waits until the step is recorded on what was checked."""
    wanted = sorted(set(records))
    if wanted:
        session.execute(select(StagedRecord.id).where(StagedRecord.id.in_(wanted)).with_for_update())


def confirm_correction(
    database: Database,
    settings: Settings,
    request: CorrectionRequest,
    *,
    shown: str,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
    as_of: date | None = None,
) -> tuple[int, Consequence]:
    """Record ``request`` if its consequence is still the one whose fingerprint is ``shown``; the
    correction's id and the consequence it was recorded on.

    Raises :class:`ConsequenceChanged` (with the consequence now), or :class:`InvalidDecision` (no
    fingerprint, no reason, a request that cannot apply)."""
    _reason(reason, "a correction")
    what = f"the correction of record {request.staged_record_id}"
    seen = _seen(shown, what)
    with database.session() as session:
        _hold(session)
        _hold_records(session, [request.staged_record_id, *filter(None, [request.target_staged_record_id])])
        consequence = consequence_in(session, database, settings, correction_change(request), as_of=as_of)
        _check(consequence, seen, what)
        correction = record_correction(
            session, request, reason=reason, actor=actor, channel=channel, client_address=client_address
        )
    return correction, consequence


def confirm_undo(
    database: Database,
    settings: Settings,
    correction_id: int,
    *,
    shown: str,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
    as_of: date | None = None,
) -> Consequence:
    """Undo correction ``correction_id`` if the consequence is still the one ``shown`` fingerprints
    (:func:`confirm_correction`'s refusals)."""
    _reason(reason, "undoing a correction")
    what = f"undoing correction {correction_id}"
    seen = _seen(shown, what)
    with database.session() as session:
        _hold(session)
        row = session.get(LinkCorrection, correction_id)
        _hold_records(session, involved(row) if row is not None else ())
        consequence = consequence_in(session, database, settings, undo_change(correction_id), as_of=as_of)
        _check(consequence, seen, what)
        record_undo(
            session, correction_id, reason=reason, actor=actor, channel=channel, client_address=client_address
        )
    return consequence


def confirm_reopen(
    database: Database,
    settings: Settings,
    conflict_id: int,
    *,
    shown: str,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
    as_of: date | None = None,
) -> tuple[int, Consequence]:
    """Reopen conflict ``conflict_id`` if the consequence is still the one ``shown`` fingerprints; the
    reopening's decision id (:func:`confirm_correction`'s refusals, and ConflictNotFound)."""
    _reason(reason, "reopening a decision")
    what = f"reopening conflict {conflict_id}"
    seen = _seen(shown, what)
    with database.session() as session:
        _hold(session)
        conflict = session.get(Conflict, conflict_id, with_for_update=True)  # one steward word at a time
        if conflict is not None and conflict.staged_record_id is not None:
            _hold_records(session, [conflict.staged_record_id])
        consequence = consequence_in(session, database, settings, reopen_change(conflict_id), as_of=as_of)
        _check(consequence, seen, what)
        decision = record_reopen(
            session, conflict_id, reason=reason, actor=actor, channel=channel, client_address=client_address
        )
    return decision, consequence
