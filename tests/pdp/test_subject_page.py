"""The console's subject-access screen (issue 20 item 2), both backends: an admin posts a NIP with the
purpose and downloads the person's whole record (JSON or PDF); the request is in the access log with
its purpose before the report is built, so the report lists it; a bad NIP or no purpose is said on the
page in Indonesian; without the session's CSRF token the post is refused; stewards get 403."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from sbt_sync.db.models import CaseLink, Conflict, RawRecord, RawRecordVersion, StagedRecord
from sbt_sync.db.models.access import PersonalDataAccess, PersonalDataAccessNip
from sbt_sync.pdp.access import access_key, nip_hash
from tests.console.conftest import NIP_A, NIP_B, T0, World, console_settings, csrf_of, world

__all__ = ["console_settings", "world"]

PATH = "/admin/pdp/subject"
SUBJECT_READS = select(PersonalDataAccess).where(PersonalDataAccess.kind == "subject_report")


def test_an_admin_downloads_a_persons_record_and_the_request_is_a_read(world: World) -> None:
    admin = world.login("admin")
    page = admin.get(PATH)
    assert page.status_code == 200 and "Rekaman data pribadi seorang ASN" in page.text
    token = csrf_of(admin, PATH)
    answer = admin.post(PATH, data={"nip": NIP_A, "purpose": "permintaan subjek 1/2026", "format": "json",
                                    "csrf_token": token})  # fmt: skip
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    assert (
        NIP_A[-4:] in answer.headers["content-disposition"]
        and NIP_A not in answer.headers["content-disposition"]
    )
    report = json.loads(answer.content)
    assert report["nip"] == NIP_A and [c["case_key"] for c in report["cases"]] == ["CASE-A"]
    assert {s["nip"] for s in report["staged_records"]} == {NIP_A}  # not person B's records
    assert [r["purpose"] for r in report["reads"] if r["kind"] == "subject_report"] == [
        "permintaan subjek 1/2026"
    ]
    with world.database.session() as session:
        read = session.scalars(
            select(PersonalDataAccess).where(PersonalDataAccess.kind == "subject_report")
        ).one()
        assert (read.who, read.channel, read.nip_count) == ("admin", "console", 1)
    pdf = admin.post(PATH, data={"nip": NIP_B, "purpose": "uji", "format": "pdf", "csrf_token": token})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"nip": "1.98001012005011e+17", "purpose": "uji"}, "NIP tidak sah"),  # float-mangled: refused
        ({"nip": "12345", "purpose": "uji"}, "NIP tidak sah"),
        ({"nip": NIP_A, "purpose": "   "}, "Tujuan permintaan wajib diisi"),
    ],
)
def test_a_bad_request_is_said_on_the_page_and_records_nothing(
    world: World, form: dict[str, str], said: str
) -> None:
    admin = world.login("admin")
    answer = admin.post(PATH, data={**form, "csrf_token": csrf_of(admin, PATH)})
    assert answer.status_code == 400 and said in answer.text
    assert form["nip"] not in answer.text or form["nip"] == NIP_A  # the bad value is not echoed
    with world.database.session() as session:
        assert (
            session.scalars(
                select(PersonalDataAccess).where(PersonalDataAccess.kind == "subject_report")
            ).all()
            == []
        )


def test_without_the_csrf_token_or_as_a_steward_the_report_is_refused(world: World) -> None:
    admin = world.login("admin")
    assert admin.post(PATH, data={"nip": NIP_A, "purpose": "uji"}).status_code == 403
    assert f'href="{PATH}"' in admin.get("/").text  # the admins' menu links the screen
    steward = world.login("steward")
    assert steward.get(PATH).status_code == 403
    assert f'href="{PATH}"' not in steward.get("/").text


NIP_X = "197505052000031005"
"""A co-accused named with person A in one Bawaslu register."""
NIP_Y = "198812122012122003"
"""A person offered with person A as a candidate in an identity conflict on person B's row."""


