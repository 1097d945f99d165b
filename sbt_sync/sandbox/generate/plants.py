"""Planted situations a correct system must handle: repeat offenders, contradictions, identity traps.

Each plant marks cases with a flag the source generators act on; the ground truth is later derived from
what the sources actually publish, so a flag is an intent, never the truth itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np

from sbt_sync.sandbox.generate import names
from sbt_sync.sandbox.generate import nip as nipmod
from sbt_sync.sandbox.generate.cases import LATE_BUCKETS, Case, NamedOther, Revision, Unregistered
from sbt_sync.sandbox.generate.config import (
    AS_OF,
    AS_OF_DATE,
    BLOKIR_AFTER_DAYS,
    CLOCK_START,
    DEMO_MIDWAY,
    FOLLOW_UP_DAYS,
    TEGURAN_AFTER_DAYS,
    at_wib,
    planted,
)
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.registry import Registry

_SANCTIONED = ("on_time", "after_peringatan", "after_teguran", "after_blokir")
DISPUTE_FLAGS = frozenset({"rec_name_mismatch", "unregistered", "tied_namesake"})
"""Plants whose recommendation carries the dispute: their rows are exactly finding + recommendation."""
IDENTITY_FLAGS = DISPUTE_FLAGS | {"wrong_nip", "namesake"}
"""Every identity plant: its register's rows are never the ones a source garbles into quarantine."""
_BLOCK_DAYS = FOLLOW_UP_DAYS + TEGURAN_AFTER_DAYS + BLOKIR_AFTER_DAYS
# Names of people the registry does not hold: every token is absent from data/names.csv, so no
# registry name comes near one (identity resolution finds no candidate at all).
_UNREGISTERED_GIVEN = {
    "m": ("Yosafat", "Kornelis", "Ignasius", "Benediktus", "Kristoforus", "Aloysius", "Leonardus"),
    "f": ("Wilhelmina", "Fransiska", "Apolonia", "Yustina", "Skolastika"),
}
_UNREGISTERED_FAMILY = ("Wuritimur", "Koirewoa", "Lamanepa", "Tokanubun", "Bataona", "Lewokeda", "Hurint")


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


def _alone(case: Case) -> bool:
    """The only ASN its register names: a correct system joins a disputed row by register number."""
    return len(case.register.cases) == 1


def _plant_each(
    rng: np.random.Generator,
    pools: tuple[list[Case], ...],
    n: int,
    taken: set[str],
    plant: Callable[[Case], bool],
) -> None:
    """Plant on ``n`` free cases, the first pool's first, each pool in a seeded random order.

    ``plant`` returns False, changing nothing, where the case does not fit (say its instansi has no
    second ASN to borrow): the next case is tried, so small scales get their plants too.
    """
    done = 0
    for pool in pools:
        free = [c for c in pool if c.case_id not in taken]
        for i in rng.permutation(len(free)):
            case = free[int(i)]
            if done == n:
                return
            if case.case_id not in taken and plant(case):
                taken.add(case.case_id)
                done += 1


def _unlike(reg: Registry, row: int, others: np.ndarray, exclude: set[int]) -> list[int]:
    """Rows of ``others`` outside ``exclude`` whose name shares no token with ``row``'s: plainly another
    person's name, which no name similarity can mistake for a typo of it."""
    mine = set(names.normalise_name(reg.nama(row)).split())
    return [
        int(r)
        for r in others
        if int(r) not in exclude and not mine & set(names.normalise_name(reg.nama(int(r))).split())
    ]


