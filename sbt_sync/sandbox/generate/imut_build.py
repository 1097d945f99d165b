"""``build_imut``: every I-MUT action of a sandbox, planted categories and ordinary lawful actions.

Ordinary actions are drawn in bulk (column arrays) and only assembled one by one; their count follows
the registry (``ORDINARY_SHARE``) up to ``ORDINARY_MAX``, which bounds the national scale's cost.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from sbt_sync.imut.model import ActionKind, OfficialRole, PostClass
from sbt_sync.sandbox.generate import nip as nipmod
from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import WIB, planted
from sbt_sync.sandbox.generate.imut_categories import (
    CaseAsn,
    Pools,
    blocks,
    effective_in_window,
    pasal_71_2,
    reporting,
    retaliation,
)
from sbt_sync.sandbox.generate.imut_plants import COVERED, HEAD_ROLES, Context
from sbt_sync.sandbox.generate.imut_posts import CLASS_OF_KATEGORI
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.registry import Registry
from sbt_sync.sandbox.generate.sources.common import Book
from sbt_sync.sandbox.generate.sources.imut import SOURCE, Action
from sbt_sync.sandbox.generate.truth import CaseState

ORDINARY_SHARE = 0.01
"""Ordinary actions per ASN in the registry over the sandbox's timeline."""
ORDINARY_MAX = 12_000
ORDINARY_FROM = date(2023, 7, 3)
ORDINARY_TO = date(2025, 8, 29)
KIND_WEIGHTS = {
    ActionKind.MUTASI: 0.30,
    ActionKind.ROTASI: 0.20,
    ActionKind.PROMOSI: 0.25,
    ActionKind.DEMOSI: 0.03,
    ActionKind.PEMBERHENTIAN: 0.05,
    ActionKind.PENGANGKATAN: 0.17,
}
# identity plants: the case may not link to its registry row, so its ASN plants nothing
_IDENTITY_FLAGS = frozenset({"wrong_nip", "namesake", "rec_name_mismatch", "unregistered", "tied_namesake"})


def build_imut(
    rng: np.random.Generator,
    reg: Registry,
    table: list[Instansi],
    cases: list[Case],
    states: dict[str, CaseState],
    book: Book,
    factor: float,
) -> list[Action]:
    """Every action, ordered by first availability; bad rows are reported to ``book``."""
    ctx = Context(rng, reg, table)
    excluded = _case_nips(cases, book, reg)
    active = (reg.kedudukan == 0) & ~np.isin(reg.nip, excluded)
    regional_inst = np.array([i.jenis != "pusat" for i in table])
    free = np.flatnonzero(active)
    pools = Pools(ctx, free[regional_inst[reg.instansi[free]]], _case_asn(cases, states, book, reg))
    actions = pasal_71_2(ctx, pools, factor)
    actions += reporting(ctx, pools, factor)
    actions += blocks(ctx, pools, factor)
    actions += retaliation(ctx, pools, factor)
    actions += _ordinary(ctx, free, regional_inst, min(round(len(reg) * ORDINARY_SHARE), ORDINARY_MAX))
    central = free[~regional_inst[reg.instansi[free]]]
    actions += _bad_rows(ctx, central, book, planted("bad_rows", factor))
    actions += effective_in_window(ctx, pools, factor)
    return sorted(actions, key=lambda a: (a.first_at, a.action_id))


def _case_nips(cases: list[Case], book: Book, reg: Registry) -> np.ndarray:
    """Every registry NIP a neutrality case or any source row mentions (ordinary actions avoid them)."""
    nips: set[int] = set()
    for case in cases:
        for row in (case.row, case.alias_row):
            if row is not None:
                nips.add(int(reg.nip[row]))
    for source_row in book.source_rows:
        for value in (source_row["true_nip"], source_row["name_nip"], source_row["nip_as_written"]):
            digits = "".join(ch for ch in str(value or "") if ch.isdigit())
            if len(digits) == 18:
                nips.add(int(digits))
    return np.array(sorted(nips), dtype=np.int64)


