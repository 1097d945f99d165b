"""What the dashboard shows beside the recap: the funnel, blocks by Kanreg and the monthly trend.

The trend's blocks are those SIASN acknowledged, in the WIB month of the acknowledgement, counted
per case the block was for (as the recap's "Diblokir"): a pemblokiran step the history records but
that never reached SIASN (held behind the change guard, parked, or ended before it was sent) stopped
nobody's promotion.

For an agency viewer (``sources``) every number is counted over what they may see
(:mod:`sbt_sync.steward.scope`): the cases their agency's records are in, the conflicts on them and
their sources' quarantined rows; the push outbox is not theirs to see (0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, Conflict, OutboxEntry, QuarantinedRow
from sbt_sync.enforce.load import wib_day
from sbt_sync.reports.recap import TOTAL, Recap, build_recap, kanreg_order
from sbt_sync.states.conflicts import ConflictStatus
from sbt_sync.states.outbox import OutboxState, PushAction
from sbt_sync.steward.scope import case_visible, conflict_visible

_WAITING_ON_STEWARD = (OutboxState.AWAITING_APPROVAL, OutboxState.PARKED)
"""Outbox rows only a steward moves on (an approval, a retry)."""


@dataclass
class Dashboard:
    recap: Recap
    funnel: list[tuple[str, int]]
    blocks_by_kanreg: list[tuple[str, int]]
    trend: dict[str, dict[str, int]] = field(default_factory=dict)
    """Month (YYYY-MM) -> series -> count, for recommendations, sanctions and blocks; every month from
    the first to the last, those with nothing as ``{}`` (:func:`months_filled`)."""
    open_conflicts: int = 0
    held_cases: int = 0
    open_quarantine: int = 0
    outbox_waiting: int = 0


def _month(d: date | None) -> str | None:
    return f"{d.year:04d}-{d.month:02d}" if d else None


MAX_FILLED_MONTHS = 240
"""A trend spanning more months than this (a stray date decades off) keeps only the months that
have something, rather than drawing hundreds of empty ones."""


def months_filled(trend: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """``trend`` (month YYYY-MM -> series -> count) with every month between its first and last, the
    empty ones as ``{}``: the chart's x axis is then time, so a quiet year between two elections
    shows as a flat stretch instead of the two elections drawn side by side."""
    if not trend:
        return {}
    months = sorted(trend)
    first_year, first_month = map(int, months[0].split("-"))
    last_year, last_month = map(int, months[-1].split("-"))
    span = (last_year - first_year) * 12 + last_month - first_month + 1
    if span > MAX_FILLED_MONTHS:
        return {m: trend[m] for m in months}
    filled = {}
    for offset in range(span):
        year, month = divmod(first_month - 1 + offset, 12)
        key = f"{first_year + year:04d}-{month + 1:02d}"
        filled[key] = trend.get(key, {})
    return filled


def kanreg_bars(blocks: Mapping[str, int]) -> list[tuple[str, int]]:
    """Blocked NIPs per Kanreg, most first; ties in the Kanreg's official order (I to XIV, then
    PUSAT), so the chart does not reshuffle them from one page load to the next."""
    return sorted(blocks.items(), key=lambda kv: (-kv[1], *kanreg_order(kv[0])))


def recap_for(database: Database, sources: Sequence[str] | None) -> Recap:
    """The recap, national or (``sources``) over an agency viewer's cases."""
    return build_recap(database, only=case_visible(sources) if sources is not None else None)


def build_dashboard(database: Database, *, sources: Sequence[str] | None = None) -> Dashboard:
    """The dashboard's numbers, national or (``sources``) an agency viewer's."""
    only = case_visible(sources) if sources is not None else None
    recap = recap_for(database, sources)
    total = recap.events.get(TOTAL)
    counts = total.counts if total else Counter[str]()
    funnel = [
        (key, counts[key]) for key in ("reported", "recommended", "sanctioned", "not_followed_up", "blocked")
    ]
    kanreg = kanreg_bars(total.blocks_by_kanreg if total else Counter[str]())
    trend: dict[str, Counter[str]] = {}
    with database.session() as session:
        dates = select(Case.recommendation_date, Case.sanction_date)
        blocks = select(OutboxEntry.acked_at, OutboxEntry.case_refs).where(
            OutboxEntry.state == OutboxState.ACKED, OutboxEntry.action == PushAction.BLOKIR
        )
        keys = select(Case.case_key)
        conflicts = select(Conflict.id).where(Conflict.status == ConflictStatus.OPEN)
        held_cases = select(Case.id).where(Case.held.is_(True))
        quarantined = select(QuarantinedRow.id).where(QuarantinedRow.status == "open")
        if sources is not None and only is not None:
            dates, held_cases, keys = dates.where(only), held_cases.where(only), keys.where(only)
            conflicts = conflicts.where(conflict_visible(sources))
            quarantined = quarantined.where(QuarantinedRow.source.in_(list(sources)))
        for rec, sanction in session.execute(dates).tuples():
            for series, day in (("recommended", rec), ("sanctioned", sanction)):
                if (month := _month(day)) is not None:
                    trend.setdefault(month, Counter())[series] += 1
        known = set(session.scalars(keys))
        for acked, refs in session.execute(blocks).tuples():
            named = len(known.intersection(refs or []))
            if named and (month := _month(wib_day(acked))) is not None:
                trend.setdefault(month, Counter())["blocked"] += named

        def count(query: Select[Any]) -> int:
            return session.scalar(select(func.count()).select_from(query.subquery())) or 0

        open_conflicts = count(conflicts)
        held = count(held_cases)
        quarantine = count(quarantined)
        waiting = (
            count(
                select(OutboxEntry.id).where(
                    OutboxEntry.state.in_((OutboxState.AWAITING_APPROVAL, OutboxState.PARKED))
                )
            )
            if sources is None
            else 0
        )
    return Dashboard(
        recap=recap,
        funnel=funnel,
        blocks_by_kanreg=kanreg,
        trend=months_filled({m: dict(counts) for m, counts in trend.items()}),
        open_conflicts=open_conflicts,
        held_cases=held,
        open_quarantine=quarantine,
        outbox_waiting=waiting,
    )
