"""Bawaslu registers over HTTP: one record a register, naming one or more ASN (terlapor)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

from sbt_sync.sandbox.generate import nip as nipmod
from sbt_sync.sandbox.generate.cases import Case, Register
from sbt_sync.sandbox.generate.config import CLOCK_START, iso, planted
from sbt_sync.sandbox.generate.instansi import Instansi, kabupaten_kota
from sbt_sync.sandbox.generate.plants import IDENTITY_FLAGS
from sbt_sync.sandbox.generate.registry import JABATAN_FLAT, KATEGORI, Registry
from sbt_sync.sandbox.generate.sources.common import Book, pick, source_name
from schemas import reference

SOURCE = "bawaslu"
NIP_STYLES = {
    "clean": 0.62,
    "missing": 0.15,
    "spaced": 0.12,
    "dotted": 0.05,
    "apostrophe": 0.03,
    "padded": 0.03,
}
_FORMS = {f.code: f.deskripsi for f in reference.violation_forms()}


class Bawaslu:
    """Builds the feed lines ``{"available_at", "key", "record"}`` and reports rows to the truth book."""

    def __init__(self, rng: np.random.Generator, reg: Registry, table: list[Instansi], book: Book) -> None:
        self.rng, self.reg, self.table, self.book = rng, reg, table, book
        self.lines: list[tuple[datetime, str, dict[str, Any]]] = []
        self.places = kabupaten_kota(table)

    def _terlapor(
        self, row: int, case: Case | None, key: str, pos: int, at: datetime, bad: str | None
    ) -> dict[str, Any]:
        rng, reg = self.rng, self.reg
        flags = case.flags if case is not None else set()
        true_nip: str | None = reg.nip_str(row)
        style = "missing" if flags & {"namesake", "tied_namesake"} else pick(rng, NIP_STYLES)
        shown = true_nip
        if "wrong_nip" in flags and case is not None and case.alias_row is not None:
            shown, style = reg.nip_str(case.alias_row), "clean"
        elif "rec_name_mismatch" in flags:
            style = "clean"  # the finding identifies the ASN; the recommendation brings the dispute
        unregistered = case.unregistered if case is not None else None
        if unregistered is not None:
            shown, true_nip, style = unregistered.nip, None, "clean"
        assert shown is not None
        written: str | None = nipmod.render(shown, style)  # type: ignore[arg-type]
        if bad == "float":
            written = nipmod.render(shown, "float")
        elif bad == "birth":
            written = nipmod.impossible_birth(shown, pos)
        slips = 0.06 if style != "missing" and bad is None else 0.0
        if unregistered is not None:
            nama = unregistered.nama.upper() if rng.random() < 0.3 else unregistered.nama
        elif "tied_namesake" in flags:
            # no titles either: a title the registry lacks would rank one namesake first, not tie them
            nama = source_name(rng, reg, row, titles=0.0, upper=0.1, slips=0.0)
        else:
            nama = source_name(rng, reg, row, titles=0.45, upper=0.1, slips=slips)
        inst = self.table[int(reg.instansi[row])]
        self.book.row(
            source=SOURCE,
            key=key,
            row=pos,
            content=None,
            written=written,
            true_nip=true_nip,
            case_id=case.case_id if case else None,
            at=at,
            # a rejected NIP costs the row only its NIP: it stays a row of its case (DESIGN.md)
            unregistered=unregistered is not None,
        )
        if bad is not None:
            reason = "float_mangled_nip" if bad == "float" else "impossible_nip_birth_date"
            self.book.bad(
                source=SOURCE,
                key=key,
                row=pos,
                content=None,
                field_name="terlapor.nip",
                value=written,
                reason=reason,
                at=at,
            )
        return {
            "nip": written,
            "nama": nama,
            "jabatan": JABATAN_FLAT[int(reg.jabatan[row])],
            "kategori_jabatan": case.kategori if case else KATEGORI[int(reg.kategori[row])],
            "instansi": inst.nama,
        }

    def _record(
        self,
        register: Register,
        status: str,
        terlapor: list[dict[str, Any]],
        updated: datetime,
        key: str | None = None,
        bentuk: str | None = None,
        tanggal: str | None = None,
    ) -> dict[str, Any]:
        place = self.table[register.place]
        if place.jenis == "pusat":
            place = self.places[int(self.rng.integers(len(self.places)))]
        form = bentuk or register.bentuk
        return {
            "nomor_register": key or register.nomor,
            "jenis": register.jenis,
            "pemilihan": register.event,
            "tanggal_register": tanggal or iso(register.tanggal),
            "tanggal_diteruskan": iso(register.diteruskan),
            "provinsi": place.provinsi,
            "kabupaten_kota": place.wilayah,
            "bentuk_pelanggaran": form,
            "uraian": f"Terlapor diduga: {_FORMS.get(form, 'pelanggaran netralitas').lower()}.",
            "status": status,
            "updated_at": iso(updated),
            "terlapor": terlapor,
        }

    def build(self, registers: list[Register], factor: float) -> None:
        """All registers (forwarded cases), a few stopped ones, corrections, duplicates and bad rows."""
        rng = self.rng
        n_bad = planted("bad_rows", factor)
        with_rec = [
            r
            for r in registers
            if all(c.outcome != "in_process" and not c.flags & IDENTITY_FLAGS for c in r.cases)
        ]
        bad_regs = {
            with_rec[int(i)].nomor + with_rec[int(i)].event: ("float", "birth")[k % 2]
            for k, i in enumerate(rng.choice(len(with_rec), min(2 * n_bad, len(with_rec)), replace=False))
        }
        for register in registers:
            at = max(register.diteruskan + timedelta(hours=2), CLOCK_START)
            bad_kind = bad_regs.get(register.nomor + register.event)
            terlapor = [
                self._terlapor(c.row, c, register.nomor, i + 1, at, bad_kind if i == 0 else None)
                for i, c in enumerate(register.cases)
            ]
            for c in register.cases:
                self.book.fact(SOURCE, register.nomor, at, c.case_id, "reported")
            record = self._record(register, "diteruskan", terlapor, register.diteruskan)
            self.lines.append((at, register.nomor, record))
            roll = rng.random()
            if roll < 0.03:  # the same version delivered again
                self.lines.append((at + timedelta(days=int(rng.integers(1, 5))), register.nomor, record))
            elif roll < 0.11:  # a later correction of the description
                later = at + timedelta(days=int(rng.integers(2, 20)))
                fixed = dict(record, uraian=record["uraian"] + " (ralat kronologi)", updated_at=iso(later))
                self.lines.append((later, register.nomor, fixed))
        self._stopped_and_junk(registers, n_bad)

    def _stopped_and_junk(self, registers: list[Register], n_bad: int) -> None:
        """Registers Bawaslu stopped (not cases) and whole records no system may accept."""
        rng = self.rng
        for k, i in enumerate(rng.choice(len(registers), max(2, len(registers) // 20), replace=False)):
            src = registers[int(i)]
            key = src.nomor.replace("/Reg/", "/Reg-H/")
            row = int(rng.integers(len(self.reg)))
            at = max(src.diteruskan + timedelta(hours=3), CLOCK_START)
            self.lines.append(
                (
                    at,
                    key,
                    self._record(
                        src,
                        "dihentikan",
                        [self._terlapor(row, None, key, 1, at, None)],
                        src.diteruskan,
                        key=key,
                    ),
                )
            )
            _ = k
        # rejected copies repeat a register's ASN from the registry: never one of an identity plant
        plain = [r for r in registers if not any(c.flags & IDENTITY_FLAGS for c in r.cases)]
        for k, i in enumerate(rng.choice(len(plain), min(2 * n_bad, len(plain)), replace=False)):
            src = plain[int(i)]
            key = src.nomor.replace("/Reg/", "/Reg-X/")
            at = max(src.diteruskan + timedelta(hours=5), CLOCK_START)
            if k % 2:
                field, value, reason = "bentuk_pelanggaran", "NETRALITAS_UMUM", "unknown_code"
                rec = self._record(src, "diteruskan", [], src.diteruskan, key=key, bentuk=value)
            else:
                value = f"{src.tanggal.year}-02-30T10:00:00+07:00"
                field, reason = "tanggal_register", "impossible_date"
                rec = self._record(src, "diteruskan", [], src.diteruskan, key=key, tanggal=value)
            rec["terlapor"] = [
                self._terlapor(c.row, None, key, j + 1, at, None) for j, c in enumerate(src.cases)
            ]
            for entry in self.book.source_rows[-len(src.cases) :]:
                entry["quarantined"] = True
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
            self.lines.append((at, key, rec))
