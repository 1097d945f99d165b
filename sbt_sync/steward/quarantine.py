"""Quarantined rows for stewards: list per source with reasons, and mark them fixed upstream or ignored.

A row's status is the only thing a steward changes; the row itself (file, row, column, check, value,
reason) is evidence and stays as written. Each change is audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, QuarantinedRow, User
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
    return QuarantineRow(
        q.id, q.source, q.record_key, q.file_name, q.row_number, q.column, q.check, q.value, q.reason,
        q.status, q.created_at, q.resolved_at,
    )  # fmt: skip


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
