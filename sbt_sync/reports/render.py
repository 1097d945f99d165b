"""The recap as a terminal table, CSV, XLSX (openpyxl) or PNG (matplotlib)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal
from zoneinfo import ZoneInfo

from sbt_sync.imut.elections import event_name
from sbt_sync.reports.recap import NO_EVENT, TOTAL, Recap

Format = Literal["table", "csv", "xlsx", "png"]


def named(table: list[list[Any]]) -> list[list[Any]]:
    """A recap table (first column: the election) with each election code said by its name from the
    election calendar ("Pilkada serentak 2024" for ``PILKADA-2024``): what a reader of the files sees."""
    return [table[0]] + [
        [row[0] if row[0] in (NO_EVENT, TOTAL) else event_name(row[0]), *row[1:]] for row in table[1:]
    ]


def _titled_tables(recap: Recap) -> list[tuple[str | None, list[list[Any]]]]:
    """The main table, blocked and unblocked NIPs by Kanreg and, when there are any, proven cases with no
    identified ASN by Kanreg (a table of zeros would only push the others off the screen)."""
    tables: list[tuple[str | None, list[list[Any]]]] = [
        (None, named(recap.table())),
        ("NIP diblokir per Kanreg", named(recap.kanreg_table())),
        ("NIP dibuka blokirnya per Kanreg", named(recap.unblock_kanreg_table())),
    ]
    unidentified = named(recap.unidentified_table())
    if len(unidentified[0]) > 1:
        tables.append(("Terbukti, tanpa ASN teridentifikasi, per Kanreg instansi", unidentified))
    return tables


def as_text(recap: Recap, *, as_of: str | None = None) -> str:
    """Aligned columns: the main table, then blocked NIPs (and unidentified proven cases) by Kanreg."""
    lines = [f"Rekapitulasi nasional netralitas ASN{f' per {as_of}' if as_of else ''}"]
    if recap.as_of is not None:
        lines.append(f"Sanksi dan berhenti dari dinas dihitung per {recap.as_of.isoformat()}")
    lines.append("")
    for title, table in _titled_tables(recap):
        if title:
            lines.append(title)
        widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
        for n, row in enumerate(table):
            cells = [
                str(v).ljust(w) if i == 0 else str(v).rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  ".join(cells))
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def as_csv(recap: Recap) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    table = named(recap.table())
    kanreg = recap.kanreg_table()
    unblocks = recap.unblock_kanreg_table()
    unidentified = recap.unidentified_table()
    writer.writerow(
        [
            *table[0],
            *(f"Kanreg {k}" for k in kanreg[0][1:]),
            *(f"Dibuka blokirnya, Kanreg {k}" for k in unblocks[0][1:]),
            *(f"Tanpa ASN teridentifikasi, Kanreg {k}" for k in unidentified[0][1:]),
        ]
    )
    for row, blocks, lifted, unknown in zip(
        table[1:], kanreg[1:], unblocks[1:], unidentified[1:], strict=True
    ):
        writer.writerow([*row, *blocks[1:], *lifted[1:], *unknown[1:]])
    return out.getvalue()


TITLE = "Rekapitulasi nasional netralitas ASN"
CSV_ENCODING = "utf-8-sig"
"""CSV files carry a BOM: Excel then reads them as UTF-8, and Indonesian names keep their letters."""


def as_of_now(zone: str, now: datetime | None = None) -> str:
    """The instant a report is made, as people in ``zone`` (the deployment's) read it:
    ``2026-12-03 20:30 WIB``."""
    moment = (now or datetime.now(UTC)).astimezone(ZoneInfo(zone))
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname() or zone}"


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its tab name, its title (row 1), and its rows (the first is the header)."""

    name: str
    title: str
    rows: Sequence[Sequence[Any]]
    freeze_first_column: bool = False


UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters no XLSX cell can hold (XML 1.0 forbids them; openpyxl raises on them), as a source's
text may carry them (a broken export, a terminal escape)."""
REPLACEMENT = "\ufffd"


def xlsx_value(value: Any) -> Any:
    """``value`` as a workbook cell takes it: None as empty, text with each character of
    :data:`UNWRITABLE` shown as the replacement mark (the CSV downloads keep the exact text)."""
    if value is None:
        return ""
    return UNWRITABLE.sub(REPLACEMENT, value) if isinstance(value, str) else value


HEADER_ROW = 4
"""Title in row 1, the as-of line in row 2, an empty row, then the header (frozen) and the data."""


def write_sheets(target: Path | IO[bytes], sheets: Sequence[Sheet], *, as_of: str | None) -> None:
    """An XLSX workbook of ``sheets``: each with its title, the as-of line (``Per ...``), a bold header
    row frozen on screen (with the first column when asked) and column widths fitted to the content
    (8 to 60 characters). ``target`` is a path or a binary stream (a download)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for spec in sheets:
        sheet = book.create_sheet(spec.name[:31])
        sheet.append([xlsx_value(spec.title)])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([f"Per {as_of}" if as_of else ""])
        sheet["A2"].font = Font(italic=True)
        sheet.append([])
        for row in spec.rows:
            sheet.append([xlsx_value(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":  # a source's text that starts with "=" stays text, never a formula
                    cell.data_type = "s"
        for cell in sheet[HEADER_ROW]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE7EE")
        sheet.freeze_panes = f"{'B' if spec.freeze_first_column else 'A'}{HEADER_ROW + 1}"
        columns = max((len(r) for r in spec.rows), default=0)
        for index in range(columns):
            longest = max((len(str(r[index])) for r in spec.rows if index < len(r) and r[index] is not None),
                          default=0)  # fmt: skip
            sheet.column_dimensions[get_column_letter(index + 1)].width = min(60, max(8, longest + 2))
    book.save(target)


def xlsx_sheets(recap: Recap) -> list[Sheet]:
    """The recap's four tables as worksheets."""
    return [
        Sheet("Rekap", TITLE, named(recap.table()), freeze_first_column=True),
        Sheet(
            "Blokir per Kanreg",
            "NIP diblokir per Kanreg",
            named(recap.kanreg_table()),
            freeze_first_column=True,
        ),
        Sheet(
            "Buka blokir per Kanreg",
            "NIP dibuka blokirnya per Kanreg",
            named(recap.unblock_kanreg_table()),
            freeze_first_column=True,
        ),
        Sheet(
            "Tanpa ASN per Kanreg",
            "Terbukti, tanpa ASN teridentifikasi, per Kanreg instansi",
            named(recap.unidentified_table()),
            freeze_first_column=True,
        ),
    ]


def write_xlsx(recap: Recap, path: Path | IO[bytes], *, as_of: str | None = None) -> None:
    """The recap as a workbook (:func:`write_sheets`): the main table, blocks and unidentified
    proven cases by Kanreg."""
    write_sheets(path, xlsx_sheets(recap), as_of=as_of)


def write_png(recap: Recap, path: Path | IO[bytes], *, as_of: str | None = None) -> None:
    """The recap as a chart: each election's funnel and the blocked NIPs per Kanreg. Every label is drawn
    as plain text: a Kanreg comes from the registry as free text, and matplotlib would otherwise read
    ``$...$`` in it as mathematics (and fail on what does not parse)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"text.parse_math": False}):
        table = recap.table()
        # Cases of no election event are complaints: nothing of them is on the funnel.
        events = [row[0] for row in table[1:-1] if row[0] != NO_EVENT]
        figure, (funnel, kanreg) = plt.subplots(1, 2, figsize=(13, 5))
        funnel_columns = ["reported", "recommended", "sanctioned", "not_followed_up", "blocked"]
        width = 0.8 / max(1, len(events))
        for n, event in enumerate(events):
            counts = recap.events[event].counts
            xs = [i + n * width for i in range(len(funnel_columns))]
            funnel.bar(xs, [counts[c] for c in funnel_columns], width, label=event_name(event))
        funnel.set_xticks([i + width * (len(events) - 1) / 2 for i in range(len(funnel_columns))])
        funnel.set_xticklabels(
            ["Dilaporkan", "Direkomendasikan", "Dihukum", "Belum TL", "Diblokir"], rotation=20
        )
        funnel.legend()
        funnel.set_title("Per pemilihan")
        total = recap.events[table[-1][0]].blocks_by_kanreg
        names = recap.kanreg_table()[0][1:]
        kanreg.bar(names, [total[k] for k in names], color="#b03a2e")
        kanreg.set_title("NIP diblokir per Kanreg")
        figure.suptitle(f"Rekapitulasi netralitas ASN{f' per {as_of}' if as_of else ''}")
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)


def render(recap: Recap, fmt: Format, output: Path | None, *, as_of: str | None = None) -> str | None:
    """Text for ``table``/``csv`` (also written to ``output`` when given); files for xlsx/png."""
    if fmt in ("xlsx", "png"):
        if output is None:
            raise ValueError(f"--output is required for {fmt}")
        if fmt == "xlsx":
            write_xlsx(recap, output, as_of=as_of)
        else:
            write_png(recap, output, as_of=as_of)
        return None
    text = as_text(recap, as_of=as_of) if fmt == "table" else as_csv(recap)
    if output is not None:
        output.write_text(text, encoding=CSV_ENCODING if fmt == "csv" else "utf-8")
    return text
