"""The PPK compliance report as tables (Bahasa Indonesia or English titles), CSV, XLSX and PDF.

Three tables: the summary per event and instansi, the Kemendagri escalation list (regional heads
with recommendations not followed up past the deadline) and the KASN-era dossier for a Presidential
recommendation. Every rendering carries its title and the as-of day.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sbt_sync.imut.elections import event_name
from sbt_sync.reports.compliance_model import STEPS, ComplianceReport, ComplianceRow, DossierRow
from sbt_sync.reports.render import xlsx_value
from sbt_sync.steward.audit import csv_cell

Lang = Literal["id", "en"]
Table = Literal["summary", "kemendagri", "dossier"]
TABLES: tuple[Table, ...] = ("summary", "kemendagri", "dossier")

TITLES: dict[Lang, dict[str, str]] = {
    "id": {
        "summary": "Laporan kepatuhan PPK",
        "kemendagri": "Daftar PPK daerah untuk Kemendagri",
        "dossier": "Berkas Rekomendasi Presiden (rekomendasi KASN)",
        "as_of": "per",
        "window": "batas waktu tindak lanjut {days} hari sejak rekomendasi",
        "held_now": "Ditahan: tahanan yang masih berlaku saat laporan dibuat",
    },
    "en": {
        "summary": "PPK compliance report",
        "kemendagri": "Regional PPKs for Kemendagri",
        "dossier": "Presidential recommendation dossier (KASN recommendations)",
        "as_of": "as of",
        "window": "follow-up deadline {days} days from the recommendation",
        "held_now": "Held: holds still in force when the report was made",
    },
}
_STEP_WORDS = {
    "peringatan_dini": ("Peringatan dini", "Early warnings"),
    "peringatan": ("Peringatan", "Warnings"),
    "teguran": ("Teguran", "Reprimands"),
    "pemblokiran": ("Pemblokiran", "Blocks"),
    "buka_blokir": ("Buka blokir", "Unblocks"),
    "pemberitahuan": ("Pemberitahuan", "Notices"),
}
"""Each step's column heading (a count)."""
_STEP_NAMES = {
    step: (words[0], english)
    for (step, words), english in zip(
        _STEP_WORDS.items(),
        ("Early warning", "Warning", "Reprimand", "Block", "Unblock", "Notice"),
        strict=True,
    )
}
"""One step in words, as the letter numbers and the dossier's steps name it."""


def _letters(row: ComplianceRow, lang: Lang = "id") -> str:
    """Each step's letter numbers after the step's name in words (``Teguran: 0002/...``)."""
    name = 1 if lang == "en" else 0
    parts = [
        f"{_STEP_NAMES[step][name]}: {', '.join(sorted(row.letters[step]))}"
        for step in STEPS
        if row.letters.get(step)
    ]
    return "; ".join(parts)


def _dossier_steps(row: DossierRow, lang: Lang = "id") -> str:
    """The steps BKN took, each in words with its day (``Peringatan 2024-12-11``), or ``-``."""
    name = 1 if lang == "en" else 0
    return ", ".join(f"{_STEP_NAMES[step][name]} {day.isoformat()}" for step, day in row.steps) or "-"


