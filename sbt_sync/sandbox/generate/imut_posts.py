"""What an I-MUT record says besides dates: posts by class, units, deciding officials, region codes.

Region codes are Kemendagri's (``32`` a province, ``32.05`` a regency, ``32.71`` a city): the real
province codes, and regencies and cities numbered in instansi-table order (regencies from 01, cities
from 71), which is enough for the election calendar's ``*`` row and for any per-region row a test adds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sbt_sync.imut.model import OfficialRole, PostClass
from sbt_sync.sandbox.generate import names
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.registry import JABATAN, KATEGORI, Registry

PROVINCE_CODES = {
    "Aceh": "11",
    "Sumatera Utara": "12",
    "Sumatera Barat": "13",
    "Riau": "14",
    "Jambi": "15",
    "Sumatera Selatan": "16",
    "Bengkulu": "17",
    "Lampung": "18",
    "Kepulauan Bangka Belitung": "19",
    "Kepulauan Riau": "21",
    "DKI Jakarta": "31",
    "Jawa Barat": "32",
    "Jawa Tengah": "33",
    "DI Yogyakarta": "34",
    "Jawa Timur": "35",
    "Banten": "36",
    "Bali": "51",
    "Nusa Tenggara Barat": "52",
    "Nusa Tenggara Timur": "53",
    "Kalimantan Barat": "61",
    "Kalimantan Tengah": "62",
    "Kalimantan Selatan": "63",
    "Kalimantan Timur": "64",
    "Kalimantan Utara": "65",
    "Sulawesi Utara": "71",
    "Sulawesi Tengah": "72",
    "Sulawesi Selatan": "73",
    "Sulawesi Tenggara": "74",
    "Gorontalo": "75",
    "Sulawesi Barat": "76",
    "Maluku": "81",
    "Maluku Utara": "82",
    "Papua": "91",
    "Papua Barat": "92",
    "Papua Selatan": "93",
    "Papua Tengah": "94",
    "Papua Pegunungan": "95",
    "Papua Barat Daya": "96",
}

_PLACES = ("Sukamaju", "Mekarsari", "Sidomulyo", "Tanjungsari", "Karangrejo", "Sumberejo", "Wonorejo")
POSTS: dict[PostClass, tuple[str, ...]] = {
    PostClass.JPT_MADYA: ("Sekretaris Daerah Provinsi", "Sekretaris Jenderal", "Direktur Jenderal"),
    PostClass.JPT_PRATAMA: JABATAN["JPT"],
    PostClass.ADMINISTRATOR: JABATAN["administrator"][:5] + tuple(f"Camat {p}" for p in _PLACES),
    PostClass.PENGAWAS: (
        "Kepala Seksi Pelayanan",
        "Kepala Subbagian Kepegawaian",
        *(f"Lurah {p}" for p in _PLACES),
    ),
    PostClass.FUNGSIONAL_TUGAS_TAMBAHAN: tuple(
        f"Kepala Sekolah SD Negeri {i} {p}" for i, p in enumerate(_PLACES, 1)
    )
    + tuple(f"Kepala Puskesmas {p}" for p in _PLACES),
    PostClass.LAINNYA: JABATAN["fungsional"] + JABATAN["pelaksana"],
}
UNITS = (
    "Sekretariat Daerah",
    "Dinas Pendidikan",
    "Dinas Kesehatan",
    "Badan Kepegawaian dan Pengembangan SDM",
    "Dinas Pekerjaan Umum",
    "Badan Perencanaan Pembangunan Daerah",
    "Dinas Sosial",
    "Inspektorat",
    "Kecamatan",
)
# a post class per registry category (KATEGORI order): the class an ASN's current post most likely has
CLASS_OF_KATEGORI = (
    PostClass.JPT_PRATAMA,
    PostClass.ADMINISTRATOR,
    PostClass.LAINNYA,
    PostClass.LAINNYA,
    PostClass.PENGAWAS,
)
assert len(CLASS_OF_KATEGORI) == len(KATEGORI)
LOWER = {
    PostClass.JPT_MADYA: PostClass.JPT_PRATAMA,
    PostClass.JPT_PRATAMA: PostClass.ADMINISTRATOR,
    PostClass.ADMINISTRATOR: PostClass.PENGAWAS,
    PostClass.PENGAWAS: PostClass.LAINNYA,
    PostClass.FUNGSIONAL_TUGAS_TAMBAHAN: PostClass.LAINNYA,
    PostClass.LAINNYA: PostClass.LAINNYA,
}
_HEAD_TITLE = {"provinsi": "Gubernur", "kabupaten": "Bupati", "kota": "Wali Kota"}


@dataclass(frozen=True, slots=True)
class Post:
    klass: PostClass
    jabatan: str
    unit: str


@dataclass(frozen=True, slots=True)
class Official:
    """Who signs the decision, as the wire record names them."""

    role: OfficialRole
    nama: str
    wilayah: str | None
    instansi_id: str | None


def region_codes(table: list[Instansi]) -> list[str | None]:
    """The Kemendagri region code of each regional instansi (None for central ones)."""
    out: list[str | None] = []
    counters: dict[tuple[str, str], int] = {}
    for inst in table:
        if inst.jenis == "pusat":
            out.append(None)
            continue
        province = PROVINCE_CODES[inst.provinsi]
        if inst.jenis == "provinsi":
            out.append(province)
            continue
        first = 1 if inst.jenis == "kabupaten" else 71
        n = counters.get((province, inst.jenis), 0)
        counters[(province, inst.jenis)] = n + 1
        out.append(f"{province}.{(first + n) % 100:02d}")
    return out


class Officials:
    """The officials of every instansi, drawn once per instansi and role so records agree."""

    def __init__(self, rng: np.random.Generator, reg: Registry, table: list[Instansi]) -> None:
        self.rng, self.reg, self.table = rng, reg, table
        self.codes = region_codes(table)
        self._cache: dict[tuple[int, OfficialRole], Official] = {}

    def _name(self) -> str:
        row = int(self.rng.integers(len(self.reg)))
        return str(
            names.compose(
                self.reg.g1[row : row + 1], self.reg.g2[row : row + 1], self.reg.fam[row : row + 1]
            )[0]
        )

    def get(self, inst: int, role: OfficialRole) -> Official:
        """The official of ``role`` for instansi ``inst``: a regional head governs the instansi's region
        and heads its government; the head of a central instansi heads it; anyone else heads nothing."""
        key = (inst, role)
        if key not in self._cache:
            info = self.table[inst]
            name = self._name()
            if role in (
                OfficialRole.KEPALA_DAERAH,
                OfficialRole.PJ_KEPALA_DAERAH,
                OfficialRole.PLT_KEPALA_DAERAH,
            ):
                prefix = {"kepala_daerah": "", "pj_kepala_daerah": "Pj. ", "plt_kepala_daerah": "Plt. "}[
                    role.value
                ]
                title = f"{prefix}{_HEAD_TITLE[info.jenis]} {info.wilayah}"
                official = Official(role, f"{name} ({title})", self.codes[inst], info.id)
            elif role == OfficialRole.PIMPINAN_INSTANSI:
                official = Official(role, name, None, info.id)
            else:
                official = Official(role, f"{name} (Sekretaris Daerah)", None, None)
            self._cache[key] = official
        return self._cache[key]


def post(rng: np.random.Generator, klass: PostClass) -> Post:
    """A post of ``klass`` with a plausible name and unit."""
    options = POSTS[klass]
    return Post(klass, options[int(rng.integers(len(options)))], UNITS[int(rng.integers(len(UNITS)))])
