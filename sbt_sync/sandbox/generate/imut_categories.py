"""The planted I-MUT categories: one function per family, each returning actions with their findings.

Counts at case factor 1.0 are in ``COUNTS`` (at least two of each at any scale); the first action of a
boundary category sits exactly on its boundary (the window's first or last day, the day before it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from sbt_sync.imut.model import ActionKind, OfficialRole, PostClass, Rule
from sbt_sync.sandbox.generate.config import AS_OF_DATE, at_wib
from sbt_sync.sandbox.generate.imut_plants import (
    COVERED,
    REPORT_DAYS,
    Context,
    deadline_passed,
    regional_head,
)
from sbt_sync.sandbox.generate.sources.imut import Action, approval_changes, report_changes

COUNTS = {
    "pasal_71_2_approval_before": 20,
    "pasal_71_2_approval_after": 10,
    "pasal_71_2_approval_same_day": 6,
    "pasal_71_2_no_approval": 15,
    "pasal_71_2_late_approval_version": 8,
    "pasal_71_2_outside_window": 10,
    "pasal_71_2_uncovered_post": 15,
    "pasal_71_2_last_day": 2,
    "pasal_71_2_effective_in_window": 6,
    "pasal_162_3_no_approval": 8,
    "pasal_162_3_approval_before": 8,
    "pasal_162_3_after_window": 4,
    "report_7th_working_day": 10,
    "report_8th_working_day": 10,
    "report_never": 10,
    "report_late_version": 8,
    "block_breach": 15,
    "block_before_block": 10,
    "retaliation": 15,
    "retaliation_other_official": 8,
    "retaliation_before_known": 6,
}
KINDS = tuple(ActionKind)
BLOCK_KINDS = (ActionKind.PROMOSI, ActionKind.PENGANGKATAN, ActionKind.MUTASI, ActionKind.ROTASI)
RETALIATION_KINDS = (ActionKind.DEMOSI, ActionKind.PEMBERHENTIAN, ActionKind.MUTASI)


def count(name: str, factor: float) -> int:
    return max(2, round(COUNTS[name] * factor))


@dataclass(frozen=True, slots=True)
class CaseAsn:
    """A registered ASN in a neutrality case: since when a correct system knows it, and its block."""

    row: int
    known: date
    registered: date
    block_start: date | None
    blocked_since: date | None
    """The policy's block date of the case(s) that keep the ASN blocked at as_of (None: not blocked)."""


class Pools:
    """Registry rows to plant on: free regional ASN (in no case) and case ASN."""

    def __init__(self, ctx: Context, free_regional: np.ndarray, cases: list[CaseAsn]) -> None:
        self.ctx, self.free_regional, self.cases = ctx, free_regional, cases

    def regional(self) -> tuple[int, int]:
        """(row, instansi index) of a free ASN of a regional government."""
        row = int(self.free_regional[int(self.ctx.rng.integers(len(self.free_regional)))])
        return row, int(self.ctx.reg.instansi[row])


def _covered_action(ctx: Context, pools: Pools, category: str, decided: date) -> Action:
    row, inst = pools.regional()
    kind = KINDS[int(ctx.rng.integers(len(KINDS)))]
    klass = COVERED[int(ctx.rng.integers(len(COVERED)))]
    return ctx.new(category, row, kind, regional_head(ctx, inst), decided, ctx.posts(kind, klass))


