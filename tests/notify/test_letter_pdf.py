"""Golden tests of the letters' PDFs: the text pypdf extracts from each step's letter, rendered from
the committed default templates (sbt_sync/letters/templates), equals the reviewed text in ``golden/``.

Regenerate after a deliberate template change with ``SBT_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from sbt_sync.letters.context import letter_context
from sbt_sync.letters.model import LetterCase, LetterPlan, StepCandidate, mask_nip, next_step, resumed_words
from sbt_sync.letters.notices import plan_notices
from sbt_sync.letters.render import DEFAULT_TEMPLATES, html_to_pdf, render_html, template_environment
from sbt_sync.settings import EnforcementSettings, LetterSettings, Settings

GOLDEN = Path(__file__).parent / "golden"
DAY = date(2024, 12, 12)


def plan(step: str) -> LetterPlan:
    policy = EnforcementSettings()
    deadline = date(2024, 12, 11)
    cases = tuple(
        LetterCase(
            case_key=f"PILKADA-2024-{i}",
            nip=f"1980**********100{i}",
            name=name,
            recommendation_no=f"{1200 + i}/B-AK.02.02/SD/F/2024",
            recommendation_date=date(2024, 12, 1),
            sanction=sanction,
            deadline=deadline,
            next_step=next_step(step, deadline, policy),
            warned_by="0041/B-AK.02.02/SD/F/2024 tanggal 11 Desember 2024" if step == "teguran" else None,
        )
        for i, (name, sanction) in enumerate(
            [
                ("Drs. BUDI SANTOSO, M.Si.", "Sanksi moral terbuka"),
                ("SITI AMINAH, S.Pd.", "Teguran tertulis"),
            ],
            start=1,
        )
    )
    return LetterPlan("ID-Sampang", "Pemerintah Kabupaten Sampang", step, DAY, cases, (1, 2))


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).strip() + "\n"


@pytest.mark.parametrize("step", ["peringatan_dini", "peringatan", "teguran"])
def test_each_steps_letter_reads_as_the_golden_text(step: str) -> None:
    context = letter_context(Settings(), plan(step), "0042/B-AK.02.02/SD/F/2024")
    html = render_html(template_environment(DEFAULT_TEMPLATES), step, context)
    pdf = html_to_pdf(html, title=context["hal"], created=datetime.combine(DAY, time(12), UTC))
    text = pdf_text(pdf)
    golden = GOLDEN / f"{step}.txt"
    if os.environ.get("SBT_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    # The same letter renders to the same bytes (its sha256 identifies it).
    assert pdf == html_to_pdf(html, title=context["hal"], created=datetime.combine(DAY, time(12), UTC))


def test_letter_settings_refuse_a_number_pattern_without_a_sequence() -> None:
    with pytest.raises(ValueError, match="must contain"):
        LetterSettings(number_pattern="B-AK.02.02/SD/F/{year}")


def notice_plan() -> LetterPlan:
    """The notice of 6 January 2025 to Sampang, from the real planning rule: two withdrawn annulments
    whose teguran had gone before them. The first case (deadline 11 December, annulled 28 December
    after its block day) is blocked again; the second (deadline 25 December, teguran 1 January,
    annulled 3 January) is blocked on 8 January unless its PPK acts."""
    day = date(2025, 1, 6)
    candidates = [
        StepCandidate(
            action_id=0,
            action="pemberitahuan",
            due_on=day,
            case_id=i,
            case_key=f"PILKADA-2024-{i}",
            nip=f"19800101200501100{i}",
            name=name,
            instansi_id="ID-Sampang",
            instansi_name="Pemerintah Kabupaten Sampang",
            recommendation_no=f"{1200 + i}/B-AK.02.02/SD/F/2024",
            recommendation_date=deadline - timedelta(days=10),
            deadline=deadline,
            sanction=sanction,
            later_steps=frozenset(),
            ended=False,
            resumed=resumed_words(annulled, day, reblocked=reblocked),
            reblocked_on=day if reblocked else None,
        )
        for i, (name, sanction, deadline, annulled, reblocked) in enumerate(
            [
                (
                    "Drs. BUDI SANTOSO, M.Si.",
                    "Sanksi moral terbuka",
                    date(2024, 12, 11),
                    date(2024, 12, 28),
                    True,
                ),
                ("SITI AMINAH, S.Pd.", "Teguran tertulis", date(2024, 12, 25), date(2025, 1, 3), False),
            ],
            start=1,
        )
    ]
    (notice,) = plan_notices(
        candidates, letter_day=day, policy=EnforcementSettings(), letters=LetterSettings(nip_display="middle")
    )
    return notice


def test_the_notice_of_a_withdrawn_annulment_reads_as_the_golden_text() -> None:
    """The notice (``pemberitahuan``, migration 0028) renders from the committed template like the
    steps' letters: in words, each case's reason and the block back (or what comes next)."""
    notice = notice_plan()
    day = notice.letter_day
    context = letter_context(Settings(), notice, "0001/B-AK.02.02/SD/F/2025")
    html = render_html(template_environment(DEFAULT_TEMPLATES), "pemberitahuan", context)
    pdf = html_to_pdf(html, title=context["hal"], created=datetime.combine(day, time(12), UTC))
    text = pdf_text(pdf)
    golden = GOLDEN / "pemberitahuan.txt"
    if os.environ.get("SBT_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    assert pdf == html_to_pdf(html, title=context["hal"], created=datetime.combine(day, time(12), UTC))


@pytest.mark.parametrize("display", ["full", "middle"])
@pytest.mark.parametrize("step", ["peringatan_dini", "peringatan", "teguran", "pemberitahuan"])
def test_no_word_of_a_letters_table_breaks_inside(step: str, display: str) -> None:
    """A PPK reads each heading word, NIP and BKN-style recommendation number whole: a column narrower
    than its longest word broke "direkomendasikan" and "1201/B-AK.02.02/SD/F/2024" across two lines."""
    letter = notice_plan() if step == "pemberitahuan" else plan(step)
    cases = tuple(
        replace(c, nip=mask_nip(f"19800101200501100{i}", display))
        for i, c in enumerate(letter.cases, start=1)
    )
    letter = replace(letter, cases=cases)
    context = letter_context(Settings(), letter, "0042/B-AK.02.02/SD/F/2024")
    html = render_html(template_environment(DEFAULT_TEMPLATES), step, context)
    text = pdf_text(html_to_pdf(html, title=context["hal"], created=datetime.combine(DAY, time(12), UTC)))
    words = set(text.split())
    heading = "No NIP Nama Nomor dan tanggal rekomendasi Sanksi direkomendasikan Batas waktu Tahap berikutnya"
    assert set(heading.split()) <= words
    for case in cases:
        assert case.nip in words
        assert f"{case.recommendation_no}," in words


def _fonts_of(pdf: bytes) -> dict[str, set[str]]:
    """``{text shown: base fonts it is shown in}`` over every page of ``pdf``."""
    shown: dict[str, set[str]] = {}

    def visit(text: str, _cm: object, _tm: object, font: dict[str, Any] | None, _size: float) -> None:
        if text.strip() and font is not None:
            shown.setdefault(text.strip(), set()).add(str(font.get("/BaseFont", "")).lstrip("/"))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return shown


@pytest.mark.parametrize("step", ["peringatan_dini", "peringatan", "teguran", "pemberitahuan"])
def test_a_letters_tables_read_in_plain_left_aligned_type(step: str) -> None:
    """Only the letterhead, the column headings and the words a template marks stand out: fpdf2 drew
    every cell of both tables in bold (its tables take the font of the letter's first words, the bold
    letterhead) and spread each cell's words to both edges ("Drs.      BUDI", "Sanksi      moral")."""
    letter = notice_plan() if step == "pemberitahuan" else plan(step)
    context = letter_context(Settings(), letter, "0042/B-AK.02.02/SD/F/2024")
    html = render_html(template_environment(DEFAULT_TEMPLATES), step, context)
    pdf = html_to_pdf(html, title=context["hal"], created=datetime.combine(DAY, time(12), UTC))
    fonts = _fonts_of(pdf)
    assert fonts["BADAN KEPEGAWAIAN NEGARA"] == {"Helvetica-Bold"}
    assert fonts["NIP"] == {"Helvetica-Bold"}  # a column heading
    assert fonts["Nomor"] == {"Helvetica"}  # the letter's own details, above the salutation
    in_bold = {word for text, used in fonts.items() if used != {"Helvetica"} for word in text.split()}
    in_plain = {word for text, used in fonts.items() if "Helvetica" in used for word in text.split()}
    for case in letter.cases:
        cells = {case.nip, *case.name.split(), f"{case.recommendation_no},", *case.sanction.split()}
        assert cells <= in_plain
        assert not cells & in_bold - {"Sanksi"}  # a column heading says "Sanksi direkomendasikan"
    # Justified text is drawn with word spacing (``Tw``); a letter's tables and paragraphs use none.
    for page in PdfReader(io.BytesIO(pdf)).pages:
        content = page.get_contents()
        assert content is not None
        assert " Tw " not in content.get_data().decode("latin-1")


