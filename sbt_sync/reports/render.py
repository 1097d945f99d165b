"""The recap as a terminal table, CSV, XLSX (openpyxl) or PNG (matplotlib)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Literal

from sbt_sync.reports.recap import NO_EVENT, Recap

Format = Literal["table", "csv", "xlsx", "png"]


def _titled_tables(recap: Recap) -> list[tuple[str | None, list[list[Any]]]]:
    """The main table, blocked NIPs by Kanreg and, when there are any, proven cases with no
    identified ASN by Kanreg (a table of zeros would only push the others off the screen)."""
    tables: list[tuple[str | None, list[list[Any]]]] = [
        (None, recap.table()),
        ("NIP diblokir per Kanreg", recap.kanreg_table()),
    ]
    unidentified = recap.unidentified_table()
    if len(unidentified[0]) > 1:
        tables.append(("Terbukti, tanpa ASN teridentifikasi, per Kanreg instansi", unidentified))
    return tables


def as_text(recap: Recap, *, as_of: str | None = None) -> str:
    """Aligned columns: the main table, then blocked NIPs (and unidentified proven cases) by Kanreg."""
    lines = [f"Rekapitulasi nasional netralitas ASN{f' per {as_of}' if as_of else ''}", ""]
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
    table = recap.table()
    kanreg = recap.kanreg_table()
    unidentified = recap.unidentified_table()
    writer.writerow(
        [
            *table[0],
            *(f"Kanreg {k}" for k in kanreg[0][1:]),
            *(f"Tanpa ASN teridentifikasi, Kanreg {k}" for k in unidentified[0][1:]),
        ]
    )
    for row, blocks, unknown in zip(table[1:], kanreg[1:], unidentified[1:], strict=True):
        writer.writerow([*row, *blocks[1:], *unknown[1:]])
    return out.getvalue()


def write_xlsx(recap: Recap, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Rekap"
    for row in recap.table():
        sheet.append(row)
    blocks = book.create_sheet("Blokir per Kanreg")
    for row in recap.kanreg_table():
        blocks.append(row)
    unidentified = book.create_sheet("Tanpa ASN per Kanreg")
    for row in recap.unidentified_table():
        unidentified.append(row)
    for ws in (sheet, blocks, unidentified):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "B2"
    book.save(path)


def write_png(recap: Recap, path: Path, *, as_of: str | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = recap.table()
    # Cases of no election event are complaints: nothing of them is on the funnel.
    events = [row[0] for row in table[1:-1] if row[0] != NO_EVENT]
    figure, (funnel, kanreg) = plt.subplots(1, 2, figsize=(13, 5))
    funnel_columns = ["reported", "recommended", "sanctioned", "not_followed_up", "blocked"]
    width = 0.8 / max(1, len(events))
    for n, event in enumerate(events):
        counts = recap.events[event].counts
        xs = [i + n * width for i in range(len(funnel_columns))]
        funnel.bar(xs, [counts[c] for c in funnel_columns], width, label=event)
    funnel.set_xticks([i + width * (len(events) - 1) / 2 for i in range(len(funnel_columns))])
    funnel.set_xticklabels(["Dilaporkan", "Direkomendasikan", "Dihukum", "Belum TL", "Diblokir"], rotation=20)
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
            write_xlsx(recap, output)
        else:
            write_png(recap, output, as_of=as_of)
        return None
    text = as_text(recap, as_of=as_of) if fmt == "table" else as_csv(recap)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    return text
