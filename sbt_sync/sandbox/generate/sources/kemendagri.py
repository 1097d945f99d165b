"""Kemendagri's regional-government follow-up reports: daily CSV drops over SFTP, some re-delivered."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import numpy as np

from sbt_sync.sandbox.generate import nip as nipmod
from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import CLOCK_START, at_wib, dmy, planted
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.plants import DISPUTE_FLAGS
from sbt_sync.sandbox.generate.registry import Registry
from sbt_sync.sandbox.generate.sources.common import Book, source_name, written_nip
from sbt_sync.sandbox.generate.sources.sftp import CsvStyle, Deliveries, encode_csv

SOURCE = "kemendagri"
HEADER = [
    "nomor_rekomendasi",
    "nip",
    "nama",
    "pemda",
    "status_tindak_lanjut",
    "jenis_hukuman_id",
    "nomor_sk",
    "tanggal_sk",
    "tanggal_laporan",
]
NIP_STYLES = {"clean": 0.6, "dotted": 0.15, "apostrophe": 0.15, "spaced": 0.1}
DONE, PENDING = "sudah_dijatuhi_hukuman", "dalam_proses"
_OTHER = {21: 22, 22: 21, 1: 2, 2: 1, 3: 2, 23: 25, 24: 23, 25: 23, 27: 28, 28: 27, 10: 11, 11: 10}

Entry = tuple[Case, str]  # (case, status)


class Kemendagri:
    """Builds the daily files; ``row`` in the truth is the 1-based data row (header excluded)."""

    def __init__(
        self,
        rng: np.random.Generator,
        reg: Registry,
        table: list[Instansi],
        book: Book,
        deliveries: Deliveries,
    ) -> None:
        self.rng, self.reg, self.table, self.book, self.deliveries = rng, reg, table, book, deliveries

    def _row(self, case: Case, status: str, day: date, nip: str | None, nama: str) -> list[str]:
        jenis = case.sanksi if status == DONE else None
        if jenis is not None and "conflict_sanksi" in case.flags:
            jenis = _OTHER[jenis]
        done = status == DONE and case.sk_date is not None
        return [
            case.nomor_rekomendasi or "",
            nip or "",
            nama,
            self.table[int(self.reg.instansi[case.row])].nama,
            status,
            str(jenis) if done else "",
            (case.nomor_sk or "") if done else "",
            dmy(case.sk_date) if done and case.sk_date else "",
            dmy(day),
        ]

    def build(self, cases: list[Case], factor: float) -> None:
        """One file per reporting day; corrections re-delivered under the same name."""
        rng = self.rng
        start = CLOCK_START.date()
        by_day: dict[date, list[Entry]] = defaultdict(list)
        for case in cases:
            if case.kemendagri_day is not None:
                by_day[max(case.kemendagri_day, start)].append((case, DONE))
            regional = self.table[int(self.reg.instansi[case.row])].jenis != "pusat"
            if (
                case.event != "PILKADA-2020"
                and regional
                and not case.flags & DISPUTE_FLAGS  # a follow-up with the NIP would settle the dispute
                and case.outcome == "terbukti"
                and case.rec_date
                and rng.random() < 0.3
            ):
                day = case.rec_date + timedelta(days=int(rng.integers(3, 10)))
                if case.sk_date is None or day < case.sk_date:
                    by_day[max(day, start)].append((case, PENDING))
        days = sorted(by_day)
        n_bad = planted("bad_rows", factor)
        bad_days = [
            days[int(i)] for i in np.linspace(0, len(days) - 1, num=min(len(days), 2 * n_bad)).round()
        ]
        for day in days:
            entries = sorted(by_day[day], key=lambda e: (str(e[0].nomor_rekomendasi), e[1]))
            name = f"tindak_lanjut_{day:%Y%m%d}.csv"
            style = CsvStyle(
                delimiter=",",
                crlf=rng.random() < 0.5,
                encoding=("utf-8", "utf-8-sig", "latin-1")[int(rng.choice(3, p=[0.7, 0.2, 0.1]))],
            )
            rows = []
            for case, status in entries:
                nip, _ = written_nip(rng, self.reg.nip_str(case.row), NIP_STYLES)
                nama = source_name(rng, self.reg, case.row, titles=0.5, upper=0.4, slips=0.04)
                rows.append((case, status, nip, self._row(case, status, day, nip, nama)))
            at = at_wib(day, 17, int(rng.integers(0, 60)))
            is_bad_day = day in bad_days
            done_rows = [i for i, r in enumerate(rows) if r[1] == DONE]
            if done_rows and not is_bad_day and rng.random() < 0.1:
                # first delivery reports a decided case as still in process; corrected a day or two later
                i = done_rows[int(rng.integers(len(done_rows)))]
                first = [list(r[3]) for r in rows]
                first[i][4:8] = [PENDING, "", "", ""]
                self._deliver(name, at, rows, first, style, [])
                at = at + timedelta(days=int(rng.integers(1, 3)))
            bad = [k for k, d in enumerate(bad_days) if d == day]
            self._deliver(name, at, rows, [list(r[3]) for r in rows], style, bad)
            if not is_bad_day and rng.random() < 0.03:  # identical bytes delivered again
                self._deliver(name, at + timedelta(hours=3), rows, [list(r[3]) for r in rows], style, [])

    def _deliver(
        self,
        name: str,
        at: datetime,
        rows: list[tuple[Case, str, str | None, list[str]]],
        cells: list[list[str]],
        style: CsvStyle,
        bad: list[int],
    ) -> str:
        bad_rows = []
        for k in bad:
            case, _, _, template = rows[int(self.rng.integers(len(rows)))]
            true_nip = self.reg.nip_str(case.row)
            row = list(template)
            kind = k % 4
            field, value, reason = (
                ("nip", nipmod.render(true_nip, "float") or "", "float_mangled_nip"),
                ("tanggal_sk", f"31-04-{at.year}", "impossible_date"),
                ("nomor_rekomendasi", "", "missing_required_field"),
                ("jenis_hukuman_id", "99", "unknown_code"),
            )[kind]
            row[HEADER.index(field)] = value
            if field == "tanggal_sk" or field == "jenis_hukuman_id":
                row[4] = DONE
                row[5] = (
                    row[5]
                    if field == "tanggal_sk" and row[5]
                    else (value if field == "jenis_hukuman_id" else "22")
                )
            cells.append(row)
            bad_rows.append((len(cells), field, value, reason, true_nip, case.case_id))
        content = self.deliveries.deliver(SOURCE, name, at, encode_csv(HEADER, cells, style))
        for i, (case, _, nip, _) in enumerate(rows):
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
            line = cells[i]
            if line[4] == DONE and line[5]:
                sk = line[7]
                self.book.fact(
                    SOURCE,
                    name,
                    at,
                    case.case_id,
                    "sanksi",
                    jenis=int(line[5]),
                    sk_date=f"{sk[6:]}-{sk[3:5]}-{sk[:2]}",
                )
        for row_no, field, value, reason, true_nip, case_id in bad_rows:
            # Only the NIP of a float-mangled copy is rejected: the copy stays a row of its case.
            nip_only = reason == "float_mangled_nip"
            self.book.row(
                source=SOURCE,
                key=name,
                row=row_no,
                content=content,
                written=cells[row_no - 1][1],
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
        return content
