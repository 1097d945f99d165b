"""Sanction versions: every decision on a case's sanction, the first and each revision after an
objection (keberatan), with its source, decision letter and whether it is the one in force.

Reconciliation derives the versions the sources state (I'DIS decisions, Kemendagri follow-up reports)
and keeps their rows in line with them as a diff (:mod:`sbt_sync.reconcile.golden.sanctions`); a
steward enters a version with its decision letter (:mod:`sbt_sync.steward.sanctions`), and
reconciliation never deletes one. ``seq`` and ``in_force`` are rewritten by every reconciliation of the case.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sbt_sync.db.base import Base, JsonType, utcnow


class SanctionKind(StrEnum):
    """What a version decided: a sanction (with its jenisHukuman code), or the annulment of the
    sanction on objection (no code: no sanction is in force while it is)."""

    SANCTION = "sanction"
    ANNULMENT = "annulment"


STEWARD_SOURCE = "steward"
"""The ``source`` of a version a steward entered."""
SANCTION_KINDS_SQL = "(" + ", ".join(f"'{k.value}'" for k in SanctionKind) + ")"


class SanctionVersion(Base):
    """One version of a case's sanction."""

    __tablename__ = "sanction_versions"
    __table_args__ = (
        UniqueConstraint("case_id", "version_key"),
        Index(None, "case_id"),
        CheckConstraint(f"kind IN {SANCTION_KINDS_SQL}", name="kind"),
        CheckConstraint(
            "(kind = 'annulment' AND code IS NULL) OR (kind = 'sanction' AND code IS NOT NULL)",
            name="code_of_kind",
        ),
        CheckConstraint(
            "source <> 'steward' OR (letter_no IS NOT NULL AND decided_on IS NOT NULL "
            "AND entered_by IS NOT NULL AND reason IS NOT NULL)",
            name="steward_letter",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    """None only for a steward's version whose case reconciliation removed with no case continuing it."""
    version_key: Mapped[str] = mapped_column(String(160))
    """A derived version's identity in its case (``<decision date>|<code>``); ``steward|<uuid>``."""
    seq: Mapped[int] = mapped_column(default=0)
    """1 for the first decision, then in decision-date order; 0 until a reconciliation placed it."""
    kind: Mapped[str] = mapped_column(String(16), default=SanctionKind.SANCTION.value)
    code: Mapped[str | None] = mapped_column(String(8))
    """The SIASN jenisHukuman code (``schemas/reference/sanction_codes.csv``); None for an annulment."""
    letter_no: Mapped[str | None] = mapped_column(String(128))
    """The decision letter's number: the SK's, or the letter deciding the objection."""
    decided_on: Mapped[date | None]
    """The decision letter's date; the version in force is the one with the latest."""
    source: Mapped[str] = mapped_column(String(64))
    """``idis``, ``kemendagri`` (the source whose record won the version) or ``steward``."""
    source_ref: Mapped[str | None] = mapped_column(String(255))
    """The winning record's key (the I'DIS record id, the Kemendagri recommendation number)."""
    staged_record_id: Mapped[int | None] = mapped_column(ForeignKey("staged_records.id", ondelete="SET NULL"))
    reported_by: Mapped[list[str]] = mapped_column(JsonType, default=list)
    """Every source record stating this version, as ``source:key`` (sorted)."""
    in_force: Mapped[bool] = mapped_column(default=False)
    source_updated_at: Mapped[datetime | None]
    """The winning record's own update instant at its source."""
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When sbt-sync first recorded the version (a reconciliation, or the steward's entry)."""
    entered_by: Mapped[str | None] = mapped_column(String(64))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    """The steward's reason; None for a derived version."""
    applied_at: Mapped[datetime | None]
    """When a reconciliation first took a steward's version into account (None: not yet)."""
    released_records: Mapped[list[int] | None] = mapped_column(JsonType)
    """A steward's version whose case reconciliation removed with no case continuing it: the staged ids
    that case held then. The version waits with no case and returns to the case that next links any of
    them (None while it has a case)."""
