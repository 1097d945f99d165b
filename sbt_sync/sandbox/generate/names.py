"""Indonesian names: the name lists (``data/names.csv``), titles, vectorised assignment and source variants.

A registry name is up to three parts (given, optional second given, optional family name) stored as
indices into one name array, so 4.3 million names cost three small integers each until written.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

_DATA = Path(__file__).resolve().parent / "data"

REGION_BY_KANREG = {
    "I": "jawa",
    "II": "jawa",
    "III": "sunda",
    "IV": "bugis",
    "V": "umum",
    "VI": "batak",
    "VII": "melayu",
    "VIII": "banjar",
    "IX": "papua",
    "X": "bali",
    "XI": "manado",
    "XII": "minang",
    "XIII": "aceh",
    "XIV": "papua",
    "PUSAT": "umum",
}
REGIONS = tuple(sorted(set(REGION_BY_KANREG.values())))
_FAMILY_P = {"batak": 0.95, "manado": 0.9, "papua": 0.85, "bali": 0.8}

# (title, weight); registry titles go to gelarDepan/gelarBelakang, sources write them inside the name
GELAR_DEPAN_M = (
    ("", 0.78),
    ("H.", 0.08),
    ("Drs.", 0.04),
    ("Dr.", 0.03),
    ("Ir.", 0.03),
    ("dr.", 0.02),
    ("Dr. H.", 0.01),
    ("H. Ir.", 0.01),
)
GELAR_DEPAN_F = (
    ("", 0.80),
    ("Hj.", 0.08),
    ("Dra.", 0.04),
    ("Dr.", 0.03),
    ("dr.", 0.03),
    ("Ir.", 0.01),
    ("Dr. Hj.", 0.01),
)
GELAR_BELAKANG = (
    ("", 0.34),
    ("S.Pd.", 0.12),
    ("S.H.", 0.05),
    ("S.E.", 0.06),
    ("S.Sos.", 0.05),
    ("S.Kom.", 0.03),
    ("S.T.", 0.03),
    ("S.Kep., Ns.", 0.03),
    ("A.Md.", 0.06),
    ("S.IP.", 0.02),
    ("M.Si.", 0.03),
    ("S.Pd., M.Pd.", 0.04),
    ("S.H., M.H.", 0.02),
    ("S.E., M.M.", 0.03),
    ("S.Sos., M.Si.", 0.02),
    ("S.STP., M.Si.", 0.02),
    ("S.Ag.", 0.02),
    ("S.Pd.I.", 0.02),
    ("S.Farm., Apt.", 0.01),
    ("M.AP.", 0.01),
    ("S.Kes.", 0.02),
)
_TITLE_TOKENS = frozenset(
    t.lower().strip(".")
    for title, _ in GELAR_DEPAN_M + GELAR_DEPAN_F + GELAR_BELAKANG
    for t in title.replace(",", " ").split()
) | {"prof", "ns", "apt", "hj", "h", "dr", "drs", "dra", "ir"}


@dataclass(frozen=True, slots=True)
class NamePools:
    """Name strings (index -1 is the empty string) and the index pools per (kind, region)."""

    names: np.ndarray
    spaced: np.ndarray
    pools: dict[tuple[str, str], np.ndarray]
    depan: np.ndarray
    belakang: np.ndarray


@cache
def pools() -> NamePools:
    """The name lists from ``data/names.csv``; raises if a region lacks given names."""
    with (_DATA / "names.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [row["name"] for row in rows]
    index: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows):
        index.setdefault((row["kind"], row["region"]), []).append(i)
    for region in REGIONS:
        for kind in ("m", "f"):
            if (kind, region) not in index:
                raise ValueError(f"names.csv has no {kind} given names for region {region}")
    arr = np.array([*names, ""], dtype=object)
    spaced = np.array([*(" " + n for n in names), ""], dtype=object)
    titles = sorted({t for t, _ in GELAR_DEPAN_M + GELAR_DEPAN_F})
    return NamePools(
        names=arr,
        spaced=spaced,
        pools={k: np.array(v, dtype=np.int16) for k, v in index.items()},
        depan=np.array([*titles], dtype=object),
        belakang=np.array([t for t, _ in GELAR_BELAKANG], dtype=object),
    )


def _pick(
    rng: np.random.Generator, regional: np.ndarray, umum: np.ndarray, n: int, p_regional: float
) -> np.ndarray:
    use_regional = rng.random(n) < p_regional
    return np.where(use_regional, rng.choice(regional, n), rng.choice(umum, n)).astype(np.int16)


def assign_names(
    rng: np.random.Generator, region: np.ndarray, female: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Name-part indices (given, second given or -1, family or -1) for rows of the given region codes."""
    p = pools()
    n = len(region)
    g1 = np.empty(n, dtype=np.int16)
    g2 = np.full(n, -1, dtype=np.int16)
    fam = np.full(n, -1, dtype=np.int16)
    for r_code, r_name in enumerate(REGIONS):
        for is_f, kind in ((False, "m"), (True, "f")):
            rows = np.flatnonzero((region == r_code) & (female == is_f))
            if not len(rows):
                continue
            k = len(rows)
            umum = p.pools[(kind, "umum")]
            g1[rows] = _pick(rng, p.pools[(kind, r_name)], umum, k, 0.5 if r_name != "umum" else 1.0)
            second = rng.random(k) < (0.6 if r_name != "bali" else 0.4)
            g2[rows] = np.where(second, rng.choice(umum, k), -1)
            family_pool = p.pools.get(("family", r_name), p.pools[("family", "umum")])
            has_family = rng.random(k) < _FAMILY_P.get(r_name, 0.7)
            fam_idx = _pick(rng, family_pool, p.pools[("family", "umum")], k, 0.8)
            fam[rows] = np.where(has_family, fam_idx, -1)
    # a second given name equal to the first reads as a bug, not a name
    g2[g2 == g1] = -1
    # one-word names exist but are rare among ASN today; they would make namesakes far too common
    lone = np.flatnonzero((g2 < 0) & (fam < 0))
    fam[lone] = rng.choice(p.pools[("family", "umum")], len(lone))
    return g1, g2, fam


