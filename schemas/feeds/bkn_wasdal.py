"""bkn_wasdal: BKN's verifications and recommendations since 2024 (result, sanction, PPK deadline)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import checks
from schemas.feeds.base import FeedSpec, Row, Staged, identity, single_row
from schemas.feeds.bawaslu import EVENT_PATTERN

HASIL = ["terbukti", "tidak_terbukti", "dibatalkan", "ditolak"]


class BknWasdalFeed(pa.DataFrameModel):
    id: Series[str] = pa.Field(description="BKN's record id; the record's key.")
    nomor_rekomendasi: Series[str] = pa.Field(description="Recommendation number sent to the PPK.")
    nomor_register_bawaslu: Series[str] = pa.Field(nullable=True, description="Bawaslu register it answers.")
    pemilihan: Series[str] = pa.Field(str_matches=EVENT_PATTERN, description="Election event code.")
    nip: Series[str] = pa.Field(nullable=True, description="NIP as written.")
    nama: Series[str] = pa.Field(description="Name, titles included.")
    instansi_id: Series[str] = pa.Field(nullable=True, description="SIASN instansi id.")
    tanggal_verifikasi: Series[str] = pa.Field(nullable=True, description="Verification instant, ISO.")
    hasil: Series[str] = pa.Field(isin=HASIL, description="Verification result.")
    rekomendasi_sanksi: Series[str] = pa.Field(nullable=True, description="Recommended jenisHukuman code.")
    tanggal_rekomendasi: Series[str] = pa.Field(nullable=True, description="Recommendation date, yyyy-mm-dd.")
    batas_tindak_lanjut: Series[str] = pa.Field(nullable=True, description="PPK deadline, yyyy-mm-dd.")
    updated_at: Series[str] = pa.Field(description="Last change, ISO with offset (WIB/WITA/WIT).")
    item_no: Series[int] = pa.Field(ge=0, description="Always 0: one person per record.")

    class Config:
        strict = "filter"
        coerce = True

    @pa.check("tanggal_verifikasi", "updated_at", name="iso_datetime_with_offset")
    @classmethod
    def _instants(cls, series: Series[str]) -> pd.Series:
        return checks.iso_datetime_with_offset(series)

    @pa.check("tanggal_rekomendasi", "batas_tindak_lanjut", name="iso_date")
    @classmethod
    def _dates(cls, series: Series[str]) -> pd.Series:
        return checks.iso_date(series)

    @pa.check("rekomendasi_sanksi", name="known_sanction_code")
    @classmethod
    def _sanction(cls, series: Series[str]) -> pd.Series:
        return checks.known_sanction_code(series)

    @pa.check("nip", name="acceptable_nip")
    @classmethod
    def _nip(cls, series: Series[str]) -> pd.Series:
        return checks.acceptable_nip(series)


def to_staged(row: Row) -> Staged:
    nip, nip_raw, birth, name_norm = identity(row.get("nip"), row.get("nama"))
    return Staged(
        item_no=0,
        record_type="recommendation",
        nip=nip,
        nip_raw=nip_raw,
        name=checks.text_or_none(row.get("nama")),
        name_normalised=name_norm,
        birth_date=birth,
        instansi=checks.text_or_none(row.get("instansi_id")),
        event_code=row["pemilihan"],
        register_no=checks.text_or_none(row.get("nomor_register_bawaslu")),
        recommendation_no=row["nomor_rekomendasi"],
        source_updated_at=checks.parse_instant(row.get("updated_at")),
        fields={
            "recommending_body": "BKN",
            "verification_result": row["hasil"],
            "verified_at": checks.text_or_none(row.get("tanggal_verifikasi")),
            "recommended_sanction": checks.text_or_none(row.get("rekomendasi_sanksi")),
            "recommendation_date": checks.text_or_none(row.get("tanggal_rekomendasi")),
            "follow_up_deadline": checks.text_or_none(row.get("batas_tindak_lanjut")),
            "instansi_id": checks.text_or_none(row.get("instansi_id")),
        },
    )


FEED = FeedSpec(
    source="bkn_wasdal", model=BknWasdalFeed, key_column="id", rows=single_row, to_staged=to_staged
)
