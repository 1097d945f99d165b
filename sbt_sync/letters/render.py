"""Letters rendered from the deployment's Jinja2 HTML templates to PDF (fpdf2, pure Python).

Templates live in the folder ``notify.letters.templates_dir`` names (default: the committed
``sbt_sync/letters/templates/``, which a deployment copies to edit), one per step:
``peringatan_dini.html``, ``peringatan.html`` and ``teguran.html``; BKN edits them without touching
code. fpdf2 renders the HTML subset it knows (headings, paragraphs, bold and italics, tables, lists).
The PDF is deterministic: the same letter renders to the same bytes (its creation date is the letter's),
so its sha256 identifies it.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fpdf import FPDF
from fpdf.html import HTML2FPDF
from fpdf.util import Padding

from sbt_sync.errors import ConfigError

DEFAULT_TEMPLATES = Path(__file__).parent / "templates"
_TYPOGRAPHY = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)


def template_environment(folder: Path) -> jinja2.Environment:
    """A Jinja2 environment over ``folder`` that escapes HTML and refuses undefined names. A template
    the folder lacks (a deployment's copy made before a letter kind was added, such as the notice
    ``pemberitahuan.html``) is the packaged one, inside the folder's own ``base.html``."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: letter templates folder not found (notify.letters.templates_dir)")
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(str(folder)), jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES))]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(environment: jinja2.Environment, step: str, context: dict[str, Any]) -> str:
    """The letter for ``step`` as HTML; ``ConfigError`` naming the template when it cannot render."""
    name = f"{step}.html"
    try:
        return environment.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        raise ConfigError(f"letter template {name}: {exc}") from exc


def latin1(text: str) -> str:
    """``text`` in the characters the PDF's core fonts carry (accents folded, others as '?')."""
    text = text.translate(_TYPOGRAPHY)
    folded = unicodedata.normalize("NFKC", text)
    return folded.encode("latin-1", "replace").decode("latin-1")


_CELL_AIR_MM = 0.8


class _LetterHTML(HTML2FPDF):
    """fpdf2's HTML reader with three corrections for letters' tables.

    - A table takes its cells' font from the document's font at its first row, which is whatever the
      letter's first words left behind (the bold letterhead): every cell came out bold. The font is
      set to the text's own emphasis where each table starts (regular, outside ``<b>``).
    - A cell's words were spread to both edges (fpdf2's tables justify by default): a cell without
      an ``align`` of its own, or of its row, is aligned left. Headings stay centred.
    - A ruled table's (``border``) text touched the rule above it: its cells get a little air above
      and below, unless the template gives a ``cellpadding``.
    """

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.pdf.set_font(style=self.font_emphasis.style)
        super().handle_starttag(tag, attrs)
        given = dict(attrs)
        if tag == "table" and self.table is not None and given.get("border") and "cellpadding" not in given:
            # fpdf2 draws a ruled cell's text against its top and bottom borders: a little air above
            # and below (none beside it: the text already keeps its margin from the sides).
            # fpdf2's reader builds the Table itself and reads only one cellpadding for all four sides,
            # so the table's own (private) padding is set; fpdf2 is pinned in constraints.txt and
            # tests/notify/test_letter_pdf.py measures the clearance, so an upgrade that moves it fails.
            self.table._padding = Padding.new((_CELL_AIR_MM, 0, _CELL_AIR_MM, 0))
        own = self.td_th if tag == "td" else None
        if own is not None and "align" not in own and not (self.tr or {}).get("align"):
            own["align"] = "LEFT"


class _LetterPDF(FPDF):
    HTML2FPDF_CLASS = _LetterHTML


def html_to_pdf(html: str, *, title: str, created: datetime) -> bytes:
    """An A4 PDF of ``html``; the same input always gives the same bytes."""
    pdf = _LetterPDF(format="A4")
    pdf.set_creation_date(created)
    pdf.set_title(latin1(title))
    pdf.set_author("Badan Kepegawaian Negara")
    pdf.set_creator("sbt-sync")
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    pdf.set_font("helvetica", size=9)
    pdf.write_html(latin1(html))
    return bytes(pdf.output())