def plant_identity(
    rng: np.random.Generator, cases: list[Case], reg: Registry, by_inst: list[np.ndarray]
) -> None:
    """Wrong NIPs (another real ASN's) and namesakes (a second ASN with the same name in the instansi).

    Both sit on the Bawaslu finding of a register naming one ASN: the disputed finding still joins
    its case by register number, and holds it (DESIGN.md, "Identity disputes hold").
    """
    case_rows = {c.row for c in cases}
    factor = len(cases) / 2800
    taken = {c.case_id for c in cases if c.flags}
    pool = [c for c in cases if c.event != "PILKADA-2020" and _alone(c)]

    def wrong_nip(case: Case) -> bool:
        others = _unlike(reg, case.row, by_inst[int(reg.instansi[case.row])], case_rows)
        if not others:
            return False
        case.alias_row = others[int(rng.integers(len(others)))]
        case_rows.add(case.alias_row)
        case.flags.add("wrong_nip")
        return True

    def namesake(case: Case) -> bool:
        candidates = [int(r) for r in by_inst[int(reg.instansi[case.row])] if int(r) not in case_rows]
        if not candidates:
            return False
        other = candidates[int(rng.integers(len(candidates)))]
        reg.g1[other], reg.g2[other], reg.fam[other] = reg.g1[case.row], reg.g2[case.row], reg.fam[case.row]
        case.alias_row = other
        case_rows.add(other)
        case.flags.add("namesake")
        return True

    _plant_each(rng, (pool,), planted("wrong_nip", factor), taken, wrong_nip)
    _plant_each(rng, (pool,), planted("namesake", factor), taken, namesake)


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


def plant_retirements(rng: np.random.Generator, cases: list[Case], factor: float) -> None:
    """ASN blocked for a case who retire (registry kedudukan Pensiun, dated) before AS_OF: unblocked.

    Preferably blocked before the demo's middle cycle and retired after it, so SIASN sees the block
    and then the unblock; else any block date, retiring between it and AS_OF.
    """
    taken = {c.case_id for c in cases if c.flags}
    blocked = [
        c
        for c in cases
        if c.bucket == "blocked" and c.rec_date is not None and (c.sk_date is None or c.sk_date > AS_OF_DATE)
    ]
    midway = DEMO_MIDWAY.date()

    def block_day(case: Case) -> date:
        assert case.rec_date is not None
        return case.rec_date + timedelta(days=_BLOCK_DAYS)

    n = planted("retired_while_blocked", factor)
    early = [c for c in blocked if block_day(c) < midway and c.rec_at is not None and c.rec_at < DEMO_MIDWAY]
    picked = _take(rng, early, n, taken)
    picked += _take(
        rng, [c for c in blocked if block_day(c) < AS_OF_DATE - timedelta(days=2)], n - len(picked), taken
    )
    for case in picked:
        first = max(block_day(case), midway) + timedelta(days=1)
        last = AS_OF_DATE - timedelta(days=1)
        case.left_on = first + timedelta(days=int(rng.integers(0, max((last - first).days, 0) + 1)))
        # a retired ASN is no longer sanctioned: drop a decision the bucket dated after AS_OF
        case.sk_date = case.sanksi = case.nomor_sk = None
        case.flags.add("retired_while_blocked")


def _unregistered_person(rng: np.random.Generator, reg: Registry, female: bool) -> Unregistered:
    """A well-formed PNS NIP no registry row holds and a name no registry name comes near."""
    given = _UNREGISTERED_GIVEN["f" if female else "m"]
    family = _UNREGISTERED_FAMILY[int(rng.integers(len(_UNREGISTERED_FAMILY)))]
    nama = f"{given[int(rng.integers(len(given)))]} {family}"
    while True:
        birth = date(1970, 1, 1) + timedelta(days=int(rng.integers(0, 9000)))
        ymd = np.array([birth.year * 10000 + birth.month * 100 + birth.day])
        tmt = np.array([(birth.year + int(rng.integers(22, 29))) * 100 + int(rng.integers(1, 13))])
        value = nipmod.compose_pns(ymd, tmt, np.array([female]), np.array([int(rng.integers(1, 1000))]))
        if not bool(np.any(reg.nip == value[0])):
            return Unregistered(f"{int(value[0]):018d}", nama)


