"""I-MUT findings in the golden dataset: one row per (personnel action, rule), and the stewards'
append-only decisions on them.

A finding is never deleted: when re-evaluation no longer finds it, it is ``closed`` with the reason;
when it holds again it is ``open`` again. A steward's review (investigating, confirmed, dismissed) is
sticky while the finding's ``basis_hash`` (what it rests on) is unchanged; when that changes, a closed
review goes back to ``pending`` and ``reopened_reason`` says what changed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sbt_sync.db.base import Base, JsonType, utcnow
from sbt_sync.imut.model import Disposition, Rule
from sbt_sync.imut.review import FindingStatus, Review, StewardChoice


def _values(enum: type[Any]) -> str:
    return repr(tuple(member.value for member in enum))


class ImutFinding(Base):
    """One rule's finding on one I-MUT action, linked to the ASN, the instansi and the official."""

    __tablename__ = "imut_findings"
    __table_args__ = (
        Index(None, "action_id"),
        Index(None, "nip"),
        Index(None, "instansi_id"),
        Index(None, "status", "review"),
        CheckConstraint(f"rule IN {_values(Rule)}", name="rule"),
        CheckConstraint(f"disposition IN {_values(Disposition)}", name="disposition"),
        CheckConstraint(f"status IN {_values(FindingStatus)}", name="status"),
        CheckConstraint(f"review IN {_values(Review)}", name="review"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_key: Mapped[str] = mapped_column(String(160), unique=True)
    """``<action id>|<rule>``: one finding per action and rule."""
    action_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(40))
    disposition: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=FindingStatus.OPEN.value)
    basis_key: Mapped[str] = mapped_column(String(64))
    reason_key: Mapped[str] = mapped_column(String(64))
    reason_params: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    evidence: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    """The values the finding rests on (decision, dates, approval letter, block, cases), ISO text."""
    records: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    """The records it rests on: the I-MUT record (source, key, staged row, raw version), the push
    ledger rows or SIASN observation of a block, the golden cases of a neutrality case."""
    event_id: Mapped[str | None] = mapped_column(String(64))
    window_first: Mapped[date | None]
    window_last: Mapped[date | None]
    """None while the window is open-ended (end of term not yet known)."""
    provisional: Mapped[bool] = mapped_column(default=False)
    basis_hash: Mapped[str] = mapped_column(String(64))
    staged_record_id: Mapped[int | None] = mapped_column(ForeignKey("staged_records.id", ondelete="SET NULL"))
    nip: Mapped[str | None] = mapped_column(String(18))
    instansi_id: Mapped[str | None] = mapped_column(String(64))
    official_name: Mapped[str | None] = mapped_column(String(255))
    official_role: Mapped[str | None] = mapped_column(String(32))
    official_region: Mapped[str | None] = mapped_column(String(16))
    official_instansi_id: Mapped[str | None] = mapped_column(String(64))
    decision_no: Mapped[str | None] = mapped_column(String(128))
    decision_date: Mapped[date | None]
    review: Mapped[str] = mapped_column(String(16), default=Review.PENDING.value)
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]
    reopened_reason: Mapped[str | None] = mapped_column(Text)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    first_found_at: Mapped[datetime] = mapped_column(default=utcnow)
    evaluated_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)


class ImutFindingDecision(Base):
    """A steward's decision on a finding (investigate, confirm, dismiss); append-only."""

    __tablename__ = "imut_finding_decisions"
    __table_args__ = (
        Index(None, "finding_id", "decided_at"),
        CheckConstraint(f"decision IN {_values(StewardChoice)}", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("imut_findings.id"))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    basis_hash: Mapped[str] = mapped_column(String(64))
    """The finding's basis when decided: the decision holds while it is unchanged."""
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImutEvaluation(Base):
    """One evaluation run: the day it evaluated for and the calendars it used. The next run evaluates
    only what changed since this one, unless the day or the calendars differ (then: everything)."""

    __tablename__ = "imut_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    as_of: Mapped[date]
    calendar_hash: Mapped[str] = mapped_column(String(64))
    full: Mapped[bool]
    actions: Mapped[int] = mapped_column(default=0)
    """Actions evaluated by this run."""
    opened: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    reopened: Mapped[int] = mapped_column(default=0)
