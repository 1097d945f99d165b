"""The console's PPK compliance report (issue 18, items 5-7) and PIC management.

Compliance: the summary with its issuer column (KASN or BKN per recommendation), filtered by issuer
and election, sorted by a column; CSV, XLSX and PDF downloads; the Kemendagri list and the KASN
dossier. BKN's roles see it all; Kemendagri's viewers see the Kemendagri list alone; a Bawaslu
viewer sees neither. PIC addresses: BKN's roles read them, only admins add and remove them (audited,
CSRF, the address validated)."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from sbt_sync.console.users import add_user
from sbt_sync.console.web_pic import valid_email
from sbt_sync.db.models import AuditEntry
from sbt_sync.db.models.letters import PicAddress
from sbt_sync.notify.queue import pic_instansi_name
from tests.console.conftest import NIP_A, NIP_B, PASSWORD, World, csrf_of
from tests.console.letters_world import INSTANSI, PIC, add_pic_address, compliance_facts


@pytest.fixture
def report(world: World) -> World:
    """Case A is KASN's recommendation, case B BKN's; both of Kabupaten Contoh, not followed up.
    Adds ``kmd``, a Kemendagri viewer."""
    compliance_facts(world.database, kasn_case=world.ids["case_a"], bkn_case=world.ids["case_b"], nip=NIP_A)
    add_user(world.database, world.settings, username="kmd", password=PASSWORD, role="agency_viewer",
             agency="kemendagri", actor="test")  # fmt: skip
    return world


def _summary(html: str) -> str:
    return html.split('id="table-summary"')[1].split("</section>")[0]


def test_the_compliance_page_shows_the_issuer_and_filters_and_sorts_by_it(report: World) -> None:
    steward = report.login("steward")
    page = steward.get("/reports/compliance")
    assert page.status_code == 200 and 'href="/reports/compliance"' in page.text
    summary = _summary(page.text)
    assert "Penerbit rekomendasi" in summary and "BKN, KASN" in summary
    assert "Bupati Contoh" in summary
    kasn = _summary(steward.get("/reports/compliance?issuer=KASN").text)
    assert "KASN" in kasn and "BKN, KASN" not in kasn
    assert "BKN" in _summary(steward.get("/reports/compliance?issuer=BKN&event=PILKADA2024").text)
    kemendagri = page.text.split('id="table-kemendagri"')[1].split("</section>")[0]
    assert "Bupati Contoh" in kemendagri and "REK-BKN-1" in kemendagri and "REK-KASN-1" in kemendagri
    dossier = page.text.split('id="table-dossier"')[1].split("</section>")[0]
    assert "REK-KASN-1" in dossier and "REK-BKN-1" not in dossier and NIP_A not in dossier
    assert 'aria-sort="descending"' in steward.get("/reports/compliance?sort=not_followed_up").text
    assert "Issuer" in steward.get("/reports/compliance?lang=en").text
    for bad in ("issuer=KPU", "sort=nope", "event=NOPE", "format=doc", "table=x"):
        assert steward.get(f"/reports/compliance?{bad}").status_code == 400, bad


def test_the_compliance_downloads_are_csv_xlsx_and_pdf(report: World) -> None:
    auditor = report.login("auditor")
    csv = auditor.get("/reports/compliance?format=csv&table=kemendagri&issuer=KASN")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    # With the BOM that makes Excel read it as UTF-8, as the recap CSV has.
    assert csv.content.startswith("\ufeff# Daftar PPK daerah untuk Kemendagri".encode())
    assert "REK-KASN-1" in csv.text
    assert "REK-BKN-1" not in csv.text
    xlsx = auditor.get("/reports/compliance?format=xlsx&sort=received")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Kepatuhan PPK", "Kemendagri", "Rekomendasi Presiden"]
    header = [c.value for c in book["Kepatuhan PPK"][3]]
    assert "Penerbit rekomendasi" in header
    assert book["Kepatuhan PPK"].cell(4, header.index("Penerbit rekomendasi") + 1).value == "BKN, KASN"
    pdf = auditor.get("/reports/compliance?format=pdf&lang=en")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_kemendagri_viewers_see_only_the_kemendagri_list_and_bawaslu_sees_nothing(report: World) -> None:
    kmd = report.login("kmd")
    home = kmd.get("/").text
    assert 'href="/reports/compliance/kemendagri"' in home and 'href="/letters"' not in home
    assert kmd.get("/reports/compliance").status_code == 403
    listed = kmd.get("/reports/compliance/kemendagri")
    assert listed.status_code == 200 and "Bupati Contoh" in listed.text and "REK-KASN-1" in listed.text
    assert NIP_A not in listed.text and NIP_B not in listed.text
    assert (
        kmd.get("/reports/compliance/kemendagri?format=csv").text.lstrip("\ufeff").startswith("# Daftar PPK")
    )
    bawaslu = report.login("viewer")
    assert "/reports/compliance" not in bawaslu.get("/").text
    for path in ("/reports/compliance", "/reports/compliance/kemendagri", "/reports/compliance?format=xlsx"):
        assert bawaslu.get(path).status_code == 403, path
    assert report.login("steward").get("/reports/compliance/kemendagri").status_code == 200


def test_the_case_list_filters_by_issuer_for_bkn_roles_only(report: World) -> None:
    steward = report.login("steward")
    kasn = steward.get("/cases?issuer=KASN").text
    assert "CASE-A" in kasn and "CASE-B" not in kasn
    bkn = steward.get("/cases?issuer=BKN").text
    assert "CASE-B" in bkn and "CASE-A" not in bkn
    assert steward.get("/cases?issuer=KPU").status_code == 400
    # A viewer cannot find cases by another agency's value: the filter is neither offered nor applied.
    viewer = report.login("viewer").get("/cases?issuer=BKN").text
    assert "CASE-A" in viewer and 'name="issuer"' not in viewer


def _pic(client: TestClient, action: str, instansi_id: str, email: str) -> int:
    form = {"instansi_id": instansi_id, "email": email, "csrf_token": csrf_of(client, "/admin/pic")}
    status: int = client.post(f"/admin/pic/{action}", data=form).status_code
    return status


def _pics(world: World) -> list[tuple[str, str]]:
    with world.database.session() as session:
        return list(session.execute(select(PicAddress.instansi_id, PicAddress.email)).tuples())


def test_an_admin_adds_and_removes_a_pic_and_both_are_audited(world: World) -> None:
    add_pic_address(world.database)
    admin = world.login("admin")
    page = admin.get("/admin/pic")
    assert page.status_code == 200 and PIC in page.text and 'action="/admin/pic/add"' in page.text
    assert _pic(admin, "add", "B2", " PIC.Baru@Instansi.Example.id ") == 303
    assert ("B2", "pic.baru@instansi.example.id") in _pics(world)
    assert "Alamat PIC ditambahkan." in admin.get("/admin/pic?instansi=B2").text
    assert _pic(admin, "add", "B2", "pic.baru@instansi.example.id") == 303  # already there: said
    assert "sudah terdaftar" in admin.get("/admin/pic").text
    for bad_id, bad_email in (("B2", "pic@bkn..go.id"), ("B2", "pic bkn@go.id"), ("B2", "pic@localhost"),
                              ("B 2", "ok@bkn.go.id"), ("B2", "a@b.c.")):  # fmt: skip
        assert _pic(admin, "add", bad_id, bad_email) == 303
        assert "tidak valid" in admin.get("/admin/pic").text, (bad_id, bad_email)
    assert len(_pics(world)) == 2
    assert _pic(admin, "remove", INSTANSI, PIC) == 303
    assert _pics(world) == [("B2", "pic.baru@instansi.example.id")]
    with world.database.session() as session:
        audit = session.execute(
            select(AuditEntry.action, AuditEntry.actor_name, AuditEntry.channel)
            .where(AuditEntry.action.in_(["pic.add", "pic.remove"]), AuditEntry.actor_name == "admin")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(a) for a in audit] == [("pic.add", "admin", "console"), ("pic.remove", "admin", "console")]


def test_only_admins_change_pics_auditors_and_stewards_read_viewers_get_403(world: World) -> None:
    add_pic_address(world.database)
    for who in ("steward", "auditor"):
        client = world.login(who)
        page = client.get("/admin/pic").text
        assert PIC in page and 'action="/admin/pic/add"' not in page, who
        assert _pic(client, "add", "C3", "x@instansi.example.id") == 403, who
        assert _pic(client, "remove", INSTANSI, PIC) == 403, who
    viewer = world.login("viewer")
    assert viewer.get("/admin/pic").status_code == 403 and "/admin/pic" not in viewer.get("/").text
    assert len(_pics(world)) == 1


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("pic@bkn.go.id", True),
        ("pic.kab-bogor+surat@instansi.sandbox.test", True),
        ("pic@bkn..go.id", False),  # empty label
        ("pic@-bkn.go.id", False),  # label starting with a hyphen
        ("pic@bkn.go.id.", False),  # trailing dot
        (".pic@bkn.go.id", False),  # local part starting with a dot
        ("pic@localhost", False),  # no top-level label
        ("pic@bkn.go.1d", False),  # numeric top-level label
        ("pic@@bkn.go.id", False),
        ("p" * 65 + "@bkn.go.id", False),  # local part over 64
    ],
)
def test_pic_addresses_are_validated(address: str, valid: bool) -> None:
    assert valid_email(address) is valid


def test_an_admin_names_an_instansi_for_its_letters_from_the_pic_page(world: World) -> None:
    admin = world.login("admin")
    form = {
        "instansi_id": "D4",
        "email": "pic@dinas.example.id",
        "instansi_name": "  Pemerintah Kabupaten   Contoh ",
        "csrf_token": csrf_of(admin, "/admin/pic"),
    }
    assert admin.post("/admin/pic/add", data=form).status_code == 303
    with world.database.session() as session:
        assert pic_instansi_name(session, "D4") == "Pemerintah Kabupaten Contoh"
        named = session.scalars(
            select(AuditEntry.channel).where(AuditEntry.action == "pic.name", AuditEntry.object_id == "D4")
        ).all()
    assert named == ["console"]
    page = admin.get("/admin/pic?instansi=D4").text
    assert 'name="instansi_name"' in page and "Nama di surat: Pemerintah Kabupaten Contoh" in page
