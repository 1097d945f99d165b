"""Sources held by their blocking checks, past the run that evaluated them.

DESIGN.md: a source whose bad-row ratio or schema drift passes its threshold fails its blocking asset
check, "so nothing downstream acts on it". Dagster's blocking check only stops the downstream steps of
the run that evaluated it; another source's run, a steward re-run or the next cycle would still
reconcile the rejected batch's good rows. So the checks' joint verdict (``quarantine_ratio`` and
``schema_drift``, :mod:`sbt_sync.ingest.drift`) is kept here (``source_holds``), and
:func:`sbt_sync.reconcile.run.reconcile_in_session` leaves a held source's changed staged rows waiting
until a later check passes or a steward releases the source (:func:`release`, audited).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, SourceHold, User


def record_verdict(
    session: Session,
    source: str,
    *,
    passed: bool,
    verdict: Mapping[str, Any],
    now: datetime | None = None,
) -> bool:
    """Keep the blocking check's verdict on ``source``; whether the source is held now."""
    now = now or utcnow()
    row = session.get(SourceHold, source)
    if row is None:
        row = SourceHold(source=source, held=False)
        session.add(row)
    if not passed and not row.held:
        row.held_since = now
        row.released_at = None
        row.released_by = None
    row.held = not passed
    row.checked_at = now
    row.verdict = dict(verdict)
    return row.held


def held_sources(session: Session) -> set[str]:
    """The sources whose changed rows reconciliation must leave waiting."""
    return set(session.scalars(select(SourceHold.source).where(SourceHold.held.is_(True))))


def release(
    database: Database,
    source: str,
    *,
    actor: str,
    reason: str,
    channel: str = "cli",
    now: datetime | None = None,
) -> bool:
    """A steward lets a held source's waiting rows be reconciled at the next run; False when the source
    was not held. Audited in the same transaction. The next failing check holds the source again."""
    now = now or utcnow()
    with database.session() as session:
        row = session.get(SourceHold, source)
        if row is None or not row.held:
            return False
        user = session.scalar(select(User).where(User.username == actor))
        before = {"held": True, "held_since": row.held_since.isoformat() if row.held_since else None}
        row.held = False
        row.released_at = now
        row.released_by = actor
        session.add(
            AuditEntry(
                at=now,
                actor_id=user.id if user else None,
                actor_name=actor,
                action="source.release",
                object_type="source",
                object_id=source,
                before=before,
                after={"held": False, "verdict": row.verdict},
                reason=reason,
                channel=channel,
            )
        )
    return True
