"""imut: personnel actions decided by PPKs and recorded in BKN's I-MUT (issue 17).

One record is one action (mutasi, rotasi, promosi, demosi, pemberhentian dari jabatan, pengangkatan)
with the post before and after and their class, the deciding official, the decision (SK) and effective
dates, the Mendagri approval and the date the action was reported to Kemendagri. A personnel action is
not a neutrality record: it stages as record type ``personnel_action``, which case linking never reads
(:data:`schemas.feeds.CASELESS_SOURCES`); the I-MUT rules read it (:mod:`sbt_sync.imut.staged`).
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from schemas.feeds.base import FeedModel, FeedSpec, Row, Staged, dmy_as_iso, single_row, staged, text
from schemas.imut_codes import ActionKind, OfficialRole, PostClass

RECORD_TYPE = "personnel_action"
ACTION_KINDS = tuple(kind.value for kind in ActionKind)
POST_CLASSES = tuple(kind.value for kind in PostClass)
OFFICIAL_ROLES = tuple(role.value for role in OfficialRole)
REGION_CODE = r"^\d{2}(\.\d{2})?$"


class ImutFeed(FeedModel):
    id: Series[str] = pa.Field(str_matches=r"^[0-9a-fA-F]{32}$", description="I-MUT GUID; the key.")
    nipBaru: Series[str] = pa.Field(nullable=True, acceptable_nip={}, description="NIP as written.")
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
    tanggalSk: Series[str] = pa.Field(dmy_date={}, description="Date of the decision, dd-mm-yyyy.")
    tmt: Series[str] = pa.Field(dmy_date={}, description="Effective date (TMT), dd-mm-yyyy.")
    alasan: Series[str] = pa.Field(nullable=True, description="Reason given.")
    persetujuanMendagriNomor: Series[str] = pa.Field(
        nullable=True, description="Number of the Minister of Home Affairs' written approval."
    )
    persetujuanMendagriTanggal: Series[str] = pa.Field(
        nullable=True, dmy_date={}, description="Date of that approval, dd-mm-yyyy."
    )
    tanggalLaporKemendagri: Series[str] = pa.Field(
        nullable=True,
        dmy_date={},
        description="Date reported to Kemendagri, dd-mm-yyyy (null while unreported).",
    )
    updatedAt: Series[str] = pa.Field(
        iso_datetime_with_offset={}, description="Last change, ISO with offset."
    )
    item_no: Series[int] = pa.Field(ge=0, description="Always 0.")


def to_staged(row: Row) -> Staged:
    """The action as a staged record of type ``personnel_action``; ``fields`` holds what the rules
    read (:func:`sbt_sync.imut.staged.personnel_action` maps it back), dates as ISO text."""
    return staged(
        row,
        record_type=RECORD_TYPE,
        nip_column="nipBaru",
        name_column="nama",
        instansi_column="instansiId",
        updated_at_column="updatedAt",
        fields={
            "action": str(row["jenisTindakan"]).strip(),
            "post_before": text(row, "jabatanLama"),
            "post_before_class": text(row, "kelasJabatanLama"),
            "unit_before": text(row, "unitKerjaLama"),
            "post_after": text(row, "jabatanBaru"),
            "post_after_class": text(row, "kelasJabatanBaru"),
            "unit_after": text(row, "unitKerjaBaru"),
            "instansi_id": text(row, "instansiId"),
            "official_name": text(row, "pejabatPenetapNama"),
            "official_role": str(row["pejabatPenetapPeran"]).strip(),
            "official_region": text(row, "pejabatPenetapWilayah"),
            "official_instansi_id": text(row, "pejabatPenetapInstansiId"),
            "decision_no": str(row["nomorSk"]).strip(),
            "decision_date": dmy_as_iso(row, "tanggalSk"),
            "effective_date": dmy_as_iso(row, "tmt"),
            "reason_given": text(row, "alasan"),
            "approval_no": text(row, "persetujuanMendagriNomor"),
            "approval_date": dmy_as_iso(row, "persetujuanMendagriTanggal"),
            "reported_on": dmy_as_iso(row, "tanggalLaporKemendagri"),
        },
    )


FEED = FeedSpec(
    source="imut",
    model=ImutFeed,
    key_column="id",
    rows=single_row,
    to_staged=to_staged,
    updated_at_key="updatedAt",
)
