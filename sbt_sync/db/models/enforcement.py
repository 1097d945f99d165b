"""Enforcement and the SIASN push: control actions, desired block state, the outbox, change-guard
approvals and SIASN observations (readback).

A change of desired block state and its outbox row are written in one transaction; the outbox's unique
idempotency key is what makes a retried push apply once at SIASN.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from sbt_sync.db.base import Base, JsonType, utcnow
from sbt_sync.states.control import CONTROL_ACTIONS_SQL
from sbt_sync.states.outbox import (
    APPROVAL_STATUSES_SQL,
    OUTBOX_STATES_SQL,
    PUSH_ACTIONS_SQL,
    ApprovalStatus,
    OutboxState,
)


class ControlAction(Base):
    """A BKN control step for one case: peringatan dini, peringatan, teguran, pemblokiran, buka blokir,
    or a hold."""

    __tablename__ = "control_actions"
    __table_args__ = (
        UniqueConstraint("case_id", "action", "cycle"),
        CheckConstraint(f"action IN {CONTROL_ACTIONS_SQL}", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    """A :class:`~sbt_sync.states.control.ControlAction`."""
    cycle: Mapped[int] = mapped_column(default=1)
    """Counts re-escalations of the same case (a block after an earlier unblock is cycle 2)."""
    due_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    as_of: Mapped[date]
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_id: Mapped[str | None] = mapped_column(String(64))


class CaseAnnulment(Base):
    """An annulment of a case's recommendation as enforcement saw it, and its withdrawal: when a later
    run finds the case proven again, enforcement restarts and the PPK's next letter says so once
    (``letter_id``, :mod:`sbt_sync.enforce.annulments`). One row per annulment; at most one not yet
    withdrawn per case."""

    __tablename__ = "case_annulments"
    __table_args__ = (
        Index(
            "uq_case_annulments_open_case_id",
            "case_id",
            unique=True,
            sqlite_where=text("withdrawn_at IS NULL"),
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    annulled_on: Mapped[date | None]
    """The annulment's day as enforcement dated it (None when the sources gave none)."""
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    """The run that first found the recommendation annulled."""
    withdrawn_at: Mapped[datetime | None]
    """The run that first found the case proven again (the annulment withdrawn); None while it stands."""
    withdrawn_on: Mapped[date | None]
    """That run's ``as_of``: the day enforcement resumed."""
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"))
    """The letter that told the PPK enforcement resumed; None until one did."""


class BlockState(Base):
    """The desired SIASN block flag of one NIP and the cases that require it."""

    __tablename__ = "block_state"

    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    blocked: Mapped[bool]
    case_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    reason: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    """Incremented on every change; part of the outbox idempotency key."""
    since: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PushApproval(Base):
    """A run whose block-flag changes exceeded the guard and waits for a steward."""

    __tablename__ = "push_approvals"
    __table_args__ = (
        CheckConstraint(f"status IN {APPROVAL_STATUSES_SQL}", name="status"),
        Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str | None] = mapped_column(String(64))
    change_count: Mapped[int]
    blocked_before: Mapped[int]
    percent: Mapped[float]
    summary: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=ApprovalStatus.WAITING)
    """An :class:`~sbt_sync.states.outbox.ApprovalStatus`."""
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class OutboxEntry(Base):
    """One block or unblock to deliver to SIASN exactly once."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "state", "next_attempt_at"),
        Index(None, "nip"),
        Index(None, "acked_at"),
        Index(None, "created_at"),
        CheckConstraint(f"action IN {PUSH_ACTIONS_SQL}", name="action"),
        CheckConstraint(f"state IN {OUTBOX_STATES_SQL}", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    nip: Mapped[str] = mapped_column(String(18))
    action: Mapped[str] = mapped_column(String(8))
    """A :class:`~sbt_sync.states.outbox.PushAction`."""
    case_refs: Mapped[list[str]] = mapped_column(JsonType, default=list)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    """The exact request body; a retry sends the same bytes with the same key."""
    state: Mapped[str] = mapped_column(String(20), default=OutboxState.PENDING)
    """An :class:`~sbt_sync.states.outbox.OutboxState`; its moves: ``OUTBOX_MOVES`` there."""
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    siasn_reference: Mapped[str | None] = mapped_column(String(128))
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("push_approvals.id"))
    block_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acked_at: Mapped[datetime | None]
    decided_on: Mapped[date | None]
    """The day (enforcement's ``as_of``) the change was decided for; None for a readback's re-send and
    rows written before migration 0035. A report for an earlier day counts the acknowledged rows
    decided by then (``sbt_sync.reports.recap``)."""
    run_id: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    """The token of the process that last claimed the row (:mod:`sbt_sync.holders`)."""
    maybe_applied: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Sent without a definite answer (a transient failure, a run stopped mid-request): SIASN may have
    applied it. A refusal clears it; an acknowledgement makes it certain (``acked``)."""


class SiasnObservation(Base):
    """What SIASN reported for a NIP at a readback, and whether it drifted from the desired state."""

    __tablename__ = "siasn_observations"
    __table_args__ = (Index(None, "nip", "observed_at"), Index(None, "observed_at"), Index(None, "run_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(18))
    blocked: Mapped[bool | None]
    """None when SIASN does not know the NIP."""
    desired_blocked: Mapped[bool | None]
    drift: Mapped[bool]
    response: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_id: Mapped[str | None] = mapped_column(String(64))
