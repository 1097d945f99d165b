"""A purpose typed by a person names the ASN it is about: the access log keeps it without the NIP.

The subject-access screen, the access log's NIP lookup and any screen's ``?purpose=`` ask why personal
data is read, and the natural answer names the person ("permintaan subjek NIP 19800101 200501 1 001").
The access log holds an ASN only as a keyed hash (DESIGN.md, Personal data): a NIP in the purpose,
written whole or with the spaces, dots or dashes of its printed form, is stored as its ``nip:<hash>``
like one in the target or filter, never in clear, on both backends.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from sbt_sync.console import web_exports
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, PersonalDataAccess, PersonalDataAccessNip
from sbt_sync.pdp.access import access_key, nip_hash
from sbt_sync.steward.audit import record_export
from tests.console import searching
from tests.console.conftest import NIP_A, NIP_B, World, csrf_of

PRINTED = {
    "whole": NIP_A,
    "spaced": f"{NIP_A[:8]} {NIP_A[8:14]} {NIP_A[14]} {NIP_A[15:]}",
    "dotted": f"{NIP_A[:8]}.{NIP_A[8:14]}.{NIP_A[14]}.{NIP_A[15:]}",
    "dashed": f"{NIP_A[:8]}-{NIP_A[8:14]}-{NIP_A[14]}-{NIP_A[15:]}",
}


def _last_read(world: World) -> PersonalDataAccess:
    with world.database.session() as session:
        newest = select(PersonalDataAccess).order_by(PersonalDataAccess.id.desc()).limit(1)
        return session.scalars(newest).one()


def _kept_without_the_nip(world: World, read: PersonalDataAccess, written: str) -> None:
    columns = PersonalDataAccess.__table__.columns
    stored = json.dumps({c.name: getattr(read, c.name) for c in columns}, default=str)
    assert written not in stored and NIP_A not in re.sub(r"[\s.-]", "", read.purpose or ""), read.purpose
    hashed = nip_hash(access_key(world.settings), NIP_A)
    assert read.purpose == f"permintaan subjek NIP nip:{hashed} via surat"


@pytest.mark.parametrize("form", sorted(PRINTED))
def test_a_subject_requests_purpose_naming_the_nip_is_kept_hashed(world: World, form: str) -> None:
    admin = world.login("admin")
    token = csrf_of(admin, "/admin/pdp/subject")
    purpose = f"permintaan subjek NIP {PRINTED[form]} via surat"
    answer = admin.post("/admin/pdp/subject", data={"nip": NIP_A, "purpose": purpose, "format": "json",
                                                    "csrf_token": token})  # fmt: skip
    assert answer.status_code == 200
    read = _last_read(world)
    assert read.kind == "subject_report"
    _kept_without_the_nip(world, read, PRINTED[form])


@pytest.mark.parametrize("form", sorted(PRINTED))
def test_an_access_log_lookups_purpose_naming_the_nip_is_kept_hashed(world: World, form: str) -> None:
    auditor = world.login("auditor")
    token = csrf_of(auditor, "/admin/access-log")
    purpose = f"permintaan subjek NIP {PRINTED[form]} via surat"
    answer = auditor.post("/admin/access-log", data={"nip": NIP_B, "purpose": purpose, "csrf_token": token})
    assert answer.status_code == 200
    read = _last_read(world)
    assert read.kind == "access_log"
    _kept_without_the_nip(world, read, PRINTED[form])


def test_a_purpose_in_a_screens_query_naming_the_nip_is_kept_hashed(world: World) -> None:
    steward = world.login("steward")
    purpose = f"permintaan subjek NIP {PRINTED['spaced']} via surat"
    assert steward.get(f"/cases/{world.ids['case_a']}", params={"purpose": purpose}).status_code == 200
    read = _last_read(world)
    assert read.kind == "case"
    _kept_without_the_nip(world, read, PRINTED["spaced"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("form", ["whole", "spaced"])
def test_an_audit_download_filtered_by_a_nip_audits_the_filter_with_the_nip_masked(
    world: World, fmt: str, form: str
) -> None:
    """The audit filter's object id may be a NIP (an auditor looking for everything about a person):
    the page keeps it out of the URL and the access log hashes it; the download's own audit entry, in
    the append-only log that masks every NIP, keeps only its last four digits."""
    auditor = world.login("auditor")
    kept = searching.location_of(auditor, "/audit", {"object_id": PRINTED[form]})
    download = auditor.get(kept.replace("/audit?", f"/audit.{fmt}?"))
    assert download.status_code == 200
    with world.database.session() as session:
        newest = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
        entry = session.scalars(newest).one()
    assert entry.action == "audit.export"
    stored = json.dumps({c.name: getattr(entry, c.name) for c in AuditEntry.__table__.columns}, default=str)
    assert PRINTED[form] not in stored and NIP_A not in re.sub(r"[\s.-]", "", stored), stored
    assert entry.after is not None and entry.after["filter"]["object_id"] == f"{'*' * 14}{NIP_A[-4:]}"


def test_an_audit_csv_shows_no_entry_written_after_its_read_was_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CSV streams in two passes: the first collects the NIPs it will show and records the read,
    the second writes the file. A steward's entry committed between them (here, just after the export
    is audited; in production any decision during a long download) naming another ASN must not reach the
    file unrecorded: the file holds the entries there were when the read was recorded."""

    def and_a_steward_decides_meanwhile(database: Database, **kwargs: Any) -> None:
        record_export(database, **kwargs)
        with database.session() as session:
            session.add(AuditEntry(at=utcnow(), actor_name="steward", action="case.note", object_type="case",
                                   object_id="1", reason=f"NIP {NIP_B} confirmed by phone"))  # fmt: skip

    monkeypatch.setattr(web_exports, "record_export", and_a_steward_decides_meanwhile)
    auditor = world.login("auditor")
    download = auditor.get("/audit.csv")
    assert download.status_code == 200
    with world.database.session() as session:
        read = session.scalars(
            select(PersonalDataAccess)
            .where(PersonalDataAccess.kind == "export")
            .order_by(PersonalDataAccess.id)
        ).all()[-1]
        recorded = set(
            session.scalars(
                select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == read.id)
            )
        )
    shown = set(re.findall(r"(?<!\d)\d{18}(?!\d)", download.text))
    key = access_key(world.settings)
    assert {n for n in shown if nip_hash(key, n) not in recorded} == set()
    assert read.rows == len(download.text.strip().splitlines()) - 1  # the rows recorded are the rows sent
