"""Reference data shared by the generator, validation and reports, kept as CSV files next to this module.

- ``violation_forms.csv``: neutrality-violation forms (SKB 2022 annex as reported in the news): ``code``,
  ``tabel`` (``kode_etik`` or ``disiplin``), ``deskripsi`` and ``share`` (typical share of reported cases).
- ``sanction_codes.csv``: SIASN ``jenisHukuman`` codes: ``id``, ``nama``, ``tingkat`` (R/S/B; moral
  sanctions are filed as R) and ``kategori`` (kode_etik, disiplin_ringan/sedang/berat).
- ``kanreg.csv``: the 14 BKN regional offices plus ``PUSAT`` (headquarters, serving central agencies).
- ``kedudukan.csv``: SIASN legal-status codes used by the sandbox registry, with ``meninggalkan_dinas``
  (the ASN has left service). The numeric codes follow SIASN's style but are not verified against SIASN.

Every loader returns a fresh tuple of frozen records in file order; the files are small.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, cast

_HERE = Path(__file__).resolve().parent

Tabel = Literal["kode_etik", "disiplin"]
Tingkat = Literal["R", "S", "B"]


@dataclass(frozen=True, slots=True)
class ViolationForm:
    code: str
    tabel: Tabel
    deskripsi: str
    share: float


@dataclass(frozen=True, slots=True)
class SanctionCode:
    id: int
    nama: str
    tingkat: Tingkat
    kategori: str


@dataclass(frozen=True, slots=True)
class Kanreg:
    id: str
    nama: str
    kota: str


@dataclass(frozen=True, slots=True)
class Kedudukan:
    id: str
    nama: str
    meninggalkan_dinas: bool


def _rows(name: str) -> list[dict[str, str]]:
    with (_HERE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def violation_forms() -> tuple[ViolationForm, ...]:
    """All violation forms; shares sum to 1."""
    out: list[ViolationForm] = []
    for row in _rows("violation_forms.csv"):
        tabel = row["tabel"]
        if tabel not in ("kode_etik", "disiplin"):
            raise ValueError(f"violation_forms.csv: unknown tabel {tabel!r}")
        out.append(ViolationForm(row["code"], cast(Tabel, tabel), row["deskripsi"], float(row["share"])))
    return tuple(out)


@cache
def sanction_codes() -> tuple[SanctionCode, ...]:
    """All SIASN ``jenisHukuman`` codes the product knows, ordered by id."""
    out: list[SanctionCode] = []
    for row in _rows("sanction_codes.csv"):
        tingkat = row["tingkat"]
        if tingkat not in ("R", "S", "B"):
            raise ValueError(f"sanction_codes.csv: unknown tingkat {tingkat!r}")
        out.append(SanctionCode(int(row["id"]), row["nama"], cast(Tingkat, tingkat), row["kategori"]))
    return tuple(sorted(out, key=lambda code: code.id))


@cache
def kanreg() -> tuple[Kanreg, ...]:
    """The 14 Kanreg (I..XIV) followed by ``PUSAT``."""
    return tuple(Kanreg(row["id"], row["nama"], row["kota"]) for row in _rows("kanreg.csv"))


@cache
def kedudukan() -> tuple[Kedudukan, ...]:
    """Registry legal-status codes; ``meninggalkan_dinas`` marks codes meaning the ASN left service."""
    return tuple(
        Kedudukan(row["id"], row["nama"], row["meninggalkan_dinas"] == "true")
        for row in _rows("kedudukan.csv")
    )


def sanction_by_id() -> dict[int, SanctionCode]:
    """``jenisHukuman`` id to its record."""
    return {code.id: code for code in sanction_codes()}
