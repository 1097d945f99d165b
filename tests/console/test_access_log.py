"""Reads of personal data in the console and the API are recorded (issue 20, items 1 and 6), on both
backends: one access record per page, the NIPs as keyed hashes only, exports with their row count and
filter, the access log's own reads, and the unusual-access flag on the admins' dashboard."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from sbt_sync.console.i18n import MESSAGES
from sbt_sync.db.base import utcnow
from sbt_sync.db.models import PersonalDataAccess, PersonalDataAccessNip, QuarantinedRow
from sbt_sync.db.models.access import CHANNELS
from sbt_sync.pdp.access import KINDS, access_key, nip_hash, reads_of, record_read
from tests.console import searching
from tests.console.conftest import NIP_A, NIP_B, World, _case, csrf_of


def _records(world: World) -> list[PersonalDataAccess]:
    with world.database.session() as session:
        return list(session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id)))


def _hashes(world: World, access_id: int) -> set[str]:
    with world.database.session() as session:
        return set(
            session.scalars(
                select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == access_id)
            )
        )


def _row_text(world: World, record: PersonalDataAccess) -> str:
    """Every stored value of the record and its NIP rows, as one text (to look for a clear NIP in)."""
    values = {c.name: getattr(record, c.name) for c in PersonalDataAccess.__table__.columns}
    return json.dumps(values, default=str) + " ".join(sorted(_hashes(world, record.id)))


def _key(world: World) -> bytes:
    return access_key(world.settings)


def test_viewing_a_case_writes_one_record_with_hashed_nips_and_no_clear_nip(world: World) -> None:
    steward = world.login("steward")
    before = len(_records(world))
    page = steward.get(f"/cases/{world.ids['case_a']}")
    assert page.status_code == 200 and NIP_A in page.text  # the page shows the NIP ...
    records = _records(world)[before:]
    assert len(records) == 1
    read = records[0]
    assert (read.who, read.who_kind, read.channel, read.kind) == ("steward", "user", "console", "case")
    assert read.target == f"/cases/{world.ids['case_a']}"
    assert read.nip_count == 1
    assert _hashes(world, read.id) == {nip_hash(_key(world), NIP_A)}
    assert NIP_A not in _row_text(world, read)  # ... the log holds only its keyed hash
    assert read.accessed_at.tzinfo is not None and abs(utcnow() - read.accessed_at) < timedelta(minutes=5)


def test_the_hash_is_keyed_by_the_deployment_key(world: World) -> None:
    key = _key(world)
    assert access_key(world.settings) == key  # kept (var/pdp-access-key in the sandbox), not made anew
    assert nip_hash(key, NIP_A) != nip_hash(b"another deployment", NIP_A)
    assert nip_hash(key, "1980 0101 200501 1 001") == nip_hash(key, NIP_A)
    assert re.fullmatch(r"[0-9a-f]{64}", nip_hash(key, NIP_A))


def test_an_api_read_names_the_token_and_its_owner(world: World) -> None:
    client = world.client()
    before = len(_records(world))
    answer = client.get(
        f"/api/v1/cases/{world.ids['case_b']}", headers={"Authorization": f"Bearer {world.tokens['auditor']}"}
    )
    assert answer.status_code == 200
    (read,) = _records(world)[before:]
    assert (read.who, read.who_kind, read.token_name, read.channel, read.kind) == (
        "auditor", "token", "test", "api", "case",
    )  # fmt: skip
    assert _hashes(world, read.id) == {nip_hash(_key(world), NIP_B)}


def test_an_export_records_its_row_count_and_filter(world: World) -> None:
    steward = world.login("steward")
    before = len(_records(world))
    download = steward.get("/quarantine.csv?source=kemendagri&status=all")
    assert download.status_code == 200
    (read,) = _records(world)[before:]
    assert (read.kind, read.channel, read.rows) == ("export", "console", 1)
    assert read.filter == {"what": "quarantine", "format": "csv", "source": "kemendagri", "status": "all"}


@pytest.mark.parametrize(
    "path",
    [
        "/quarantine",  # the page
        "/quarantine.csv",  # the exports
        "/quarantine.xlsx",
        "/api/v1/quarantine",  # the API
    ],
)
def test_a_quarantine_read_records_the_nips_its_cells_show_whatever_the_column_is_named(
    world: World, path: str
) -> None:
    # Feeds name the NIP column their own way, and a rejected cell may hold the NIP amid other text.
    with world.database.session() as session:
        session.add_all([
            QuarantinedRow(source="bawaslu", record_key="REG-Q1", column="terlapor_nip", check="nip",
                           value=f"NIP {NIP_A}", reason="NIP contains characters other than digits"),
            QuarantinedRow(source="kemendagri", file_name="kmd-2.csv", row_number=3, column="nipBaru",
                           check="acceptable_nip", value=f"{NIP_B[:9]} {NIP_B[9:]}", reason="spaces"),
        ])  # fmt: skip
    before = len(_records(world))
    if path.startswith("/api/"):
        answer = world.client().get(path, headers={"Authorization": f"Bearer {world.tokens['steward']}"})
    else:
        answer = world.login("steward").get(path)
    assert answer.status_code == 200
    (read,) = _records(world)[before:]
    assert _hashes(world, read.id) == {nip_hash(_key(world), NIP_A), nip_hash(_key(world), NIP_B)}
    assert read.nip_count == 2


@pytest.mark.parametrize("path", ["/audit.csv", "/audit.xlsx", "/audit", "/api/v1/audit"])
def test_an_audit_log_read_records_the_nips_its_entries_name(world: World, path: str) -> None:
    steward = world.login("steward")
    resolved = steward.post(
        f"/conflicts/{world.ids['conflict_a']}/resolve",
        data={
            "value": "H1",
            "reason": f"sesuai SK PPK untuk NIP {NIP_B}",
            "csrf_token": csrf_of(steward, "/"),
        },
    )
    assert resolved.status_code == 303
    before = len(_records(world))
    if path.startswith("/api/"):
        answer = world.client().get(path, headers={"Authorization": f"Bearer {world.tokens['auditor']}"})
    else:
        answer = world.login("auditor").get(path)
    assert answer.status_code == 200
    (read,) = _records(world)[before:]
    assert nip_hash(_key(world), NIP_B) in _hashes(world, read.id)
    if path.startswith("/audit."):
        assert read.kind == "export" and read.rows is not None and read.rows >= 1


def test_reading_the_access_log_is_recorded_and_a_nip_is_found_by_its_hash(world: World) -> None:
    steward, admin = world.login("steward"), world.login("admin")
    steward.get(f"/cases/{world.ids['case_b']}")
    kept = searching.location_of(admin, "/admin/access-log", {"who": "steward"})  # posted, kept on the server
    before = len(_records(world))
    page = admin.get(kept)
    assert page.status_code == 200
    assert "Log akses data pribadi" in page.text  # Indonesian by default
    (read,) = _records(world)[before:]
    assert (read.who, read.kind, read.filter) == ("admin", "access_log", {"who": "steward"})
    assert read.rows is not None and read.rows >= 1

    csrf = csrf_of(admin, "/admin/access-log")
    form = {"nip": NIP_B, "purpose": "permintaan subjek data", "csrf_token": csrf}
    found = admin.post("/admin/access-log", data=form)
    assert found.status_code == 200
    assert NIP_B not in found.text  # the NIP is not echoed back
    lookup = _records(world)[-1]
    assert (lookup.kind, lookup.purpose) == ("access_log", "permintaan subjek data")
    assert lookup.filter == {"nip_hash": nip_hash(_key(world), NIP_B)}
    assert _hashes(world, lookup.id) == {nip_hash(_key(world), NIP_B)}
    assert NIP_B not in _row_text(world, lookup)
    # the lookup lists the steward's read of case B, and not the reads that never showed NIP B
    assert f"/cases/{world.ids['case_b']}" in found.text
    assert f"/cases/{world.ids['case_a']}" not in found.text

    english = admin.get("/admin/access-log?lang=en")
    assert "Personal data access log" in english.text


def test_the_access_log_is_not_a_stewards_or_viewers_screen(world: World) -> None:
    assert world.login("steward").get("/admin/access-log").status_code == 403
    assert world.login("viewer").get("/admin/access-log").status_code == 403
    assert world.login("auditor").get("/admin/access-log").status_code == 200


def _reads_of(world: World, who: str, count: int) -> None:
    """``who`` read ``count`` distinct ASN today (through the CLI, as an export would)."""
    nips = [f"19800101200501{n:04d}" for n in range(count)]
    with world.database.session() as session:
        record_read(session, who, "cli", "export", nips, rows=count, key=_key(world))


def _unusual_section(page: str) -> str:
    return page.split('id="unusual-access"')[1].split("</section>")[0]


def test_unusual_access_is_flagged_to_admins_above_the_threshold_and_not_below(world: World) -> None:
    threshold = world.settings.pdp.unusual_distinct_asn_per_day
    _reads_of(world, "budi", threshold)  # exactly the threshold: not unusual
    admin = world.login("admin")
    assert 'id="unusual-access-banner"' not in admin.get("/").text
    assert "budi" not in _unusual_section(admin.get("/admin/access-log").text)

    _reads_of(world, "siti", threshold + 1)  # one more distinct ASN than allowed
    dashboard = admin.get("/").text
    assert 'id="unusual-access-banner"' in dashboard and "siti" in dashboard and "budi" not in dashboard
    section = _unusual_section(admin.get("/admin/access-log").text)
    assert "siti" in section and f"<b>{threshold + 1}</b>" in section and "budi" not in section
    # admins only: a steward's and an auditor's dashboard carry no flag
    assert 'id="unusual-access-banner"' not in world.login("steward").get("/").text
    assert 'id="unusual-access-banner"' not in world.login("auditor").get("/").text


def test_every_kind_and_channel_has_words_in_both_languages() -> None:
    for key in [f"access.kind.{k}" for k in KINDS] + [f"access.channel.{c}" for c in CHANNELS]:
        indonesian, english = MESSAGES[key]
        assert indonesian.strip() and english.strip(), key


@pytest.mark.parametrize("written", ["'198001012005011009", "19800101_200501_1_009", "19800101/200501/1/009"])
def test_a_case_read_is_found_by_the_nip_its_record_wrote_with_excel_or_layout_noise(
    world: World, written: str
) -> None:
    """A case whose identity is not settled (no NIP of its own yet) shows its record's NIP as the source
    wrote it; the read is the person's all the same: their subject report lists it."""
    nip = "198001012005011009"
    with world.database.session() as session:
        case, staged = _case(session, "CASE-RAW", "kasn", "R-9/KASN/2023", nip, "I")
        case.nip, staged.nip, staged.nip_raw = None, None, written
        case_id = case.id
    answer = world.client().get(
        f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {world.tokens['auditor']}"}
    )
    assert answer.status_code == 200 and answer.json()["records"][0]["nip_as_written"] == written
    with world.database.session() as session:
        assert [r["target"] for r in reads_of(session, nip, key=_key(world))] == [f"/api/v1/cases/{case_id}"]
