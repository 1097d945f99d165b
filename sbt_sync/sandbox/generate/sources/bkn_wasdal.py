"""BKN Wasdal verifications and recommendations over HTTP (2024 events, plus part of KASN's history)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import AS_OF, CLOCK_START, FOLLOW_UP_DAYS, OFFSETS, iso, planted
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.plants import IDENTITY_FLAGS
from sbt_sync.sandbox.generate.registry import Registry
from sbt_sync.sandbox.generate.sources.common import Book, hex_id, source_name, written_nip

SOURCE = "bkn_wasdal"
NIP_STYLES = {"clean": 0.95, "padded": 0.05}
_OTHER_SANKSI = {21: 22, 22: 21, 1: 2, 2: 3, 3: 2, 23: 24, 24: 25, 25: 24, 27: 28, 28: 27, 10: 11, 11: 10}


class BknWasdal:
    """Builds the feed lines and reports recommendation facts to the truth book."""

    def __init__(self, rng: np.random.Generator, reg: Registry, table: list[Instansi], book: Book) -> None:
        self.rng, self.reg, self.table, self.book = rng, reg, table, book
        self.lines: list[tuple[datetime, str, dict[str, Any]]] = []

    def _record(
        self,
        case: Case,
        hasil: str,
        sanksi: int | None,
        updated: datetime,
        *,
        nip: str | None,
        nomor: str | None,
        nama: str | None = None,
    ) -> dict[str, Any]:
        assert case.rec_date is not None
        inst = self.table[int(self.reg.instansi[case.row])]
        tz = OFFSETS[inst.utc_offset]
        verified = datetime(
            case.rec_date.year, case.rec_date.month, case.rec_date.day, 10, tzinfo=tz
        ) - timedelta(days=int(self.rng.integers(0, 4)))
        proven = hasil == "terbukti" or hasil == "dibatalkan"
        return {
            "id": "",
            "nomor_rekomendasi": nomor,
            "nomor_register_bawaslu": case.register.nomor,
            "pemilihan": case.event,
            "nip": nip,
            "nama": nama or source_name(self.rng, self.reg, case.row, titles=0.6, upper=0.0, slips=0.03),
            "instansi_id": inst.id,
            "tanggal_verifikasi": iso(verified),
            "hasil": hasil,
            "rekomendasi_sanksi": sanksi if proven else None,
            "tanggal_rekomendasi": case.rec_date.isoformat(),
            "batas_tindak_lanjut": (case.rec_date + timedelta(days=FOLLOW_UP_DAYS)).isoformat()
            if proven
            else None,
            "updated_at": iso(updated.astimezone(tz)),
        }

    def _emit(self, key: str, at: datetime, record: dict[str, Any], case: Case | None) -> None:
        record["id"] = key
        self.lines.append((at, key, record))
        if case is not None:
            self.book.fact(
                SOURCE,
                key,
                at,
                case.case_id,
                "rekomendasi",
                hasil=record["hasil"],
                sanksi=record["rekomendasi_sanksi"],
                rec_date=record["tanggal_rekomendasi"],
            )

    def build(self, cases: list[Case], factor: float) -> None:
        """One record per verified case; annulments and corrections as later versions of the same id."""
        rng = self.rng
        for case in cases:
            if case.event == "PILKADA-2020" and not case.flags & {
                "migrated",
                "conflict_rec_sanksi",
                "conflict_rec_hasil",
            }:
                continue
            assert case.rec_at is not None
            key = hex_id(rng)
            true_nip: str | None = self.reg.nip_str(case.row)
            nip, _ = written_nip(rng, case.nip(self.reg), NIP_STYLES)
            nama, name_nip = self._planted_name(case)
            if "tied_namesake" in case.flags:
                nip = None
            if case.unregistered is not None:
                true_nip = None
            hasil = case.final_outcome
            sanksi = case.rekomendasi_sanksi
            at = case.rec_at
            if case.event == "PILKADA-2020":  # migrated during the window, before AS_OF
                at = CLOCK_START + timedelta(days=int(rng.integers(10, 60)), hours=int(rng.integers(0, 8)))
                if "conflict_rec_sanksi" in case.flags and sanksi is not None:
                    sanksi = _OTHER_SANKSI[sanksi]
                if "conflict_rec_hasil" in case.flags:
                    hasil = "tidak_terbukti"
            self.book.row(
                source=SOURCE,
                key=key,
                row=None,
                content=None,
                written=nip,
                true_nip=true_nip,
                case_id=case.case_id,
                at=at,
                name_nip=name_nip,
                unregistered=case.unregistered is not None,
            )
            roll = rng.random()
            if roll < 0.05 and sanksi is not None and at < AS_OF - timedelta(days=8):
                wrong = self._record(
                    case, hasil, _OTHER_SANKSI[sanksi], at, nip=nip, nomor=case.nomor_rekomendasi, nama=nama
                )
                self._emit(key, at, wrong, case)
                at = at + timedelta(days=int(rng.integers(1, 6)))  # corrected before anyone acts on it
            record = self._record(case, hasil, sanksi, at, nip=nip, nomor=case.nomor_rekomendasi, nama=nama)
            self._emit(key, at, record, case)
            if roll > 0.97:
                self._emit(key, at + timedelta(days=1), dict(record), case)  # duplicate delivery
            if case.annulled_at is not None and case.event != "PILKADA-2020":
                annul = dict(record, hasil="dibatalkan", updated_at=iso(case.annulled_at))
                self._emit(key, case.annulled_at, annul, case)
        self._junk(cases, planted("bad_rows", factor))

    def _planted_name(self, case: Case) -> tuple[str | None, str | None]:
        """(name written, NIP of the registry ASN it belongs to when not the case's) for identity plants;
        (None, None) for every other case, whose name is drawn per version as usual."""
        if case.unregistered is not None:
            return case.unregistered.nama, None
        if "rec_name_mismatch" in case.flags and case.alias_row is not None:
            nama = source_name(self.rng, self.reg, case.alias_row, titles=0.6, upper=0.0, slips=0.0)
            return nama, self.reg.nip_str(case.alias_row)
        if "tied_namesake" in case.flags:
            # no titles: one the registry lacks would rank one namesake first instead of a tie
            return source_name(self.rng, self.reg, case.row, titles=0.0, upper=0.0, slips=0.0), None
        return None, None

    def _junk(self, cases: list[Case], n_bad: int) -> None:
        """Copies of real records with one defect: a correct system rejects the whole record, or only the
        NIP of a float-mangled one (which stays a record of its case)."""
        rng = self.rng
        pool = [
            c
            for c in cases
            if c.event != "PILKADA-2020"
            and c.rec_at is not None
            and c.rec_at < AS_OF
            and not c.flags & IDENTITY_FLAGS
        ]
        for k, i in enumerate(rng.choice(len(pool), min(3 * n_bad, len(pool)), replace=False)):
            case = pool[int(i)]
            assert case.rec_at is not None
            key = hex_id(rng)
            at = case.rec_at + timedelta(hours=1)
            true_nip = self.reg.nip_str(case.row)
            record = self._record(
                case,
                case.final_outcome,
                case.rekomendasi_sanksi,
                at,
                nip=true_nip,
                nomor=case.nomor_rekomendasi,
            )
            kind = k % 3
            if kind == 0:
                record["nomor_rekomendasi"] = None
                field, value, reason = "nomor_rekomendasi", None, "missing_required_field"
            elif kind == 1:
                record["hasil"] = "terbukti_sebagian"
                field, value, reason = "hasil", "terbukti_sebagian", "unknown_code"
            else:
                record["nip"] = float(true_nip)  # the JSON number a spreadsheet export leaves behind
                record["nama"] = self.reg.nama(case.row)  # the name is all identity resolution has
                field, value, reason = "nip", record["nip"], "float_mangled_nip"
            record["id"] = key
            self.lines.append((at, key, record))
            # Only the NIP of a float-mangled copy is rejected: the copy is a row of its case, found
            # by its recommendation number, its ASN by name (DESIGN.md, "Identity").
            nip_only = kind == 2
            self.book.row(
                source=SOURCE,
                key=key,
                row=None,
                content=None,
                written=record["nip"],
                true_nip=true_nip,
                case_id=case.case_id if nip_only else None,
                at=at,
                quarantined=not nip_only,
            )
            self.book.bad(
                source=SOURCE,
                key=key,
                row=None,
                content=None,
                field_name=field,
                value=value,
                reason=reason,
                at=at,
            )
