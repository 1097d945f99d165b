"""KASN's historic recommendations (Pilkada 2020) as monthly Excel-exported CSV files over SFTP.

All files are delivered at the clock's start (a historic dump); annulments arrive later as corrected
re-deliveries of the same file name.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import numpy as np

from sbt_sync.sandbox.generate import nip as nipmod
from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import CLOCK_START, dmy, planted
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.registry import JABATAN_FLAT, Registry
from sbt_sync.sandbox.generate.sources.common import Book, source_name, written_nip
from sbt_sync.sandbox.generate.sources.sftp import CsvStyle, Deliveries, encode_csv
from schemas.reference import sanction_by_id

SOURCE = "kasn"
HEADER = [
    "No",
    "Nomor Rekomendasi",
    "Tanggal Rekomendasi",
    "Pemilihan",
    "NIP",
    "Nama",
    "Jabatan",
    "Instansi",
    "Jenis Pelanggaran",
    "Hasil",
    "Rekomendasi Sanksi",
    "Keterangan",
]
HASIL = {
    "terbukti": "Terbukti",
    "tidak_terbukti": "Tidak Terbukti",
    "ditolak": "Ditolak",
    "dibatalkan": "Dibatalkan",
}
NIP_STYLES = {"clean": 0.5, "apostrophe": 0.25, "spaced": 0.1, "dotted": 0.05, "padded": 0.1}


class Kasn:
    """Builds KASN's files; rows are numbered from 1 after the header (the truth's ``row``)."""

    def __init__(
        self,
        rng: np.random.Generator,
        reg: Registry,
        table: list[Instansi],
        book: Book,
        deliveries: Deliveries,
    ) -> None:
        self.rng, self.reg, self.table, self.book, self.deliveries = rng, reg, table, book, deliveries
        self.sanksi = {s.id: s.nama for s in sanction_by_id().values()}
        self._pending_bad: list[tuple[int, str, str, str, str, str]] = []

    def _row(self, case: Case, hasil: str, nip: str | None, nama: str, keterangan: str) -> list[str]:
        assert case.rec_date is not None
        sanksi = (
            self.sanksi[case.rekomendasi_sanksi]
            if case.rekomendasi_sanksi and hasil != "tidak_terbukti"
            else ""
        )
        return [
            "",
            case.nomor_rekomendasi or "",
            dmy(case.rec_date),
            case.event,
            nip or "",
            nama,
            JABATAN_FLAT[int(self.reg.jabatan[case.row])],
            self.table[int(self.reg.instansi[case.row])].nama,
            case.register.bentuk,
            HASIL[hasil],
            sanksi,
            keterangan,
        ]

    def build(self, cases: list[Case], factor: float) -> None:
        """Monthly files, some corrected later; bad rows only in files never re-delivered."""
        rng = self.rng
        by_month: dict[str, list[Case]] = defaultdict(list)
        for case in cases:
            if case.event == "PILKADA-2020" and case.rec_date is not None:
                by_month[f"{case.rec_date.year}{case.rec_date.month:02d}"].append(case)
        months = sorted(by_month)
        annulled_months = {m for m in months if any(c.annulled_at for c in by_month[m])}
        clean_months = [m for m in months if m not in annulled_months] or months
        n_bad = planted("bad_rows", factor)
        bad_plan = [(clean_months[i % len(clean_months)], i % 4) for i in range(2 * n_bad)]
        for f_i, month in enumerate(months):
            name = f"rekomendasi_netralitas_{month}.csv"
            style = CsvStyle(
                delimiter=";",
                crlf=rng.random() < 0.85,
                encoding=("utf-8-sig", "latin-1", "utf-8")[int(rng.choice(3, p=[0.6, 0.25, 0.15]))],
                trailing_empty=int(rng.choice([0, 0, 2, 3])),
            )
            latin = style.encoding == "latin-1"
            rows: list[list[str]] = []
            meta: list[tuple[Case, str | None, str]] = []
            for case in sorted(by_month[month], key=lambda c: str(c.nomor_rekomendasi)):
                nip, _ = written_nip(rng, self.reg.nip_str(case.row), NIP_STYLES)
                nama = source_name(rng, self.reg, case.row, titles=0.7, upper=0.3, slips=0.05, accents=latin)
                roll = rng.random()
                ket = '="Dikirim ke PPK"' if roll < 0.05 else ("Sudah dikirim ke PPK" if roll < 0.35 else "")
                rows.append(self._row(case, case.final_outcome, nip, nama, ket))
                meta.append((case, nip, nama))
            bad = [kind for m, kind in bad_plan if m == month]
            at = CLOCK_START + timedelta(minutes=5 * f_i)
            self._deliver(name, at, rows, meta, style, bad)
            for case in sorted(
                (c for c in by_month[month] if c.annulled_at), key=lambda c: c.annulled_at or at
            ):
                assert case.annulled_at is not None
                idx = next(i for i, (c, _, _) in enumerate(meta) if c is case)
                rows[idx][9] = HASIL["dibatalkan"]
                rows[idx][11] = f"Dibatalkan, surat tgl {dmy(case.annulled_at.date())}"
                self._deliver(name, case.annulled_at, rows, meta, style, [])

    def _deliver(
        self,
        name: str,
        at: datetime,
        rows: list[list[str]],
        meta: list[tuple[Case, str | None, str]],
        style: CsvStyle,
        bad: list[int],
    ) -> None:
        out_rows = [list(r) for r in rows]
        for k in bad:
            case, _, nama = meta[int(self.rng.integers(len(meta)))]
            true_nip = self.reg.nip_str(case.row)
            row = self._row(case, case.final_outcome, true_nip, nama, "")
            field, reason = (
                ("NIP", "float_mangled_nip"),
                ("Tanggal Rekomendasi", "impossible_date"),
                ("Nomor Rekomendasi", "missing_required_field"),
                ("Rekomendasi Sanksi", "unknown_code"),
            )[k]
            value = {
                0: nipmod.render(true_nip, "float") or "",
                1: f"30-02-{(case.rec_date or at.date()).year}",
                2: "",
                3: "SANKSI SOSIAL",
            }[k]
            row[HEADER.index(field)] = value
            out_rows.append(row)
            bad_meta = (len(out_rows), field, value, reason, true_nip, case.case_id)
            self._pending_bad.append(bad_meta)
        for i, r in enumerate(out_rows):
            r[0] = str(i + 1)
        content = self.deliveries.deliver(SOURCE, name, at, encode_csv(HEADER, out_rows, style))
        for i, (case, nip, _) in enumerate(meta):
            self.book.row(
                source=SOURCE,
                key=name,
                row=i + 1,
                content=content,
                written=nip,
                true_nip=self.reg.nip_str(case.row),
                case_id=case.case_id,
                at=at,
            )
            hasil = {v: k for k, v in HASIL.items()}[out_rows[i][9]]
            self.book.fact(
                SOURCE,
                name,
                at,
                case.case_id,
                "rekomendasi",
                hasil=hasil,
                sanksi=case.rekomendasi_sanksi if hasil in ("terbukti", "dibatalkan") else None,
                rec_date=case.rec_date.isoformat() if case.rec_date else None,
            )
        for row_no, field, value, reason, true_nip, case_id in self._pending_bad:
            written = out_rows[row_no - 1][4]
            # Only the NIP of a float-mangled copy is rejected: the copy stays a row of its case.
            nip_only = reason == "float_mangled_nip"
            self.book.row(
                source=SOURCE,
                key=name,
                row=row_no,
                content=content,
                written=written,
                true_nip=true_nip,
                case_id=case_id if nip_only else None,
                at=at,
                quarantined=not nip_only,
            )
            self.book.bad(
                source=SOURCE,
                key=name,
                row=row_no,
                content=content,
                field_name=field,
                value=value,
                reason=reason,
                at=at,
            )
        self._pending_bad.clear()
