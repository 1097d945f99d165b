"""What the I-MUT findings say, in Bahasa Indonesia and English.

Same shape as the console's table (:mod:`sbt_sync.console.i18n`): each key maps to its (Indonesian,
English) text, so the console can merge it. A finding keeps its ``basis_key``, ``reason_key`` and
parameters; :func:`render` says them in a language. Parameters named ``action``, ``post_class`` and
``role`` hold enum values and are said through their ``<name>.<value>`` labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Literal

from sbt_sync.instants import said_date

Language = Literal["id", "en"]

MESSAGES: dict[str, tuple[str, str]] = {
    # Legal and policy bases.
    "imut.basis.pasal_71_2": (
        "UU 10/2016 Pasal 71 ayat (2); Surat Mendagri 100.2.1.3/1575/SJ tanggal 29 Maret 2024",
        "Law 10/2016 Article 71(2); Minister of Home Affairs letter 100.2.1.3/1575/SJ of 29 March 2024",
    ),
    "imut.basis.pasal_162_3": (
        "UU 10/2016 Pasal 162 ayat (3)",
        "Law 10/2016 Article 162(3)",
    ),
    "imut.basis.reporting": (
        "Surat Mendagri 100.2.1.3/1575/SJ tanggal 29 Maret 2024: setiap mutasi dilaporkan dalam 7 hari kerja",
        "Minister of Home Affairs letter 100.2.1.3/1575/SJ of 29 March 2024: every personnel action "
        "is reported within 7 working days",
    ),
    "imut.basis.block_breach": (
        "Pemblokiran data ASN di SIASN oleh BKN: layanan kepegawaian (promosi, mutasi, rotasi, "
        "pengangkatan, demosi, pemberhentian dari jabatan) terhenti selama diblokir",
        "BKN's block on the ASN's data in SIASN: personnel services (promotion, transfer, rotation, "
        "appointment, demotion, removal from post) stop while blocked",
    ),
    "imut.basis.possible_retaliation": (
        "UU 10/2016 Pasal 71 ayat (3) (kewenangan yang merugikan); pengawasan BKN melalui I-MUT: "
        "untuk diperiksa BKN, bukan diputus otomatis",
        "Law 10/2016 Article 71(3) (authority used to harm); BKN oversight through I-MUT: "
        "for BKN's investigation, never decided automatically",
    ),
    # Reasons.
    "imut.reason.window_no_approval": (
        "{action} jabatan {post_class} diputuskan {decision_date} oleh {role} dalam masa {window_first} "
        "s.d. {window_last} ({event}) tanpa persetujuan tertulis Mendagri.",
        "{action}, post class {post_class}, decided on {decision_date} by the {role} within the window "
        "{window_first} to {window_last} ({event}) without the Minister of Home Affairs' written approval.",
    ),
    "imut.reason.window_approval_after": (
        "{action} jabatan {post_class} diputuskan {decision_date} oleh {role} dalam masa {window_first} "
        "s.d. {window_last} ({event}); persetujuan Mendagri {letter_no} bertanggal {letter_date}, "
        "sesudah keputusan, sehingga tidak memulihkannya.",
        "{action}, post class {post_class}, decided on {decision_date} by the {role} within the window "
        "{window_first} to {window_last} ({event}); the Minister's approval {letter_no} is dated "
        "{letter_date}, after the decision, which a later approval does not cure.",
    ),
    "imut.reason.window_approval_same_day": (
        "{action} jabatan {post_class} diputuskan {decision_date} oleh {role} dalam masa {window_first} "
        "s.d. {window_last} ({event}); persetujuan Mendagri {letter_no} bertanggal sama dengan keputusan, "
        "bukan sebelumnya, sehingga tidak berlaku.",
        "{action}, post class {post_class}, decided on {decision_date} by the {role} within the window "
        "{window_first} to {window_last} ({event}); the Minister's approval {letter_no} is dated the same "
        "day as the decision, not before it, so it does not count.",
    ),
    "imut.reason.window_approval_unnumbered": (
        "{action} jabatan {post_class} diputuskan {decision_date} oleh {role} dalam masa {window_first} "
        "s.d. {window_last} ({event}); persetujuan Mendagri bertanggal {letter_date} tanpa nomor surat, "
        "sehingga tidak dapat diverifikasi dan tidak berlaku.",
        "{action}, post class {post_class}, decided on {decision_date} by the {role} within the window "
        "{window_first} to {window_last} ({event}); the Minister's approval is dated {letter_date} but has "
        "no letter number, so it cannot be verified and does not count.",
    ),
    "imut.reason.window_approval_undated": (
        "{action} jabatan {post_class} diputuskan {decision_date} oleh {role} dalam masa {window_first} "
        "s.d. {window_last} ({event}); persetujuan Mendagri {letter_no} tanpa tanggal, sehingga tidak "
        "dapat ditunjukkan bertanggal sebelum keputusan dan tidak berlaku.",
        "{action}, post class {post_class}, decided on {decision_date} by the {role} within the window "
        "{window_first} to {window_last} ({event}); the Minister's approval {letter_no} has no date, so "
        "it cannot be shown to predate the decision and does not count.",
    ),
    "imut.reason.window_effective_no_approval": (
        "{action} jabatan {post_class} diputuskan {decision_date} oleh {role}, sebelum masa {window_first} "
        "s.d. {window_last} ({event}), tetapi berlaku {effective_date}, di dalam masa itu, tanpa "
        "persetujuan tertulis Mendagri: penggantian pejabat terjadi dalam masa larangan.",
        "{action}, post class {post_class}, decided on {decision_date} by the {role}, before the window "
        "{window_first} to {window_last} ({event}), but effective {effective_date}, within it, without the "
        "Minister of Home Affairs' written approval: the official is replaced within the window.",
    ),
    "imut.reason.window_effective_approval": (
        "{action} jabatan {post_class} diputuskan {decision_date} oleh {role}, sebelum masa {window_first} "
        "s.d. {window_last} ({event}), tetapi berlaku {effective_date}, di dalam masa itu; persetujuan "
        "Mendagri yang dikirim (nomor {letter_no}, tanggal {letter_date}) tidak bernomor dan bertanggal "
        "sebelum keputusan, sehingga tidak berlaku.",
        "{action}, post class {post_class}, decided on {decision_date} by the {role}, before the window "
        "{window_first} to {window_last} ({event}), but effective {effective_date}, within it; the "
        "Minister's approval sent (number {letter_no}, dated {letter_date}) is not numbered and dated "
        "before the decision, so it does not count.",
    ),
    "imut.reason.reporting_late": (
        "Dilaporkan ke Kemendagri {reported_on}, hari kerja ke-{working_days} setelah keputusan "
        "{decision_date}; batasnya {deadline} (7 hari kerja).",
        "Reported to Kemendagri on {reported_on}, working day {working_days} after the decision of "
        "{decision_date}; the deadline was {deadline} (7 working days).",
    ),
    "imut.reason.reporting_missing": (
        "Belum dilaporkan ke Kemendagri per {as_of}; batasnya {deadline} (7 hari kerja setelah keputusan "
        "{decision_date}).",
        "Not reported to Kemendagri as of {as_of}; the deadline was {deadline} (7 working days after the "
        "decision of {decision_date}).",
    ),
    "imut.reason.block_breach": (
        "{action} berlaku {effective_date} saat data NIP diblokir di SIASN (sejak {block_start}).",
        "{action} effective {effective_date} while SIASN held the NIP's data blocked (since {block_start}).",
    ),
    "imut.reason.block_breach_decided": (
        "{action} diputuskan {decision_date} (berlaku {effective_date}) saat data NIP diblokir di SIASN "
        "(sejak {block_start}): menetapkan SK adalah layanan kepegawaian yang terhenti selama diblokir.",
        "{action} decided on {decision_date} (effective {effective_date}) while SIASN held the NIP's data "
        "blocked (since {block_start}): signing the decision is a personnel service, stopped while blocked.",
    ),
    "imut.reason.block_adverse": (
        "{action} diputuskan {decision_date} (berlaku {effective_date}) saat data NIP diblokir di SIASN "
        "(sejak {block_start}). Bisa jadi ini hukuman disiplin yang dijatuhkan PPK (periksa I'DIS); bila "
        "bukan, layanan kepegawaian selama diblokir: untuk diperiksa BKN.",
        "{action} decided on {decision_date} (effective {effective_date}) while SIASN held the NIP's data "
        "blocked (since {block_start}). It may be the disciplinary sanction the PPK imposed (check "
        "I'DIS); if not, a personnel service while blocked: for BKN's investigation.",
    ),
    "imut.reason.possible_retaliation": (
        "{action} atas ASN yang tercatat dalam kasus netralitas {case_id} (sejak {known_since}), "
        "diputuskan {decision_date} oleh pimpinan instansinya dalam masa {window_first} s.d. "
        "{window_last} ({event}): untuk diperiksa BKN.",
        "{action} of an ASN who appears in neutrality case {case_id} (since {known_since}), decided on "
        "{decision_date} by the head of their instansi within the window {window_first} to "
        "{window_last} ({event}): for BKN's investigation.",
    ),
    "imut.provisional": (
        "Sementara: cuti bersama tahun {years} belum ditetapkan; batas waktu dapat mundur.",
        "Provisional: the cuti bersama of {years} are not yet decreed; the deadline may move later.",
    ),
    # What happened to a stored finding.
    "imut.closed.no_longer_holds": (
        "Ditutup: evaluasi ulang per {as_of} tidak lagi menemukan pelanggaran ini.",
        "Closed: re-evaluated as of {as_of}, the rule no longer finds this.",
    ),
    "imut.note.withdrawn": (
        "Ditarik di sumber (I-MUT) pada {withdrawn_on}; pencabutan keputusan tidak menghapus pelanggaran. "
        "Bila catatan itu salah input, steward menolak temuan ini.",
        "Withdrawn at the source (I-MUT) on {withdrawn_on}; revoking a decision does not cure a breach. "
        "If the record was entered by mistake, a steward dismisses this finding.",
    ),
    "imut.note.region_assumed": (
        "Wilayah pejabat penetap tidak diisi di I-MUT; dinilai dengan jadwal pemilihan yang berlaku umum "
        "(tanpa jadwal khusus wilayah).",
        "I-MUT left the deciding official's region blank; judged by the election dates that apply by "
        "default (no region's own dates).",
    ),
    "imut.closed.duplicate": (
        "Ditutup: tindakan {action_id} adalah pengiriman ulang SK yang sama (NIP, nomor dan tanggal SK) "
        "dengan tindakan {original}; temuannya ada pada tindakan itu.",
        "Closed: action {action_id} delivers the same decision (NIP, SK number and date) again as action "
        "{original}; the findings are on that one.",
    ),
    "imut.closed.corrected": (
        "Ditutup: tindakan {action_id} ditarik di sumber dan SK yang sama (NIP dan nomor SK) dikirim "
        "lagi sebagai tindakan {original} dengan tanggal SK yang dikoreksi; temuannya ada pada tindakan itu.",
        "Closed: action {action_id} was withdrawn at the source and the same SK (NIP and SK number) is "
        "delivered again as action {original} with its date corrected; the findings are on that one.",
    ),
    "imut.reopened.withdrawn": (
        "Tindakan ditarik di sumber (I-MUT) pada {withdrawn_on}; pencabutan keputusan tidak menghapus "
        "pelanggaran: mohon ditinjau kembali (tolak bila catatan itu salah input).",
        "The action was withdrawn at the source (I-MUT) on {withdrawn_on}; revoking a decision does not "
        "cure a breach: please review again (dismiss it if the record was entered by mistake).",
    ),
    "imut.reopened.basis_changed": (
        "Dasar temuan berubah sejak keputusan steward ({changed}); mohon ditinjau kembali.",
        "What the finding rests on changed since the steward's decision ({changed}); please review again.",
    ),
    # Labels for enum values used as parameters.
    "action.mutasi": ("Mutasi", "Transfer"),
    "action.rotasi": ("Rotasi", "Rotation"),
    "action.promosi": ("Promosi", "Promotion"),
    "action.demosi": ("Demosi", "Demotion"),
    "action.pemberhentian_dari_jabatan": ("Pemberhentian dari jabatan", "Removal from post"),
    "action.pengangkatan": ("Pengangkatan", "Appointment"),
    "post_class.jpt_madya": ("JPT Madya", "JPT Madya"),
    "post_class.jpt_pratama": ("JPT Pratama", "JPT Pratama"),
    "post_class.administrator": ("Administrator", "Administrator"),
    "post_class.pengawas": ("Pengawas", "Pengawas"),
    "post_class.fungsional_tugas_tambahan": (
        "fungsional dengan tugas tambahan memimpin unit",
        "functional official leading a unit",
    ),
    "post_class.lainnya": ("lainnya", "other"),
    "role.kepala_daerah": ("kepala daerah definitif", "definitive regional head"),
    "role.pj_kepala_daerah": ("Pj kepala daerah", "acting (Pj) regional head"),
    "role.plt_kepala_daerah": ("Plt kepala daerah", "caretaker (Plt) regional head"),
    "role.pimpinan_instansi": ("pimpinan instansi", "head of the instansi"),
    "role.lainnya": ("pejabat lain", "another official"),
}

_LABELLED = ("action", "post_class", "role")
REGION_ASSUMED_PARAM = "region_assumed"
"""A finding's parameter saying it was judged by the national (``*``) row because I-MUT left the
decider's region blank: its reason then ends with the ``imut.note.region_assumed`` note."""
WITHDRAWN_PARAM = "withdrawn_on"
"""A finding's parameter naming the day I-MUT withdrew its action: its reason then ends with the
``imut.note.withdrawn`` note (a withdrawal does not close a finding, DOMAIN: revoking does not cure)."""