def plant_disputes(
    rng: np.random.Generator, cases: list[Case], reg: Registry, by_inst: list[np.ndarray], factor: float
) -> None:
    """Identity disputes on proven cases that would escalate (or be blocked) at AS_OF if not held.

    - ``rec_name_mismatch``: the BKN Wasdal recommendation carries the ASN's own valid NIP but the name
      of another ASN of the instansi (``alias_row``);
    - ``unregistered``: finding and recommendation carry a well-formed NIP no registry row holds and a
      name no registry ASN holds (``Case.unregistered``);
    - ``tied_namesake``: finding and recommendation carry no NIP, and a second ASN of the instansi
      (``alias_row``, same sex) is given the same name: the two tie.

    Each on a register naming one ASN (the recommendation joins the finding by register number), in a
    2024 event (BKN Wasdal recommends), proven: blocked cases first, then cases still open at AS_OF,
    then (small scales run short) any proven one.
    """
    case_rows = {c.row for c in cases} | {c.alias_row for c in cases if c.alias_row is not None}
    taken = {c.case_id for c in cases if c.flags}
    open_buckets = ("blocked", *LATE_BUCKETS)
    pool = [
        c
        for c in cases
        if c.event != "PILKADA-2020"
        and _alone(c)
        and c.outcome == "terbukti"
        and c.bucket in open_buckets
        and (c.sk_date is None or c.sk_date > AS_OF_DATE)
    ]
    blocked = [c for c in pool if c.bucket == "blocked"]
    # the last resort at small scales: any proven case of the kind (a sanction then ends the hold)
    proven = [c for c in cases if c.event != "PILKADA-2020" and _alone(c) and c.outcome == "terbukti"]

    def rec_name_mismatch(case: Case) -> bool:
        others = _unlike(reg, case.row, by_inst[int(reg.instansi[case.row])], case_rows)
        if not others:
            return False
        case.alias_row = others[int(rng.integers(len(others)))]
        case_rows.add(case.alias_row)
        case.flags.add("rec_name_mismatch")
        return True

    def unregistered(case: Case) -> bool:
        case.unregistered = _unregistered_person(rng, reg, bool(reg.female[case.row]))
        # the sanction of a person nobody can identify is not part of this plant: none is published
        case.sk_date = case.sanksi = case.nomor_sk = None
        case.flags.add("unregistered")
        return True

    def tied_namesake(case: Case) -> bool:
        female = bool(reg.female[case.row])
        others = [
            int(r)
            for r in by_inst[int(reg.instansi[case.row])]
            if int(r) not in case_rows and bool(reg.female[int(r)]) == female
        ]
        if not others:
            return False
        other = others[int(rng.integers(len(others)))]
        reg.g1[other], reg.g2[other], reg.fam[other] = reg.g1[case.row], reg.g2[case.row], reg.fam[case.row]
        case.alias_row = other
        case_rows.add(other)
        case.flags.add("tied_namesake")
        return True

    for name, plant in (
        ("rec_name_mismatch", rec_name_mismatch),
        ("unregistered_nip", unregistered),
        ("tied_namesake", tied_namesake),
    ):
        _plant_each(rng, (blocked, pool, proven), planted(name, factor), taken, plant)


REDUCED = {25: 23, 24: 23, 23: 2, 28: 25, 27: 25, 10: 27, 11: 10, 21: 22, 3: 2, 2: 1}
"""The lighter sanction an objection leads to (PP 94/2021 lets the decision on it lighten one)."""


