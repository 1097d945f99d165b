"""The PPK compliance report on a small sandbox run through the real pipeline (ingestion,
reconciliation, enforcement and letters through Dagster at the manifest's ``as_of``), on both
backends: its numbers per election and instansi equal counts computed here from the ground truth
(truth/cases.jsonl, truth/enforcement.json and the 10-day deadline rule, written out below), and its
CSV, XLSX and PDF carry the title and the as-of day."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from sbt_sync.imut.elections import event_name
from sbt_sync.reports.compliance import build_compliance
from sbt_sync.reports.compliance_model import ComplianceReport
from sbt_sync.reports.compliance_render import as_csv, write_pdf, write_xlsx
from tests.ingest.conftest import SandboxProject
from tests.reconcile.conftest import as_of_project, as_of_sandbox, small_truth_data

__all__ = ["as_of_project", "as_of_sandbox", "small_truth_data"]  # the fixtures this module reuses

pytestmark = pytest.mark.integration

FOLLOW_UP_DAYS = 10
"""sbt.yaml's enforcement.follow_up_days, the truth's DEFAULT policy (truth/README.md)."""
UNRECOMMENDED = {"tidak_dilaporkan", "menunggu_verifikasi", "tidak_terbukti", "ditolak"}
Group = tuple[str, str]


def _truth(data_dir: Path) -> tuple[date, dict[Group, dict[str, Any]], set[str], Counter[str]]:
    """Per (event, instansi): the counts the report must show, computed from the ground truth; the
    recommendation numbers of KASN-era recommendations not followed up past the deadline; and the
    recommendations received per issuer (KASN when KASN alone recommended, else BKN, which ranks
    first)."""
    truth = data_dir / "truth"
    enforcement = json.loads((truth / "enforcement.json").read_text(encoding="utf-8"))
    as_of_instant = datetime.fromisoformat(enforcement["as_of"])
    as_of = as_of_instant.date()
    known = {c["case_id"]: c for c in enforcement["cases"]}
    blocked_nips = {n["nip"]: set(n["blocking_cases"]) for n in enforcement["nips"] if n["blocked"]}
    groups: dict[Group, dict[str, Any]] = defaultdict(lambda: {"counts": Counter(), "overdue": []})
    dossier: set[str] = set()
    issuers: Counter[str] = Counter()
    for line in (truth / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        state = known[case["case_id"]]
        if state["stage"] in UNRECOMMENDED:
            continue
        group = groups[(case["event"], case["instansi_id"])]
        counts: Counter[str] = group["counts"]
        counts["received"] += 1
        kasn_only = {r["source"] for r in case["source_records"]} & {"kasn", "bkn_wasdal"} == {"kasn"}
        issuers["KASN" if kasn_only else "BKN"] += 1
        deadline = date.fromisoformat(case["tanggal_rekomendasi"]) + timedelta(days=FOLLOW_UP_DAYS)
        annulled = case["dibatalkan"] and datetime.fromisoformat(case["dibatalkan"]) <= as_of_instant
        if annulled:
            counts["annulled"] += 1
        elif state["stage"] == "dijatuhi_hukuman":
            late = (date.fromisoformat(case["tanggal_sk"]) - deadline).days
            counts["followed_up"] += 1
            counts["late" if late > 0 else "on_time"] += 1
            if late > 0:
                group["overdue"].append(late)
        elif state["stage"] == "meninggalkan_dinas":
            counts["left_service"] += 1
        elif state["held"]:
            counts["held"] += 1
        elif as_of > deadline:
            counts["not_followed_up"] += 1
            group["overdue"].append((as_of - deadline).days)
            if kasn_only:
                dossier.add(case["nomor_rekomendasi"])
        else:
            counts["pending"] += 1
        for action in state["actions"]:
            counts[action["action"]] += 1
        group.setdefault("blocked", set()).update(
            nip for nip, cases in blocked_nips.items() if case["case_id"] in cases
        )
    return as_of, groups, dossier, issuers


def _ours(report: ComplianceReport) -> dict[Group, dict[str, Any]]:
    found: dict[Group, dict[str, Any]] = {}
    for row in report.rows:
        counts = Counter({k: v for k, v in row.counts.items() if v and k != "followed_up_undated"})
        # sbt.yaml adds early warnings; the truth's DEFAULT policy has none (truth/README.md).
        counts.update({k: v for k, v in row.steps.items() if v and k != "peringatan_dini"})
        found[(row.event, row.instansi_id)] = {
            "counts": counts,
            "median": row.median_overdue,
            "worst": row.worst_overdue,
            "blocked": len(row.blocked_nips),
        }
    return found


def _run_cycle(project: SandboxProject, database: Database, as_of: date) -> None:
    definitions = build_definitions(config_path=str(project.config_path), database_url=database.url)
    day = {"config": {"as_of": as_of.isoformat()}}
    result = definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(
        raise_on_error=False, run_config={"ops": {"enforcement__block_state": day}}
    )
    assert result.success, [str(e.event_specific_data) for e in result.get_step_failure_events()]


def test_compliance_counts_equal_the_ground_truth_and_exports_carry_title_and_as_of(
    as_of_project: SandboxProject, migrated_database: Database, tmp_path: Path
) -> None:
    as_of, truth, dossier, issuers = _truth(as_of_project.data_dir)
    _run_cycle(as_of_project, migrated_database, as_of)

    report = build_compliance(
        migrated_database, as_of=as_of, follow_up_days=FOLLOW_UP_DAYS, nip_display="middle"
    )

    want: dict[Group, dict[str, Any]] = {
        group: {
            "counts": Counter({k: v for k, v in g["counts"].items() if v}),
            "median": statistics.median(g["overdue"]) if g["overdue"] else None,
            "worst": max(g["overdue"]) if g["overdue"] else None,
            "blocked": len(g.get("blocked", ())),
        }
        for group, g in truth.items()
    }
    got = _ours(report)
    assert sum(g["counts"]["not_followed_up"] for g in want.values()) > 0  # the scenario exercises it
    assert sum(g["counts"]["late"] for g in want.values()) > 0
    differing = {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
    assert differing == {}
    # Kemendagri: exactly the regional governments (instansi.csv: not "pusat") with cases unanswered.
    with (as_of_project.data_dir / "instansi.csv").open(encoding="utf-8", newline="") as handle:
        regional = {row["id"] for row in csv.DictReader(handle) if row["jenis"] != "pusat"}
    assert {(r.event, r.instansi_id) for r in report.escalation} == {
        k for k, g in want.items() if k[1] in regional and g["counts"]["not_followed_up"]
    }
    assert {d.recommendation_no for d in report.dossier} == dossier
    assert report.escalation and report.dossier  # the scenario exercises both lists
    assert any(r.letters for r in report.rows)  # and the cycle wrote letters the report names
    assert all("*" in d.nip for d in report.dossier)  # masked as the deployment's letters show them
    by_issuer = {
        issuer: build_compliance(
            migrated_database, as_of=as_of, follow_up_days=FOLLOW_UP_DAYS, nip_display="middle", issuer=issuer
        )
        for issuer in ("KASN", "BKN")
    }
    assert {i: sum(r.counts["received"] for r in found.rows) for i, found in by_issuer.items()} == issuers
    assert not by_issuer["BKN"].dossier  # the dossier is the KASN era's

    title = f"Laporan kepatuhan PPK, per {as_of.isoformat()}"
    text = as_csv(report, "summary")
    assert text.startswith(f"# {title}")
    assert len(list(csv.reader(io.StringIO(text.split("\n", 1)[1])))) == len(report.rows) + 1
    write_xlsx(report, tmp_path / "kepatuhan.xlsx")
    book = load_workbook(tmp_path / "kepatuhan.xlsx")
    assert book.sheetnames == ["Kepatuhan PPK", "Kemendagri", "Rekomendasi Presiden"]
    sheet = book["Kepatuhan PPK"]
    assert str(sheet["A1"].value).startswith(title)
    assert sheet.freeze_panes == "A4" and sheet["E3"].value == "Rekomendasi diterima"
    assert sheet.max_row == 3 + len(report.rows)
    assert sheet.column_dimensions["B"].width > 8
    write_pdf(report, tmp_path / "kepatuhan.pdf", lang="en")
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "kepatuhan.pdf").pages)
    assert f"PPK compliance report, as of {as_of.isoformat()}" in pdf_text
    assert "Regional PPKs for Kemendagri" in pdf_text

    runner = CliRunner(env={"SBT_DATABASE_URL": migrated_database.url, **as_of_project.env})
    out = tmp_path / "cli.csv"
    command = ["--config", str(as_of_project.config_path), "report", "compliance", "--format", "csv"]
    result = runner.invoke(app, [*command, "--out", str(out), "--sort", "not_followed_up", "--lang", "en"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").split("\n", 1)[1].splitlines()))
    assert [int(r["Not followed up"]) for r in rows] == sorted(
        (g["counts"]["not_followed_up"] for g in want.values()), reverse=True
    )
    pdf = tmp_path / "cli.pdf"
    result = runner.invoke(app, [*command[:-1], "pdf", "--out", str(pdf), "--event", "PILKADA-2020"])
    assert result.exit_code == 0, result.output
    assert f"as of {as_of.isoformat()}" in result.output
    first_page = PdfReader(pdf).pages[0].extract_text()
    assert f"Laporan kepatuhan PPK, per {as_of.isoformat()}" in first_page
    assert event_name("PILKADA-2020") in first_page and event_name("PILKADA-2024") not in first_page
