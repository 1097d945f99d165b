"""Every number the generator is tuned with: scales, the sandbox clock, events and their funnels.

The funnel shares are the documented targets (DATA_FORMAT.md, "Scales and funnel"); tests compare the
generated ground truth with them. Volumes at factor 1.0 follow DOMAIN.md's reported numbers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

import numpy as np

GENERATOR_VERSION = "1.4.0"
PIC_FILE = "pic_addresses.csv"
"""``instansi_id,email``: each instansi's PIC mail address (the demo loads them as `sbt-sync pic add`)."""

Scale = Literal["small", "election", "national"]

WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))
WIT = timezone(timedelta(hours=9))
OFFSETS = {7: WIB, 8: WITA, 9: WIT}

CLOCK_START = datetime(2024, 1, 2, 0, 0, tzinfo=WIB)
"""Historic (2020-2023) data is available from here; the 2024 events unfold after it."""
AS_OF = datetime(2025, 1, 20, 0, 0, tzinfo=WIB)
"""The instant the ground truth's enforcement state is computed at (Pilkada 2024 in PPK follow-up)."""
AS_OF_DATE = AS_OF.date()


def demo_cycles(start: datetime, as_of: datetime) -> list[tuple[str, datetime]]:
    """The sandbox instants the demo (``sbt_sync/demo.py``) runs its cycles at, in order: the start,
    half way to ``as_of``, and ``as_of``. The truth's recap counts the unblocks SIASN acknowledges for
    a system deciding and pushing at each of them, so the demo and the truth take the schedule from here."""
    return [("start", start), ("midway", start + (as_of - start) / 2), ("as_of", as_of)]


DEMO_CYCLES = [instant for _, instant in demo_cycles(CLOCK_START, AS_OF)]
DEMO_MIDWAY = DEMO_CYCLES[1]
"""The demo's middle cycle: a retirement planted after it, of an ASN already blocked by then, shows in
SIASN as a block followed by an unblock."""

FOLLOW_UP_DAYS = 10
TEGURAN_AFTER_DAYS = 7
BLOKIR_AFTER_DAYS = 7


@dataclass(frozen=True, slots=True)
class ScaleSpec:
    """Registry size and case-volume factor of one scale."""

    pns: int
    pppk: int
    case_factor: float