def pasal_71_2(ctx: Context, pools: Pools, factor: float) -> list[Action]:
    """Covered replacements by regional heads around the ban window, approved in time or not."""
    out: list[Action] = []
    ban, after = ctx.windows(None)
    last = AS_OF_DATE - timedelta(days=45)
    for i in range(count("pasal_71_2_approval_before", factor)):
        a = _covered_action(ctx, pools, "pasal_71_2_approval_before", ctx.day_in(ban.first, last))
        a.approval = ctx.approval(a.decided - timedelta(days=1 if i == 0 else int(ctx.rng.integers(1, 31))))
        ctx.serve_on_time(a)
        out.append(a)
    for i in range(count("pasal_71_2_no_approval", factor)):
        a = _covered_action(
            ctx, pools, "pasal_71_2_no_approval", ban.first if i == 0 else ctx.day_in(ban.first, last)
        )
        ctx.serve_on_time(a)
        a.expect(Rule.PASAL_71_2)
        out.append(a)
    for name, lag in (("pasal_71_2_approval_same_day", (0, 1)), ("pasal_71_2_approval_after", (1, 6))):
        for _ in range(count(name, factor)):
            a = _covered_action(ctx, pools, name, ctx.day_in(ban.first, last))
            a.approval = ctx.approval(a.decided + timedelta(days=int(ctx.rng.integers(*lag))))
            # served once the letter exists, with the report (filled in on time)
            a.reported = ctx.add_wd(a.decided, int(ctx.rng.integers(1, REPORT_DAYS + 1)))
            a.serve(at_wib(max(a.reported, a.approval[1]), 17, int(ctx.rng.integers(60))))
            a.expect(Rule.PASAL_71_2)
            out.append(a)
    for _ in range(count("pasal_71_2_late_approval_version", factor)):
        # first served without approval; the approval, dated after the decision, arrives weeks later
        a = _covered_action(ctx, pools, "pasal_71_2_late_approval_version", ctx.day_in(ban.first, last))
        ctx.serve_on_time(a)
        deadline = ctx.add_wd(a.decided, REPORT_DAYS)
        letter = ctx.approval(deadline + timedelta(days=int(ctx.rng.integers(3, 15))))
        a.serve(at_wib(letter[1] + timedelta(days=2), 10), **approval_changes(letter))
        a.expect(Rule.PASAL_71_2)
        out.append(a)
    for i in range(count("pasal_71_2_outside_window", factor)):
        first = ban.first - timedelta(days=120)
        decided = (
            ban.first - timedelta(days=1) if i == 0 else ctx.day_in(first, ban.first - timedelta(days=8))
        )
        a = _covered_action(ctx, pools, "pasal_71_2_outside_window", decided)
        ctx.serve_plain(a)
        out.append(a)
    for _ in range(count("pasal_71_2_uncovered_post", factor)):
        row, inst = pools.regional()
        kind = KINDS[int(ctx.rng.integers(len(KINDS)))]
        official = regional_head(ctx, inst)
        a = ctx.new(
            "pasal_71_2_uncovered_post",
            row,
            kind,
            official,
            ctx.day_in(ban.first, last),
            ctx.posts(kind, PostClass.LAINNYA),
        )
        ctx.serve_on_time(a)
        out.append(a)
    # the ban's last day and the Pasal 162(3) window (served after as_of: expected only later)
    for _ in range(count("pasal_71_2_last_day", factor)):
        a = _covered_action(ctx, pools, "pasal_71_2_last_day", ban.last)
        ctx.serve_on_time(a)
        a.expect(Rule.PASAL_71_2)
        out.append(a)
    for i in range(count("pasal_162_3_no_approval", factor)):
        decided = after.first if i == 0 else ctx.day_in(after.first, after.last - timedelta(days=7))
        a = _covered_action(ctx, pools, "pasal_162_3_no_approval", min(decided, after.last))
        ctx.serve_on_time(a)
        a.expect(Rule.PASAL_162_3)
        out.append(a)
    for _ in range(count("pasal_162_3_approval_before", factor)):
        a = _covered_action(
            ctx, pools, "pasal_162_3_approval_before", ctx.day_in(after.first, after.last - timedelta(days=7))
        )
        a.approval = ctx.approval(a.decided - timedelta(days=int(ctx.rng.integers(1, 20))))
        ctx.serve_on_time(a)
        out.append(a)
    for i in range(count("pasal_162_3_after_window", factor)):
        decided = (
            after.last + timedelta(days=1)
            if i == 0
            else ctx.day_in(after.last + timedelta(days=2), after.last + timedelta(days=30))
        )
        a = _covered_action(ctx, pools, "pasal_162_3_after_window", decided)
        ctx.serve_plain(a)
        out.append(a)
    return out


def _holiday_days(ctx: Context, first: date, last: date) -> list[date]:
    """Working days whose 7 following working days span a weekday holiday or cuti bersama."""
    out = []
    day = first
    while day <= last:
        if ctx.workdays.is_working_day(day):
            deadline = ctx.add_wd(day, REPORT_DAYS)
            span = (day + timedelta(days=k) for k in range(1, (deadline - day).days))
            if any(d.weekday() < 5 and not ctx.workdays.is_working_day(d) for d in span):
                out.append(day)
        day += timedelta(days=1)
    return out


