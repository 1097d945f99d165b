"""Downloads where people look and decisions people can read (issue 19, items 4 and 5), both backends.

Over HTTP on the role world (tests/console/conftest.py): the dashboard's recap as XLSX (title, as-of in
the deployment's zone, frozen header, fitted widths, the numbers of :func:`build_recap`, the function
``sbt-sync report recap`` calls), CSV (with a BOM) and PNG; quarantined rows and the audit log as CSV
and XLSX with the page's filters, an agency viewer's scope, and an audit entry per download; a resolved
conflict's decision in words with who, when, why and a link to its audit entry; the audit log's
before/after as changes per field.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, AuditEntry, Conflict, QuarantinedRow
from sbt_sync.reports.recap import build_recap
from sbt_sync.reports.render import HEADER_ROW, TITLE, as_csv, named
from sbt_sync.steward.scope import case_visible
from tests.console.conftest import NIP_B, World, csrf_of

BOM = b"\xef\xbb\xbf"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
AS_OF = re.compile(r"^Per \d{4}-\d{2}-\d{2} \d{2}:\d{2} WIB$")  # the test project's zone: Asia/Jakarta


def _book(response: Any) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert response.headers["content-disposition"].startswith("attachment;")
    return load_workbook(io.BytesIO(response.content))


def _table(sheet: Worksheet) -> list[list[Any]]:
    """The header and data rows under the title and as-of lines."""
    return [list(r) for r in sheet.iter_rows(min_row=HEADER_ROW, values_only=True)]


def _csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith(BOM), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(response.content[len(BOM) :].decode("utf-8"))))


def _exports(database: Database, action: str) -> list[dict[str, Any]]:
    with database.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        entries = session.scalars(query)
        return [{"actor": e.actor_name, **(e.after or {})} for e in entries]


def test_the_dashboards_recap_xlsx_has_title_as_of_frozen_header_widths_and_the_clis_numbers(
    world: World,
) -> None:
    steward = world.login("steward")
    dashboard = steward.get("/").text
    assert 'href="/recap.xlsx"' in dashboard and 'href="/recap.png"' in dashboard

    book = _book(steward.get("/recap.xlsx"))
    assert book.sheetnames == ["Rekap", "Blokir per Kanreg", "Buka blokir per Kanreg", "Tanpa ASN per Kanreg"]
    sheet = book["Rekap"]
    assert sheet["A1"].value == TITLE
    assert AS_OF.match(sheet["A2"].value), sheet["A2"].value
    assert sheet.freeze_panes == f"B{HEADER_ROW + 1}"  # the header row and the event column stay
    assert all(cell.font.bold for cell in sheet[HEADER_ROW])
    expected = named(build_recap(world.database).table())
    assert not any(re.fullmatch(r"[A-Z]+-?\d{4}", str(row[0])) for row in expected)  # elections by name
    assert _table(sheet) == expected
    for index, header in enumerate(expected[0], start=1):
        width = sheet.column_dimensions[sheet.cell(HEADER_ROW, index).column_letter].width
        assert width >= min(60, len(str(header)) + 2), header
    recommended = expected[0].index("Direkomendasikan")
    assert expected[-1][recommended] == 2  # both agencies' cases are proven: the file is not empty

    rows = _csv_rows(steward.get("/recap.csv"))
    assert rows == list(csv.reader(io.StringIO(as_csv(build_recap(world.database)))))


def test_an_agency_viewer_downloads_the_recap_of_their_own_cases(world: World) -> None:
    viewer = world.login("viewer")
    sheet = _book(viewer.get("/recap.xlsx"))["Rekap"]
    theirs = named(build_recap(world.database, only=case_visible(("bawaslu",))).table())
    assert _table(sheet) == theirs
    recommended = theirs[0].index("Direkomendasikan")
    assert theirs[-1][recommended] == 1  # Kemendagri's case is not counted for Bawaslu


def test_the_dashboards_png_chart_is_a_real_png(world: World) -> None:
    response = world.login("auditor").get("/recap.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_MAGIC)
    image_module = pytest.importorskip("PIL.Image")
    with image_module.open(io.BytesIO(response.content)) as image:
        image.verify()
        assert image.format == "PNG" and image.size[0] > 500


def test_quarantine_downloads_honour_the_pages_filters_the_viewers_scope_and_are_audited(
    world: World,
) -> None:
    with world.database.session() as session:
        session.add(
            QuarantinedRow(source="kemendagri", file_name="kmd-2.csv", row_number=3, column="nama",
                           check="text", value='=HYPERLINK("http://x")', reason="formula", status="ignored")
        )  # fmt: skip
    steward = world.login("steward")
    page = steward.get("/quarantine?source=kemendagri&status=open").text
    assert 'href="/quarantine.csv?source=kemendagri&amp;status=open"' in page

    rows = _csv_rows(steward.get("/quarantine.csv?source=kemendagri&status=open"))
    assert rows[0][:3] == ["No.", "Sumber", "Berkas:baris"]
    assert rows[0][-1] == "Kode sumber"
    assert [(r[1], r[2], r[7], r[-1]) for r in rows[1:]] == [
        ("Laporan tindak lanjut Kemendagri", "kmd-1.csv:7", "impossible date", "kemendagri")
    ]

    book = _book(steward.get("/quarantine.xlsx?status=all&lang=en"))
    sheet = book.active
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}" and AS_OF.match(sheet["A2"].value)
    assert sheet["A1"].value.startswith("Quarantined rows")
    table = _table(sheet)
    assert table[0][1] == "Source" and {r[-1] for r in table[1:]} == {"bawaslu", "kemendagri"}
    assert all(r[1] not in ("bawaslu", "kemendagri") for r in table[1:])  # by name; the code comes last
    assert len(table) == 4
    formula = next(c for c in sheet["G"] if c.value == '=HYPERLINK("http://x")')
    assert formula.data_type == "s"  # a source's text, never a formula a spreadsheet would run
    csv_all = _csv_rows(steward.get("/quarantine.csv?status=ignored"))
    assert csv_all[1][6] == '\'=HYPERLINK("http://x")'

    viewer = world.login("viewer")
    theirs = _csv_rows(viewer.get("/quarantine.csv?status=all"))
    assert [r[3] for r in theirs[1:]] == ["REG-Z"]  # Bawaslu's row only
    assert viewer.get("/quarantine.xlsx?source=kemendagri").status_code == 403

    logged = _exports(world.database, "quarantine.export")
    assert [(e["actor"], e["format"], e["filter"], e["rows"]) for e in logged] == [
        ("steward", "csv", {"source": "kemendagri", "status": "open"}, 1),
        ("steward", "xlsx", {"status": "all"}, 3),
        ("steward", "csv", {"status": "ignored"}, 1),
        ("viewer", "csv", {"status": "all"}, 1),
    ]


def sanction_candidates(database: Database, conflict_id: int) -> None:
    """Give the world's sanction conflict real jenisHukuman codes (21, 22) offered by I'DIS and
    Kemendagri, so the decision can be said with the sanction's name."""
    with database.session() as session:
        conflict = session.get(Conflict, conflict_id)
        assert conflict is not None
        conflict.candidates = [
            {"value": 21, "source": "idis", "record": 1},
            {"value": 22, "source": "kemendagri", "record": 2},
        ]


