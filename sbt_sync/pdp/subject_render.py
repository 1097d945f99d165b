"""A person's own record as JSON and as an Indonesian PDF (fpdf2 with the letters' core-font setup).

The PDF lists every section of :class:`~sbt_sync.pdp.subject.SubjectReport` under its Indonesian
title, each row as ``label: value`` lines; nothing is shortened (a subject access answer is complete).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode

from sbt_sync.letters.render import latin1
from sbt_sync.pdp.subject import SECTIONS, SubjectReport

TITLES: dict[str, str] = {
    "registry": "Data identitas ASN (cermin registri SIASN)",
    "source_records": "Rekaman sumber sebagaimana diterima (beserta versi sebelumnya)",
    "staged_records": "Baris terstandar dan aturan identitas yang menautkannya",
    "cases": "Kasus (nilai emas)",
    "links": "Tautan rekaman ke kasus dan aturan yang membuatnya",
    "provenance": "Asal nilai emas (sumber dan aturan yang memilih)",
    "conflicts": "Konflik",
    "decisions": "Keputusan steward atas konflik",
    "link_corrections": "Koreksi tautan oleh steward",
    "control_actions": "Langkah pengendalian (peringatan, teguran, pemblokiran)",
    "annulments": "Pembatalan rekomendasi dan penarikannya",
    "sanction_versions": "Versi hukuman disiplin (keputusan PPK dan perubahannya setelah keberatan)",
    "letters": "Surat kepada PPK dan pengirimannya",
    "block_state": "Status blokir yang dikehendaki",
    "pushes": "Pengiriman ke SIASN (setiap percobaan dan tanda terima)",
    "siasn_readbacks": "Pembacaan ulang status di SIASN",
    "imut_findings": "Temuan I-MUT",
    "imut_decisions": "Keputusan steward atas temuan I-MUT",
    "quarantine": "Baris karantina",
    "runs": "Jejak pemrosesan: proses sinkronisasi yang menyentuh data",
    "audit": "Jejak pemrosesan: tindakan petugas (log audit)",
    "reads": "Jejak pemrosesan: siapa yang melihat data (log akses)",
}
"""Each section's title in the report (Bahasa Indonesia)."""


def to_json(report: SubjectReport) -> bytes:
    """The report as UTF-8 JSON (dates as ISO text)."""
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return str(value)


def to_pdf(report: SubjectReport, *, requested_by: str, purpose: str | None = None) -> bytes:
    """The report as an A4 PDF in Indonesian."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(report.generated_at)
    pdf.set_title(latin1("Rekaman data pribadi ASN"))
    pdf.set_author("Badan Kepegawaian Negara")
    pdf.set_creator("sbt-sync")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, *, size: float = 8, style: str = "") -> None:
        pdf.set_font("helvetica", style=style, size=size)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)

    line("Rekaman Data Pribadi Subjek Data (UU 27/2022 tentang Pelindungan Data Pribadi)", size=12, style="B")
    line(f"NIP: {report.nip}", size=10)
    line(f"Dibuat: {_when(report.generated_at)} oleh {requested_by}", size=9)
    if purpose:
        line(f"Tujuan permintaan: {purpose}", size=9)
    line(
        "Dokumen ini memuat seluruh data tentang ASN tersebut yang disimpan oleh sbt-sync: rekaman sumber "
        "sebagaimana diterima, tautan dan aturannya, nilai emas beserta asalnya, keputusan steward, "
        "langkah pengendalian dan surat, pengiriman ke SIASN beserta tanda terimanya, temuan I-MUT, serta "
        "jejak pemrosesan (proses yang menyentuh data dan siapa yang melihatnya). Data orang lain yang "
        "disebut dalam rekaman yang sama tidak dimuat: hanya jumlahnya (other_people: orang lain dalam "
        "register yang sama; other_candidates: kandidat lain dalam konflik identitas), dan NIP orang lain "
        "tertulis sebagai [NIP orang lain].",
        size=8,
    )
    counts = report.counts()
    for name in SECTIONS:
        rows = report.sections.get(name, [])
        pdf.ln(2)
        line(f"{TITLES[name]} ({counts[name]})", size=10, style="B")
        if not rows:
            line("Tidak ada.", size=8)
        for index, row in enumerate(rows, start=1):
            line(f"#{index}", size=8, style="B")
            for key, value in row.items():
                line(f"{key}: {_text(value)}", size=7)
    return bytes(pdf.output())


def _when(moment: datetime) -> str:
    return moment.strftime("%d-%m-%Y %H:%M UTC")
