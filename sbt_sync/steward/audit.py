"""The audit log for auditors: filtered pages and a CSV export. Read-only by construction: nothing here
(or anywhere in the app) updates or deletes an entry, and on PostgreSQL a trigger refuses both."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry

CSV_COLUMNS = (
    "id", "at", "actor_name", "action", "object_type", "object_id", "before", "after", "reason",
    "channel", "client_address",
)  # fmt: skip


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.actor:
            query = query.where(AuditEntry.actor_name == self.actor)
        if self.action:
            query = query.where(AuditEntry.action.like(f"{self.action}%"))
        if self.object_type:
            query = query.where(AuditEntry.object_type == self.object_type)
        if self.object_id:
            query = query.where(AuditEntry.object_id == self.object_id)
        if self.since:
            query = query.where(AuditEntry.at >= self.since)
        if self.until:
            query = query.where(AuditEntry.at < self.until)
        return query


def entry_dict(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at,
        "actor_name": e.actor_name,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
        "channel": e.channel,
        "client_address": e.client_address,
    }


def list_audit(
    database: Database, filters: AuditFilter, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """Total and one page of entries, newest first."""
    query = filters.apply(select(AuditEntry))
    with database.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
        return total, [entry_dict(e) for e in rows]


def export_csv(database: Database, filters: AuditFilter, *, batch: int = 1000) -> Iterator[str]:
    """Every matching entry as CSV text chunks, oldest first (streams; memory stays flat)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    last_id = 0
    while True:
        with database.session() as session:
            rows = list(
                session.scalars(
                    filters.apply(select(AuditEntry))
                    .where(AuditEntry.id > last_id)
                    .order_by(AuditEntry.id)
                    .limit(batch)
                )
            )
        for e in rows:
            d = entry_dict(e)
            writer.writerow(
                [
                    _cell(
                        json.dumps(d[c], ensure_ascii=False, default=str)
                        if c in ("before", "after") and d[c] is not None
                        else d[c]
                    )
                    for c in CSV_COLUMNS
                ]
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < batch:
            return
        last_id = rows[-1].id


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP's CSV-injection advice)."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