def _resolve(client: TestClient, conflict_id: int, value: str, reason: str) -> None:
    response = client.post(
        f"/conflicts/{conflict_id}/resolve",
        data={"value": value, "reason": reason, "csrf_token": csrf_of(client, f"/conflicts/{conflict_id}")},
    )
    assert response.status_code == 303, response.text


def _resolve_entry(database: Database, conflict_id: int) -> int:
    with database.session() as session:
        entry = session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.action == "conflict.resolve", AuditEntry.object_id == str(conflict_id)
            )
        )
    assert entry is not None
    return entry


def test_audit_downloads_honour_the_filters_and_are_audited(world: World) -> None:
    steward = world.login("steward")
    _resolve(steward, world.ids["conflict_a"], "H1", "I'DIS mencatat hukuman yang dijatuhkan PPK")
    response = steward.post(
        f"/quarantine/{world.ids['quarantine_b']}/status",
        data={"status": "ignored", "reason": "tanggal sudah dikoreksi", "csrf_token": csrf_of(steward, "/")},
    )
    assert response.status_code == 303
    page = steward.get("/audit?action=conflict.").text
    assert 'href="/audit.xlsx?action=conflict."' in page

    auditor = world.login("auditor")
    rows = _csv_rows(auditor.get("/audit.csv?action=conflict."))
    assert rows[0][:4] == ["id", "at", "actor_name", "action"]
    assert [r[3] for r in rows[1:]] == ["conflict.resolve"]

    sheet = _book(auditor.get("/audit.xlsx?action=quarantine.")).active
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}" and AS_OF.match(sheet["A2"].value)
    assert "action=quarantine." in sheet["A1"].value
    table = _table(sheet)
    assert table[0][3:5] == ["Tindakan", "Kode tindakan"]
    assert [r[3:5] for r in table[1:]] == [["Karantina: diabaikan", "quarantine.ignored"]]
    kemendagri = "Laporan tindak lanjut Kemendagri (kemendagri)"
    assert table[1][7] == f"Status: terbuka → diabaikan\nSumber: – → {kemendagri}"

    logged = _exports(world.database, "audit.export")
    assert [(e["actor"], e["format"], e["filter"], e["rows"]) for e in logged] == [
        ("auditor", "csv", {"action": "conflict."}, 1),
        ("auditor", "xlsx", {"action": "quarantine."}, 1),
    ]