SUMMARY: list[tuple[str, str, str, Callable[[ComplianceRow], Any]]] = [
    ("event", "Pemilihan", "Election", lambda r: event_name(r.event)),
    ("instansi", "Instansi", "Instansi", lambda r: r.instansi),
    ("ppk", "PPK", "PPK", lambda r: r.ppk),
    ("issuer", "Penerbit rekomendasi", "Issuer", lambda r: ", ".join(sorted(r.issuers))),
    ("received", "Rekomendasi diterima", "Recommendations", lambda r: r.counts["received"]),
    ("followed_up", "Ditindaklanjuti", "Followed up", lambda r: r.counts["followed_up"]),
    ("on_time", "Tepat waktu", "Within deadline", lambda r: r.counts["on_time"]),
    ("late", "Terlambat", "Late", lambda r: r.counts["late"]),
    ("not_followed_up", "Belum ditindaklanjuti", "Not followed up", lambda r: r.counts["not_followed_up"]),
    ("pending", "Belum jatuh tempo", "Not yet due", lambda r: r.counts["pending"]),
    ("held", "Ditahan", "Held", lambda r: r.counts["held"]),
    ("annulled", "Dibatalkan", "Annulled", lambda r: r.counts["annulled"]),
    ("left_service", "ASN berhenti", "ASN left service", lambda r: r.counts["left_service"]),
    ("median_overdue", "Median hari terlambat", "Median days overdue", lambda r: r.median_overdue),
    ("worst_overdue", "Terlambat terlama (hari)", "Worst days overdue", lambda r: r.worst_overdue),
    *((step, words[0], words[1], (lambda r, s=step: r.steps[s])) for step, words in _STEP_WORDS.items()),
    ("letters", "Nomor surat", "Letter numbers", _letters),
    ("blocked_nips", "NIP diblokir", "NIPs blocked", lambda r: len(r.blocked_nips)),
]
SORT_KEYS = tuple(key for key, *_ in SUMMARY)
KEMENDAGRI: list[tuple[str, str, Callable[[ComplianceRow], Any]]] = [
    ("Pemilihan", "Election", lambda r: event_name(r.event)),
    ("Instansi", "Instansi", lambda r: r.instansi),
    ("Kepala daerah (PPK)", "Regional head (PPK)", lambda r: r.ppk),
    ("Belum ditindaklanjuti", "Not followed up", lambda r: r.counts["not_followed_up"]),
    ("Terlambat terlama (hari)", "Worst days overdue", lambda r: r.worst_overdue),
    ("Nomor rekomendasi", "Recommendation numbers", lambda r: ", ".join(r.open_recommendations)),
    ("Nomor surat", "Letter numbers", _letters),
    ("Bukti penyampaian", "Proof of delivery", lambda r: _delivered(r)),
]
DOSSIER: list[tuple[str, str, Callable[[DossierRow], Any]]] = [
    ("Pemilihan", "Election", lambda d: event_name(d.event)),
    ("Instansi", "Instansi", lambda d: d.instansi),
    ("PPK", "PPK", lambda d: d.ppk),
    ("Nomor rekomendasi", "Recommendation no.", lambda d: d.recommendation_no),
    ("Tanggal rekomendasi", "Recommendation date", lambda d: d.recommendation_date),
    ("Batas waktu", "Deadline", lambda d: d.deadline),
    ("Hari terlambat", "Days overdue", lambda d: d.days_overdue),
    ("NIP", "NIP", lambda d: d.nip),
    ("Nama ASN (belum dijatuhi hukuman)", "ASN not sanctioned", lambda d: d.name),
    ("Langkah pengendalian", "Control steps", _dossier_steps),
    ("Nomor surat", "Letter numbers", lambda d: d.letters),
    ("Bukti penyampaian", "Proof of delivery", lambda d: d.delivery),
]


def _delivered(row: ComplianceRow) -> str:
    """Each letter a PIC of the PPK received, with the day (as the dossier's proof of delivery), by
    day: numbers start again each year, so ``0001/.../2025`` comes after ``0002/.../2024``."""
    received = sorted(row.delivered.items(), key=lambda item: (item[1], item[0]))
    return "; ".join(f"{no} ({day.isoformat()})" for no, day in received) or "-"


def sorted_rows(report: ComplianceReport, sort: str | None) -> list[ComplianceRow]:
    """The summary rows ordered by ``sort`` (a key of :data:`SORT_KEYS`): numbers largest first,
    text alphabetically; ties keep the event and instansi order. ``ValueError`` for an unknown key."""
    if sort is None:
        return list(report.rows)
    getters = {key: get for key, _, _, get in SUMMARY}
    if sort not in getters:
        raise ValueError(f"unknown sort column {sort!r}; one of {', '.join(SORT_KEYS)}")
    get = getters[sort]
    values = [get(r) for r in report.rows]
    if all(isinstance(v, (int, float)) or v is None for v in values):
        return sorted(report.rows, key=lambda r: -(get(r) if get(r) is not None else -1))
    return sorted(report.rows, key=lambda r: str(get(r)))


