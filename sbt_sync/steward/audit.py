"""The audit log for auditors: filtered pages, one entry by its id, each entry's before/after as a list
of changes per field, and CSV/XLSX exports (each export is itself audited, with its filter and row
count: the log holds personal data). Read-only by construction: nothing here (or anywhere in the app)
updates or deletes an entry, and on PostgreSQL a trigger refuses both."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, User
from sbt_sync.pdp.access import NIP_WRITTEN
from schemas.nip import mask_nip

CSV_COLUMNS = (
    "id", "at", "actor_name", "action", "object_type", "object_id", "before", "after", "reason",
    "channel", "client_address",
)  # fmt: skip


EXPORT_LIMIT = 100_000
"""Rows one XLSX export holds at most (the CSV streams them all)."""


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    entry: int | None = None
    """One entry by its id (a link from a conflict's decision)."""

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.entry is not None:
            query = query.where(AuditEntry.id == self.entry)
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

    def described(self) -> dict[str, str]:
        """The filter as an export's audit entry records it (only what was set)."""
        return {
            k: v.isoformat() if isinstance(v, datetime) else str(v)
            for k, v in asdict(self).items()
            if v not in (None, "")
        }


@dataclass(frozen=True)
class Change:
    """One field of an entry's before/after: what it was and what it became (None: absent)."""

    field: str
    old: Any
    new: Any
    context: bool = False
    """Only ``before`` names the field: a fact the entry recorded beside the change (a conflict's basis
    hash when it was resolved), not a value that went away."""


def changes(before: Any, after: Any) -> list[Change]:
    """Per field, old -> new: fields that differ, in the order the entry names them (before's first);
    fields only ``before`` names come as context.

    Values that are not mappings (a list, a number) become one change of the field ``""``.
    """
    if before is None and after is None:
        return []
    if not isinstance(before, dict | None) or not isinstance(after, dict | None):
        return [] if before == after else [Change("", before, after)]
    old, new = before or {}, after or {}
    return [
        Change(k, old.get(k), new.get(k), context=after is not None and k not in new)
        for k in dict.fromkeys([*old, *new])
        if old.get(k) != new.get(k)
    ]


def value_text(value: Any) -> str:
    """A before/after value as a person reads it: nested mappings as ``key: value``, lists joined."""
    if value is None:
        return "–"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items()) or "–"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value) or "–"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


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


def count_audit(database: Database, filters: AuditFilter, *, through: int | None = None) -> int:
    """How many entries match (only those up to the entry ``through`` when given)."""
    query = filters.apply(select(AuditEntry))
    if through is not None:
        query = query.where(AuditEntry.id <= through)
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def last_entry_id(database: Database) -> int:
    """The newest entry's id (0 for an empty log): a download reads the log as it is at this entry."""
    with database.session() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


def export_rows(
    database: Database, filters: AuditFilter, *, limit: int = EXPORT_LIMIT
) -> list[dict[str, Any]]:
    """The matching entries, oldest first, at most ``limit`` (an XLSX is built in memory)."""
    with database.session() as session:
        rows = session.scalars(filters.apply(select(AuditEntry)).order_by(AuditEntry.id).limit(limit))
        return [entry_dict(e) for e in rows]


def record_export(
    database: Database,
    *,
    actor: str,
    what: str,
    fmt: str,
    filters: dict[str, str],
    rows: int,
    channel: str = "console",
    client_address: str | None = None,
) -> None:
    """Audit a download of personal data (``what``: ``quarantine`` or ``audit``) with its filter and
    row count, in its own transaction before the file leaves. A NIP in the filter (the audit log's object
    id may be one) is kept masked, as every NIP the audit log holds is."""
    masked = {key: _nips_masked(value) for key, value in filters.items()}
    with database.session() as session:
        user = session.scalar(select(User).where(User.username == actor))
        session.add(
            AuditEntry(
                at=utcnow(),
                actor_id=user.id if user else None,
                actor_name=actor,
                action=f"{what}.export",
                object_type=what,
                object_id=None,
                before=None,
                after={"format": fmt, "filter": masked, "rows": rows},
                reason=None,
                channel=channel,
                client_address=client_address,
            )
        )


def _nips_masked(text: str) -> str:
    """``text`` with every NIP (whole or printed with separators) masked to its last four digits."""
    return NIP_WRITTEN.sub(lambda m: mask_nip("".join(c for c in m.group(0) if c.isdigit())), text)


def export_csv(
    database: Database, filters: AuditFilter, *, batch: int = 1000, through: int | None = None
) -> Iterator[str]:
    """Every matching entry as CSV text chunks, oldest first (streams; memory stays flat), the first
    chunk opening with a BOM (:data:`sbt_sync.reports.render.CSV_ENCODING`); with ``through``, only the
    entries up to that one (those written later, while it streams, are not in it)."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    matching = filters.apply(select(AuditEntry))
    if through is not None:
        matching = matching.where(AuditEntry.id <= through)
    last_id = 0
    while True:
        with database.session() as session:
            rows = list(
                session.scalars(matching.where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch))
            )
        for e in rows:
            d = entry_dict(e)
            writer.writerow(
                [
                    csv_cell(
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


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP's CSV-injection advice)."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
