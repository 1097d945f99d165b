"""Quarantined rows for stewards: list per source with reasons, and mark them fixed upstream or ignored.

A row's status is the only thing a steward changes; the row itself (file, row, column, check, value,
reason) is evidence and stays as written. Each change is audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from connectors.sftp.naming import shown
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, QuarantinedRow, SourceHold, StagedRecord, User
from sbt_sync.errors import SbtError

STATUSES = ("open", "fixed_upstream", "ignored", "superseded")
STEWARD_STATUSES = ("fixed_upstream", "ignored", "open")


class QuarantineNotFound(SbtError):
    """No quarantined row has that id (or the user may not see it)."""


@dataclass
class QuarantineRow:
    id: int
    source: str
    record_key: str | None
    file_name: str | None
    row_number: int | None
    column: str | None
    check: str
    value: str | None
    reason: str
    status: str
    created_at: datetime
    resolved_at: datetime | None


def _row(q: QuarantinedRow) -> QuarantineRow:
    """A row as people read it (console, API, downloads): the file name, the key and the reason
    (which names the file) with what would reorder or hide part of a name escaped (``shown``)."""
    return QuarantineRow(
        q.id, q.source, _shown(q.record_key), _shown(q.file_name), q.row_number, q.column, q.check,
        q.value, shown(q.reason), q.status, q.created_at, q.resolved_at,
    )  # fmt: skip


def _shown(text: str | None) -> str | None:
    return None if text is None else shown(text)


def list_quarantine(
    database: Database,
    *,
    source: str | None = None,
    status: str | None = "open",
    sources: Sequence[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[QuarantineRow], dict[str, int]]:
    """Total, one page (newest first) and open rows per source, within ``sources`` when given."""
    if status is not None and status not in STATUSES:
        raise SbtError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    query = select(QuarantinedRow)
    per_source = select(QuarantinedRow.source, func.count()).where(QuarantinedRow.status == "open")
    if sources is not None:
        query = query.where(QuarantinedRow.source.in_(list(sources)))
        per_source = per_source.where(QuarantinedRow.source.in_(list(sources)))
    if source:
        query = query.where(QuarantinedRow.source == source)
    if status:
        query = query.where(QuarantinedRow.status == status)
    with database.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(QuarantinedRow.id.desc()).limit(limit).offset(offset))
        counts = dict(session.execute(per_source.group_by(QuarantinedRow.source)).tuples().all())
        return total, [_row(q) for q in rows], counts


def set_status(
    database: Database,
    row_id: int,
    *,
    status: str,
    reason: str,
    actor: str,
    sources: Sequence[str] | None = None,
    channel: str = "cli",
    client_address: str | None = None,
) -> QuarantineRow:
    """Mark a row fixed upstream, ignored, or open again; audited with the reason."""
    if status not in STEWARD_STATUSES:
        raise SbtError(
            f"a steward sets {', '.join(STEWARD_STATUSES)}, not {status!r}",
            code="quarantine_status",
            status=status,
        )
    if not reason.strip():
        raise SbtError("a reason is required", code="reason_required")
    now = utcnow()
    with database.session() as session:
        row = session.get(QuarantinedRow, row_id)
        if row is None or (sources is not None and row.source not in sources):
            raise QuarantineNotFound(f"no quarantined row with id {row_id}", code="not_found", id=row_id)
        if row.status == "superseded":
            raise SbtError(
                f"quarantined row {row_id} was superseded by a later version of its record",
                code="quarantine_superseded",
                id=row_id,
            )
        user = session.scalar(select(User).where(User.username == actor))
        before = {"status": row.status}
        row.status = status
        row.resolved_by_id = user.id if user and status != "open" else None
        row.resolved_at = now if status != "open" else None
        session.add(
            AuditEntry(
                at=now,
                actor_id=user.id if user else None,
                actor_name=actor,
                action=f"quarantine.{status}",
                object_type="quarantine",
                object_id=str(row.id),
                before=before,
                after={"status": status, "source": row.source},
                reason=reason.strip(),
                channel=channel,
                client_address=client_address,
            )
        )
        return _row(row)


@dataclass(frozen=True)
class SourceHoldView:
    """A source its blocking check holds (:mod:`sbt_sync.source_holds`), as a steward reads it."""

    source: str
    held_since: datetime | None
    drift_columns: tuple[str, ...]
    """Columns the source stopped sending (schema drift); empty when the bad-row ratio held it."""
    quarantine_failed: bool
    """The bad-row ratio passed its threshold."""
    batch_ratio: float | None
    threshold: float | None
    waiting: int
    """The source's changed rows that reconciliation leaves waiting while it is held."""


def held_sources(database: Database, *, sources: Sequence[str] | None = None) -> list[SourceHoldView]:
    """The sources held now (an agency viewer's: only their own), each with why and how many of its
    changes wait; a source's name, never a person's data."""
    query = select(SourceHold).where(SourceHold.held.is_(True)).order_by(SourceHold.source)
    if sources is not None:
        query = query.where(SourceHold.source.in_(list(sources)))
    with database.session() as session:
        holds = list(session.scalars(query))
        waiting = dict(
            session.execute(
                select(StagedRecord.source, func.count())
                .where(
                    StagedRecord.source.in_([h.source for h in holds]),
                    StagedRecord.needs_reconcile.is_(True),
                )
                .group_by(StagedRecord.source)
            )
            .tuples()
            .all()
        )
    views = []
    for hold in holds:
        verdict = hold.verdict or {}
        drift = verdict.get("schema_drift") or {}
        ratio, threshold = verdict.get("batch_ratio"), verdict.get("threshold")
        views.append(
            SourceHoldView(
                source=hold.source,
                held_since=hold.held_since,
                drift_columns=tuple(str(c) for c in drift.get("blocking_columns") or ()),
                quarantine_failed=verdict.get("quarantine_passed") is False,
                batch_ratio=float(ratio) if isinstance(ratio, (int, float)) else None,
                threshold=float(threshold) if isinstance(threshold, (int, float)) else None,
                waiting=waiting.get(hold.source, 0),
            )
        )
    return views
