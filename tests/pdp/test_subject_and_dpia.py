"""A person's own record and the DPIA annex on a database after a real full cycle (both backends).

- ``sbt-sync pdp subject NIP`` for an ASN the scenario blocks holds every source row the truth links to
  them (as received), their cases with links and provenance, and every push to SIASN the outbox made for
  the NIP, acknowledged with SIASN's reference; the PDF is written owner-only; each report is a read in
  the access log, and the next report lists it among who viewed the data.
- ``sbt-sync pdp dpia --truth`` renders the identity figures ``sbt-sync quality --truth`` reports, and the
  precision on the deployment's own decisions after a steward decides an identity conflict.
"""

from __future__ import annotations

import json
import stat
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.models import AuditEntry, Case, CaseAnnulment, Conflict, OutboxEntry, StagedRecord
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.reconcile.quality import row_id
from sbt_sync.steward.decisions import resolve_conflict
from tests.pdp.cycle import Cycled

pytestmark = pytest.mark.integration


def _cli(world: Cycled, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("SBT_DATABASE_URL", world.database.url)
    result = CliRunner().invoke(app, ["--config", str(world.config_path), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _blocked_person(world: Cycled) -> tuple[str, set[tuple[str, str, int | None]]]:
    """A NIP the truth blocks at ``as_of``, and the truth's source rows of that person available then
    and not quarantined."""
    enforcement = json.loads((world.data_dir / "truth" / "enforcement.json").read_text(encoding="utf-8"))
    nip = sorted(n["nip"] for n in enforcement["nips"] if n["blocked"])[0]
    manifest = json.loads((world.data_dir / "manifest.json").read_text(encoding="utf-8"))
    as_of = datetime.fromisoformat(manifest["clock"]["as_of"])
    visible = {
        (r["source"], r["key"], r["row"])
        for r in world.truth("source_nips.jsonl")
        if datetime.fromisoformat(r["available_at"]) <= as_of and not r["quarantined"]
    }
    rows = {
        (s["source"], s["key"], s["row"])
        for case in world.truth("cases.jsonl")
        if case["nip"] == nip
        for s in case["source_records"]
    }
    return nip, rows & visible


def test_the_subject_report_holds_every_record_the_truth_links_and_every_push(
    cycled: Cycled, monkeypatch: pytest.MonkeyPatch
) -> None:
    nip, truth_rows = _blocked_person(cycled)
    assert truth_rows  # the person has source rows the truth links to them
    report: dict[str, Any] = json.loads(_cli(cycled, monkeypatch, "pdp", "subject", nip, "--purpose", "uji"))
    staged = {row_id(s["source"], s["record_key"], s["item_no"]) for s in report["staged_records"]}
    assert truth_rows <= staged
    raw_ids = {s["raw_record_id"] for s in report["staged_records"]}
    shown = {r["id"] for r in report["source_records"]}
    # Besides the staged rows' records: records validation quarantined (never staged) that name them.
    assert raw_ids <= shown and shown - raw_ids <= {q["raw_record_id"] for q in report["quarantine"]}
    assert all(r["payload"] for r in report["source_records"])  # as received, not a summary
    assert report["cases"] and all(c["nip"] == nip for c in report["cases"] if c["nip"])
    assert {link["case_id"] for link in report["links"]} == {c["id"] for c in report["cases"]}
    assert all(link["rule"] for link in report["links"])
    assert {p["case_id"] for p in report["provenance"]} == {c["id"] for c in report["cases"]}
    with cycled.database.session() as session:
        pushes = session.scalars(select(OutboxEntry).where(OutboxEntry.nip == nip)).all()
        expected = {(o.id, o.state, o.attempts, o.siasn_reference) for o in pushes}
    shown = {(p["id"], p["state"], p["attempts"], p["siasn_reference"]) for p in report["pushes"]}
    assert expected and shown == expected
    assert any(p["state"] == "acked" and p["siasn_reference"] for p in report["pushes"])
    assert report["block_state"] and report["block_state"][0]["blocked"] is True
    assert report["control_actions"] and report["runs"]
    steps = {step for run in report["runs"] for step in run["steps"]}
    assert {"langkah pengendalian", "pengiriman ke SIASN"} <= steps
    assert any(step.startswith("pengambilan data ") for step in steps)
    # The run ledger names the job of the run that landed and processed the person's data.
    assert {run["job"] for run in report["runs"]} == {"full_cycle"}
    assert {run["status"] for run in report["runs"]} <= {"running", "succeeded"}
    # The first report is a read; the PDF made next lists it among who viewed the data.
    pdf = cycled.project_dir / "subjek.pdf"
    _cli(cycled, monkeypatch, "pdp", "subject", nip, "--format", "pdf", "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF") and stat.S_IMODE(pdf.stat().st_mode) == 0o600
    again = json.loads(_cli(cycled, monkeypatch, "pdp", "subject", nip))
    reads = [r for r in again["reads"] if r["kind"] == "subject_report"]
    assert len(reads) >= 2 and any(r["purpose"] == "uji" for r in reads)


def test_the_subject_report_shows_the_annulments_enforcement_saw_on_the_persons_cases_only(
    cycled: Cycled, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``case_annulments`` (migration 0026) dates a recommendation's annulment and its withdrawal per
    case: the person's record shows theirs, and nobody else's."""
    nip, _ = _blocked_person(cycled)
    with cycled.database.session() as session:
        mine = session.scalars(select(Case.id).where(Case.nip == nip).order_by(Case.id)).first()
        other = session.scalars(select(Case.id).where(Case.nip != nip).order_by(Case.id)).first()
        assert mine is not None and other is not None
        session.add_all(
            [
                CaseAnnulment(case_id=mine, annulled_on=date(2024, 3, 1), withdrawn_on=date(2024, 4, 2),
                              withdrawn_at=datetime(2024, 4, 3, tzinfo=UTC)),
                CaseAnnulment(case_id=other, annulled_on=date(2024, 3, 5)),
            ]
        )  # fmt: skip
        session.commit()
    report = json.loads(_cli(cycled, monkeypatch, "pdp", "subject", nip))
    assert [(a["case_id"], a["annulled_on"], a["withdrawn_on"]) for a in report["annulments"]] == [
        (mine, "2024-03-01", "2024-04-02")
    ]
    assert report["counts"]["annulments"] == 1


def test_a_subject_report_for_an_unknown_person_is_empty_and_a_bad_nip_is_refused(
    cycled: Cycled, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = json.loads(_cli(cycled, monkeypatch, "pdp", "subject", "199001012020011999"))
    assert report["registry"] == [] and report["cases"] == [] and report["pushes"] == []
    monkeypatch.setenv("SBT_DATABASE_URL", cycled.database.url)
    bad = CliRunner().invoke(app, ["--config", str(cycled.config_path), "pdp", "subject", "12345"])
    assert bad.exit_code == 1 and "12345" not in str(bad.exception or "")


def test_the_dpia_renders_the_quality_reports_figures(
    cycled: Cycled, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    truth = cycled.data_dir / "truth"
    quality = json.loads(_cli(cycled, monkeypatch, "quality", "--truth", str(truth), "--json"))
    text = _cli(cycled, monkeypatch, "pdp", "dpia", "--truth", str(truth))
    assert (
        f"Presisi identitas: {quality['identity_precision']:.4f} ({quality['links_correct']} benar dari "
        f"{quality['links_made']} tautan)"
    ) in text
    assert f"Recall identitas: {quality['identity_recall']:.4f} ({quality['rows_with_person']} baris" in text
    assert f"Akurasi kasus: {quality['case_accuracy']:.4f} ({quality['cases_exact']} dari" in text
    assert f"{quality['held_matched']} dari {quality['held_expected']} kasus" in text
    settings = cycled.settings
    assert f"skor >= {settings.identity.auto_accept}" in text
    assert f"lebih dari {settings.enforcement.guard.max_changes} perubahan" in text
    assert f"Kasus tertutup (beserta rekaman sumbernya): {settings.retention.closed_case_days} hari" in text
    for name in settings.sources:
        assert f"| {name} |" in text
    last_runs = text.split("## 8. Proses terakhir")[1]
    assert "- run " in last_runs and "rekaman diambil" in last_runs  # the cycle's run, from its batches
    pdf = tmp_path / "dpia.pdf"
    _cli(cycled, monkeypatch, "pdp", "dpia", "--format", "pdf", "--out", str(pdf), "--truth", str(truth))
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_dpia_measures_precision_on_the_stewards_own_identity_decisions(
    cycled: Cycled, monkeypatch: pytest.MonkeyPatch
) -> None:
    with cycled.database.session() as session:
        conflict = session.scalars(
            select(Conflict)
            .where(Conflict.kind.in_(IDENTITY_CONFLICT_KINDS), Conflict.status == "open")
            .order_by(Conflict.id)
        ).first()
        assert conflict is not None and conflict.candidates
        conflict_id, top = conflict.id, str(conflict.candidates[0]["nip"])
    before = _cli(cycled, monkeypatch, "pdp", "dpia")
    resolve_conflict(cycled.database, conflict_id, value=top, reason="uji DPIA", actor="tester")
    after = _cli(cycled, monkeypatch, "pdp", "dpia")
    decided = int(before.split("steward memutus ")[1].split(" ")[0])
    agreed = int(before.split("menunjuk ASN; ")[1].split(" ")[0])
    assert f"steward memutus {decided + 1} konflik" in after
    assert f"menunjuk ASN; {agreed + 1} sama dengan kandidat peringkat pertama" in after


def test_a_purge_dry_run_lists_counts_and_ids_and_changes_nothing(
    cycled: Cycled, monkeypatch: pytest.MonkeyPatch
) -> None:
    def state() -> tuple[int, int, int]:
        with cycled.database.session() as session:
            return (
                session.scalar(select(func.count()).select_from(Case)) or 0,
                session.scalar(select(func.count()).select_from(StagedRecord)) or 0,
                session.scalar(select(func.count()).where(AuditEntry.action == "pdp.purge")) or 0,
            )

    with cycled.database.session() as session:
        nips = {nip for nip in session.scalars(select(Case.nip)) if nip}
    before = state()
    listed = json.loads(_cli(cycled, monkeypatch, "pdp", "purge", "--dry-run", "--json"))
    assert listed["dry_run"] is True and set(listed["counts"]) >= {"cases", "quarantine", "access_log"}
    assert listed["counts"]["cases"] == len(listed["ids"]["cases"])
    text = _cli(cycled, monkeypatch, "pdp", "purge", "--dry-run")
    assert "kasus tertutup: " in text and "akan dihapus" in text
    assert nips and not any(nip in text or nip in json.dumps(listed) for nip in nips)
    assert state() == before  # nothing removed, nothing audited


def test_the_subject_report_lists_identity_conflicts_that_offered_the_person_as_a_candidate(
    cycled: Cycled, monkeypatch: pytest.MonkeyPatch
) -> None:
    with cycled.database.session() as session:
        offered: dict[str, set[int]] = {}
        for conflict in session.scalars(select(Conflict).where(Conflict.kind.in_(IDENTITY_CONFLICT_KINDS))):
            for candidate in conflict.candidates:
                offered.setdefault(str(candidate["nip"]), set()).add(conflict.id)
    assert offered
    nip = sorted(offered)[0]
    report = json.loads(_cli(cycled, monkeypatch, "pdp", "subject", nip))
    assert offered[nip] <= {c["id"] for c in report["conflicts"]}
