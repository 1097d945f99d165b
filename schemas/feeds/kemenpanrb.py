"""kemenpanrb: public complaints about neutrality from SP4N-LAPOR! (gzip JSON Lines, free text)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import checks
from schemas.feeds.base import FeedSpec, Row, Staged, identity, single_row


class KemenpanrbFeed(pa.DataFrameModel):
    id_pengaduan: Series[str] = pa.Field(description="Complaint id; the key.")
    tanggal: Series[str] = pa.Field(description="When the complaint was filed, ISO with offset.")
    judul: Series[str] = pa.Field(nullable=True, description="Complaint title.")
    isi: Series[str] = pa.Field(nullable=True, description="Complaint text.")
    terlapor_nama: Series[str] = pa.Field(nullable=True, description="Name of the person complained about.")
    terlapor_instansi: Series[str] = pa.Field(nullable=True, description="Their institution as written.")
    nip: Series[str] = pa.Field(nullable=True, description="NIP, rarely given.")
    lokasi: Series[str] = pa.Field(nullable=True, description="Location of the incident.")
    kategori: Series[str] = pa.Field(nullable=True, description="Complaint category.")
    item_no: Series[int] = pa.Field(ge=0, description="Always 0.")

    class Config:
        strict = "filter"
        coerce = True

    @pa.check("tanggal", name="iso_datetime_with_offset")
    @classmethod
    def _instant(cls, series: Series[str]) -> pd.Series:
        return checks.iso_datetime_with_offset(series)

    @pa.check("nip", name="acceptable_nip")
    @classmethod
    def _nip(cls, series: Series[str]) -> pd.Series:
        return checks.acceptable_nip(series)


def to_staged(row: Row) -> Staged:
    nip, nip_raw, birth, name_norm = identity(row.get("nip"), row.get("terlapor_nama"))
    return Staged(
        item_no=0,
        record_type="complaint",
        nip=nip,
        nip_raw=nip_raw,
        name=checks.text_or_none(row.get("terlapor_nama")),
        name_normalised=name_norm,
        birth_date=birth,
        instansi=checks.text_or_none(row.get("terlapor_instansi")),
        event_code=None,
        register_no=None,
        recommendation_no=None,
        source_updated_at=checks.parse_instant(row.get("tanggal")),
        fields={
            "complaint_at": row["tanggal"],
            "title": checks.text_or_none(row.get("judul")),
            "text": checks.text_or_none(row.get("isi")),
            "location": checks.text_or_none(row.get("lokasi")),
            "category": checks.text_or_none(row.get("kategori")),
        },
    )


FEED = FeedSpec(
    source="kemenpanrb", model=KemenpanrbFeed, key_column="id_pengaduan", rows=single_row, to_staged=to_staged
)
