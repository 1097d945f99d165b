"""The codes I-MUT records use, shared by the feed contract (``schemas.feeds.imut``) and the rules
(:mod:`sbt_sync.imut.model` re-exports them): one definition of each set of values."""

from __future__ import annotations

from enum import StrEnum


class ActionKind(StrEnum):
    """The personnel actions I-MUT records."""

    MUTASI = "mutasi"  # transfer to another unit or instansi
    ROTASI = "rotasi"  # rotation within the instansi
    PROMOSI = "promosi"
    DEMOSI = "demosi"
    PEMBERHENTIAN = "pemberhentian_dari_jabatan"  # removal from post
    PENGANGKATAN = "pengangkatan"  # appointment to a post


class PostClass(StrEnum):
    """Post classes; the first five are covered by Pasal 71(2) (Mendagri 100.2.1.3/1575/SJ)."""

    JPT_MADYA = "jpt_madya"
    JPT_PRATAMA = "jpt_pratama"
    ADMINISTRATOR = "administrator"
    PENGAWAS = "pengawas"
    # A functional official with an additional task of leading a unit (kepala puskesmas, kepala sekolah).
    FUNGSIONAL_TUGAS_TAMBAHAN = "fungsional_tugas_tambahan"
    LAINNYA = "lainnya"


class OfficialRole(StrEnum):
    """Who signed the decision."""

    KEPALA_DAERAH = "kepala_daerah"  # definitive governor, regent or mayor
    PJ_KEPALA_DAERAH = "pj_kepala_daerah"  # acting (penjabat) head appointed by the Minister
    PLT_KEPALA_DAERAH = "plt_kepala_daerah"  # caretaker (pelaksana tugas), e.g. the deputy on leave
    PIMPINAN_INSTANSI = "pimpinan_instansi"  # head of a central instansi (minister, agency head)
    LAINNYA = "lainnya"  # any other signatory (sekda, a delegated official)
