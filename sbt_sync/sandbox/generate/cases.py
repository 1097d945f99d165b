"""The true cases: who, in which register, what form, and what happened when (the lifecycle).

Each event's reported cases are split exactly (largest remainder) into verification outcomes and, for
recommended cases, follow-up buckets (config.EVENTS). Dates are then drawn so that each bucket holds at
AS_OF; the ground truth is nevertheless recomputed from the dates, never read from the bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from sbt_sync.sandbox.generate.config import AS_OF_DATE, CLOCK_START, EVENTS, EventSpec, at_wib
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.registry import Registry
from schemas import reference

LATE_BUCKETS = ("within_deadline", "peringatan_stage", "teguran_stage")
_SANCTION_LAG = {
    "on_time": (1, 10),
    "after_peringatan": (11, 17),
    "after_teguran": (18, 24),
    "after_blokir": (25, 75),
}
# rec-date window relative to AS_OF for buckets that must still be escalating at AS_OF
_REC_WINDOW = {"within_deadline": (-9, -1), "peringatan_stage": (-16, -10), "teguran_stage": (-23, -17)}


@dataclass
class Register:
    """One Bawaslu register (nomor_register) naming one or more ASN."""

    nomor: str
    event: str
    place: int  # instansi index of the incident's region
    tanggal: datetime
    diteruskan: datetime
    bentuk: str
    jenis: str
    cases: list[Case] = field(default_factory=list)


@dataclass
class Case:
    """One alleged violation by one ASN in one event, with its true lifecycle."""

    case_id: str
    event: str
    row: int
    register: Register
    kategori: str
    outcome: str  # at AS_OF: terbukti / tidak_terbukti / ditolak / in_process
    final_outcome: str  # after verification (differs from outcome only for in_process)
    bucket: str | None = None
    rec_date: date | None = None
    rec_at: datetime | None = None  # when the recommendation record becomes available
    nomor_rekomendasi: str | None = None
    rekomendasi_sanksi: int | None = None
    annulled_at: datetime | None = None
    sk_date: date | None = None
    sanksi: int | None = None
    nomor_sk: str | None = None
    idis_at: datetime | None = None
    kemendagri_day: date | None = None
    left_on: date | None = None
    alias_row: int | None = None  # planted: another ASN (wrong NIP, namesake, name written instead)
    unregistered: Unregistered | None = None
    """Planted: the ASN is in no registry row; sources write this NIP and name (``row`` only lends the
    instansi and position, its registry holder has nothing to do with the case)."""
    flags: set[str] = field(default_factory=set)
    revision: Revision | None = None
    """Planted: the sanction was reduced on objection by a later decision, published through I'DIS."""
    named_other: NamedOther | None = None
    """Planted: I'DIS publishes a sanction of another ASN (``alias_row``) under this case's
    recommendation number; it is not this case's sanction."""

    def nip(self, reg: Registry) -> str:
        """The NIP the case's ASN has: the registry's, or the unregistered one the sources write."""
        return self.unregistered.nip if self.unregistered else reg.nip_str(self.row)


@dataclass(frozen=True, slots=True)
class Revision:
    """A later decision on objection: the reduced sanction, its letter (BKN's numbering style), its
    date, the I'DIS record that publishes it (its key and when)."""

    sanksi: int
    nomor: str
    sk_date: date
    idis_key: str
    idis_at: datetime


@dataclass(frozen=True, slots=True)
class NamedOther:
    """An I'DIS sanction naming another ASN filed under a case's recommendation number: its code,
    letter, date and the record that publishes it (key and when)."""

    sanksi: int
    nomor: str
    sk_date: date
    idis_key: str
    idis_at: datetime


@dataclass(frozen=True, slots=True)
class Unregistered:
    """A person the registry does not hold (not yet synchronised, or not an ASN): NIP and name."""

    nip: str
    nama: str


def allocate(n: int, shares: dict[str, float], rng: np.random.Generator) -> list[str]:
    """Exactly ``n`` labels split by ``shares`` (largest remainder), in a random order."""
    keys = list(shares)
    raw = np.array([shares[k] for k in keys]) / sum(shares.values()) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    labels = [k for k, c in zip(keys, counts, strict=True) for _ in range(c)]
    return [labels[i] for i in rng.permutation(len(labels))]


def _day(rng: np.random.Generator, lo: date, hi: date) -> date:
    return lo + timedelta(days=int(rng.integers(0, max((hi - lo).days, 0) + 1)))


def _recommended_sanction(rng: np.random.Generator, bentuk: str) -> int:
    tabel = {f.code: f.tabel for f in reference.violation_forms()}[bentuk]
    if bentuk == "ANGGOTA_PARPOL":
        return 11
    if tabel == "kode_etik":
        return int(rng.choice([21, 22], p=[0.45, 0.55]))
    return int(
        rng.choice([1, 2, 3, 23, 24, 25, 27, 28, 10], p=[0.1, 0.15, 0.1, 0.2, 0.15, 0.1, 0.08, 0.08, 0.04])
    )


