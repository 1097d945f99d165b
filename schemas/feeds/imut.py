"""imut: personnel actions decided by PPKs and recorded in BKN's I-MUT (issue 17).

One record is one action (mutasi, rotasi, promosi, demosi, pemberhentian dari jabatan, pengangkatan)
with the post before and after and their class, the deciding official, the decision (SK) and effective
dates, the Mendagri approval and the date the action was reported to Kemendagri. A personnel action is
not a neutrality record: it stages as record type ``personnel_action``, which case linking never reads
(:data:`schemas.feeds.CASELESS_SOURCES`); the I-MUT rules read it (:mod:`sbt_sync.imut.staged`).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import checks
from schemas.feeds.base import FeedSpec, Row, Staged, identity, single_row
from schemas.imut_codes import ActionKind, OfficialRole, PostClass

RECORD_TYPE = "personnel_action"
ACTION_KINDS = tuple(kind.value for kind in ActionKind)
POST_CLASSES = tuple(kind.value for kind in PostClass)
OFFICIAL_ROLES = tuple(role.value for role in OfficialRole)
REGION_CODE = r"^\d{2}(\.\d{2})?$"
DATE_COLUMNS = ("tanggalSk", "tmt", "persetujuanMendagriTanggal", "tanggalLaporKemendagri")


class ImutFeed(pa.DataFrameModel):
    id: Series[str] = pa.Field(str_matches=r"^[0-9a-fA-F]{32}$", description="I-MUT GUID; the key.")
    nipBaru: Series[str] = pa.Field(nullable=True, description="NIP as written.")
    nama: Series[str] = pa.Field(nullable=True, description="Name as written, titles included.")
    jenisTindakan: Series[str] = pa.Field(isin=ACTION_KINDS, description="The personnel action.")
    jabatanLama: Series[str] = pa.Field(nullable=True, description="Post held before (null: none).")
    kelasJabatanLama: Series[str] = pa.Field(
        nullable=True, isin=POST_CLASSES, description="Class of the post before."
    )
    unitKerjaLama: Series[str] = pa.Field(nullable=True, description="Unit of the post before.")
    jabatanBaru: Series[str] = pa.Field(nullable=True, description="Post taken (null: none).")
    kelasJabatanBaru: Series[str] = pa.Field(
        nullable=True, isin=POST_CLASSES, description="Class of the post taken."
    )
    unitKerjaBaru: Series[str] = pa.Field(nullable=True, description="Unit of the post taken.")
    instansiId: Series[str] = pa.Field(description="SIASN instansi id of the ASN.")
    pejabatPenetapNama: Series[str] = pa.Field(nullable=True, description="Deciding official's name.")
    pejabatPenetapPeran: Series[str] = pa.Field(
        isin=OFFICIAL_ROLES, description="Deciding official's role (kepala_daerah, pj_..., plt_...)."
    )
    pejabatPenetapWilayah: Series[str] = pa.Field(
        nullable=True, str_matches=REGION_CODE, description="Kemendagri code of the region a head governs."
    )
    pejabatPenetapInstansiId: Series[str] = pa.Field(
        nullable=True, description="The instansi the deciding official heads."
    )
    nomorSk: Series[str] = pa.Field(description="Number of the decision (SK).")
    tanggalSk: Series[str] = pa.Field(description="Date of the decision, dd-mm-yyyy.")
    tmt: Series[str] = pa.Field(description="Effective date (TMT), dd-mm-yyyy.")
    alasan: Series[str] = pa.Field(nullable=True, description="Reason given.")
    persetujuanMendagriNomor: Series[str] = pa.Field(
        nullable=True, description="Number of the Minister of Home Affairs' written approval."
    )
    persetujuanMendagriTanggal: Series[str] = pa.Field(
        nullable=True, description="Date of that approval, dd-mm-yyyy."
    )
    tanggalLaporKemendagri: Series[str] = pa.Field(
        nullable=True, description="Date reported to Kemendagri, dd-mm-yyyy (null while unreported)."
    )
    updatedAt: Series[str] = pa.Field(description="Last change, ISO with offset.")
    item_no: Series[int] = pa.Field(ge=0, description="Always 0.")

    class Config:
        strict = "filter"
        coerce = True

    @pa.check(*DATE_COLUMNS, name="dmy_date")
    @classmethod
    def _dates(cls, series: Series[str]) -> pd.Series:
        return checks.dmy_date(series)

    @pa.check("updatedAt", name="iso_datetime_with_offset")
    @classmethod
    def _instant(cls, series: Series[str]) -> pd.Series:
        return checks.iso_datetime_with_offset(series)

    @pa.check("nipBaru", name="acceptable_nip")
    @classmethod
    def _nip(cls, series: Series[str]) -> pd.Series:
        return checks.acceptable_nip(series)


def _date(row: Row, column: str) -> str | None:
    parsed = checks.parse_dmy(row.get(column))
    return parsed.isoformat() if parsed else None


def to_staged(row: Row) -> Staged:
    """The action as a staged record of type ``personnel_action``; ``fields`` holds what the rules
    read (:func:`sbt_sync.imut.staged.personnel_action` maps it back), dates as ISO text."""
    nip, nip_raw, birth, name_norm = identity(row.get("nipBaru"), row.get("nama"))
    text = checks.text_or_none
    return Staged(
        item_no=0,
        record_type=RECORD_TYPE,
        nip=nip,
        nip_raw=nip_raw,
        name=text(row.get("nama")),
        name_normalised=name_norm,
        birth_date=birth,
        instansi=text(row.get("instansiId")),
        event_code=None,
        register_no=None,
        recommendation_no=None,
        source_updated_at=checks.parse_instant(row.get("updatedAt")),
        fields={
            "action": str(row["jenisTindakan"]).strip(),
            "post_before": text(row.get("jabatanLama")),
            "post_before_class": text(row.get("kelasJabatanLama")),
            "unit_before": text(row.get("unitKerjaLama")),
            "post_after": text(row.get("jabatanBaru")),
            "post_after_class": text(row.get("kelasJabatanBaru")),
            "unit_after": text(row.get("unitKerjaBaru")),
            "instansi_id": text(row.get("instansiId")),
            "official_name": text(row.get("pejabatPenetapNama")),
            "official_role": str(row["pejabatPenetapPeran"]).strip(),
            "official_region": text(row.get("pejabatPenetapWilayah")),
            "official_instansi_id": text(row.get("pejabatPenetapInstansiId")),
            "decision_no": str(row["nomorSk"]).strip(),
            "decision_date": _date(row, "tanggalSk"),
            "effective_date": _date(row, "tmt"),
            "reason_given": text(row.get("alasan")),
            "approval_no": text(row.get("persetujuanMendagriNomor")),
            "approval_date": _date(row, "persetujuanMendagriTanggal"),
            "reported_on": _date(row, "tanggalLaporKemendagri"),
        },
    )


FEED = FeedSpec(source="imut", model=ImutFeed, key_column="id", rows=single_row, to_staged=to_staged)
