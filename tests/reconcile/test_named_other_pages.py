"""The dispute of a record that joined a case by number while naming another ASN, in the console (both
backends): the queue lists it in words (``Rekaman menyebut ASN lain``) on the case; its page
says the number it joined by, the case's ASN and the ASN it names, records that read (hashed NIPs),
links to the move of the record, and a steward's "keep" from that page lifts the hold at the next run."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from sbt_sync.db.models import Case, Conflict, PersonalDataAccess, PersonalDataAccessNip, StagedRecord
from sbt_sync.pdp.access import access_key, nip_hash
from sbt_sync.states.conflicts import ConflictKind
from sbt_sync.steward.decisions import resolve_conflict
from tests.console.conftest import csrf_of
from tests.console.test_link_pages import Desk, desk  # noqa: F401  (a fixture)
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    Spec,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def _reads_of(at: Desk, after: int) -> list[tuple[str | None, set[str]]]:
    """(target, NIP hashes) of every read recorded after access id ``after``."""
    with at.database.session() as session:
        reads = session.scalars(select(PersonalDataAccess).where(PersonalDataAccess.id > after)).all()
        return [
            (
                r.target,
                set(
                    session.scalars(
                        select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == r.id)
                    )
                ),
            )
            for r in reads
        ]


def _last_read(at: Desk) -> int:
    with at.database.session() as session:
        return max(session.scalars(select(PersonalDataAccess.id)).all(), default=0)


def test_the_queue_and_the_conflict_page_show_the_record_naming_another_asn(desk: Desk) -> None:  # noqa: F811
    _write(desk.database, 3, Spec("recommendation", "b", 1, 1), 1)  # Siti's own case
    _write(desk.database, 4, Spec("sanction", "b", 0, 0), 1)  # Siti's sanction, Budi's number
    with desk.database.session() as session:
        sanction = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "idis-4")).one()
        sanction.fields = {**sanction.fields, "sanction_date": "2025-01-10"}
        sanction_id = sanction.id
    desk.reconcile(1)
    with desk.database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == ConflictKind.NAMED_OTHER)).one()
        conflict_id, case_id = conflict.id, conflict.case_id
    steward = desk.login("steward")

    queue = steward.get("/conflicts?status=open").text
    assert "Rekaman menyebut ASN lain" in queue and f"/conflicts/{conflict_id}" in queue
    assert NIP_B not in queue  # the queue names the case, not the ASN the record names

    before = _last_read(desk)
    page = steward.get(f"/conflicts/{conflict_id}")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "Masuk ke kasus ini lewat" in text and f"NIP {NIP_A}" in text and f"NIP {NIP_B}" in text
    move = f"/cases/{case_id}/correct?kind=move_record&amp;record={sanction_id}"
    assert move in page.text
    assert steward.get(move.replace("&amp;", "&")).status_code == 200
    key = access_key(desk.settings)
    reads = dict(_reads_of(desk, before))
    assert {nip_hash(key, NIP_A), nip_hash(key, NIP_B)} <= reads[f"/conflicts/{conflict_id}"]
    english = steward.get(f"/conflicts/{conflict_id}?lang=en").text
    assert "Joined this case by" in english and "Move the record to the case of the ASN it names" in english

    form = {
        "csrf_token": csrf_of(steward, f"/conflicts/{conflict_id}"),
        "basis": conflict.basis_hash,
        "value": "keep",
        "reason": "the SK is Budi's; I'DIS mistyped the NIP",
    }
    assert steward.post(f"/conflicts/{conflict_id}/resolve", data=form).status_code == 303
    desk.reconcile(2)
    with desk.database.session() as session:
        case = session.get(Case, case_id)
        assert case is not None and not case.held and case.status == "dijatuhi_hukuman"
        assert session.get(Conflict, conflict_id).status == "resolved"  # type: ignore[union-attr]
    # The case's history says what was decided in this kind's words, not an ambiguous link's.
    history = steward.get(f"/cases/{case_id}").text
    assert "Rekaman ini milik kasus ini" in history and "Tetap kasus tersendiri" not in history


def test_the_conflict_page_of_a_record_naming_nobody_says_so_and_offers_to_split_it(
    desk: Desk,  # noqa: F811
) -> None:
    """A sanction under Budi's number names someone a steward decided is no ASN: its conflict page says
    so in words (no "NIP None"), in both languages, and links to splitting the record out."""
    _write(desk.database, 4, Spec("sanction", "unknown", 0, 0), 1)
    desk.reconcile(1)
    with desk.database.session() as session:
        sanction_id = session.scalars(
            select(StagedRecord.id).where(StagedRecord.record_key == "idis-4")
        ).one()
        identity = session.scalars(select(Conflict).where(Conflict.staged_record_id == sanction_id)).one()
    resolve_conflict(desk.database, identity.id, value="none", reason="a contract worker", actor="ani")
    desk.reconcile(2)
    with desk.database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == ConflictKind.NAMED_OTHER)).one()
        conflict_id, case_id = conflict.id, conflict.case_id
    steward = desk.login("steward")
    page = steward.get(f"/conflicts/{conflict_id}")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "menurut keputusan steward bukan ASN" in text and f"NIP {NIP_A}" in text
    assert "NIP None" not in text
    split = f"/cases/{case_id}/correct?kind=split&amp;record={sanction_id}"
    assert split in page.text
    assert steward.get(split.replace("&amp;", "&")).status_code in (200, 303)
    english = steward.get(f"/conflicts/{conflict_id}?lang=en").text
    assert "a steward decided is no ASN" in re.sub(r"\s+", " ", english)
