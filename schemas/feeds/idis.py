"""idis: sanctions imposed by PPKs and uploaded to I'DIS (SK number and date, jenisHukuman code)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import checks
from schemas.feeds.base import FeedSpec, Row, Staged, identity, single_row


class IdisFeed(pa.DataFrameModel):
    id: Series[str] = pa.Field(str_matches=r"^[0-9a-fA-F]{32}$", description="I'DIS GUID; the key.")
    nipBaru: Series[str] = pa.Field(nullable=True, description="NIP as written.")
    nama: Series[str] = pa.Field(description="Name, titles included.")
    nomorSk: Series[str] = pa.Field(description="Number of the PPK's decision (SK).")
    tanggalSk: Series[str] = pa.Field(description="Date of the SK, dd-mm-yyyy.")
    jenisHukumanId: Series[str] = pa.Field(description="Sanction code (jenisHukuman).")
    jenisHukumanNama: Series[str] = pa.Field(nullable=True, description="Sanction name.")
    tmtHukuman: Series[str] = pa.Field(nullable=True, description="Sanction effective date, dd-mm-yyyy.")
    nomorRekomendasi: Series[str] = pa.Field(nullable=True, description="Recommendation it answers.")
    instansiId: Series[str] = pa.Field(nullable=True, description="SIASN instansi id.")
    updatedAt: Series[str] = pa.Field(description="Last change, ISO with offset.")
    item_no: Series[int] = pa.Field(ge=0, description="Always 0.")

    class Config:
        strict = "filter"
        coerce = True

    @pa.check("tanggalSk", "tmtHukuman", name="dmy_date")
    @classmethod
    def _dates(cls, series: Series[str]) -> pd.Series:
        return checks.dmy_date(series)

    @pa.check("updatedAt", name="iso_datetime_with_offset")
    @classmethod
    def _instant(cls, series: Series[str]) -> pd.Series:
        return checks.iso_datetime_with_offset(series)

    @pa.check("jenisHukumanId", name="known_sanction_code")
    @classmethod
    def _sanction(cls, series: Series[str]) -> pd.Series:
        return checks.known_sanction_code(series)

    @pa.check("nipBaru", name="acceptable_nip")
    @classmethod
    def _nip(cls, series: Series[str]) -> pd.Series:
        return checks.acceptable_nip(series)


def to_staged(row: Row) -> Staged:
    nip, nip_raw, birth, name_norm = identity(row.get("nipBaru"), row.get("nama"))
    sk_date = checks.parse_dmy(row.get("tanggalSk"))
    tmt = checks.parse_dmy(row.get("tmtHukuman"))
    return Staged(
        item_no=0,
        record_type="sanction",
        nip=nip,
        nip_raw=nip_raw,
        name=checks.text_or_none(row.get("nama")),
        name_normalised=name_norm,
        birth_date=birth,
        instansi=checks.text_or_none(row.get("instansiId")),
        event_code=None,
        register_no=None,
        recommendation_no=checks.text_or_none(row.get("nomorRekomendasi")),
        source_updated_at=checks.parse_instant(row.get("updatedAt")),
        fields={
            "sanction_code": str(row["jenisHukumanId"]).strip(),
            "sanction_sk_no": row["nomorSk"],
            "sanction_date": sk_date.isoformat() if sk_date else None,
            "sanction_effective": tmt.isoformat() if tmt else None,
            "instansi_id": checks.text_or_none(row.get("instansiId")),
        },
    )


FEED = FeedSpec(source="idis", model=IdisFeed, key_column="id", rows=single_row, to_staged=to_staged)
