"""idis: sanctions imposed by PPKs and uploaded to I'DIS (SK number and date, jenisHukuman code)."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from schemas.feeds.base import FeedModel, FeedSpec, Row, Staged, dmy_as_iso, single_row, staged, text


class IdisFeed(FeedModel):
    id: Series[str] = pa.Field(str_matches=r"^[0-9a-fA-F]{32}$", description="I'DIS GUID; the key.")
    nipBaru: Series[str] = pa.Field(nullable=True, acceptable_nip={}, description="NIP as written.")
    nama: Series[str] = pa.Field(description="Name, titles included.")
    nomorSk: Series[str] = pa.Field(description="Number of the PPK's decision (SK).")
    tanggalSk: Series[str] = pa.Field(dmy_date={}, description="Date of the SK, dd-mm-yyyy.")
    jenisHukumanId: Series[str] = pa.Field(
        known_sanction_code={}, description="Sanction code (jenisHukuman)."
    )
    jenisHukumanNama: Series[str] = pa.Field(nullable=True, description="Sanction name.")
    tmtHukuman: Series[str] = pa.Field(
        nullable=True, dmy_date={}, description="Sanction effective date, dd-mm-yyyy."
    )
    nomorRekomendasi: Series[str] = pa.Field(nullable=True, description="Recommendation it answers.")
    instansiId: Series[str] = pa.Field(nullable=True, description="SIASN instansi id.")
    updatedAt: Series[str] = pa.Field(
        iso_datetime_with_offset={}, description="Last change, ISO with offset."
    )
    item_no: Series[int] = pa.Field(ge=0, description="Always 0.")


def to_staged(row: Row) -> Staged:
    return staged(
        row,
        record_type="sanction",
        nip_column="nipBaru",
        name_column="nama",
        instansi_column="instansiId",
        updated_at_column="updatedAt",
        recommendation_no=text(row, "nomorRekomendasi"),
        fields={
            "sanction_code": str(row["jenisHukumanId"]).strip(),
            "sanction_sk_no": row["nomorSk"],
            "sanction_date": dmy_as_iso(row, "tanggalSk"),
            "sanction_effective": dmy_as_iso(row, "tmtHukuman"),
            "instansi_id": text(row, "instansiId"),
        },
    )


FEED = FeedSpec(
    source="idis",
    model=IdisFeed,
    key_column="id",
    rows=single_row,
    to_staged=to_staged,
    updated_at_key="updatedAt",
)