def _register_naming_a_and_x(world: World) -> None:
    """A register naming A (item 1 now) and X, whose earlier version named them the other way round, linked
    to A's case; and an identity conflict on B's row offering Y and A (A second)."""
    people = [
        {"nip": NIP_X, "nama": "Orang Lain Dua", "instansi": "Pemkab Contoh"},
        {"nip": NIP_A, "nama": "Subjek Satu", "instansi": "Pemkab Contoh"},
    ]
    header = {"nomor_register": "REG-MULTI-1", "jenis": "temuan", "pemilihan": "PILKADA-2024",
              "uraian": f"bersama NIP {NIP_X}"}  # fmt: skip
    with world.database.session() as session:
        raw = RawRecord(source="bawaslu", record_key="REG-MULTI-1", content_hash="hm", version=2,
                        payload=json.dumps({**header, "terlapor": people}))  # fmt: skip
        session.add(raw)
        session.flush()
        session.add(RawRecordVersion(raw_record_id=raw.id, version=1, content_hash="h1",
                                     payload=json.dumps({**header, "terlapor": people[::-1]})))  # fmt: skip
        staged = StagedRecord(source="bawaslu", record_key="REG-MULTI-1", item_no=1, raw_record_id=raw.id,
                              raw_version=2, content_hash="sm", nip=NIP_A, nip_raw=NIP_A, name="Subjek Satu",
                              instansi="Pemkab Contoh")  # fmt: skip
        session.add(staged)
        session.flush()
        session.add(CaseLink(case_id=world.ids["case_a"], staged_record_id=staged.id, source="bawaslu",
                             record_key="REG-MULTI-1", rule="nip_event"))  # fmt: skip
        session.add(Conflict(conflict_key="identity|kemendagri|other|0", kind="identity",
                             staged_record_id=world.ids["staged_b"], basis_hash="bx", agency="kemendagri",
                             opened_at=T0,
                             candidates=[{"nip": NIP_Y, "score": 0.71, "name": "Orang Ketiga"},
                                         {"nip": NIP_A, "score": 0.7, "name": "Subjek Satu"}]))  # fmt: skip


def test_the_report_gives_the_subject_their_own_data_and_no_one_elses(world: World) -> None:
    _register_naming_a_and_x(world)
    admin = world.login("admin")
    answer = admin.post(PATH, data={"nip": NIP_A, "purpose": "permintaan subjek", "format": "json",
                                    "csrf_token": csrf_of(admin, PATH)})  # fmt: skip
    assert answer.status_code == 200
    for other in (NIP_X, "Orang Lain Dua", NIP_Y, "Orang Ketiga", NIP_B):
        assert other not in answer.text, other
    report = json.loads(answer.content)
    (register,) = [r for r in report["source_records"] if r["record_key"] == "REG-MULTI-1"]
    own = {"nip": NIP_A, "nama": "Subjek Satu", "instansi": "Pemkab Contoh"}
    assert register["payload"]["terlapor"] == [own]
    assert register["other_people"] == 1 and register["payload"]["uraian"] == "bersama NIP [NIP orang lain]"
    assert [v["payload"]["terlapor"] for v in register["earlier_versions"]] == [[own]]
    (offered,) = [c for c in report["conflicts"] if c["staged_record_id"] == world.ids["staged_b"]
                  and c["candidates"] and c["candidates"][0].get("rank")]  # fmt: skip
    assert offered["candidates"] == [{"nip": NIP_A, "score": 0.7, "name": "Subjek Satu", "rank": 2}]
    assert offered["other_candidates"] == 1
    key = access_key(world.settings)
    with world.database.session() as session:
        read = session.scalars(SUBJECT_READS).one()
        hashes = set(session.scalars(select(PersonalDataAccessNip.nip_hash).filter_by(access_id=read.id)))
    assert hashes == {nip_hash(key, NIP_A)} and read.nip_count == 1