def _case_asn(cases: list[Case], states: dict[str, CaseState], book: Book, reg: Registry) -> list[CaseAsn]:
    """Per registered, active ASN of the cases (identity plants left out): when the first of their
    cases became known, the earliest register date, the first block and the block state at as_of."""
    first_seen: dict[str, date] = {}
    for source_row in book.source_rows:
        case_id = source_row["case_id"]
        if case_id is None or source_row["quarantined"]:
            continue
        day = date.fromisoformat(str(source_row["available_at"])[:10])
        first_seen[case_id] = min(day, first_seen.get(case_id, day))
    by_row: dict[int, list[Case]] = {}
    for case in cases:
        by_row.setdefault(case.row, []).append(case)
    out: list[CaseAsn] = []
    for row, own in sorted(by_row.items()):
        if any(c.unregistered or c.alias_row is not None or c.flags & _IDENTITY_FLAGS for c in own):
            continue
        if reg.kedudukan[row] != 0 or any(c.left_on is not None for c in own):
            continue
        registered = min(c.register.tanggal.astimezone(WIB).date() for c in own)
        seen = [first_seen[c.case_id] for c in own if c.case_id in first_seen]
        blocks = [
            date.fromisoformat(a["date"])
            for c in own
            for a in states[c.case_id].actions
            if a["action"] == "pemblokiran"
        ]
        holding = [
            date.fromisoformat(a["date"])
            for c in own
            if states[c.case_id].blocked
            for a in states[c.case_id].actions
            if a["action"] == "pemblokiran"
        ]
        out.append(
            CaseAsn(
                row=row,
                known=max([registered, *seen]) if seen else registered,
                registered=registered,
                block_start=min(blocks) if blocks else None,
                blocked_since=min(holding) if holding else None,
            )
        )
    return out


def _ordinary(ctx: Context, free: np.ndarray, regional_inst: np.ndarray, n: int) -> list[Action]:
    """Lawful everyday actions of ASN in no neutrality case: by central agencies' heads, by a sekda on
    delegation, and by regional heads outside the watch window or (uncovered, or approved before the
    decision) reported on time inside it. One in twenty is served again with a corrected reason."""
    rng, reg = ctx.rng, ctx.reg
    ban, after = ctx.windows(None)
    rows = free[rng.integers(len(free), size=n)]
    inst = reg.instansi[rows].astype(np.int64)
    regional = regional_inst[inst]
    kinds = list(KIND_WEIGHTS)
    weights = np.array(list(KIND_WEIGHTS.values()))
    kind_idx = rng.choice(len(kinds), n, p=weights / weights.sum())
    klass_idx = reg.kategori[rows].astype(np.int64)
    recovered = rng.random(n) < 0.15
    covered_idx = rng.integers(len(COVERED), size=n)
    day_offsets = rng.integers(0, (ORDINARY_TO - ORDINARY_FROM).days + 1, n)
    head = rng.random(n) < 0.5
    role_idx = rng.choice(len(HEAD_ROLES), n, p=[0.6, 0.3, 0.1])
    corrected = rng.random(n) < 0.05
    out: list[Action] = []
    for i in range(n):
        row, where = int(rows[i]), int(inst[i])
        kind = kinds[int(kind_idx[i])]
        klass: PostClass = (
            COVERED[int(covered_idx[i])] if recovered[i] else CLASS_OF_KATEGORI[int(klass_idx[i])]
        )
        decided = ctx.working_on_or_after(ORDINARY_FROM + timedelta(days=int(day_offsets[i])))
        if not regional[i]:
            role = OfficialRole.PIMPINAN_INSTANSI if head[i] else OfficialRole.LAINNYA
        else:
            role = HEAD_ROLES[int(role_idx[i])] if head[i] else OfficialRole.LAINNYA
        official = ctx.officials.get(where, role)
        action = ctx.new("ordinary", row, kind, official, decided, ctx.posts(kind, klass))
        watched = ban.first <= decided <= after.last
        if official.wilayah is not None and watched:
            if any(p is not None and p.klass in COVERED for p in (action.before, action.after)):
                action.approval = ctx.approval(decided - timedelta(days=int(rng.integers(2, 40))))
            ctx.serve_on_time(action)
        else:
            ctx.serve_plain(action)
        if corrected[i]:
            at = action.versions[-1][0] + timedelta(days=int(rng.integers(1, 6)), hours=3)
            action.serve(at, alasan=f"{action.alasan or 'Kebutuhan organisasi'} (ralat)")
        out.append(action)
    return out


def _bad_rows(ctx: Context, central: np.ndarray, book: Book, n: int) -> list[Action]:
    """Promotions by central agencies whose NIP encodes an impossible birth date: a correct system
    rejects the NIP (a quarantine entry) and keeps the action, which, lawful, makes no finding."""
    out: list[Action] = []
    for k in range(n):
        row = int(central[int(ctx.rng.integers(len(central)))])
        where = int(ctx.reg.instansi[row])
        official = ctx.officials.get(where, OfficialRole.PIMPINAN_INSTANSI)
        decided = ctx.day_in(date(2024, 2, 1), date(2024, 12, 20))
        bad = nipmod.impossible_birth(ctx.reg.nip_str(row), k)
        action = ctx.new(
            "bad_nip",
            row,
            ActionKind.PROMOSI,
            official,
            decided,
            ctx.posts(ActionKind.PROMOSI, PostClass.LAINNYA),
            nip=bad,
        )
        ctx.serve_plain(action)
        book.bad(
            source=SOURCE,
            key=action.action_id,
            row=None,
            content=None,
            field_name="nipBaru",
            value=bad,
            reason="impossible_nip_birth_date",
            at=action.first_at,
        )
        out.append(action)
    return out
