"""The golden dataset: cases, their crosswalk of source records, per-field provenance, conflicts and
the stewards' append-only decisions.

A case is one alleged violation by one ASN in one election event. Links are never deleted: unlinking
stamps ``unlinked_at``, so a wrong link can be undone and its history audited; a partial unique index
allows one *active* link per staged record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sbt_sync.db.base import Base, JsonType, utcnow
from sbt_sync.states.conflicts import (
    CASE_KINDS,
    CONFLICT_KINDS_SQL,
    CONFLICT_STATUSES_SQL,
    IDENTITY_KINDS,
    ConflictKind,
    ConflictStatus,
)

CASE_STATUSES = (
    "aduan",
    "menunggu_verifikasi",
    "menunggu_tindak_lanjut_ppk",
    "tidak_terbukti",
    "dibatalkan",
    "ditolak",
    "asn_berhenti",
    "dijatuhi_hukuman",
)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index(None, "nip"),
        Index(None, "status"),
        Index(None, "event_code"),
        CheckConstraint(f"status IN {CASE_STATUSES!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_key: Mapped[str] = mapped_column(String(128), unique=True)
    """Deterministic key from the linking rule, so any input order gives the same cases."""
    nip: Mapped[str | None] = mapped_column(String(18))
    """Resolved identity; None while an identity conflict is open."""
    event_code: Mapped[str | None] = mapped_column(String(32))
    """None for a complaint-only case whose election event no source has named."""
    status: Mapped[str] = mapped_column(String(32), default="menunggu_verifikasi")
    violation_form: Mapped[str | None] = mapped_column(String(64))
    register_no: Mapped[str | None] = mapped_column(String(128))
    recommendation_no: Mapped[str | None] = mapped_column(String(128))
    recommendation_date: Mapped[date | None]
    follow_up_deadline: Mapped[date | None]
    recommended_sanction: Mapped[str | None] = mapped_column(String(8))
    sanction_imposed: Mapped[str | None] = mapped_column(String(8))
    sanction_date: Mapped[date | None]
    kanreg_id: Mapped[str | None] = mapped_column(String(16))
    instansi_id: Mapped[str | None] = mapped_column(String(64))
    golden: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    """Every golden field's value (the typed columns above are the ones queries filter on)."""
    content_hash: Mapped[str] = mapped_column(String(64))
    held: Mapped[bool] = mapped_column(default=False)
    """An open critical conflict or identity dispute holds the case: it is never blocked while held."""
    hold_reason: Mapped[str | None] = mapped_column(Text)
    """Why the case is held, naming the conflict(s); None when it is not held."""
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    links: Mapped[list[CaseLink]] = relationship(back_populates="case")


class CaseLink(Base):
    """The crosswalk: which staged source record contributed to which case, by which rule."""

    __tablename__ = "case_links"
    __table_args__ = (
        Index(
            "uq_case_links_active_staged_record",
            "staged_record_id",
            unique=True,
            sqlite_where=text("unlinked_at IS NULL"),
            postgresql_where=text("unlinked_at IS NULL"),
        ),
        Index(None, "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    staged_record_id: Mapped[int] = mapped_column(ForeignKey("staged_records.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(255))
    rule: Mapped[str] = mapped_column(String(64))
    """register_no, recommendation_no, nip_event, complaint_window, steward, ..."""
    score: Mapped[float | None]
    linked_by: Mapped[str] = mapped_column(String(64), default="machine")
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    unlinked_at: Mapped[datetime | None]
    unlink_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="links")