def text(key: str, language: Language = "en") -> str:
    """The text of a key in a language (``KeyError`` for an unknown key)."""
    indonesian, english = MESSAGES[key]
    return indonesian if language == "id" else english


def render(key: str, params: Mapping[str, str], language: Language = "en") -> str:
    """A message with its parameters filled in; enum-valued parameters are said through their labels.
    With a ``withdrawn_on`` parameter a finding's reason (``imut.reason.*``) ends with the withdrawal note."""
    said = {
        name: text(f"{name}.{value}", language) if name in _LABELLED else _said(value, language)
        for name, value in params.items()
    }
    message = text(key, language).format(**said)
    if params.get(REGION_ASSUMED_PARAM) and key.startswith("imut.reason."):
        message += " " + text("imut.note.region_assumed", language)
    withdrawn_on = params.get(WITHDRAWN_PARAM)
    if withdrawn_on and key.startswith("imut.reason."):
        message += " " + text("imut.note.withdrawn", language).format(
            withdrawn_on=_said(withdrawn_on, language)
        )
    return message


def _said(value: str, language: Language) -> str:
    """A parameter as the reader reads it: a date (stored ISO, ``2024-06-10``) in words, as the legal
    bases beside it write theirs (``10 Juni 2024``); anything else as stored."""
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return said_date(date.fromisoformat(value), language)
        except ValueError:
            return value
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
