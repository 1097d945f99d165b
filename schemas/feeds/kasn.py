"""kasn: KASN's historic recommendations 2020-2023 (semicolon CSV, dd-mm-yyyy, Excel artefacts).

KASN was dissolved in 2024 (UU 20/2023); its recommendations still bind, so they stay a source of the
recommendation field group, ranked after bkn_wasdal.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import checks
from schemas.feeds.base import FeedSpec, Row, Staged, identity, single_row
from schemas.feeds.bawaslu import EVENT_PATTERN
from schemas.reference import sanction_codes

HASIL = {
    "Terbukti": "terbukti",
    "Tidak Terbukti": "tidak_terbukti",
    "Ditolak": "ditolak",
    "Dibatalkan": "dibatalkan",
}


@cache
def sanction_code_by_name() -> dict[str, str]:
    return {code.nama.upper(): str(code.id) for code in sanction_codes()}


class KasnFeed(pa.DataFrameModel):
    no: Series[str] = pa.Field(alias="No", nullable=True, description="Row number in the sheet.")
    nomor_rekomendasi: Series[str] = pa.Field(
        alias="Nomor Rekomendasi", description="KASN's number; the key."
    )
    tanggal_rekomendasi: Series[str] = pa.Field(alias="Tanggal Rekomendasi", description="dd-mm-yyyy.")
    pemilihan: Series[str] = pa.Field(alias="Pemilihan", str_matches=EVENT_PATTERN, description="Event code.")
    nip: Series[str] = pa.Field(alias="NIP", nullable=True, description="NIP as written (often with ').")
    nama: Series[str] = pa.Field(alias="Nama", description="Name, titles included.")
    jabatan: Series[str] = pa.Field(alias="Jabatan", nullable=True, description="Position title.")
    instansi: Series[str] = pa.Field(alias="Instansi", nullable=True, description="Institution as written.")
    jenis_pelanggaran: Series[str] = pa.Field(
        alias="Jenis Pelanggaran", nullable=True, description="Violation-form code."
    )
    hasil: Series[str] = pa.Field(alias="Hasil", isin=list(HASIL), description="Verification result.")
    rekomendasi_sanksi: Series[str] = pa.Field(
        alias="Rekomendasi Sanksi", nullable=True, description="Recommended sanction by name."
    )
    keterangan: Series[str] = pa.Field(alias="Keterangan", nullable=True, description="Remarks.")
    item_no: Series[int] = pa.Field(ge=0, description="Always 0.")

    class Config:
        strict = "filter"
        coerce = True

    @pa.check("Tanggal Rekomendasi", name="dmy_date")
    @classmethod
    def _date(cls, series: Series[str]) -> pd.Series:
        return checks.dmy_date(series)

    @pa.check("NIP", name="acceptable_nip")
    @classmethod
    def _nip(cls, series: Series[str]) -> pd.Series:
        return checks.acceptable_nip(series)

    @pa.check("Jenis Pelanggaran", name="known_violation_form")
    @classmethod
    def _form(cls, series: Series[str]) -> pd.Series:
        return checks.known_violation_form(series)

    @pa.check("Rekomendasi Sanksi", name="known_sanction_name")
    @classmethod
    def _sanction(cls, series: Series[str]) -> pd.Series:
        names = sanction_code_by_name()
        return series.map(lambda v: checks.is_blank(v) or str(v).strip().upper() in names).astype(bool)


def to_staged(row: Row) -> Staged:
    nip, nip_raw, birth, name_norm = identity(row.get("NIP"), row.get("Nama"))
    rec_date = checks.parse_dmy(row.get("Tanggal Rekomendasi"))
    sanction = checks.text_or_none(row.get("Rekomendasi Sanksi"))
    return Staged(
        item_no=0,
        record_type="recommendation",
        nip=nip,
        nip_raw=nip_raw,
        name=checks.text_or_none(row.get("Nama")),
        name_normalised=name_norm,
        birth_date=birth,
        instansi=checks.text_or_none(row.get("Instansi")),
        event_code=row["Pemilihan"],
        register_no=None,
        recommendation_no=row["Nomor Rekomendasi"],
        source_updated_at=None,
        fields={
            "recommending_body": "KASN",
            "verification_result": HASIL[row["Hasil"]],
            "recommended_sanction": sanction_code_by_name()[sanction.upper()] if sanction else None,
            "recommendation_date": rec_date.isoformat() if rec_date else None,
            "violation_form": checks.text_or_none(row.get("Jenis Pelanggaran")),
            "position": checks.text_or_none(row.get("Jabatan")),
            "remarks": checks.text_or_none(row.get("Keterangan")),
        },
    )


FEED = FeedSpec(
    source="kasn", model=KasnFeed, key_column="Nomor Rekomendasi", rows=single_row, to_staged=to_staged
)