def assign_titles(rng: np.random.Generator, female: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``pools().depan`` (-1 none) and ``pools().belakang`` for each row."""
    p = pools()
    n = len(female)
    depan_list = list(p.depan)
    depan = np.full(n, -1, dtype=np.int8)
    for is_f, table in ((False, GELAR_DEPAN_M), (True, GELAR_DEPAN_F)):
        rows = np.flatnonzero(female == is_f)
        titles = [depan_list.index(t) if t else -1 for t, _ in table]
        weights = np.array([w for _, w in table])
        depan[rows] = np.array(titles, dtype=np.int8)[
            rng.choice(len(table), len(rows), p=weights / weights.sum())
        ]
    weights = np.array([w for _, w in GELAR_BELAKANG])
    belakang = rng.choice(len(GELAR_BELAKANG), n, p=weights / weights.sum()).astype(np.int8)
    return depan, belakang


def compose(g1: np.ndarray, g2: np.ndarray, fam: np.ndarray) -> np.ndarray:
    """Full names without titles (object array of str)."""
    p = pools()
    out: np.ndarray = p.names[g1] + p.spaced[g2] + p.spaced[fam]
    return out


def normalise_name(text: str) -> str:
    """The comparison form the ground truth uses: no accents, titles or punctuation, lower case.

    Everything after the first comma is taken as trailing academic titles; leading and trailing
    tokens found in the title list are dropped; remaining punctuation becomes spaces.
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    plain = plain.split(",")[0]
    tokens = [t.strip(".'") for t in plain.replace(".", ". ").split()]
    tokens = [t for t in tokens if t]
    while tokens and tokens[0] in _TITLE_TOKENS:
        tokens.pop(0)
    while tokens and tokens[-1] in _TITLE_TOKENS:
        tokens.pop()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in t).strip() for t in tokens)
