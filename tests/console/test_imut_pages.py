"""The console's I-MUT pages: the findings queue (NIPs masked), a finding side by side, a steward's
decision through the CLI's service (audited as the console user), the report and its downloads; seen
by BKN's roles and Kemendagri's viewers, not by a Bawaslu viewer (403, no menu link)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from sbt_sync.console.users import add_user
from sbt_sync.db.models import AuditEntry, Case, ImutFinding
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from tests.console.conftest import PASSWORD, World, csrf_of
from tests.imut.builders import NIP_A, action_id, ingest, payload


@pytest.fixture
def imut(world: World) -> dict[str, int]:
    """Action 1: a replacement without approval; action 2: one whose approval postdates the decision.
    Adds ``kmd``, a Kemendagri viewer."""
    add_user(world.database, world.settings, username="kmd", password=PASSWORD, role="agency_viewer",
             agency="kemendagri", actor="test")  # fmt: skip
    late = {"persetujuanMendagriNomor": "100.2.2.6/99/OTDA", "persetujuanMendagriTanggal": "20-06-2024"}
    ingest(world.database, payload(1), payload(2, **late))
    with world.database.session() as session:
        evaluate_findings(
            session,
            elections=load_election_calendar(),
            workdays=load_working_days(),
            as_of=date(2024, 11, 27),
        )
        rows = session.execute(select(ImutFinding.action_id, ImutFinding.id)).tuples()
        found = {key: value for key, value in rows}
    return {"none": found[action_id(1)], "late": found[action_id(2)]}


def _decide(client: TestClient, finding_id: int, choice: str, reason: str) -> int:
    form = {"choice": choice, "reason": reason, "csrf_token": csrf_of(client, f"/imut/{finding_id}")}
    status: int = client.post(f"/imut/{finding_id}/decide", data=form).status_code
    return status


def test_a_steward_reads_the_queue_with_masked_nips_and_a_finding_side_by_side(
    world: World, imut: dict[str, int]
) -> None:
    steward = world.login("steward")
    queue = steward.get("/imut")
    assert queue.status_code == 200 and 'href="/imut"' in queue.text
    assert NIP_A not in queue.text and NIP_A[-4:] in queue.text  # masked in the list
    assert queue.text.count("Pasal 71(2)") >= 2
    page = steward.get(f"/imut/{imut['none']}")
    assert page.status_code == 200
    side = page.text.split('id="side-by-side"')[1].split("</table>")[0]
    for shown in ("821/1/BKPSDM/2024", "10-06-2024", "H. Wali Kota", "kepala daerah definitif", "22-03-2024",
                  "19-02-2025", "Pilkada serentak 2024", "tidak ada", "12-06-2024"):  # fmt: skip
        assert shown in side, shown
    assert "tanpa persetujuan tertulis Mendagri" in page.text and "Pasal 71 ayat (2)" in page.text
    late = steward.get(f"/imut/{imut['late']}?lang=en").text
    assert "100.2.2.6/99/OTDA" in late and "not before the decision: does not count" in late
    assert steward.get("/imut?rule=pasal_71_2&review=pending&event=pilkada-2024").text.count("/imut/") >= 2
    assert steward.get("/imut?rule=nope").status_code == 400


@pytest.mark.parametrize(
    ("approval", "badge"),
    [
        ({"persetujuanMendagriNomor": "100.2.2.6/7/OTDA"}, "tanpa tanggal: tidak berlaku"),
        ({"persetujuanMendagriTanggal": "03-06-2024"}, "tanpa nomor surat: tidak berlaku"),
        ({"persetujuanMendagriNomor": "100.2.2.6/7/OTDA", "persetujuanMendagriTanggal": "20-06-2024"},
         "tidak sebelum keputusan: tidak berlaku"),
    ],
)  # fmt: skip
def test_an_approval_that_does_not_count_says_why_beside_it(
    world: World, approval: dict[str, str], badge: str
) -> None:
    """An approval without a date, or without a letter number, does not count for what it lacks,
    not because it postdates the decision (I-MUT's decision here is dated 10 Jun 2024)."""
    ingest(world.database, payload(3, **approval))
    with world.database.session() as session:
        evaluate_findings(
            session,
            elections=load_election_calendar(),
            workdays=load_working_days(),
            as_of=date(2024, 11, 27),
        )
        finding = session.scalars(select(ImutFinding.id).where(ImutFinding.action_id == action_id(3))).one()
    side = world.login("steward").get(f"/imut/{finding}").text.split('id="side-by-side"')[1]
    cell = side.split("</table>")[0].split("<td>")[3]
    assert f'<span class="badge warn">{badge}</span>' in cell, cell


def test_a_steward_confirms_a_finding_and_the_audit_log_names_them(
    world: World, imut: dict[str, int]
) -> None:
    steward = world.login("steward")
    assert _decide(steward, imut["none"], "confirm", "SK tanpa persetujuan Mendagri") == 303
    assert "dikonfirmasi" in steward.get(f"/imut/{imut['none']}").text
    with world.database.session() as session:
        row = session.get(ImutFinding, imut["none"])
        assert row is not None and (row.review, row.reviewed_by) == ("confirmed", "steward")
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "imut_finding.decide")).one()
        assert (audit.actor_name, audit.channel, audit.reason) == (
            "steward",
            "console",
            "SK tanpa persetujuan Mendagri",
        )
    assert _decide(steward, imut["none"], "dismiss", " ") == 303  # no reason: refused, said in a flash
    with world.database.session() as session:
        assert session.get(ImutFinding, imut["none"]).review == "confirmed"  # type: ignore[union-attr]
    auditor = world.login("auditor")
    assert auditor.get(f"/imut/{imut['none']}").status_code == 200
    assert _decide(auditor, imut["none"], "dismiss", "x") == 403


