"""kemendagri: regional governments' follow-up reports on recommendations (daily CSV drops)."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from schemas.feeds.base import FeedModel, FeedSpec, Row, Staged, dmy_as_iso, single_row, staged, text

STATUS = ["sudah_dijatuhi_hukuman", "dalam_proses", "belum_ditindaklanjuti"]


class KemendagriFeed(FeedModel):
    nomor_rekomendasi: Series[str] = pa.Field(description="Recommendation followed up; the key.")
    nip: Series[str] = pa.Field(nullable=True, acceptable_nip={}, description="NIP as written.")
    nama: Series[str] = pa.Field(description="Name, titles included.")
    pemda: Series[str] = pa.Field(nullable=True, description="Regional government reporting.")
    status_tindak_lanjut: Series[str] = pa.Field(isin=STATUS, description="Follow-up status.")
    jenis_hukuman_id: Series[str] = pa.Field(
        nullable=True, known_sanction_code={}, description="Sanction code imposed, if any."
    )
    nomor_sk: Series[str] = pa.Field(nullable=True, description="SK number, if imposed.")
    tanggal_sk: Series[str] = pa.Field(nullable=True, dmy_date={}, description="SK date, dd-mm-yyyy.")
    tanggal_laporan: Series[str] = pa.Field(dmy_date={}, description="Report date, dd-mm-yyyy.")
    item_no: Series[int] = pa.Field(ge=0, description="Always 0.")


def to_staged(row: Row) -> Staged:
    return staged(
        row,
        record_type="follow_up",
        nip_column="nip",
        name_column="nama",
        instansi_column="pemda",
        recommendation_no=row["nomor_rekomendasi"],
        fields={
            "follow_up_status": row["status_tindak_lanjut"],
            "sanction_code": text(row, "jenis_hukuman_id"),
            "sanction_sk_no": text(row, "nomor_sk"),
            "sanction_date": dmy_as_iso(row, "tanggal_sk"),
            "report_date": dmy_as_iso(row, "tanggal_laporan"),
        },
    )


FEED = FeedSpec(
    source="kemendagri",
    model=KemendagriFeed,
    key_column="nomor_rekomendasi",
    rows=single_row,
    to_staged=to_staged,
)