def table(
    report: ComplianceReport, which: Table, lang: Lang = "id", sort: str | None = None
) -> list[list[Any]]:
    """Header row, then the rows of ``which``."""
    en = lang == "en"

    def cell(get: Callable[[ComplianceRow], Any], row: ComplianceRow) -> Any:
        return _letters(row, lang) if get is _letters else get(row)

    if which == "summary":
        header = [en_ if en else id_ for _, id_, en_, _ in SUMMARY]
        return [header, *([cell(get, r) for *_, get in SUMMARY] for r in sorted_rows(report, sort))]
    if which == "kemendagri":
        wanted = {(r.event, r.instansi_id) for r in report.escalation}
        rows = [r for r in sorted_rows(report, sort) if (r.event, r.instansi_id) in wanted]
        return [
            [c[1] if en else c[0] for c in KEMENDAGRI],
            *([cell(c[2], r) for c in KEMENDAGRI] for r in rows),
        ]
    return [
        [c[1] if en else c[0] for c in DOSSIER],
        *(
            [_dossier_steps(d, lang) if c[2] is _dossier_steps else c[2](d) for c in DOSSIER]
            for d in report.dossier
        ),
    ]


def heading(report: ComplianceReport, which: Table, lang: Lang = "id") -> str:
    words = TITLES[lang]
    window = words["window"].format(days=report.follow_up_days)
    title = f"{words[which]}, {words['as_of']} {report.as_of.isoformat()} ({window})"
    # Only the summary counts holds; when a hold ended is not recorded (compliance.py).
    return f"{title}; {words['held_now']}" if which == "summary" and report.holds_as_now else title


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _csv_cell(value: Any) -> Any:
    """A CSV value a spreadsheet never runs as a formula: source text (a name, an instansi, a number
    of a recommendation) that starts with ``=``, ``+``, ``-`` or ``@`` is quoted with ``'``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return csv_cell(value)


def as_csv(
    report: ComplianceReport, which: Table = "summary", *, lang: Lang = "id", sort: str | None = None
) -> str:
    """One table as CSV, its first line the title with the as-of day (``#``, as a comment)."""
    out = io.StringIO()
    out.write(f"# {heading(report, which, lang)}\n")
    writer = csv.writer(out, lineterminator="\n")
    for row in table(report, which, lang, sort):
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


def write_xlsx(report: ComplianceReport, path: Path, *, lang: Lang = "id", sort: str | None = None) -> None:
    """One sheet per table (:func:`write_titled_sheets`)."""
    names = {"summary": "Kepatuhan PPK", "kemendagri": "Kemendagri", "dossier": "Rekomendasi Presiden"}
    if lang == "en":
        names = {"summary": "PPK compliance", "kemendagri": "Kemendagri", "dossier": "Presidential"}
    sheets = [(names[w], heading(report, w, lang), table(report, w, lang, sort)) for w in TABLES]
    write_titled_sheets(path, sheets)


def write_titled_sheets(path: Path, sheets: Sequence[tuple[str, str, list[list[Any]]]]) -> None:
    """An XLSX workbook, one sheet per ``(name, title, rows)``: the title in row 1, the header (the
    first of ``rows``) in row 3 (bold, frozen), column widths fitted to the content (capped)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, title, rows in sheets:
        sheet = book.create_sheet(name)
        sheet.append([xlsx_value(title)])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append([])
        for row in rows:
            sheet.append([xlsx_value(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":  # a source's text that starts with "=" stays text, never a formula
                    cell.data_type = "s"
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A4"
        for index in range(1, len(rows[0]) + 1):
            longest = max(len(str(_cell(r[index - 1]))) for r in rows)
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, longest + 2))
    book.save(path)


PDF_VALUE_WIDTH = 55.0
"""The widest a column grows for its values (mm); longer values wrap at their spaces."""
PDF_SMALLEST_FONT = 3.5


def _pdf_layout(
    pdf: Any, rows: list[list[Any]], size: float, text: Callable[[Any], str]
) -> tuple[float, tuple[float, ...]]:
    """The font size and column widths (mm) of one table: every column at least as wide as the longest
    word of its heading (bold) and of its values, so no word breaks inside, and as wide as its longest
    value, each up to :data:`PDF_VALUE_WIDTH`; the font shrinks (to :data:`PDF_SMALLEST_FONT`) until
    the columns fit the page. fpdf2 then spreads the widths over the page, in proportion. A word wider
    than :data:`PDF_VALUE_WIDTH` (a source's name with no space in it) breaks inside its cell: were its
    column as wide as the word, the others would shrink below one character and fpdf2 would refuse."""
    columns = [[text(value) for value in column] for column in zip(*rows, strict=True)]
    while True:
        widths: list[float] = []
        for heading_cell, *values in columns:
            pdf.set_font("helvetica", style="B", size=size)
            words = [pdf.get_string_width(word) for word in heading_cell.split()]
            pdf.set_font("helvetica", style="", size=size)
            words += [pdf.get_string_width(word) for value in values for word in value.split()]
            whole = max((pdf.get_string_width(value) for value in values), default=0.0)
            widest = max([whole, *words])
            widths.append(min(widest, PDF_VALUE_WIDTH) + 2 * pdf.c_margin + 0.5)
        if sum(widths) <= pdf.epw or size <= PDF_SMALLEST_FONT:
            return size, tuple(widths)
        size = max(PDF_SMALLEST_FONT, size - 0.5)


def write_pdf(report: ComplianceReport, path: Path, *, lang: Lang = "id", sort: str | None = None) -> None:
    """A landscape A4 PDF: each table under its title and as-of line (fpdf2's table, core fonts)."""
    from fpdf import FPDF

    from sbt_sync.letters.render import latin1

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_creation_date(datetime.combine(report.as_of, datetime.min.time()))
    pdf.set_title(latin1(TITLES[lang]["summary"]))
    pdf.set_author("Badan Kepegawaian Negara")
    pdf.set_creator("sbt-sync")
    pdf.set_margins(8, 10, 8)
    for which in TABLES:
        pdf.add_page()
        pdf.set_font("helvetica", style="B", size=11)
        pdf.multi_cell(0, 6, latin1(heading(report, which, lang)), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        rows = table(report, which, lang, sort)
        size, widths = _pdf_layout(pdf, rows, 6.0, lambda value: latin1(str(_cell(value))))
        pdf.set_font("helvetica", size=size)
        with pdf.table(
            first_row_as_headings=True, text_align="LEFT", line_height=3, col_widths=widths
        ) as grid:
            for row in rows:
                line = grid.row()
                for value in row:
                    line.cell(latin1(str(_cell(value))))
    pdf.output(str(path))


def as_text(
    report: ComplianceReport, which: Table = "summary", *, lang: Lang = "id", sort: str | None = None
) -> str:
    """One table in aligned columns under its title (numbers right-aligned)."""
    return aligned_text(heading(report, which, lang), table(report, which, lang, sort))


def aligned_text(title: str, table_rows: list[list[Any]]) -> str:
    """A header row and its rows in aligned columns under ``title`` (numeric columns right-aligned)."""
    rows = [[str(_cell(v)) for v in row] for row in table_rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    numeric = [
        all(r[i].replace(".", "", 1).isdigit() or not r[i] for r in rows[1:]) for i in range(len(widths))
    ]
    lines = [title, ""]
    for n, row in enumerate(rows):
        cells = [
            v.rjust(w) if numeric[i] and n else v.ljust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
