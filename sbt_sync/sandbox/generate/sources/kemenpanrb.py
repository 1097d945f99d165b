"""KemenPAN-RB's public complaints (SP4N-LAPOR!) as daily gzip JSON Lines over SFTP; NIP mostly absent."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from sbt_sync.sandbox.generate import nip as nipmod
from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import CLOCK_START, OFFSETS, at_wib, iso, planted
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.plants import DISPUTE_FLAGS
from sbt_sync.sandbox.generate.registry import JABATAN_FLAT, Registry
from sbt_sync.sandbox.generate.sources.common import Book, source_name
from sbt_sync.sandbox.generate.sources.sftp import Deliveries
from sbt_sync.sandbox.generate.writer import gzip_bytes, jsonl

SOURCE = "kemenpanrb"
_TITLES = (
    "Dugaan ASN tidak netral",
    "Laporan ketidaknetralan ASN",
    "ASN ikut kampanye",
    "Pengaduan netralitas ASN",
)

Item = tuple[datetime, int | None, Case | None, str]  # (complaint time, registry row, case, defect)


class Kemenpanrb:
    """Builds the daily files; ``row`` in the truth is the 1-based line of the decompressed file."""

    def __init__(
        self,
        rng: np.random.Generator,
        reg: Registry,
        table: list[Instansi],
        book: Book,
        deliveries: Deliveries,
    ) -> None:
        self.rng, self.reg, self.table, self.book, self.deliveries = rng, reg, table, book, deliveries
        self.seq = 0

    def _record(self, when: datetime, row: int | None, defect: str) -> tuple[dict[str, Any], str | None]:
        rng = self.rng
        self.seq += 1
        if row is None:
            nama, inst_nama, nip, lokasi = "oknum ASN", None, None, "tidak disebutkan"
        else:
            inst = self.table[int(self.reg.instansi[row])]
            true_nip = self.reg.nip_str(row)
            nip = (
                (true_nip if rng.random() < 0.6 else nipmod.render(true_nip, "spaced"))
                if rng.random() < 0.15
                else None
            )
            if defect == "float":
                nip = nipmod.render(true_nip, "float")
            nama = source_name(rng, self.reg, row, titles=0.4, upper=0.1, slips=0.0)
            inst_nama, lokasi = inst.nama, f"{inst.wilayah}, {inst.provinsi}"
            when = when.astimezone(OFFSETS[inst.utc_offset])
        jabatan = JABATAN_FLAT[int(self.reg.jabatan[row])] if row is not None else "ASN"
        tanggal = iso(when) if defect != "date" else f"{when.year}-02-30T{when:%H:%M:%S}+07:00"
        return {
            "id_pengaduan": f"SP4N-{when.year}-{self.seq:06d}",
            "tanggal": tanggal,
            "judul": _TITLES[int(rng.integers(len(_TITLES)))],
            "isi": f"Saya melihat {nama} ({jabatan}) ikut mengkampanyekan salah satu pasangan calon.",
            "terlapor_nama": nama,
            "terlapor_instansi": inst_nama,
            "nip": nip,
            "lokasi": lokasi,
            "kategori": "Netralitas ASN",
        }, nip

    def build(self, cases: list[Case], factor: float) -> None:
        """Complaints about some 2024 cases, unrelated complaints, repeats and a few bad rows."""
        rng = self.rng
        items: list[Item] = []
        recent = [c for c in cases if c.event != "PILKADA-2020"]
        for case in recent:
            # a dispute plant's case is its finding and recommendation only (a complaint joins by NIP)
            if rng.random() < 0.25 and not case.flags & DISPUTE_FLAGS:
                when = case.register.tanggal - timedelta(
                    days=int(rng.integers(0, 5)), hours=int(rng.integers(0, 6))
                )
                items.append((when, case.row, case, ""))
        for _ in range(max(3, len(items) // 3)):
            src = recent[int(rng.integers(len(recent)))]
            other = None if rng.random() < 0.25 else int(rng.integers(len(self.reg)))
            items.append((src.register.tanggal + timedelta(days=int(rng.integers(-3, 4))), other, None, ""))
        # A float-mangled NIP costs the complaint only its NIP: it is still a complaint about the case's
        # ASN (found by name) and joins the case as the others do; so never a dispute plant's case.
        plain = [c for c in recent if not c.flags & DISPUTE_FLAGS]
        for k in range(planted("bad_rows", factor)):
            defect = ("float", "date")[k % 2]
            pool = plain if defect == "float" else recent
            src = pool[int(rng.integers(len(pool)))]
            items.append((src.register.tanggal, src.row, src if defect == "float" else None, defect))
        by_day: dict[date, list[Item]] = defaultdict(list)
        for item in items:
            day = max(item[0].astimezone(OFFSETS[7]).date() + timedelta(days=1), CLOCK_START.date())
            by_day[day].append(item)
        carry: list[tuple[dict[str, Any], int | None, Case | None]] = []
        for day in sorted(by_day):
            name = f"pengaduan_{day:%Y%m%d}.jsonl.gz"
            at = at_wib(day, 6, int(rng.integers(0, 30)))
            lines: list[dict[str, Any]] = [r for r, _, _ in carry]  # yesterday's repeats come first
            meta: list[tuple[int | None, Case | None, str, Any]] = [
                (row, subject, "", r["nip"]) for r, row, subject in carry
            ]
            carry = []
            for when, row, subject, defect in sorted(by_day[day], key=lambda it: (it[0], it[1] or -1)):
                record, nip = self._record(when, row, defect)
                lines.append(record)
                meta.append((row, subject, defect, nip))
                if not defect and rng.random() < 0.03:
                    carry.append((record, row, subject))
            content = self.deliveries.deliver(SOURCE, name, at, gzip_bytes(jsonl(lines)))
            for i, (row, subject, defect, nip) in enumerate(meta):
                self.book.row(
                    source=SOURCE,
                    key=name,
                    row=i + 1,
                    content=content,
                    written=nip,
                    true_nip=self.reg.nip_str(row) if row is not None else None,
                    case_id=subject.case_id if subject else None,
                    at=at,
                    quarantined=defect == "date",
                )
                if defect:
                    field = "nip" if defect == "float" else "tanggal"
                    reason = "float_mangled_nip" if defect == "float" else "impossible_date"
                    self.book.bad(
                        source=SOURCE,
                        key=name,
                        row=i + 1,
                        content=content,
                        field_name=field,
                        value=lines[i][field],
                        reason=reason,
                        at=at,
                    )
