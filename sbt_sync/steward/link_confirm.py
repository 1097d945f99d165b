"""Confirming a link correction, an undo or a reopening against the preview that was read.

A person or a script previews the step (its consequence: the cases and block flags it changes,
:mod:`sbt_sync.steward.links`) and confirms it with that preview's fingerprint
(:attr:`Consequence.digest`). The confirmation previews again and records the step only while its
consequence is still the one that was read; otherwise nothing is recorded and
:class:`ConsequenceChanged` carries the consequence as it is now, so the caller can show it.

What remains open: a reconciliation that commits between the confirmation's own preview and its
write (seconds) is not caught; the next preview of the step shows its effect.
"""

from __future__ import annotations

from datetime import date

from sbt_sync.db.engine import Database
from sbt_sync.settings import Settings
from sbt_sync.steward.conflicts import InvalidDecision
from sbt_sync.steward.links import (
    Consequence,
    CorrectionRequest,
    correct_link,
    preview_correction,
    preview_reopen,
    preview_undo,
    reopen_decision,
    undo_correction,
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


def _check(consequence: Consequence, shown: str, what: str) -> None:
    if not shown.strip():
        raise InvalidDecision(
            f"{what}: confirm it with the fingerprint of the preview you read", code="preview_required"
        )
    if consequence.digest != shown.strip():
        raise ConsequenceChanged(what, consequence)


def _reason(reason: str, what: str) -> None:
    """Refuse an empty reason before the (costly) preview, as the recording would."""
    if not reason.strip():
        raise InvalidDecision(f"{what} needs a reason", code="reason_required")


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
    consequence = preview_correction(database, settings, request, as_of=as_of)
    _check(consequence, shown, f"the correction of record {request.staged_record_id}")
    correction = correct_link(
        database, request, reason=reason, actor=actor, channel=channel, client_address=client_address
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
    consequence = preview_undo(database, settings, correction_id, as_of=as_of)
    _check(consequence, shown, f"undoing correction {correction_id}")
    undo_correction(
        database, correction_id, reason=reason, actor=actor, channel=channel, client_address=client_address
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
    consequence = preview_reopen(database, settings, conflict_id, as_of=as_of)
    _check(consequence, shown, f"reopening conflict {conflict_id}")
    decision = reopen_decision(
        database, conflict_id, reason=reason, actor=actor, channel=channel, client_address=client_address
    )
    return decision, consequence
