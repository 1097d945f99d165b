"""The SIASN identity registry as column arrays (vectorised; 4.3 million rows cost about 40 bytes each).

Strings are only made when a chunk is written (``registry_writer``) or a single person is rendered for a
source record (:meth:`Registry.person`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from sbt_sync.sandbox.generate import names, nip
from sbt_sync.sandbox.generate.instansi import Instansi

KATEGORI = ("JPT", "administrator", "fungsional", "pelaksana", "camat_lurah")
_PLACES = (
    "Sukamaju",
    "Sukajadi",
    "Mekarsari",
    "Karangrejo",
    "Sidomulyo",
    "Tanjungsari",
    "Banjarsari",
    "Sumberejo",
    "Margamulya",
    "Sukamakmur",
    "Kebonsari",
    "Tegalsari",
    "Wonorejo",
    "Suka Damai",
)
JABATAN: dict[str, tuple[str, ...]] = {
    "JPT": (
        "Sekretaris Daerah",
        "Kepala Dinas Pendidikan",
        "Kepala Dinas Kesehatan",
        "Asisten Pemerintahan",
        "Kepala Badan Perencanaan Pembangunan Daerah",
        "Kepala Dinas Pekerjaan Umum",
        "Staf Ahli",
        "Kepala Badan Kepegawaian dan Pengembangan SDM",
        "Kepala Dinas Sosial",
        "Direktur",
        "Kepala Biro",
    ),
    "administrator": (
        "Kepala Bagian Umum",
        "Kepala Bidang Pembinaan",
        "Sekretaris Dinas",
        "Kepala Bagian Hukum",
        "Kepala Bidang Anggaran",
        "Kepala Seksi Pelayanan",
        "Kepala Subbagian Kepegawaian",
    ),
    "fungsional": (
        "Guru Ahli Pertama",
        "Guru Ahli Muda",
        "Guru Ahli Madya",
        "Perawat Terampil",
        "Bidan Ahli Pertama",
        "Dokter Ahli Muda",
        "Analis Kebijakan Ahli Muda",
        "Penyuluh Pertanian Ahli Pertama",
        "Pranata Komputer Ahli Pertama",
        "Auditor Ahli Muda",
    ),
    "pelaksana": (
        "Pengadministrasi Umum",
        "Pengelola Keuangan",
        "Pengolah Data",
        "Pengadministrasi Perkantoran",
        "Operator Layanan Operasional",
        "Penata Layanan Operasional",
        "Pengelola Layanan Kepegawaian",
    ),
    "camat_lurah": tuple(f"{role} {place}" for role in ("Camat", "Lurah") for place in _PLACES),
}
JABATAN_FLAT = tuple(j for k in KATEGORI for j in JABATAN[k])
_JABATAN_START = {k: JABATAN_FLAT.index(JABATAN[k][0]) for k in KATEGORI}
KEDUDUKAN = (
    ("01", "Aktif"),
    ("02", "CLTN"),
    ("03", "Tugas Belajar"),
    ("99", "Pensiun"),
    ("77", "Meninggal Dunia"),
    ("88", "Berhenti Atas Permintaan Sendiri"),
)
LEFT_SERVICE = (3, 4, 5)  # indices into KEDUDUKAN
SNAPSHOT_FROM = np.datetime64("2023-01-02")


@dataclass
class Registry:
    """Column arrays, one row an ASN; row order is the file order."""

    pppk: np.ndarray  # bool
    female: np.ndarray  # bool
    birth: np.ndarray  # int32 YYYYMMDD
    nip: np.ndarray  # int64
    instansi: np.ndarray  # int16 index into the instansi table
    g1: np.ndarray
    g2: np.ndarray
    fam: np.ndarray
    depan: np.ndarray
    belakang: np.ndarray
    kategori: np.ndarray  # int8 index into KATEGORI
    jabatan: np.ndarray  # int16 index into JABATAN_FLAT
    kedudukan: np.ndarray  # int8 index into KEDUDUKAN
    updated: np.ndarray  # datetime64[D], the row's last change
    guid: np.ndarray  # uint8 (n, 16)

    def __len__(self) -> int:
        return len(self.nip)

    def nip_str(self, row: int) -> str:
        return f"{int(self.nip[row]):018d}"

    def nama(self, row: int) -> str:
        """Full name without titles."""
        return str(names.compose(self.g1[row : row + 1], self.g2[row : row + 1], self.fam[row : row + 1])[0])

    def gelar(self, row: int) -> tuple[str, str]:
        """(gelarDepan, gelarBelakang)."""
        p = names.pools()
        return str(p.depan[self.depan[row]]) if self.depan[row] >= 0 else "", str(
            p.belakang[self.belakang[row]]
        )

    def birth_date(self, row: int) -> date:
        b = int(self.birth[row])
        return date(b // 10000, b // 100 % 100, b % 100)

    def set_jabatan(self, row: int, kategori: str, rng: np.random.Generator) -> None:
        """Give a case's ASN the position the case reports (sources and registry then agree)."""
        self.kategori[row] = KATEGORI.index(kategori)
        self.jabatan[row] = _JABATAN_START[kategori] + int(rng.integers(len(JABATAN[kategori])))


