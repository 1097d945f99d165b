"""bkn_wasdal: BKN's verifications and recommendations since 2024 (result, sanction, PPK deadline)."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from schemas.feeds.base import FeedModel, FeedSpec, Row, Staged, single_row, staged, text
from schemas.feeds.bawaslu import EVENT_PATTERN

HASIL = ["terbukti", "tidak_terbukti", "dibatalkan", "ditolak"]


class BknWasdalFeed(FeedModel):
    id: Series[str] = pa.Field(description="BKN's record id; the record's key.")
    nomor_rekomendasi: Series[str] = pa.Field(description="Recommendation number sent to the PPK.")
    nomor_register_bawaslu: Series[str] = pa.Field(nullable=True, description="Bawaslu register it answers.")
    pemilihan: Series[str] = pa.Field(str_matches=EVENT_PATTERN, description="Election event code.")
    nip: Series[str] = pa.Field(nullable=True, acceptable_nip={}, description="NIP as written.")
    nama: Series[str] = pa.Field(description="Name, titles included.")
    instansi_id: Series[str] = pa.Field(nullable=True, description="SIASN instansi id.")
    tanggal_verifikasi: Series[str] = pa.Field(
        nullable=True, iso_datetime_with_offset={}, description="Verification instant, ISO."
    )
    hasil: Series[str] = pa.Field(isin=HASIL, description="Verification result.")
    rekomendasi_sanksi: Series[str] = pa.Field(
        nullable=True, known_sanction_code={}, description="Recommended jenisHukuman code."
    )
    tanggal_rekomendasi: Series[str] = pa.Field(
        nullable=True, iso_date={}, description="Recommendation date, yyyy-mm-dd."
    )
    batas_tindak_lanjut: Series[str] = pa.Field(
        nullable=True, iso_date={}, description="PPK deadline, yyyy-mm-dd."
    )
    updated_at: Series[str] = pa.Field(
        iso_datetime_with_offset={}, description="Last change, ISO with offset (WIB/WITA/WIT)."
    )
    item_no: Series[int] = pa.Field(ge=0, description="Always 0: one person per record.")


def to_staged(row: Row) -> Staged:
    return staged(
        row,
        record_type="recommendation",
        nip_column="nip",
        name_column="nama",
        instansi_column="instansi_id",
        updated_at_column="updated_at",
        event_code=row["pemilihan"],
        register_no=text(row, "nomor_register_bawaslu"),
        recommendation_no=row["nomor_rekomendasi"],
        fields={
            "recommending_body": "BKN",
            "verification_result": row["hasil"],
            "verified_at": text(row, "tanggal_verifikasi"),
            "recommended_sanction": text(row, "rekomendasi_sanksi"),
            "recommendation_date": text(row, "tanggal_rekomendasi"),
            "follow_up_deadline": text(row, "batas_tindak_lanjut"),
            "instansi_id": text(row, "instansi_id"),
        },
    )


FEED = FeedSpec(
    source="bkn_wasdal",
    model=BknWasdalFeed,
    key_column="id",
    rows=single_row,
    to_staged=to_staged,
    updated_at_key="updated_at",
)
