"""kemendagri: regional governments' follow-up reports on recommendations (daily CSV drops)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import checks
from schemas.feeds.base import FeedSpec, Row, Staged, identity, single_row

STATUS = ["sudah_dijatuhi_hukuman", "dalam_proses", "belum_ditindaklanjuti"]


class KemendagriFeed(pa.DataFrameModel):
    nomor_rekomendasi: Series[str] = pa.Field(description="Recommendation followed up; the key.")
    nip: Series[str] = pa.Field(nullable=True, description="NIP as written.")
    nama: Series[str] = pa.Field(description="Name, titles included.")
    pemda: Series[str] = pa.Field(nullable=True, description="Regional government reporting.")
    status_tindak_lanjut: Series[str] = pa.Field(isin=STATUS, description="Follow-up status.")
    jenis_hukuman_id: Series[str] = pa.Field(nullable=True, description="Sanction code imposed, if any.")
    nomor_sk: Series[str] = pa.Field(nullable=True, description="SK number, if imposed.")
    tanggal_sk: Series[str] = pa.Field(nullable=True, description="SK date, dd-mm-yyyy.")
    tanggal_laporan: Series[str] = pa.Field(description="Report date, dd-mm-yyyy.")
    item_no: Series[int] = pa.Field(ge=0, description="Always 0.")

    class Config:
        strict = "filter"
        coerce = True

    @pa.check("tanggal_sk", "tanggal_laporan", name="dmy_date")
    @classmethod
    def _dates(cls, series: Series[str]) -> pd.Series:
        return checks.dmy_date(series)

    @pa.check("jenis_hukuman_id", name="known_sanction_code")
    @classmethod
    def _sanction(cls, series: Series[str]) -> pd.Series:
        return checks.known_sanction_code(series)

    @pa.check("nip", name="acceptable_nip")
    @classmethod
    def _nip(cls, series: Series[str]) -> pd.Series:
        return checks.acceptable_nip(series)


def to_staged(row: Row) -> Staged:
    nip, nip_raw, birth, name_norm = identity(row.get("nip"), row.get("nama"))
    sk_date = checks.parse_dmy(row.get("tanggal_sk"))
    report_date = checks.parse_dmy(row.get("tanggal_laporan"))
    return Staged(
        item_no=0,
        record_type="follow_up",
        nip=nip,
        nip_raw=nip_raw,
        name=checks.text_or_none(row.get("nama")),
        name_normalised=name_norm,
        birth_date=birth,
        instansi=checks.text_or_none(row.get("pemda")),
        event_code=None,
        register_no=None,
        recommendation_no=row["nomor_rekomendasi"],
        source_updated_at=None,
        fields={
            "follow_up_status": row["status_tindak_lanjut"],
            "sanction_code": checks.text_or_none(row.get("jenis_hukuman_id")),
            "sanction_sk_no": checks.text_or_none(row.get("nomor_sk")),
            "sanction_date": sk_date.isoformat() if sk_date else None,
            "report_date": report_date.isoformat() if report_date else None,
        },
    )


FEED = FeedSpec(
    source="kemendagri",
    model=KemendagriFeed,
    key_column="nomor_rekomendasi",
    rows=single_row,
    to_staged=to_staged,
)
