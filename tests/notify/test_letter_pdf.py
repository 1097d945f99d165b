"""Golden tests of the letters' PDFs: the text pypdf extracts from each step's letter, rendered from
the committed default templates (sbt_sync/letters/templates), equals the reviewed text in ``golden/``.

Regenerate after a deliberate template change with ``SBT_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from pypdf import PdfReader

from sbt_sync.letters.draft import letter_context
from sbt_sync.letters.model import LetterCase, LetterPlan, next_step
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
