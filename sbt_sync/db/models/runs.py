"""Sync runs: one row per cycle (or part of one) that sbt-sync executed, with what it did."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sbt_sync.db.base import Base, JsonType, utcnow
from sbt_sync.states.runs import RUN_STATUSES_SQL


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (
        Index(None, "started_at"),
        CheckConstraint(f"status IN {RUN_STATUSES_SQL}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    """Dagster's run id, when the run came from Dagster."""
    job: Mapped[str] = mapped_column(String(128))
    as_of: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class RuleDigest(Base):
    """Which rules the stored derived values were computed with (migration 0034): one row per kind
    (``registry_names``, ``staged_names``, ``identity``), its digest the rules' own
    (``sbt_sync.reconcile.rules``). A digest that differs from the running code's says the values are
    stale; the next reconciliation recomputes them and records the new digest in its transaction."""

    __tablename__ = "rule_digests"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