def test_a_kemendagri_viewer_sees_findings_and_the_report_and_a_bawaslu_viewer_does_not(
    world: World, imut: dict[str, int]
) -> None:
    kmd = world.login("kmd")
    assert 'href="/imut"' in kmd.get("/").text
    assert kmd.get("/imut").status_code == 200 and kmd.get(f"/imut/{imut['none']}").status_code == 200
    assert kmd.get("/imut/report").status_code == 200
    assert _decide(kmd, imut["none"], "dismiss", "bukan kewenangan") == 403
    bawaslu = world.login("viewer")
    assert 'href="/imut"' not in bawaslu.get("/").text
    for url in ("/imut", f"/imut/{imut['none']}", "/imut/report", "/imut/report?format=xlsx"):
        assert bawaslu.get(url).status_code == 403, url


def test_the_report_page_and_its_csv_and_xlsx_downloads(world: World, imut: dict[str, int]) -> None:
    steward = world.login("steward")
    page = steward.get("/imut/report?event=pilkada-2024")
    assert page.status_code == 200 and "Per pejabat penetap" in page.text and "32.73" in page.text
    csv_answer = steward.get("/imut/report?format=csv&table=officials")
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_answer.headers["content-disposition"]
    assert csv_answer.content.startswith("\ufeff".encode())
    lines = csv_answer.text.lstrip("\ufeff").splitlines()
    assert (
        lines[0].startswith("# Laporan I-MUT") and "H. Wali Kota" in lines[2] and NIP_A not in csv_answer.text
    )
    xlsx = steward.get("/imut/report?format=xlsx&lang=en")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["By election and region", "By instansi", "By deciding official"]
    assert book["By election and region"].freeze_panes == "A4"
    assert steward.get("/imut/report?event=nope").status_code == 400