class CaseBuilder:
    """Draws registers, picks their ASN from the registry and dates every case's lifecycle."""

    def __init__(
        self, rng: np.random.Generator, reg: Registry, table: list[Instansi], by_inst: list[np.ndarray]
    ):
        self.rng, self.reg, self.table, self.by_inst = rng, reg, table, by_inst
        self.used: set[int] = set()
        self.weights = np.array([i.weight for i in table])
        self.forms = reference.violation_forms()
        self.seq = {"rek": 0, "sk": 0}

    def _pick_row(self, inst: int, kategori: str) -> int:
        """An unused ASN of ``inst`` (PNS for structural posts), else of any instansi."""
        rows = self.by_inst[inst]
        need_pns = kategori in ("JPT", "administrator", "camat_lurah")
        for attempt in range(40):
            pool = rows if attempt < 20 and len(rows) else None
            row = (
                int(pool[self.rng.integers(len(pool))])
                if pool is not None
                else int(self.rng.integers(len(self.reg)))
            )
            if row in self.used or (need_pns and self.reg.pppk[row]) or self.reg.kedudukan[row] >= 3:
                continue
            self.used.add(row)
            return row
        raise RuntimeError("registry too small for the requested cases")

    def event_cases(self, spec: EventSpec, factor: float) -> list[Case]:
        """All cases of one event, ordered by register then position in the register."""
        rng = self.rng
        n = max(10, round(spec.reported * factor))
        sizes: list[int] = []
        while sum(sizes) < n:
            sizes.append(
                min(
                    int(rng.choice(list(spec.asn_per_register), p=list(spec.asn_per_register.values()))),
                    n - sum(sizes),
                )
            )
        days = sorted(_day(rng, spec.register_from, spec.register_to) for _ in sizes)
        outcomes = allocate(n, spec.outcomes, rng)
        n_rec = outcomes.count("terbukti")
        buckets = allocate(n_rec, spec.follow_up, rng)
        if any(b in LATE_BUCKETS for b in buckets) or "in_process" in outcomes:
            # late stages and pending verifications go to the latest registers, as they would in reality
            outcomes, buckets = _late_last(outcomes, buckets)
        short = spec.code.split("-")[0]
        cases: list[Case] = []
        bucket_iter = iter(buckets)
        for r_i, (size, day) in enumerate(zip(sizes, days, strict=True)):
            place = int(rng.choice(len(self.table), p=self.weights / self.weights.sum()))
            tanggal = at_wib(day, int(rng.integers(8, 17)), int(rng.integers(0, 60)))
            reg = Register(
                nomor=f"{r_i + 1:04d}/Reg/{'TM' if rng.random() < 0.55 else 'LP'}/{short}/{day.year}",
                event=spec.code,
                place=place,
                tanggal=tanggal,
                diteruskan=tanggal + timedelta(days=int(rng.integers(1, 6)), hours=int(rng.integers(0, 4))),
                bentuk=str(rng.choice([f.code for f in self.forms], p=[f.share for f in self.forms])),
                jenis="",
            )
            reg.jenis = "temuan" if "/TM/" in reg.nomor else "laporan"
            for _ in range(size):
                i = len(cases)
                kategori = str(
                    rng.choice(list(spec.kategori_jabatan), p=list(spec.kategori_jabatan.values()))
                )
                if kategori == "camat_lurah" and self.table[place].jenis not in ("kabupaten", "kota"):
                    kategori = "pelaksana"
                outcome = outcomes[i]
                final = (
                    outcome
                    if outcome != "in_process"
                    else ("terbukti" if rng.random() < 0.7 else "tidak_terbukti")
                )
                case = Case(
                    f"{spec.code}-{i + 1:05d}",
                    spec.code,
                    self._pick_row(place, kategori),
                    reg,
                    kategori,
                    outcome,
                    final,
                )
                if outcome == "terbukti":
                    case.bucket = next(bucket_iter)
                self._date(case, spec)
                reg.cases.append(case)
                cases.append(case)
        return cases

    def _date(self, case: Case, spec: EventSpec) -> None:
        rng, a = self.rng, AS_OF_DATE
        fwd = case.register.diteruskan.date()
        natural = fwd + timedelta(days=int(rng.integers(spec.verify_days[0], spec.verify_days[1] + 1)))
        bucket = case.bucket
        if case.outcome == "in_process":
            rec = max(natural, a + timedelta(days=int(rng.integers(1, 31))))
        elif bucket in _REC_WINDOW:
            lo, hi = _REC_WINDOW[bucket]
            rec = max(fwd + timedelta(days=3), _day(rng, a + timedelta(days=lo), a + timedelta(days=hi)))
        elif bucket in _SANCTION_LAG:
            lag = int(rng.integers(_SANCTION_LAG[bucket][0], _SANCTION_LAG[bucket][1] + 1))
            rec = min(natural, a - timedelta(days=lag + 2))
            case.sk_date = rec + timedelta(days=lag)
        elif bucket == "blocked":
            rec = min(natural, a - timedelta(days=25 + int(rng.integers(0, 10))))
        else:
            rec = natural
        rec = max(rec, fwd + timedelta(days=1))
        case.rec_date = rec
        rec_at = at_wib(rec, int(rng.integers(9, 17)), int(rng.integers(0, 60)))
        # KASN's 2020-2023 recommendations arrive as one historic dump at the clock's start
        case.rec_at = (
            max(rec_at, CLOCK_START + timedelta(hours=1))
            if spec.recommender == "bkn_wasdal"
            else (CLOCK_START + timedelta(hours=1))
        )
        self.seq["rek"] += 1
        if spec.recommender == "kasn":
            case.nomor_rekomendasi = f"R-{self.seq['rek']:04d}/KASN/{rec.month:02d}/{rec.year}"
        else:
            case.nomor_rekomendasi = f"B-{self.seq['rek']:04d}/D.IV/WAS/{rec.month:02d}/{rec.year}"
        if case.final_outcome == "terbukti":
            case.rekomendasi_sanksi = _recommended_sanction(rng, case.register.bentuk)
        self._follow_up(case, spec, rec)

    def _follow_up(self, case: Case, spec: EventSpec, rec: date) -> None:
        rng, a, bucket = self.rng, AS_OF_DATE, case.bucket
        late_p = {"within_deadline": 0.5, "peringatan_stage": 0.5, "teguran_stage": 0.4}
        if bucket in late_p or (bucket == "blocked" and spec.code == "PILKADA-2024"):
            if rng.random() < late_p.get(bucket or "", 0.4):
                case.sk_date = max(a, rec + timedelta(days=3)) + timedelta(days=int(rng.integers(1, 30)))
        elif bucket == "annulled":
            if spec.recommender == "kasn":  # annulled by a KASN correction file re-delivered in the window
                day = CLOCK_START.date() + timedelta(days=int(rng.integers(5, 300)))
            else:
                day = min(rec + timedelta(days=int(rng.integers(3, 60))), a - timedelta(days=1))
            case.annulled_at = at_wib(max(day, rec + timedelta(days=1)), int(rng.integers(9, 17)))
        elif bucket == "left_service":
            case.left_on = min(rec + timedelta(days=int(rng.integers(5, 400))), a - timedelta(days=1))
        elif case.outcome == "in_process" and case.final_outcome == "terbukti" and rng.random() < 0.5:
            case.sk_date = rec + timedelta(days=int(rng.integers(2, 12)))
        if case.sk_date is not None:
            assert case.rekomendasi_sanksi is not None
            keep = rng.random() < 0.95
            case.sanksi = (
                case.rekomendasi_sanksi if keep else _recommended_sanction(rng, case.register.bentuk)
            )
            self.seq["sk"] += 1
            case.nomor_sk = f"800/{self.seq['sk']:04d}/BKPSDM/{case.sk_date.year}"


