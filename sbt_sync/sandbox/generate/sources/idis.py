"""I'DIS sanction decisions over HTTP: one record per PPK decision (SK), dates as dd-mm-yyyy."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from sbt_sync.sandbox.generate import nip as nipmod
from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import AS_OF, dmy, iso, planted
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.registry import Registry
from sbt_sync.sandbox.generate.sources.common import Book, hex_id, source_name
from schemas.reference import sanction_by_id

SOURCE = "idis"


class Idis:
    """Builds the feed lines and reports sanction facts to the truth book."""

    def __init__(self, rng: np.random.Generator, reg: Registry, table: list[Instansi], book: Book) -> None:
        self.rng, self.reg, self.table, self.book = rng, reg, table, book
        self.lines: list[tuple[datetime, str, dict[str, Any]]] = []
        self.names = {s.id: s.nama for s in sanction_by_id().values()}

    def _record(
        self, case: Case, key: str, at: datetime, *, nip: str, sk: date, jenis: int, nomor_sk: str
    ) -> dict[str, Any]:
        return {
            "id": key,
            "nipBaru": nip,
            "nama": source_name(self.rng, self.reg, case.row, titles=0.5, upper=0.2, slips=0.03),
            "nomorSk": nomor_sk,
            "tanggalSk": dmy(sk),
            "jenisHukumanId": str(jenis),
            "jenisHukumanNama": self.names.get(jenis, "LAINNYA"),
            "tmtHukuman": dmy(sk + timedelta(days=int(self.rng.integers(0, 15)))),
            "nomorRekomendasi": case.nomor_rekomendasi,
            "instansiId": self.table[int(self.reg.instansi[case.row])].id,
            "updatedAt": iso(at),
        }

    def build(self, cases: list[Case], factor: float) -> None:
        """One record per sanction published through I'DIS; some corrected or delivered twice."""
        rng = self.rng
        for case in cases:
            if case.idis_at is None or case.sk_date is None or case.sanksi is None or case.nomor_sk is None:
                continue
            key = hex_id(rng)
            nip = self.reg.nip_str(case.row)
            at = case.idis_at
            self.book.row(
                source=SOURCE,
                key=key,
                row=None,
                content=None,
                written=nip,
                true_nip=nip,
                case_id=case.case_id,
                at=at,
            )
            roll = rng.random()
            nomor_sk = case.nomor_sk
            if roll < 0.05 and at < AS_OF - timedelta(days=5):  # SK number mistyped, corrected later
                self._emit(
                    case,
                    key,
                    at,
                    self._record(
                        case,
                        key,
                        at,
                        nip=nip,
                        sk=case.sk_date,
                        jenis=case.sanksi,
                        nomor_sk=nomor_sk.replace("/", "-", 1),
                    ),
                )
                at = at + timedelta(days=int(rng.integers(1, 4)))
            record = self._record(
                case, key, at, nip=nip, sk=case.sk_date, jenis=case.sanksi, nomor_sk=nomor_sk
            )
            self._emit(case, key, at, record)
            if roll > 0.97:
                self._emit(case, key, at + timedelta(hours=20), dict(record))
            if case.revision is not None:
                self._revision(case, record, nip)
        for case in cases:
            if case.named_other is not None:
                self._named_other(case)
        self._junk(cases, planted("bad_rows", factor))

    def _named_other(self, case: Case) -> None:
        """Another ASN's sanction filed under ``case``'s recommendation number (its NIP and name are
        that ASN's, consistently): it joins the case by the number and holds it. No random draw: the
        other records stay as they were."""
        planted_ = case.named_other
        assert planted_ is not None and case.alias_row is not None
        nip, row = self.reg.nip_str(case.alias_row), case.alias_row
        record = {
            "id": planted_.idis_key,
            "nipBaru": nip,
            "nama": self.reg.nama(row),
            "nomorSk": planted_.nomor,
            "tanggalSk": dmy(planted_.sk_date),
            "jenisHukumanId": str(planted_.sanksi),
            "jenisHukumanNama": self.names.get(planted_.sanksi, "LAINNYA"),
            "tmtHukuman": dmy(planted_.sk_date),
            "nomorRekomendasi": case.nomor_rekomendasi,
            "instansiId": self.table[int(self.reg.instansi[row])].id,
            "updatedAt": iso(planted_.idis_at),
        }
        self.book.row(
            source=SOURCE,
            key=planted_.idis_key,
            row=None,
            content=None,
            written=nip,
            true_nip=nip,
            case_id=case.case_id,
            at=planted_.idis_at,
            named_other=True,
        )
        # Not this case's sanction: the truth reads it as no end of the case (``truth.case_state``).
        self.lines.append((planted_.idis_at, planted_.idis_key, record))
        self.book.fact(SOURCE, planted_.idis_key, planted_.idis_at, case.case_id, "sanksi_named_other")

    def _revision(self, case: Case, first: dict[str, Any], nip: str) -> None:
        """The decision on the objection: a record of its own, the first one's person and recommendation
        (no random draw: the other records stay as they were)."""
        revision = case.revision
        assert revision is not None
        record = first | {
            "id": revision.idis_key,
            "nomorSk": revision.nomor,
            "tanggalSk": dmy(revision.sk_date),
            "jenisHukumanId": str(revision.sanksi),
            "jenisHukumanNama": self.names.get(revision.sanksi, "LAINNYA"),
            "tmtHukuman": dmy(revision.sk_date),
            "updatedAt": iso(revision.idis_at),
        }
        self.book.row(
            source=SOURCE,
            key=revision.idis_key,
            row=None,
            content=None,
            written=nip,
            true_nip=nip,
            case_id=case.case_id,
            at=revision.idis_at,
        )
        self._emit(case, revision.idis_key, revision.idis_at, record)

    def _emit(self, case: Case, key: str, at: datetime, record: dict[str, Any]) -> None:
        self.lines.append((at, key, record))
        sk = record["tanggalSk"]
        self.book.fact(
            SOURCE,
            key,
            at,
            case.case_id,
            "sanksi",
            jenis=int(record["jenisHukumanId"]),
            sk_date=f"{sk[6:]}-{sk[3:5]}-{sk[:2]}",
        )

    def _junk(self, cases: list[Case], n_bad: int) -> None:
        """Impossible SK dates, unknown sanction codes and NIPs with impossible birth dates."""
        rng = self.rng
        pool = [c for c in cases if c.idis_at is not None and c.idis_at < AS_OF]
        for k, i in enumerate(rng.choice(len(pool), min(3 * n_bad, len(pool)), replace=False)):
            case = pool[int(i)]
            assert case.idis_at is not None and case.sk_date is not None and case.sanksi is not None
            key, at, nip = hex_id(rng), case.idis_at + timedelta(hours=2), self.reg.nip_str(case.row)
            record = self._record(
                case, key, at, nip=nip, sk=case.sk_date, jenis=case.sanksi, nomor_sk=str(case.nomor_sk)
            )
            kind = k % 3
            if kind == 0:
                record["tanggalSk"] = f"31-02-{case.sk_date.year}"
                field, reason = "tanggalSk", "impossible_date"
            elif kind == 1:
                record["jenisHukumanId"], record["jenisHukumanNama"] = "99", "HUKUMAN LAINNYA"
                field, reason = "jenisHukumanId", "unknown_code"
            else:
                record["nipBaru"] = nipmod.impossible_birth(nip, k)
                field, reason = "nipBaru", "impossible_nip_birth_date"
            self.lines.append((at, key, record))
            self.book.row(
                source=SOURCE,
                key=key,
                row=None,
                content=None,
                written=record["nipBaru"],
                true_nip=nip,
                # Only a NIP with an impossible birth date is rejected: that record stays its case's.
                case_id=case.case_id if kind == 2 else None,
                at=at,
                quarantined=kind != 2,
            )
            self.book.bad(
                source=SOURCE,
                key=key,
                row=None,
                content=None,
                field_name=field,
                value=record[field],
                reason=reason,
                at=at,
            )
