"""kasn: KASN's historic recommendations 2020-2023 (semicolon CSV, dd-mm-yyyy, Excel artefacts).

KASN was dissolved in 2024 (UU 20/2023); its recommendations still bind, so they stay a source of the
recommendation field group, ranked after bkn_wasdal.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from schemas.checks import sanction_code_by_name
from schemas.feeds.base import FeedModel, FeedSpec, Row, Staged, dmy_as_iso, single_row, staged, text
from schemas.feeds.bawaslu import EVENT_PATTERN

HASIL = {
    "Terbukti": "terbukti",
    "Tidak Terbukti": "tidak_terbukti",
    "Ditolak": "ditolak",
    "Dibatalkan": "dibatalkan",
}


class KasnFeed(FeedModel):
    no: Series[str] = pa.Field(alias="No", nullable=True, description="Row number in the sheet.")
    nomor_rekomendasi: Series[str] = pa.Field(
        alias="Nomor Rekomendasi", description="KASN's number; the key."
    )
    tanggal_rekomendasi: Series[str] = pa.Field(
        alias="Tanggal Rekomendasi", dmy_date={}, description="dd-mm-yyyy."
    )
    pemilihan: Series[str] = pa.Field(alias="Pemilihan", str_matches=EVENT_PATTERN, description="Event code.")
    nip: Series[str] = pa.Field(
        alias="NIP", nullable=True, acceptable_nip={}, description="NIP as written (often with ')."
    )
    nama: Series[str] = pa.Field(alias="Nama", description="Name, titles included.")
    jabatan: Series[str] = pa.Field(alias="Jabatan", nullable=True, description="Position title.")
    instansi: Series[str] = pa.Field(alias="Instansi", nullable=True, description="Institution as written.")
    jenis_pelanggaran: Series[str] = pa.Field(
        alias="Jenis Pelanggaran", nullable=True, known_violation_form={}, description="Violation-form code."
    )
    hasil: Series[str] = pa.Field(alias="Hasil", isin=list(HASIL), description="Verification result.")
    rekomendasi_sanksi: Series[str] = pa.Field(
        alias="Rekomendasi Sanksi",
        nullable=True,
        known_sanction_name={},
        description="Recommended sanction by name.",
    )
    keterangan: Series[str] = pa.Field(alias="Keterangan", nullable=True, description="Remarks.")
    item_no: Series[int] = pa.Field(ge=0, description="Always 0.")


def to_staged(row: Row) -> Staged:
    sanction = text(row, "Rekomendasi Sanksi")
    return staged(
        row,
        record_type="recommendation",
        nip_column="NIP",
        name_column="Nama",
        instansi_column="Instansi",
        event_code=row["Pemilihan"],
        recommendation_no=row["Nomor Rekomendasi"],
        fields={
            "recommending_body": "KASN",
            "verification_result": HASIL[row["Hasil"]],
            "recommended_sanction": sanction_code_by_name()[sanction.upper()] if sanction else None,
            "recommendation_date": dmy_as_iso(row, "Tanggal Rekomendasi"),
            "violation_form": text(row, "Jenis Pelanggaran"),
            "position": text(row, "Jabatan"),
            "remarks": text(row, "Keterangan"),
        },
    )


FEED = FeedSpec(
    source="kasn", model=KasnFeed, key_column="Nomor Rekomendasi", rows=single_row, to_staged=to_staged
)
