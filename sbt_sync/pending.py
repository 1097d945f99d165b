"""What work is waiting: the questions the daemon's sensors ask the product database (and an HTTP
source), and the counts the assets report, each one query behind a function.

The sensors (``assets/sensors_*.py``) decide what run to request from these answers; the assets report
them as metadata. Nothing here writes. The database functions take an open session and work on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import (
    ControlAction,
    IngestBatch,
    LinkCorrection,
    OutboxEntry,
    PushApproval,
    QuarantinedRow,
    RawRecord,
    SftpFile,
    StewardDecision,
)
from sbt_sync.db.models.sanctions import STEWARD_SOURCE, SanctionVersion
from sbt_sync.doctor import probe_settings
from sbt_sync.ingest import connections
from sbt_sync.settings import Settings
from sbt_sync.states.outbox import ApprovalStatus, OutboxState

SETTLED_FILE_STATUSES = ("processed", "refused")
"""A delivered file in one of these states is done with: a new run would change nothing."""


def file_identity(source: str, path: str, size: int, mtime: datetime) -> str:
    """A delivered file's identity: a new or corrected delivery under the same name gets a new one."""
    return f"{source}:{path}:{size}:{int(mtime.timestamp())}"


def settled_file_identities(session: Session, source: str) -> set[str]:
    """The identities of ``source``'s files the manifest has processed or refused."""
    rows = session.execute(
        select(SftpFile.remote_path, SftpFile.size, SftpFile.mtime).where(
            SftpFile.source == source, SftpFile.status.in_(SETTLED_FILE_STATUSES)
        )
    ).tuples()
    return {file_identity(source, path, size, mtime) for path, size, mtime in rows}


def http_source_changes(settings: Settings, source: str, cursor: str | None) -> str | None:
    """A fingerprint of what changed at HTTP source ``source`` since ``cursor`` (one one-record page),
    or None when nothing did. A source never pulled, or a pull that stopped mid-listing (a JSON
    resume cursor), always has changes."""
    if cursor is None or cursor.startswith("{"):
        return f"resume:{cursor}"
    client, paginator = connections.http_source(probe_settings(settings, source), source)
    try:
        first = next(iter(paginator.pages(cursor)), None)
    finally:
        client.close()
    if first is None or not first.items:
        return None
    return hashlib.sha256(json.dumps(first.items[0], sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StewardWork:
    """The newest id of each kind of steward work not yet applied by a run (None: none waits)."""

    decision: int | None
    """A steward decision on a conflict, not yet applied."""
    approval: int | None
    """A released push approval whose outbox rows still wait to be sent."""
    correction: int | None
    """A link correction (or its undoing) not yet applied, unless reopened."""
    sanction: int | None
    """A sanction version a steward entered, not yet applied."""

    @property
    def any(self) -> bool:
        return any(i is not None for i in (self.decision, self.approval, self.correction, self.sanction))


def steward_work(session: Session) -> StewardWork:
    """What stewards decided that no run has applied yet."""
    decision = session.scalar(
        select(func.max(StewardDecision.id)).where(StewardDecision.applied_at.is_(None))
    )
    approval = session.scalar(
        select(func.max(PushApproval.id))
        .join(OutboxEntry, OutboxEntry.approval_id == PushApproval.id)
        .where(PushApproval.status == ApprovalStatus.APPROVED, OutboxEntry.state == OutboxState.PENDING)
    )
    correction = session.scalar(
        select(func.max(LinkCorrection.id)).where(
            LinkCorrection.applied_at.is_(None), LinkCorrection.status != "reopened"
        )
    )
    sanction = session.scalar(
        select(func.max(SanctionVersion.id)).where(
            SanctionVersion.source == STEWARD_SOURCE, SanctionVersion.applied_at.is_(None)
        )
    )
    return StewardWork(decision, approval, correction, sanction)


@dataclass(frozen=True)
class DuePushes:
    """Outbox rows pending and due: how many, the newest id and the latest due time among them."""

    count: int
    newest: int | None
    latest_due: datetime | None


def due_pushes(session: Session, now: datetime) -> DuePushes:
    """Pending outbox rows whose next attempt is due at ``now``."""
    count, newest, latest = session.execute(
        select(func.count(), func.max(OutboxEntry.id), func.max(OutboxEntry.next_attempt_at)).where(
            OutboxEntry.state == OutboxState.PENDING, OutboxEntry.next_attempt_at <= now
        )
    ).one()
    return DuePushes(int(count or 0), newest, latest)


def awaiting_approval(session: Session) -> int:
    """Outbox rows the change guard holds back until a steward approves them."""
    count = session.scalar(
        select(func.count())
        .select_from(OutboxEntry)
        .where(OutboxEntry.state == OutboxState.AWAITING_APPROVAL)
    )
    return int(count or 0)


def latest_enforcement_day(session: Session) -> date | None:
    """The day enforcement last decided for (the newest control action's ``as_of``), if any."""
    day: date | None = session.scalar(select(func.max(ControlAction.as_of)))
    return day


def cursor_regressions(session: Session, source: str) -> int:
    """``source``'s ingest batches whose cursor moved backwards (watermark after < before)."""
    count = session.scalar(
        select(func.count())
        .select_from(IngestBatch)
        .where(IngestBatch.source == source, IngestBatch.watermark_after < IngestBatch.watermark_before)
    )
    return int(count or 0)


@dataclass(frozen=True)
class QuarantineLoad:
    """A source's raw records and how many of them have an open quarantine entry."""

    records: int
    quarantined: int

    @property
    def ratio(self) -> float:
        return self.quarantined / self.records if self.records else 0.0


def quarantine_load(session: Session, source: str) -> QuarantineLoad:
    """How much of ``source`` is quarantined now, over every record it ever landed."""
    records = session.scalar(select(func.count()).select_from(RawRecord).where(RawRecord.source == source))
    quarantined = session.scalar(
        select(func.count(func.distinct(QuarantinedRow.raw_record_id))).where(
            QuarantinedRow.source == source, QuarantinedRow.status == "open"
        )
    )
    return QuarantineLoad(int(records or 0), int(quarantined or 0))
