"""A record that joined a case by its number while naming nobody in the registry (a steward decided the
person it names is no ASN) has its own words wherever its conflict's kind is shown: not "Rekaman
menyebut ASN lain" (it names no other ASN), in both languages (both backends)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from sbt_sync.db.models import Conflict, StagedRecord
from sbt_sync.states.conflicts import ConflictKind
from sbt_sync.steward.decisions import resolve_conflict
from tests.console.test_link_pages import Desk, desk  # noqa: F401  (a fixture)
from tests.reconcile.test_database_property import (
    Spec,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

NOBODY_ID = "Rekaman tanpa identitas ASN tergabung lewat nomor"
NOBODY_EN = "Record naming no ASN joined by number"
OTHER_ID = "Rekaman menyebut ASN lain"
OTHER_EN = "Record names another ASN"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _row_of(html: str, conflict_id: int) -> str:
    """The queue's table row of conflict ``conflict_id``."""
    [row] = [r for r in re.findall(r"<tr.*?</tr>", html, re.S) if f'href="/conflicts/{conflict_id}"' in r]
    return _text(row)


@pytest.mark.integration
def test_a_record_naming_nobody_is_worded_as_such_on_the_queue_its_page_and_its_case(
    desk: Desk,  # noqa: F811
) -> None:
    _write(desk.database, 4, Spec("sanction", "unknown", 0, 0), 1)  # under Budi's number, names nobody
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

    row = _row_of(steward.get("/conflicts?status=open").text, conflict_id)
    assert NOBODY_ID in row and OTHER_ID not in row, row
    heading = re.search(r"<h1>(.*?)</h1>", steward.get(f"/conflicts/{conflict_id}").text, re.S)
    assert heading is not None and NOBODY_ID in heading.group(1) and OTHER_ID not in heading.group(1)
    english = re.search(r"<h1>(.*?)</h1>", steward.get(f"/conflicts/{conflict_id}?lang=en").text, re.S)
    assert english is not None and NOBODY_EN in english.group(1) and OTHER_EN not in english.group(1)
    case_page = _text(steward.get(f"/cases/{case_id}").text)
    assert NOBODY_ID in case_page and OTHER_ID not in case_page
    english_row = _row_of(steward.get("/conflicts?status=open&lang=en").text, conflict_id)
    assert NOBODY_EN in english_row and OTHER_EN not in english_row
    # The queue's kind filter takes both wordings, and says so; filtering by it lists this conflict.
    queue = _text(steward.get("/conflicts?status=open").text)
    assert "Rekaman menyebut ASN lain atau tanpa identitas" in queue
    filtered = steward.get("/conflicts?status=open&kind=named_other").text
    assert _row_of(filtered, conflict_id)
    assert "Record names another ASN or no one" in _text(steward.get("/conflicts?status=open&lang=en").text)
