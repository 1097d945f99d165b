"""Planted situations a correct system must handle: repeat offenders, contradictions, identity traps.

Each plant marks cases with a flag the source generators act on; the ground truth is later derived from
what the sources actually publish, so a flag is an intent, never the truth itself.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import AS_OF, CLOCK_START, at_wib, planted
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.registry import Registry

_SANCTIONED = ("on_time", "after_peringatan", "after_teguran", "after_blokir")


def _take(rng: np.random.Generator, pool: list[Case], k: int, taken: set[str]) -> list[Case]:
    free = [c for c in pool if c.case_id not in taken]
    picked = (
        [free[i] for i in sorted(rng.choice(len(free), min(k, len(free)), replace=False))] if free else []
    )
    taken.update(c.case_id for c in picked)
    return picked


def plant_repeat_asn(rng: np.random.Generator, cases: list[Case], factor: float) -> None:
    """Give some 2024 cases the ASN of an earlier case (one NIP, several cases)."""
    early = [c for c in cases if c.event == "PILKADA-2020" and c.bucket != "left_service"]
    late = [c for c in cases if c.event != "PILKADA-2020" and c.bucket != "left_service"]
    taken: set[str] = set()
    pairs: list[tuple[Case, Case]] = []
    # forced shapes: blocked twice (stays blocked while any case requires it); sanctioned then blocked
    for early_bucket, late_bucket, late_event in (
        ("blocked", "blocked", "PILKADA-2024"),
        ("on_time", "blocked", "PEMILU-2024"),
    ):
        a = _take(rng, [c for c in early if c.bucket == early_bucket and not c.flags], 1, taken)
        b = _take(rng, [c for c in late if c.bucket == late_bucket and c.event == late_event], 1, taken)
        if a and b:
            pairs.append((a[0], b[0]))
    for _ in range(planted("repeat_asn", factor) - len(pairs)):
        a = _take(rng, early, 1, taken)
        b = _take(rng, late, 1, taken)
        if a and b:
            pairs.append((a[0], b[0]))
    for first, second in pairs:
        second.row = first.row
        first.flags.add("repeat_asn")
        second.flags.add("repeat_asn")


def plant_conflicts(rng: np.random.Generator, cases: list[Case], factor: float, regional: set[int]) -> None:
    """Flag cases whose sources will contradict each other."""
    taken = {c.case_id for c in cases if "repeat_asn" in c.flags}
    old_rec = [c for c in cases if c.event == "PILKADA-2020" and c.outcome == "terbukti"]
    n = planted("rec_sanction_conflict", factor)
    for case in _take(rng, [c for c in old_rec if c.bucket == "blocked"], (n + 1) // 2, taken) + _take(
        rng, [c for c in old_rec if c.bucket == "on_time"], n // 2, taken
    ):
        case.flags.add("conflict_rec_sanksi")
    for case in _take(
        rng,
        [c for c in old_rec if c.bucket in ("blocked", "after_blokir")],
        planted("rec_result_conflict", factor),
        taken,
    ):
        case.flags.add("conflict_rec_hasil")
    # BKN migrated part of KASN's history after KASN's dissolution; most copies agree
    agreeing = [c for c in old_rec if c.bucket != "annulled"]
    for case in _take(rng, agreeing, max(2, round(len(old_rec) * 0.08)), taken):
        case.flags.add("migrated")
    new = [c for c in cases if c.event != "PILKADA-2020"]
    both = [
        c for c in new if c.bucket in _SANCTIONED and c.row in regional
    ]  # kemendagri reports regional ASN
    for case in _take(rng, both, planted("sanction_conflict", factor), taken):
        case.flags.add("conflict_sanksi")
    for case in _take(
        rng, [c for c in new if c.outcome == "tidak_terbukti"], planted("lifecycle_conflict", factor), taken
    ):
        case.flags.add("conflict_lifecycle")
        assert case.rec_date is not None
        case.sk_date = case.rec_date + timedelta(days=int(rng.integers(5, 20)))
        case.sanksi = 22
        case.nomor_sk = f"800/L{case.case_id[-4:]}/BKPSDM/{case.sk_date.year}"


def plant_identity(
    rng: np.random.Generator, cases: list[Case], reg: Registry, by_inst: list[np.ndarray]
) -> None:
    """Wrong NIPs (another real ASN's) and namesakes (a second ASN with the same name in the instansi)."""
    case_rows = {c.row for c in cases}
    factor = len(cases) / 2800
    taken = {c.case_id for c in cases if c.flags}
    pool = [c for c in cases if c.event != "PILKADA-2020"]
    for case in _take(rng, pool, planted("wrong_nip", factor), taken):
        inst = by_inst[int(reg.instansi[case.row])]
        other = int(inst[rng.integers(len(inst))]) if len(inst) > 1 else int(rng.integers(len(reg)))
        if other == case.row or other in case_rows:
            continue
        case.alias_row = other
        case.flags.add("wrong_nip")
    for case in _take(rng, pool, planted("namesake", factor), taken):
        candidates = [int(r) for r in by_inst[int(reg.instansi[case.row])] if int(r) not in case_rows]
        if not candidates:
            continue
        other = candidates[int(rng.integers(len(candidates)))]
        reg.g1[other], reg.g2[other], reg.fam[other] = reg.g1[case.row], reg.g2[case.row], reg.fam[case.row]
        case.alias_row = other
        case.flags.add("namesake")


def assign_channels(
    rng: np.random.Generator, cases: list[Case], table: list[Instansi], reg: Registry
) -> None:
    """Decide which sources report each sanction (idis, kemendagri or both) and when they publish it."""
    as_of_day = AS_OF.date()
    for case in cases:
        if case.sk_date is None:
            continue
        regional = table[int(reg.instansi[case.row])].jenis != "pusat" and case.event != "PILKADA-2020"
        both = "conflict_sanksi" in case.flags
        via_kemendagri = regional and (both or rng.random() < 0.7)
        via_idis = both or not via_kemendagri or rng.random() < 0.85 or "conflict_lifecycle" in case.flags
        before = case.sk_date < as_of_day
        if via_idis:
            day = case.sk_date + timedelta(days=int(rng.integers(0, 5)))
            if before:
                day = min(day, as_of_day - timedelta(days=1))
            case.idis_at = max(
                at_wib(day, int(rng.integers(10, 18)), int(rng.integers(0, 60))),
                CLOCK_START + timedelta(hours=2),
            )
        if via_kemendagri:
            day = case.sk_date + timedelta(days=int(rng.integers(1, 7)))
            case.kemendagri_day = min(day, as_of_day - timedelta(days=1)) if before else day
