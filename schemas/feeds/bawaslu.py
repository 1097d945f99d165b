"""bawaslu: findings (temuan) and reports (laporan) forwarded to the civil-service bodies.

One register can name several ASN (``terlapor``); each named person is one row (``item_no``).
Times are WIB with an explicit offset; the NIP is often missing or malformed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandera.pandas as pa
from pandera.typing import Series

from schemas.feeds.base import FeedModel, FeedSpec, Row, Staged, staged, text

EVENT_PATTERN = r"^(PILKADA|PEMILU)-\d{4}$"
KATEGORI_JABATAN = ["JPT", "administrator", "fungsional", "pelaksana", "camat_lurah"]


class BawasluFeed(FeedModel):
    nomor_register: Series[str] = pa.Field(description="Bawaslu register number; the record's key.")
    jenis: Series[str] = pa.Field(isin=["temuan", "laporan"], description="Finding or public report.")
    pemilihan: Series[str] = pa.Field(str_matches=EVENT_PATTERN, description="Election event code.")
    tanggal_register: Series[str] = pa.Field(
        iso_datetime_with_offset={}, description="Registration instant, ISO with offset (WIB)."
    )
    tanggal_diteruskan: Series[str] = pa.Field(
        nullable=True, iso_datetime_with_offset={}, description="When forwarded to the ASN bodies."
    )
    provinsi: Series[str] = pa.Field(nullable=True, description="Province of the incident.")
    kabupaten_kota: Series[str] = pa.Field(nullable=True, description="Regency or city of the incident.")
    bentuk_pelanggaran: Series[str] = pa.Field(
        known_violation_form={}, description="Violation-form code from the reference data."
    )
    uraian: Series[str] = pa.Field(nullable=True, description="Free-text description.")
    status: Series[str] = pa.Field(isin=["diteruskan", "dihentikan"], description="Forwarded or stopped.")
    updated_at: Series[str] = pa.Field(
        iso_datetime_with_offset={}, description="Last change at Bawaslu, ISO with offset."
    )
    item_no: Series[int] = pa.Field(ge=0, description="Position of the person within the register.")
    terlapor_nip: Series[str] = pa.Field(
        nullable=True, acceptable_nip={}, description="Reported person's NIP as written."
    )
    terlapor_nama: Series[str] = pa.Field(description="Reported person's name, titles included.")
    terlapor_jabatan: Series[str] = pa.Field(nullable=True, description="Position title.")
    terlapor_kategori_jabatan: Series[str] = pa.Field(
        isin=KATEGORI_JABATAN, nullable=True, description="Position category."
    )
    terlapor_instansi: Series[str] = pa.Field(nullable=True, description="Employing institution as written.")


def rows(payload: Mapping[str, Any]) -> list[Row]:
    """One row per reported person; a register without any still yields a row to validate."""
    header = {k: v for k, v in payload.items() if k != "terlapor"}
    people = payload.get("terlapor") or [{}]
    if not isinstance(people, list):
        people = [{"nama": None}]
    return [{**header, "item_no": i, **_person(entry)} for i, entry in enumerate(people)]


def _person(entry: Any) -> Row:
    """One ``terlapor`` entry as the row's ``terlapor_*`` columns. An entry that is not an object is
    the reported person's name as written: text stays the name; null, a list or a nested value fails
    the name's check (missing, or the wrong type), so that person is set aside and the others kept."""
    if isinstance(entry, dict):
        return {f"terlapor_{k}": v for k, v in entry.items()}
    return {"terlapor_nama": entry}


def to_staged(row: Row) -> Staged:
    return staged(
        row,
        record_type="finding",
        nip_column="terlapor_nip",
        name_column="terlapor_nama",
        instansi_column="terlapor_instansi",
        updated_at_column="updated_at",
        event_code=row["pemilihan"],
        register_no=row["nomor_register"],
        fields={
            "register_type": row["jenis"],
            "register_status": row["status"],
            "violation_form": row["bentuk_pelanggaran"],
            "incident_at": row["tanggal_register"],
            "forwarded_at": text(row, "tanggal_diteruskan"),
            "province": text(row, "provinsi"),
            "regency": text(row, "kabupaten_kota"),
            "position": text(row, "terlapor_jabatan"),
            "position_category": text(row, "terlapor_kategori_jabatan"),
        },
    )


FEED = FeedSpec(
    source="bawaslu",
    model=BawasluFeed,
    key_column="nomor_register",
    rows=rows,
    to_staged=to_staged,
    item_prefix="terlapor_",
    updated_at_key="updated_at",
)