def _late_last(outcomes: list[str], buckets: list[str]) -> tuple[list[str], list[str]]:
    """Reorder so in-process cases and late-bucket recommendations sit at the end (latest registers)."""
    late_rank = {b: i for i, b in enumerate(LATE_BUCKETS)}
    bucket_iter = iter(buckets)
    tagged = [(o, next(bucket_iter) if o == "terbukti" else None) for o in outcomes]

    def key(item: tuple[int, tuple[str, str | None]]) -> tuple[int, int]:
        pos, (o, b) = item
        if o == "in_process":
            return (2, pos)
        if b in late_rank:
            return (1, pos)
        return (0, pos)

    ordered = [t for _, t in sorted(enumerate(tagged), key=key)]
    return [o for o, _ in ordered], [b for _, b in ordered if b is not None]


def build_cases(
    rng: np.random.Generator, reg: Registry, table: list[Instansi], by_inst: list[np.ndarray], factor: float
) -> list[Case]:
    """Every case of every event, registry jabatan and legal status updated to agree with them."""
    builder = CaseBuilder(rng, reg, table, by_inst)
    return [c for spec in EVENTS for c in builder.event_cases(spec, factor)]


def sync_registry(cases: list[Case], reg: Registry, rng: np.random.Generator) -> None:
    """Make the registry agree with the cases: jabatan of the latest case, Pensiun for those who left."""
    for case in cases:
        reg.set_jabatan(case.row, case.kategori, rng)
        if case.left_on is not None:
            reg.kedudukan[case.row] = 3  # Pensiun
            reg.updated[case.row] = np.datetime64(case.left_on.isoformat())