def test_a_ruled_tables_text_keeps_clear_of_its_rules() -> None:
    """The cases' table drew each row's first line against the rule above it (about 2 pt between the
    letters' tops and the line): each cell now has air above and below its text."""
    context = letter_context(Settings(), plan("teguran"), "0042/B-AK.02.02/SD/F/2024")
    html = render_html(template_environment(DEFAULT_TEMPLATES), "teguran", context)
    pdf = html_to_pdf(html, title=context["hal"], created=datetime(2024, 12, 12, tzinfo=UTC))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    content = page.get_contents()
    assert content is not None
    # Horizontal rules as drawn: "x y m x2 y l S".
    drawn = content.get_data().decode("latin-1")
    rules = {float(y) for y in re.findall(r"[\d.]+ ([\d.]+) m [\d.]+ \1 l S", drawn)}
    shown: list[tuple[str, float]] = []
    page.extract_text(visitor_text=lambda text, _cm, tm, _f, _s: shown.append((text.strip(), tm[5])))
    heading = next(y for text, y in shown if text == "No")
    size = 8.0  # the table's type size (base.html's <font size="8">), in points
    # The rule above the headings and the one under them (above the first case's row).
    for rule in (min(r for r in rules if r > heading), max(r for r in rules if r < heading)):
        first_line = max(y for text, y in shown if text and y < rule)
        clearance = rule - first_line - 0.72 * size  # Helvetica's capitals reach 0.72 em
        assert clearance >= 3.5, (rule, clearance)


