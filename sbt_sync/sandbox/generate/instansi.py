"""The instansi table: about 100 central agencies and 540 regional governments over the 14 Kanreg.

Regional governments come from ``data/wilayah.csv`` (38 provinces and their kabupaten/kota); the list
is topped up to 540 with "pemekaran"-style names so the count matches DOMAIN.md. Each instansi gets a
share of the ASN population: 22% central, 78% regional. Each also gets a PIC mail address (where letters
to its PPK go) on a domain only the sandbox's mail server answers.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from schemas import reference

_DATA = Path(__file__).resolve().parent / "data"
REGIONAL_TARGET = 540
CENTRAL_SHARE = 0.22
_PEMEKARAN = ("Utara", "Selatan", "Timur", "Barat", "Tengah")


@dataclass(frozen=True, slots=True)
class Instansi:
    """One employing institution (instansi induk)."""

    id: str
    nama: str
    jenis: str  # pusat / provinsi / kabupaten / kota
    kanreg_id: str
    kanreg_nama: str
    provinsi: str
    wilayah: str  # kabupaten/kota name without prefix, or the province for provinsi and pusat
    utc_offset: int
    weight: float


def _guid(rng: np.random.Generator) -> str:
    return rng.bytes(16).hex().upper()


def _regional_rows() -> list[tuple[str, str, int, str, str]]:
    """(provinsi, kanreg, utc offset, jenis, nama), provinces first in file order, then kabupaten/kota."""
    with (_DATA / "wilayah.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    provinces: dict[str, tuple[str, int]] = {}
    for row in rows:
        provinces.setdefault(row["provinsi"], (row["kanreg_id"], int(row["utc_offset"])))
    out = [(p, k, off, "provinsi", f"Pemerintah Provinsi {p}") for p, (k, off) in provinces.items()]
    out += [
        (r["provinsi"], r["kanreg_id"], int(r["utc_offset"]), r["jenis"], f"Pemerintah {r['nama']}")
        for r in rows
    ]
    taken = {row[4] for row in out}
    kabupaten = [row for row in out if row[3] == "kabupaten"]
    i = 0
    while len(out) < REGIONAL_TARGET:
        prov, kr, off, jenis, nama = kabupaten[(i * 7) % len(kabupaten)]
        candidate = f"{nama} {_PEMEKARAN[(i // len(kabupaten)) % len(_PEMEKARAN)]}"
        if candidate not in taken and nama.split()[-1] not in _PEMEKARAN:
            taken.add(candidate)
            out.append((prov, kr, off, jenis, candidate))
        i += 1
    return out


def build(rng: np.random.Generator) -> list[Instansi]:
    """All instansi in a stable order (central first); weights sum to 1."""
    kanreg_names = {k.id: k.nama for k in reference.kanreg()}
    with (_DATA / "pusat.csv").open(encoding="utf-8", newline="") as handle:
        central = [row["nama"] for row in csv.DictReader(handle)]
    regional = _regional_rows()
    # skewed sizes: a few large employers (Kemenag, big provinces) and many small ones
    w_central = rng.lognormal(0.0, 1.0, len(central))
    w_central *= CENTRAL_SHARE / w_central.sum()
    w_regional = rng.lognormal(0.0, 0.6, len(regional))
    w_regional[[i for i, r in enumerate(regional) if r[3] == "provinsi"]] *= 2.5
    w_regional *= (1 - CENTRAL_SHARE) / w_regional.sum()
    out = [
        Instansi(
            _guid(rng),
            nama,
            "pusat",
            "PUSAT",
            kanreg_names["PUSAT"],
            "DKI Jakarta",
            "DKI Jakarta",
            7,
            float(w),
        )
        for nama, w in zip(central, w_central, strict=True)
    ]
    for (prov, kr, off, jenis, nama), w in zip(regional, w_regional, strict=True):
        wilayah = prov if jenis == "provinsi" else nama.split(" ", 2)[2]
        out.append(Instansi(_guid(rng), nama, jenis, kr, kanreg_names[kr], prov, wilayah, off, float(w)))
    return out


def kabupaten_kota(table: list[Instansi]) -> list[Instansi]:
    """The kabupaten/kota governments (where incidents of central ASN are placed)."""
    return [i for i in table if i.jenis in ("kabupaten", "kota")]


PIC_DOMAIN = "instansi.sandbox.test"
"""Reserved for testing (RFC 2606): nothing outside the sandbox's own mail server ever answers it."""
_LOCAL_PART_MAX = 64  # RFC 5321 section 4.5.3.1.1


def _slug(nama: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", nama.lower()).strip("-")
    return words.removeprefix("pemerintah-")


def pic_addresses(table: list[Instansi]) -> list[tuple[str, str]]:
    """One PIC mail address per instansi, ``pic.<slug of its name>@instansi.sandbox.test``, in table
    order; a slug too long or already taken gets the instansi id's first 8 hex digits instead of its
    tail, so every address is unique and a valid local part."""
    taken: set[str] = set()
    out = []
    for inst in table:
        local = "pic." + _slug(inst.nama)
        if len(local) > _LOCAL_PART_MAX or local in taken:
            local = local[: _LOCAL_PART_MAX - 9].rstrip("-.") + "-" + inst.id[:8].lower()
        taken.add(local)
        out.append((inst.id, f"{local}@{PIC_DOMAIN}"))
    return out