def test_a_resolved_field_conflict_shows_the_decision_in_words_with_who_when_why_and_its_audit_entry(
    world: World,
) -> None:
    conflict = world.ids["conflict_a"]
    sanction_candidates(world.database, conflict)
    steward = world.login("steward")
    _resolve(steward, conflict, "21", "I'DIS mencatat hukuman yang dijatuhkan PPK")
    entry = _resolve_entry(world.database, conflict)

    page = world.login("auditor").get(f"/conflicts/{conflict}").text
    decision = page[page.index('id="decisions"') :]
    assert "Dipilih: Sanksi moral pernyataan secara terbuka (21) dari I&#39;DIS" in decision
    assert "{&#39;value&#39;" not in page and "{'value'" not in page  # no Python text
    assert "Diputuskan oleh</dt><dd>steward" in decision
    assert "I&#39;DIS mencatat hukuman yang dijatuhkan PPK" in decision
    assert re.search(r"Waktu</dt><dd>\d{4}-\d{2}-\d{2} \d{2}:\d{2} Asia/Jakarta", decision)
    assert f'<a href="/audit?entry={entry}">Entri audit #{entry}</a>' in decision
    english = world.login("auditor").get(f"/conflicts/{conflict}?lang=en").text
    assert "Chosen: Moral sanction: public statement (21) from I&#39;DIS" in english
    assert "Decided by" in english

    # The agency viewer sees the decision (their case) but not the audit log it links to.
    viewer_page = world.login("viewer").get(f"/conflicts/{conflict}").text
    assert "/audit?entry=" not in viewer_page

    audit = world.login("auditor").get(f"/audit?entry={entry}").text
    assert f"Entri audit #{entry}" in audit
    assert audit.count('<tr id="entry-') == 1
    assert "Konflik diselesaikan" in audit
    assert f'<a href="/conflicts/{conflict}">Konflik {conflict}</a>' in audit  # back to what it changed
    assert "<b>Status</b>: <del>terbuka</del> → <ins>diselesaikan</ins>" in audit
    # the basis the decision was taken on is recorded beside the change, not shown as removed
    assert '<li class="muted"><b>Dasar keputusan (hash)</b>: b-a</li>' in audit
    assert "<b>Keputusan</b>: <del>–</del> → <ins>value: 21</ins>" in audit
    raw = audit[audit.index("<details") :]  # the raw JSON behind a disclosure, for auditors
    assert "JSON asli" in raw and '"decision_id": ' in raw
    english_audit = world.login("auditor").get(f"/audit?entry={entry}&lang=en").text
    assert "Conflict resolved" in english_audit and "<b>Decision</b>" in english_audit
    assert "<del>open</del> → <ins>resolved</ins>" in english_audit