LONG_NAME = "Prof. Dr. Hj. SRI WAHYUNINGSIH KUSUMAWARDHANI, S.Pd., M.Si."


@pytest.mark.parametrize("step", ["peringatan_dini", "peringatan", "teguran"])
def test_a_letters_table_prints_each_nip_and_name_whole(step: str) -> None:
    """A NIP shown in full and a long name with titles: fpdf2 breaks a word wider than its cell inside
    the word, so a narrow column printed the name in pieces (``WAHYUNIN`` / ``GSIH``)."""
    base = plan(step)
    cases = tuple(replace(c, nip="198001012005011001", name=LONG_NAME) for c in base.cases)
    context = letter_context(Settings(), replace(base, cases=cases), "0042/B-AK.02.02/SD/F/2024")
    html = render_html(template_environment(DEFAULT_TEMPLATES), step, context)
    words = pdf_text(
        html_to_pdf(html, title=context["hal"], created=datetime.combine(DAY, time(12), UTC))
    ).split()
    for word in [*LONG_NAME.split(), "198001012005011001"]:  # in both rows
        assert words.count(word) >= 2, (word, words)
    for word in [
        "1201/B-AK.02.02/SD/F/2024,",
        "1202/B-AK.02.02/SD/F/2024,",
        "direkomendasikan",
        "berikutnya",
    ]:
        assert word in words, (word, words)