def test_a_kemendagri_viewer_does_not_read_a_cited_case_key_that_quotes_another_agencys_record(
    world: World, imut: dict[str, int]
) -> None:
    key = f"PILKADA2024|reg:REG-A|{NIP_A}"  # case A's key quotes Bawaslu's register number
    with world.database.session() as session:
        case = session.get(Case, world.ids["case_a"])
        assert case is not None
        case.case_key = key
        finding = ImutFinding(
            finding_key=f"{action_id(9)}|possible_retaliation", action_id=action_id(9),
            rule="possible_retaliation", disposition="investigate",
            basis_key="imut.basis.possible_retaliation", reason_key="imut.reason.possible_retaliation",
            reason_params={"action": "demosi", "case_id": key, "known_since": "2024-05-01",
                           "decision_date": "2024-07-01", "window_first": "2024-03-22",
                           "window_last": "2025-02-19", "event": "Pilkada serentak 2024"},
            records=[{"kind": "case", "case_id": case.id, "case_key": key, "how": "reported"}],
            basis_hash="b", nip=NIP_A, decision_no="SK-9", decision_date=date(2024, 7, 1),
            official_name="Kepala Dinas", official_role="pimpinan_instansi", event_id="pilkada-2024",
        )  # fmt: skip
        session.add(finding)
        session.flush()
        finding_id = finding.id
    kmd = world.login("kmd")
    for url in (f"/imut/{finding_id}", "/imut?rule=possible_retaliation"):
        answer = kmd.get(url)
        assert answer.status_code == 200 and "SK-9" in answer.text, url
        assert "REG-A" not in answer.text, url
    assert "tidak ditampilkan" in kmd.get(f"/imut/{finding_id}").text
    steward = world.login("steward")
    assert "REG-A" in steward.get(f"/imut/{finding_id}").text
    assert "REG-A" in steward.get("/imut?rule=possible_retaliation").text


def test_the_report_for_one_election_names_it_in_its_titles_not_by_its_id(
    world: World, imut: dict[str, int]
) -> None:
    steward = world.login("steward")
    page = steward.get("/imut/report?event=pilkada-2024").text
    titles = [line for line in page.splitlines() if "<h2>" in line]
    assert titles and all("Pilkada serentak 2024" in t and "pilkada-2024" not in t for t in titles)
    csv_answer = steward.get("/imut/report?format=csv&event=pilkada-2024")
    csv_title = csv_answer.text.lstrip("\ufeff").splitlines()[0]
    assert "Pilkada serentak 2024" in csv_title and "pilkada-2024" not in csv_title
    xlsx = steward.get("/imut/report?format=xlsx&event=pilkada-2024&lang=en")
    sheet = load_workbook(io.BytesIO(xlsx.content))["By election and region"]
    assert "Pilkada serentak 2024" in str(sheet["A1"].value) and "pilkada-2024" not in str(sheet["A1"].value)


def test_an_approval_only_a_second_delivery_carries_is_shown_beside_the_finding_it_keeps(
    world: World,
) -> None:
    """The same SK delivered again under another id with a Mendagri approval dated after the decision:
    the finding stays, and the side-by-side shows that letter, not 'no approval'."""
    late = {"persetujuanMendagriNomor": "100.2.2.6/56/OTDA", "persetujuanMendagriTanggal": "20-06-2024"}
    ingest(world.database, payload(3, nomorSk="821/88/BKPSDM/2024"))
    ingest(world.database, payload(4, nomorSk="821/88/BKPSDM/2024", **late))
    with world.database.session() as session:
        evaluate_findings(
            session,
            elections=load_election_calendar(),
            workdays=load_working_days(),
            as_of=date(2024, 11, 27),
        )
        finding = session.scalars(select(ImutFinding.id).where(ImutFinding.action_id == action_id(3))).one()
    side = world.login("steward").get(f"/imut/{finding}").text.split('id="side-by-side"')[1]
    cell = side.split("</table>")[0].split("<td>")[3]
    assert "100.2.2.6/56/OTDA" in cell and "20-06-2024" in cell, cell