def _ymd(days: np.ndarray) -> np.ndarray:
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    out: np.ndarray = (years * 10000 + months * 100 + dom).astype(np.int32)
    return out


def _unique_serials(rng: np.random.Generator, base: np.ndarray) -> np.ndarray:
    """Serials 1-999 such that ``base + serial`` is unique (redraws collisions; rare at any scale)."""
    serial = rng.integers(1, 1000, len(base)).astype(np.int64)
    for _ in range(50):
        full = base + serial
        order = np.argsort(full, kind="stable")
        dup = order[1:][full[order][1:] == full[order][:-1]]
        if not len(dup):
            return serial
        serial[dup] = rng.integers(1, 1000, len(dup))
    raise RuntimeError("could not make NIPs unique")


def build(rng: np.random.Generator, *, pns: int, pppk: int, table: list[Instansi]) -> Registry:
    """A registry of ``pns + pppk`` ASN spread over ``table`` by its weights; NIPs are unique."""
    n = pns + pppk
    is_pppk = np.zeros(n, dtype=bool)
    is_pppk[rng.choice(n, pppk, replace=False)] = True
    female = rng.random(n) < 0.52
    weights = np.array([i.weight for i in table])
    inst = rng.choice(len(table), n, p=weights / weights.sum()).astype(np.int16)

    birth_days = np.datetime64("1966-01-01") + rng.integers(0, 13_500, n).astype("timedelta64[D]")
    birth = _ymd(birth_days)
    birth_year = birth // 10000
    # PNS: TMT CPNS at age 19-35, never after mid-2023
    entry_month = (birth_year - 1970 + rng.integers(19, 36, n)) * 12 + rng.integers(0, 12, n)
    entry_month = np.clip(entry_month, (1985 - 1970) * 12, (2023 - 1970) * 12 + 5)
    tmt = ((entry_month // 12 + 1970) * 100 + entry_month % 12 + 1).astype(np.int64)
    # PPPK: appointment year of a recruitment round, at least 20 years old
    year = rng.choice([2019, 2021, 2022, 2023, 2024], n, p=[0.05, 0.2, 0.25, 0.3, 0.2])
    too_young = year - birth_year < 20
    birth = np.where(too_young & is_pppk, birth - 160000, birth).astype(
        np.int32
    )  # 16 years: keeps 29 February valid
    agreements = rng.choice([1, 2, 3], n, p=[0.85, 0.12, 0.03])
    base = np.where(
        is_pppk,
        nip.compose_pppk(birth, year, agreements, female, np.zeros(n, np.int64)),
        nip.compose_pns(birth, tmt, female, np.zeros(n, np.int64)),
    )
    nips = base + _unique_serials(rng, base)

    region_of_inst = np.array([names.REGIONS.index(names.REGION_BY_KANREG[i.kanreg_id]) for i in table])
    g1, g2, fam = names.assign_names(rng, region_of_inst[inst], female)
    depan, belakang = names.assign_titles(rng, female)

    kat_p = np.array([0.015, 0.12, 0.55, 0.30, 0.015])
    kategori = rng.choice(len(KATEGORI), n, p=kat_p).astype(np.int8)
    kategori[is_pppk] = np.where(rng.random(int(is_pppk.sum())) < 0.8, 2, 3)
    central = np.array([i.jenis in ("pusat", "provinsi") for i in table])[inst]
    kategori[central & (kategori == 4)] = 3  # camat and lurah only exist in kabupaten/kota
    starts = np.array([_JABATAN_START[k] for k in KATEGORI])
    sizes = np.array([len(JABATAN[k]) for k in KATEGORI])
    jabatan = (starts[kategori] + (rng.random(n) * sizes[kategori]).astype(np.int64)).astype(np.int16)

    kedudukan = rng.choice(len(KEDUDUKAN), n, p=[0.988, 0.003, 0.006, 0.002, 0.0005, 0.0005]).astype(np.int8)
    updated = SNAPSHOT_FROM + rng.integers(0, 360, n).astype("timedelta64[D]")
    guid = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16)
    return Registry(
        is_pppk,
        female,
        birth,
        nips,
        inst,
        g1,
        g2,
        fam,
        depan,
        belakang,
        kategori,
        jabatan,
        kedudukan,
        updated,
        guid,
    )


def rows_by_instansi(reg: Registry, n_instansi: int) -> list[np.ndarray]:
    """Row indices per instansi, ascending."""
    order = np.argsort(reg.instansi, kind="stable")
    bounds = np.searchsorted(reg.instansi[order], np.arange(n_instansi + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(n_instansi)]
