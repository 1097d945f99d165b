"""What the dashboard shows beside the recap: the funnel, blocks by Kanreg and the monthly trend."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, Conflict, ControlAction, OutboxEntry, QuarantinedRow
from sbt_sync.reports.recap import TOTAL, Recap, build_recap


@dataclass
class Dashboard:
    recap: Recap
    funnel: list[tuple[str, int]]
    blocks_by_kanreg: list[tuple[str, int]]
    trend: dict[str, dict[str, int]] = field(default_factory=dict)
    """Month (YYYY-MM) -> series -> count, for recommendations, sanctions and blocks."""
    open_conflicts: int = 0
    held_cases: int = 0
    open_quarantine: int = 0
    outbox_waiting: int = 0


def _month(d: date | None) -> str | None:
    return f"{d.year:04d}-{d.month:02d}" if d else None


def build_dashboard(database: Database) -> Dashboard:
    recap = build_recap(database)
    total = recap.events.get(TOTAL)
    counts = total.counts if total else Counter[str]()
    funnel = [
        (key, counts[key]) for key in ("reported", "recommended", "sanctioned", "not_followed_up", "blocked")
    ]
    kanreg = sorted((total.blocks_by_kanreg if total else Counter[str]()).items(), key=lambda kv: -kv[1])
    trend: dict[str, Counter[str]] = {}
    with database.session() as session:
        for rec, sanction in session.execute(select(Case.recommendation_date, Case.sanction_date)).tuples():
            for series, day in (("recommended", rec), ("sanctioned", sanction)):
                if (month := _month(day)) is not None:
                    trend.setdefault(month, Counter())[series] += 1
        for (due,) in session.execute(
            select(ControlAction.due_on).where(ControlAction.action == "pemblokiran")
        ).tuples():
            if (month := _month(due)) is not None:
                trend.setdefault(month, Counter())["blocked"] += 1

        def count(query: Select[Any]) -> int:
            return session.scalar(select(func.count()).select_from(query.subquery())) or 0

        open_conflicts = count(select(Conflict.id).where(Conflict.status == "open"))
        held = count(select(Case.id).where(Case.held.is_(True)))
        quarantine = count(select(QuarantinedRow.id).where(QuarantinedRow.status == "open"))
        waiting = count(select(OutboxEntry.id).where(OutboxEntry.state.in_(("awaiting_approval", "parked"))))
    return Dashboard(
        recap=recap,
        funnel=funnel,
        blocks_by_kanreg=kanreg,
        trend={m: dict(trend[m]) for m in sorted(trend)},
        open_conflicts=open_conflicts,
        held_cases=held,
        open_quarantine=quarantine,
        outbox_waiting=waiting,
    )