class FieldProvenance(Base):
    """For each golden field: its value, the source and record that won, and the rule that chose it."""

    __tablename__ = "field_provenance"
    __table_args__ = (UniqueConstraint("case_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    source: Mapped[str | None] = mapped_column(String(64))
    staged_record_id: Mapped[int | None] = mapped_column(ForeignKey("staged_records.id", ondelete="SET NULL"))
    rule: Mapped[str] = mapped_column(String(64))
    """source_rank, recency, registry, steward_decision, only_source, ..."""
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


IDENTITY_CONFLICT_KINDS: tuple[str, ...] = IDENTITY_KINDS
"""Conflicts about which ASN one staged row names (:data:`sbt_sync.states.conflicts.IDENTITY_KINDS`)."""
CASE_CONFLICT_KINDS: tuple[str, ...] = CASE_KINDS
"""Conflicts about a case's values or its links (``case_id`` set)."""
CONFLICT_KINDS: tuple[str, ...] = tuple(ConflictKind)


class Conflict(Base):
    """Something the machine cannot decide: an identity, a critical field, a lifecycle contradiction."""

    __tablename__ = "conflicts"
    __table_args__ = (
        Index(None, "status", "kind"),
        Index(None, "case_id"),
        Index(None, "staged_record_id"),
        Index(None, "claimed_by_id"),
        CheckConstraint(f"kind IN {CONFLICT_KINDS_SQL}", name="kind"),
        CheckConstraint(f"status IN {CONFLICT_STATUSES_SQL}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conflict_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    """A :class:`~sbt_sync.states.conflicts.ConflictKind`."""
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    staged_record_id: Mapped[int | None] = mapped_column(ForeignKey("staged_records.id", ondelete="SET NULL"))
    field: Mapped[str | None] = mapped_column(String(64))
    critical: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[int] = mapped_column(default=2)
    """1 (highest) to 4."""
    status: Mapped[str] = mapped_column(String(16), default=ConflictStatus.OPEN)
    """A :class:`~sbt_sync.states.conflicts.ConflictStatus`; its moves: ``CONFLICT_MOVES`` there."""
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    """Ranked candidates: value or NIP, source, record, score."""
    basis_hash: Mapped[str] = mapped_column(String(64))
    """Hash of the source values the conflict is about; a decision holds while it is unchanged."""
    agency: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopened_reason: Mapped[str | None] = mapped_column(Text)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who handles the conflict (its assignee): they claimed it, or ``assigned_by_id`` assigned it to
    them; one concept, :func:`sbt_sync.steward.conflicts.assign_conflict`."""
    claimed_at: Mapped[datetime | None]
    """Since when ``claimed_by_id`` handles it."""
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who gave the conflict to ``claimed_by_id`` (the same user for a claim); None when nobody holds it."""


class StewardDecision(Base):
    """An append-only decision on a conflict; applied by every later run while its basis holds."""

    __tablename__ = "steward_decisions"
    __table_args__ = (Index(None, "conflict_id", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conflict_id: Mapped[int] = mapped_column(ForeignKey("conflicts.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    decision: Mapped[dict[str, Any]] = mapped_column(JsonType)
    """What was chosen: a candidate NIP, a field value, "link"/"unlink", "release hold"."""
    reason: Mapped[str] = mapped_column(Text)
    basis_hash: Mapped[str] = mapped_column(String(64))
    """The conflict's basis when decided; when the sources change it, the conflict reopens."""
    applied_at: Mapped[datetime | None]


LINK_CORRECTION_KINDS = ("move_record", "assign_person", "split", "merge")
LINK_CORRECTION_STATUSES = ("active", "reopened", "revoked")


class LinkCorrection(Base):
    """A steward's correction of the crosswalk, sticky like a decision (DESIGN.md, "The golden dataset").

    - ``move_record``: ``staged_record_id`` joins the case that holds ``target_staged_record_id``;
    - ``assign_person``: ``staged_record_id`` names ``target_nip`` (or nobody, when it is None);
    - ``split``: ``staged_record_id`` leaves its case and forms one of its own;
    - ``merge``: the case holding ``staged_record_id`` joins the case holding ``target_staged_record_id``.

    Applied by every reconciliation while ``basis_hash`` (what the records involved said when the
    steward decided) holds; when one of them changes it is ``reopened`` with the reason and no longer
    applied. Undoing one stamps ``revoked_at``; the row, the audit log and the crosswalk's own history
    (``case_links.unlinked_at``) keep what happened.
    """

    __tablename__ = "link_corrections"
    __table_args__ = (
        Index(None, "staged_record_id"),
        Index(None, "target_staged_record_id"),
        Index(None, "status"),
        CheckConstraint(f"kind IN {LINK_CORRECTION_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {LINK_CORRECTION_STATUSES!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    staged_record_id: Mapped[int] = mapped_column(ForeignKey("staged_records.id", ondelete="CASCADE"))
    target_staged_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("staged_records.id", ondelete="CASCADE")
    )
    target_nip: Mapped[str | None] = mapped_column(String(18))
    basis_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")
    reopened_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
    """When a reconciliation first applied it (or applied its undoing); None: the next run will."""
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