def plant_revisions(rng: np.random.Generator, cases: list[Case], factor: float) -> None:
    """Sanctions reduced on objection (keberatan): a second I'DIS decision, dated 20 to 60 days after
    the first, with another (lighter) code and a letter numbered in BKN's style
    (``NNNN/B-AK.02.02/SD/F/YYYY``, DOMAIN.md), published before AS_OF.

    Only on cases no other plant touched, reported through I'DIS alone (so no Kemendagri report can
    disagree) and sanctioned well before AS_OF. Runs last, on its own random stream: no other plant
    or source draws differently because of it.
    """
    last = AS_OF_DATE - timedelta(days=3)
    pool = [
        c
        for c in cases
        if not c.flags
        and c.sanksi in REDUCED
        and c.sk_date is not None
        and c.idis_at is not None
        and c.kemendagri_day is None
        and c.sk_date + timedelta(days=20) <= last
    ]
    for case in _take(rng, pool, planted("sanction_revision", factor), set()):
        assert case.sk_date is not None and case.sanksi is not None and case.idis_at is not None
        day = min(case.sk_date + timedelta(days=int(rng.integers(20, 61))), last)
        published = at_wib(day + timedelta(days=int(rng.integers(0, 2))), int(rng.integers(9, 17)))
        # like every I'DIS record, none is published before the sandbox's clock starts
        published = max(published, CLOCK_START + timedelta(hours=3), (case.idis_at + timedelta(hours=1)))
        key = "".join(f"{int(b):02x}" for b in rng.integers(0, 256, 16))
        nomor = f"{int(rng.integers(1000, 10000))}/B-AK.02.02/SD/F/{day.year}"
        case.revision = Revision(REDUCED[case.sanksi], nomor, day, key, published)
        case.flags.add("sanction_revised")


def plant_named_other(
    rng: np.random.Generator, cases: list[Case], reg: Registry, by_inst: list[np.ndarray], factor: float
) -> None:
    """I'DIS sanctions naming another ASN (``alias_row``, of the case's instansi, a name sharing no
    token with the case's ASN's), filed under a proven case's recommendation number (DESIGN.md,
    "Identity disputes hold": a record that joined the case by number while naming someone else).

    On cases no other plant touched, recommended by BKN Wasdal, proven, with no sanction of their own
    published by AS_OF, blocked or escalating at AS_OF first (small scales run short: then any such
    case): without the dispute the sanction would end the case and unblock its ASN. The truth holds
    the case (never blocked, never ended on that sanction) until a steward decides. Runs last, on its
    own random stream, after the sanction channels: no other case or record draws differently.
    """
    case_rows = {c.row for c in cases} | {c.alias_row for c in cases if c.alias_row is not None}
    last = AS_OF_DATE - timedelta(days=3)
    pool = [
        c
        for c in cases
        if not c.flags
        and c.event != "PILKADA-2020"
        and c.outcome == "terbukti"
        and c.nomor_rekomendasi is not None
        and c.rec_date is not None
        and c.rec_date + timedelta(days=1) < last
        and (c.idis_at is None or c.idis_at > AS_OF)
        and (c.kemendagri_day is None or c.kemendagri_day > AS_OF_DATE)
        and c.left_on is None
        and c.annulled_at is None
    ]
    blocked = [c for c in pool if c.bucket == "blocked"]
    escalating = [c for c in pool if c.bucket in LATE_BUCKETS]

    def named_other(case: Case) -> bool:
        others = _unlike(reg, case.row, by_inst[int(reg.instansi[case.row])], case_rows)
        if not others or case.rec_date is None:
            return False
        alias = others[int(rng.integers(len(others)))]
        first = case.rec_date + timedelta(days=1)
        day = first + timedelta(days=int(rng.integers(0, max((last - first).days, 0) + 1)))
        published = max(at_wib(day, int(rng.integers(9, 17))), CLOCK_START + timedelta(hours=3))
        if case.rec_at is not None:  # after the recommendation whose number it carries
            published = max(published, case.rec_at + timedelta(hours=1))
        if published >= AS_OF:
            return False
        key = "".join(f"{int(b):02x}" for b in rng.integers(0, 256, 16))
        nomor = f"800/N{case.case_id[-4:]}/BKPSDM/{day.year}"
        case.alias_row = alias
        case_rows.add(alias)
        case.named_other = NamedOther(int(rng.choice((21, 22, 23))), nomor, day, key, published)
        case.flags.add("named_other")
        return True

    _plant_each(rng, (blocked, escalating, pool), planted("named_other_sanction", factor), set(), named_other)