def reporting(ctx: Context, pools: Pools, factor: float) -> list[Action]:
    """Uncovered actions by regional heads in the watch window, reported on time, late or never."""
    out: list[Action] = []
    ban, _after = ctx.windows(None)
    last = AS_OF_DATE - timedelta(days=30)
    holidays = _holiday_days(ctx, ban.first, last)

    def action(category: str, decided: date) -> Action:
        row, inst = pools.regional()
        kind = KINDS[int(ctx.rng.integers(len(KINDS)))]
        posts = ctx.posts(kind, PostClass.LAINNYA)
        return ctx.new(category, row, kind, regional_head(ctx, inst), decided, posts)

    for name, day in (("report_7th_working_day", REPORT_DAYS), ("report_8th_working_day", REPORT_DAYS + 1)):
        for _ in range(count(name, factor)):
            a = action(name, holidays[int(ctx.rng.integers(len(holidays)))])
            a.reported = ctx.add_wd(a.decided, day)
            a.serve(at_wib(a.reported, 15, int(ctx.rng.integers(60))))
            if day > REPORT_DAYS:
                a.expect(Rule.REPORTING_7_DAYS)
            out.append(a)
    n_never = count("report_never", factor)
    for i in range(n_never):
        # the last one is decided days before as_of: its deadline has not passed there yet
        decided = (
            ctx.working_on_or_after(AS_OF_DATE - timedelta(days=3))
            if i == n_never - 1
            else ctx.day_in(ban.first, last)
        )
        a = action("report_never", decided)
        a.serve(at_wib(a.decided + timedelta(days=int(ctx.rng.integers(1, 4))), 11))
        a.expect(Rule.REPORTING_7_DAYS, max(a.first_at, deadline_passed(ctx, a)))
        out.append(a)
    for _ in range(count("report_late_version", factor)):
        a = action("report_late_version", ctx.day_in(ban.first, last))
        a.serve(at_wib(a.decided, 16))
        reported = ctx.add_wd(a.decided, int(ctx.rng.integers(REPORT_DAYS + 1, REPORT_DAYS + 6)))
        a.serve(at_wib(reported, 16), **report_changes(reported))
        a.expect(Rule.REPORTING_7_DAYS, max(a.first_at, deadline_passed(ctx, a)))
        out.append(a)
    return out


def blocks(ctx: Context, pools: Pools, factor: float) -> list[Action]:
    """Moves of NIPs SIASN holds blocked at as_of taking effect from as_of (breaches), and moves that
    took effect before the block started (lawful). Decided by officials whom the election rules and
    the retaliation rule do not concern (a sekda by delegation, or a central agency's head promoting)."""
    out: list[Action] = []
    blocked = [c for c in pools.cases if c.blocked_since is not None]
    ever = [c for c in pools.cases if c.block_start is not None and c.block_start > date(2023, 8, 1)]

    def action(category: str, case: CaseAsn, decided: date, tmt: date) -> Action:
        kind = BLOCK_KINDS[int(ctx.rng.integers(len(BLOCK_KINDS)))]
        inst = int(ctx.reg.instansi[case.row])
        central = ctx.table[inst].jenis == "pusat"
        own_head = central and kind in (ActionKind.PROMOSI, ActionKind.PENGANGKATAN)
        role = OfficialRole.PIMPINAN_INSTANSI if own_head else OfficialRole.LAINNYA
        klass = PostClass.LAINNYA if ctx.rng.random() < 0.5 else COVERED[int(ctx.rng.integers(len(COVERED)))]
        a = ctx.new(
            category, case.row, kind, ctx.officials.get(inst, role), decided, ctx.posts(kind, klass), tmt=tmt
        )
        ctx.serve_plain(a, latest=AS_OF_DATE - timedelta(days=1))
        return a

    for i, case in enumerate(_sample(ctx, blocked, count("block_breach", factor))):
        tmt = AS_OF_DATE if i == 0 else AS_OF_DATE + timedelta(days=int(ctx.rng.integers(0, 31)))
        a = action(
            "block_breach",
            case,
            ctx.day_in(AS_OF_DATE - timedelta(days=40), AS_OF_DATE - timedelta(days=8)),
            tmt,
        )
        assert case.blocked_since is not None
        # true once the action is served and SIASN holds the block (from the policy's block day on)
        a.expect(Rule.BLOCK_BREACH, max(a.first_at, at_wib(case.blocked_since, 0)))
        out.append(a)
    for case in _sample(ctx, ever, count("block_before_block", factor)):
        assert case.block_start is not None
        tmt = case.block_start - timedelta(days=int(ctx.rng.integers(1, 60)))
        tmt = max(tmt, date(2023, 7, 1))
        decided = tmt - timedelta(days=int(ctx.rng.integers(0, 15)))
        out.append(action("block_before_block", case, decided, tmt))
    return out