def test_a_resolved_identity_conflict_names_the_chosen_person_and_the_row_source(world: World) -> None:
    with world.database.session() as session:
        session.add(
            AsnRegistryEntry(
                nip=NIP_B, siasn_id="S-B", name="Siti Aminah", name_normalised="siti aminah",
                birth_date=date(1990, 2, 2), gender="F", kind="PNS", instansi_id="X1",
                instansi_name="Pemkab Contoh", kanreg_id="II", status_id="01", status_name="Aktif",
                content_hash="r-b", source_updated_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )  # fmt: skip
    conflict = world.ids["conflict_b"]
    steward = world.login("steward")
    _resolve(steward, conflict, NIP_B, "Nama, tanggal lahir dan instansi cocok")
    page = steward.get(f"/conflicts/{conflict}").text
    decision = page[page.index('id="decisions"') :]
    assert f"Dipilih: NIP {NIP_B} (Siti Aminah) dari Kemendagri" in decision
    assert "{&#39;nip&#39;" not in page
    entry = _resolve_entry(world.database, conflict)
    audit = steward.get(f"/audit?entry={entry}").text
    # the audit log keeps the NIP masked, as the entry was written
    assert f"<b>Keputusan</b>: <del>–</del> → <ins>nip: {'*' * 14}{NIP_B[-4:]}</ins>" in audit


def test_the_clis_recap_files_are_the_dashboards_downloads(
    world: World, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sbt-sync report recap`` writes the same XLSX layout (title, as-of, widths, frozen header) and
    the same CSV bytes (BOM included) as the dashboard's downloads: one writer serves both."""
    monkeypatch.setenv("SBT_DATABASE_URL", world.database.url)
    config = ["--config", str(project_dir / "sbt.yaml")]
    for fmt in ("xlsx", "csv"):
        result = CliRunner().invoke(
            app, [*config, "report", "recap", "--format", fmt, "-o", str(tmp_path / f"r.{fmt}")]
        )
        assert result.exit_code == 0, result.output
    steward = world.login("steward")
    ours, theirs = load_workbook(tmp_path / "r.xlsx"), _book(steward.get("/recap.xlsx"))
    assert ours.sheetnames == theirs.sheetnames
    for name in ours.sheetnames:
        cli_sheet, web_sheet = ours[name], theirs[name]
        assert cli_sheet["A1"].value == web_sheet["A1"].value and AS_OF.match(cli_sheet["A2"].value)
        assert cli_sheet.freeze_panes == web_sheet.freeze_panes == f"B{HEADER_ROW + 1}"
        assert _table(cli_sheet) == _table(web_sheet)
        widths = {k: d.width for k, d in cli_sheet.column_dimensions.items()}
        assert widths == {k: d.width for k, d in web_sheet.column_dimensions.items()} and widths
    assert (tmp_path / "r.csv").read_bytes() == steward.get("/recap.csv").content


def _visible(page: str) -> str:
    """A page's text as a person sees it (tags, scripts and the raw-JSON details left out)."""
    page = re.sub(r"<(script|style|details)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_audit_log_names_roles_moments_objects_and_unknown_names_in_words(world: World) -> None:
    # the world's accounts and tokens were added with the CLI: user.add (a role) and token.create
    # (an expiry in UTC); a login is about a session, a resolution about a conflict
    steward = world.login("steward")
    _resolve(steward, world.ids["conflict_a"], "H1", "cek")
    stranger = world.client()
    stranger.post(
        "/login", data={"username": "sandi-rahasia", "password": "x", "csrf_token": csrf_of(stranger)}
    )
    admin = world.login("admin")
    shown = _visible(admin.get("/audit").text)
    assert "Peran : – → pemantau instansi" in shown and "agency_viewer" not in shown
    assert "Berlaku sampai" in shown and "expires_at" not in shown
    assert re.search(r"Berlaku sampai : – → \d{4}-\d{2}-\d{2} \d{2}:\d{2} WIB", shown)
    assert "+00:00" not in shown
    for words in ("Sesi", "Pengguna", "Konflik 1", "(nama pengguna tidak dikenal)"):
        assert words in shown, words
    assert not re.search(r"\b(session|user|conflict)\b(?!\.)", shown)  # action codes stay beside words
    assert "sandi-rahasia" not in shown
    admin.get("/lang/en")
    english = _visible(admin.get("/audit").text)
    assert "Role : – → agency viewer" in english and "Valid until" in english and "Session" in english
    table = _table(_book(admin.get("/audit.xlsx?action=user.add")).active)
    assert {row[5] for row in table[1:]} == {"User"}  # the object in words in the sheet too
    assert any("Role: – → agency viewer" in row[7] for row in table[1:])
