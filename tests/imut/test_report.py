"""The I-MUT report: per election event and region, the actions decided in the watch window and the
findings still given by the rules, by rule, by instansi and by deciding official, with confirmed and
dismissed findings counted apart; as text, CSV and XLSX, and from ``sbt-sync imut report``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import ImutFinding
from sbt_sync.imut import report as ir
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.review import StewardChoice
from sbt_sync.imut.steward import decide_finding
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from tests.imut.builders import INSTANSI, NIP_A, action_id, ingest, payload

NOW = datetime(2024, 11, 27, 8, 0, tzinfo=UTC)
OTHER_REGION = "35.07"


def _scene(database: Database) -> None:
    """In 32.73: a replacement without approval (confirmed by a steward), one approved beforehand
    (lawful), one without approval reported late, one decided before the window. In 35.07: one
    replacement without approval by a Pj regent."""
    ingest(
        database,
        payload(1),
        payload(2, persetujuanMendagriNomor="100.2.2.6/77/OTDA", persetujuanMendagriTanggal="03-06-2024"),
        payload(3, tanggalLaporKemendagri="30-07-2024"),
        payload(4, tanggalSk="02-01-2024", tmt="08-01-2024", tanggalLaporKemendagri="03-01-2024"),
        payload(
            5,
            pejabatPenetapWilayah=OTHER_REGION,
            pejabatPenetapNama="Pj Bupati Contoh",
            pejabatPenetapPeran="pj_kepala_daerah",
        ),
    )
    with database.session() as session:
        evaluate_findings(
            session,
            elections=load_election_calendar(),
            workdays=load_working_days(),
            as_of=date(2024, 11, 27),
        )
        first = session.scalars(select(ImutFinding.id).where(ImutFinding.action_id == action_id(1))).one()
    decide_finding(database, first, choice=StewardChoice.CONFIRM, reason="SK tanpa izin", actor="siti")


def test_the_report_counts_actions_in_the_window_and_findings_per_rule_instansi_and_official(
    migrated_database: Database,
) -> None:
    _scene(migrated_database)
    built = ir.build_report(migrated_database, load_election_calendar(), now=NOW)
    regions = {(r.event_id, r.region): r for r in built.regions}
    assert set(regions) == {("pilkada-2024", "32.73"), ("pilkada-2024", OTHER_REGION)}
    home = regions[("pilkada-2024", "32.73")]
    # Actions 1-3 were decided in the window; action 4, in January, was not.
    assert home.actions == 3 and home.event_name == "Pilkada serentak 2024"
    assert home.tally.by_rule == {
        "pasal_71_2": 1,  # action 3; action 1's is confirmed, counted apart
        "pasal_162_3": 0,
        "reporting_7_working_days": 1,
        "block_breach": 0,
        "possible_retaliation": 0,
    }
    assert (home.tally.open, home.tally.confirmed, home.tally.dismissed) == (2, 1, 0)
    other = regions[("pilkada-2024", OTHER_REGION)]
    assert (other.actions, other.tally.by_rule["pasal_71_2"], other.tally.confirmed) == (1, 1, 0)
    assert [(r.region, r.about[0]) for r in built.instansi] == [("32.73", INSTANSI), (OTHER_REGION, INSTANSI)]
    officials = {(r.region, r.about) for r in built.officials}
    assert officials == {
        ("32.73", ("H. Wali Kota", "kepala_daerah")),
        (OTHER_REGION, ("Pj Bupati Contoh", "pj_kepala_daerah")),
    }
    assert built.evaluated_for == date(2024, 11, 27)
    assert (
        ir.build_report(migrated_database, load_election_calendar(), event="pemilu-2029", now=NOW).regions
        == []
    )


def test_the_report_renders_as_text_csv_and_xlsx_with_its_title_and_instant(
    migrated_database: Database, tmp_path: Path
) -> None:
    _scene(migrated_database)
    built = ir.build_report(migrated_database, load_election_calendar(), now=NOW)
    text = ir.as_text(built)
    assert "Per pejabat penetap" in text and "Pj kepala daerah" in text and NIP_A not in text
    lines = ir.as_csv(built, "regions").splitlines()
    assert lines[0].startswith("# Laporan I-MUT") and "2024-11-27T08:00:00+00:00" in lines[0]
    assert lines[1].split(",")[:3] == ["Pemilihan", "Wilayah", "Tindakan dalam masa"]
    # in words: the election's name, the region (no registry row names its government here) with its code
    assert lines[2].split(",")[:3] == ["Pilkada serentak 2024", "tidak dikenal (32.73)", "3"]
    english = ir.as_csv(built, "officials", lang="en").splitlines()
    assert "Deciding official" in english[1] and "definitive regional head" in english[2]
    path = tmp_path / "imut.xlsx"
    ir.write_xlsx(built, path)
    book = load_workbook(path)
    assert book.sheetnames == ["Per pemilihan dan wilayah", "Per instansi", "Per pejabat penetap"]
    sheet = book["Per pemilihan dan wilayah"]
    assert str(sheet["A1"].value).startswith("Laporan I-MUT") and sheet.freeze_panes == "A4"
    assert sheet["A3"].value == "Pemilihan" and sheet["A3"].font.bold
    assert sheet["C4"].value == 3 and (sheet.column_dimensions["C"].width or 0) > 8


@pytest.fixture
def cli(migrated_database: Database, project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("SBT_DATABASE_URL", migrated_database.url)
    return ["--config", str(project_dir / "sbt.yaml")]


def test_sbt_sync_imut_report_prints_and_writes_each_format(
    migrated_database: Database, cli: list[str], tmp_path: Path
) -> None:
    _scene(migrated_database)
    runner = CliRunner()
    table = runner.invoke(app, [*cli, "imut", "report", "--event", "pilkada-2024"])
    assert table.exit_code == 0, table.output
    assert "Per pemilihan dan wilayah" in table.output and "H. Wali Kota" in table.output
    csv_out = runner.invoke(app, [*cli, "imut", "report", "--format", "csv", "--table", "instansi"])
    assert csv_out.exit_code == 0 and INSTANSI in csv_out.output
    target = tmp_path / "out.xlsx"
    written = runner.invoke(app, [*cli, "imut", "report", "--format", "xlsx", "-o", str(target)])
    assert written.exit_code == 0, written.output
    assert load_workbook(target).sheetnames[0] == "Per pemilihan dan wilayah"
    assert runner.invoke(app, [*cli, "imut", "report", "--format", "xlsx"]).exit_code == 2
    assert runner.invoke(app, [*cli, "imut", "report", "--event", "nope"]).exit_code == 2


def test_a_replacement_signed_before_the_ban_and_effective_within_it_counts_as_the_elections_action(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1, tanggalSk="15-03-2024", tmt="01-04-2024"))
    with migrated_database.session() as session:
        evaluate_findings(
            session, elections=load_election_calendar(), workdays=load_working_days(), as_of=NOW.date()
        )
    built = ir.build_report(migrated_database, load_election_calendar(), now=NOW)
    [home] = built.regions
    assert (home.event_id, home.actions, home.tally.by_rule["pasal_71_2"]) == ("pilkada-2024", 1, 1)


def test_a_regional_heads_action_whose_region_i_mut_left_blank_is_counted_with_its_finding(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1, pejabatPenetapWilayah=None))
    with migrated_database.session() as session:
        evaluate_findings(
            session, elections=load_election_calendar(), workdays=load_working_days(), as_of=NOW.date()
        )
    built = ir.build_report(migrated_database, load_election_calendar(), now=NOW)
    [row] = built.regions
    assert (row.event_id, row.region, row.actions, row.tally.by_rule["pasal_71_2"]) == (
        "pilkada-2024",
        "-",
        1,
        1,
    )