def retaliation(ctx: Context, pools: Pools, factor: float) -> list[Action]:
    """Demotions, removals and transfers of ASN in neutrality cases by the head of their own regional
    government inside the watch window (investigate), and the same by someone else or before the case
    was known (lawful). Posts are uncovered or approved in time, and reported on time."""
    out: list[Action] = []
    ban, _after = ctx.windows(None)
    last = AS_OF_DATE - timedelta(days=30)
    never_blocked = [
        c
        for c in pools.cases
        if c.block_start is None and ctx.table[int(ctx.reg.instansi[c.row])].jenis != "pusat"
    ]
    known = [c for c in never_blocked if max(ban.first, c.known + timedelta(days=7)) <= last]
    unknown = [c for c in never_blocked if c.registered - timedelta(days=14) >= ban.first + timedelta(days=7)]

    def action(category: str, case: CaseAsn, first: date, until: date, role: OfficialRole | None) -> Action:
        kind = RETALIATION_KINDS[int(ctx.rng.integers(len(RETALIATION_KINDS)))]
        inst = int(ctx.reg.instansi[case.row])
        official = regional_head(ctx, inst) if role is None else ctx.officials.get(inst, role)
        covered = ctx.rng.random() < 0.5
        klass = COVERED[int(ctx.rng.integers(len(COVERED)))] if covered else PostClass.LAINNYA
        decided = ctx.day_in(first, until)
        if decided > until:  # moved past a holiday beyond the allowed range: take the range's start
            decided = first
        a = ctx.new(category, case.row, kind, official, decided, ctx.posts(kind, klass))
        if covered:
            a.approval = ctx.approval(decided - timedelta(days=int(ctx.rng.integers(3, 20))))
        ctx.serve_on_time(a)
        return a

    for case in _sample(ctx, known, count("retaliation", factor)):
        a = action("retaliation", case, max(ban.first, case.known + timedelta(days=7)), last, None)
        a.expect(Rule.POSSIBLE_RETALIATION)
        out.append(a)
    for case in _sample(ctx, known, count("retaliation_other_official", factor)):
        first = max(ban.first, case.known + timedelta(days=7))
        out.append(action("retaliation_other_official", case, first, last, OfficialRole.LAINNYA))
    for case in _sample(ctx, unknown, count("retaliation_before_known", factor)):
        until = case.registered - timedelta(days=14)
        out.append(action("retaliation_before_known", case, ban.first, until, None))
    return out


def _sample(ctx: Context, pool: list[CaseAsn], n: int) -> list[CaseAsn]:
    """Up to ``n`` distinct entries of ``pool``, in a seeded order."""
    if not pool:
        return []
    picks = ctx.rng.choice(len(pool), min(n, len(pool)), replace=False)
    return [pool[int(i)] for i in picks]


def effective_in_window(ctx: Context, pools: Pools, factor: float) -> list[Action]:
    """Covered replacements signed by regional heads in the week before the ban and taking effect
    within it (the first on its first day), reported on time, without an approval: breaches of Pasal
    71(2). Planted last, so the random stream of every other category is unchanged."""
    out: list[Action] = []
    ban, _after = ctx.windows(None)
    for i in range(count("pasal_71_2_effective_in_window", factor)):
        decided = ban.first - timedelta(days=int(ctx.rng.integers(1, 8)))
        tmt = ban.first if i == 0 else ban.first + timedelta(days=int(ctx.rng.integers(0, 30)))
        row, inst = pools.regional()
        kind = KINDS[int(ctx.rng.integers(len(KINDS)))]
        klass = COVERED[int(ctx.rng.integers(len(COVERED)))]
        official = regional_head(ctx, inst)
        a = ctx.new(
            "pasal_71_2_effective_in_window", row, kind, official, decided, ctx.posts(kind, klass), tmt=tmt
        )
        ctx.serve_on_time(a)
        a.expect(Rule.PASAL_71_2)
        out.append(a)
    return out