SCALES: dict[str, ScaleSpec] = {
    # small keeps every event and every kind of noise, at a tenth of the case volume, for fast tests
    "small": ScaleSpec(pns=4_430, pppk=570, case_factor=0.1),
    "election": ScaleSpec(pns=177_000, pppk=23_000, case_factor=1.0),
    "national": ScaleSpec(pns=3_800_000, pppk=490_000, case_factor=1.0),
}


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One election event: its volume, timeline and funnel shares.

    ``outcomes`` share the reported cases; ``follow_up`` shares the recommended (terbukti) ones by
    what happens after the recommendation, as seen at ``AS_OF``.
    """

    code: str
    recommender: Literal["kasn", "bkn_wasdal"]
    reported: int
    register_from: date
    register_to: date
    verify_days: tuple[int, int]
    outcomes: dict[str, float]
    follow_up: dict[str, float]
    kategori_jabatan: dict[str, float]
    asn_per_register: dict[int, float]


_POSITIONS_2020 = {
    "JPT": 0.33,
    "fungsional": 0.26,
    "administrator": 0.16,
    "pelaksana": 0.14,
    "camat_lurah": 0.11,
}
_POSITIONS_2024 = {
    "JPT": 0.20,
    "fungsional": 0.30,
    "administrator": 0.18,
    "pelaksana": 0.20,
    "camat_lurah": 0.12,
}
# Pilkada 2020: 1,194 recommendations covering 1,645 ASN, about 1.38 ASN a register
_REGISTER_SIZES = {1: 0.78, 2: 0.14, 3: 0.05, 4: 0.02, 5: 0.01}

EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        code="PILKADA-2020",
        recommender="kasn",
        reported=1_200,
        register_from=date(2020, 7, 1),
        register_to=date(2020, 12, 15),
        verify_days=(10, 60),
        outcomes={"terbukti": 0.70, "tidak_terbukti": 0.22, "ditolak": 0.08},
        follow_up={
            "on_time": 0.70,
            "after_peringatan": 0.08,
            "after_teguran": 0.05,
            "after_blokir": 0.10,
            "annulled": 0.02,
            "left_service": 0.035,
            "blocked": 0.015,
        },
        kategori_jabatan=_POSITIONS_2020,
        asn_per_register=_REGISTER_SIZES,
    ),
    EventSpec(
        code="PEMILU-2024",
        recommender="bkn_wasdal",
        reported=450,
        register_from=date(2023, 12, 10),
        register_to=date(2024, 3, 20),
        verify_days=(10, 45),
        outcomes={"terbukti": 0.533, "tidak_terbukti": 0.35, "ditolak": 0.117},
        follow_up={
            "on_time": 0.60,
            "after_peringatan": 0.10,
            "after_teguran": 0.05,
            "after_blokir": 0.10,
            "annulled": 0.03,
            "left_service": 0.02,
            "blocked": 0.10,
        },
        kategori_jabatan=_POSITIONS_2024,
        asn_per_register=_REGISTER_SIZES,
    ),
    EventSpec(
        code="PILKADA-2024",
        recommender="bkn_wasdal",
        reported=1_158,
        register_from=date(2024, 8, 25),
        register_to=date(2024, 12, 10),
        verify_days=(7, 40),
        outcomes={"terbukti": 0.72, "tidak_terbukti": 0.11, "ditolak": 0.05, "in_process": 0.12},
        follow_up={
            "on_time": 0.58,
            "after_peringatan": 0.08,
            "after_teguran": 0.06,
            "after_blokir": 0.08,
            "within_deadline": 0.06,
            "peringatan_stage": 0.04,
            "teguran_stage": 0.03,
            "blocked": 0.035,
            "annulled": 0.02,
            "left_service": 0.015,
        },
        kategori_jabatan=_POSITIONS_2024,
        asn_per_register=_REGISTER_SIZES,
    ),
)

SANCTIONED_BUCKETS = frozenset({"on_time", "after_peringatan", "after_teguran", "after_blokir"})
"""Follow-up buckets whose sanction is recorded before AS_OF."""

# Planted contradictions at factor 1.0 (at least one each at any scale).
PLANTED = {
    "rec_sanction_conflict": 6,  # kasn vs bkn_wasdal recommended sanction (migrated 2020 records)
    "rec_result_conflict": 2,  # kasn terbukti vs bkn_wasdal tidak_terbukti
    "sanction_conflict": 5,  # idis vs kemendagri jenis hukuman
    "lifecycle_conflict": 3,  # sanction in idis on a tidak_terbukti case
    "wrong_nip": 6,  # bawaslu row with another real ASN's NIP (identity: name mismatch)
    "namesake": 6,  # bawaslu row without NIP, two registry namesakes in the instansi (identity: ambiguous)
    # identity disputes on proven cases that would otherwise escalate (DESIGN.md: identity disputes hold)
    "rec_name_mismatch": 4,  # bkn_wasdal row with the ASN's own NIP but someone else's name
    "unregistered_nip": 4,  # finding and recommendation with a well-formed NIP nobody holds
    "tied_namesake": 4,  # finding and recommendation without NIP naming one of two tied namesakes
    "retired_while_blocked": 3,  # a blocked ASN retires before as_of: unblocked
    "sanction_revision": 3,  # a second I'DIS decision reduces the sanction on objection (keberatan)
    # an I'DIS sanction naming another ASN filed under a proven case's recommendation number: the case
    # is held, never blocked nor ended on it, until a steward decides (DESIGN.md, "Identity disputes hold")
    "named_other_sanction": 2,
    "bad_rows": 8,  # rows no correct system may accept, per source and kind
    "repeat_asn": 30,  # ASN with cases in two events
}


def planted(name: str, factor: float) -> int:
    """How many of a planted situation to create at ``factor`` (never fewer than one)."""
    return max(1, round(PLANTED[name] * factor))


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """An independent, reproducible random stream per generator component.

    Streams are keyed by name (CRC32, stable across runs and Python versions) so that adding draws
    to one component never shifts another's.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, zlib.crc32(stream.encode())])))


def at_wib(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """``day`` at a WIB wall-clock time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)


def iso(instant: datetime) -> str:
    """ISO-8601 with an explicit offset and whole seconds (stable formatting)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.isoformat(timespec="seconds")


def dmy(day: date) -> str:
    """dd-mm-yyyy, as SIASN, I'DIS and Excel users write dates."""
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"
