"""kemenpanrb: public complaints about neutrality from SP4N-LAPOR! (gzip JSON Lines, free text)."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from schemas.feeds.base import FeedModel, FeedSpec, Row, Staged, single_row, staged, text


class KemenpanrbFeed(FeedModel):
    id_pengaduan: Series[str] = pa.Field(description="Complaint id; the key.")
    tanggal: Series[str] = pa.Field(
        iso_datetime_with_offset={}, description="When the complaint was filed, ISO with offset."
    )
    judul: Series[str] = pa.Field(nullable=True, description="Complaint title.")
    isi: Series[str] = pa.Field(nullable=True, description="Complaint text.")
    terlapor_nama: Series[str] = pa.Field(nullable=True, description="Name of the person complained about.")
    terlapor_instansi: Series[str] = pa.Field(nullable=True, description="Their institution as written.")
    nip: Series[str] = pa.Field(nullable=True, acceptable_nip={}, description="NIP, rarely given.")
    lokasi: Series[str] = pa.Field(nullable=True, description="Location of the incident.")
    kategori: Series[str] = pa.Field(nullable=True, description="Complaint category.")
    item_no: Series[int] = pa.Field(ge=0, description="Always 0.")


def to_staged(row: Row) -> Staged:
    return staged(
        row,
        record_type="complaint",
        nip_column="nip",
        name_column="terlapor_nama",
        instansi_column="terlapor_instansi",
        updated_at_column="tanggal",
        fields={
            "complaint_at": row["tanggal"],
            "title": text(row, "judul"),
            "text": text(row, "isi"),
            "location": text(row, "lokasi"),
            "category": text(row, "kategori"),
        },
    )


FEED = FeedSpec(
    source="kemenpanrb", model=KemenpanrbFeed, key_column="id_pengaduan", rows=single_row, to_staged=to_staged
)
