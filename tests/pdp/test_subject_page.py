"""The console's subject-access screen (issue 20 item 2), both backends: an admin posts a NIP with the
purpose and downloads the person's whole record (JSON or PDF); the request is in the access log with
its purpose before the report is built, so the report lists it; a bad NIP or no purpose is said on the
page in Indonesian; without the session's CSRF token the post is refused; stewards get 403."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from sbt_sync.db.models.access import PersonalDataAccess
from tests.console.conftest import NIP_A, NIP_B, World, console_settings, csrf_of, world

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
