"""A steward finds a person's conflicts in the queue by the person's name (both backends): in the
console's queue filter, with the CLI's ``conflicts list --case`` (``--json``) and the API's conflict
search, as DESIGN.md asks ("finds people by name"; the conflict queue filters).

Budi's recommendation carries his NIP under Siti's name, so it waits in the queue as an identity
conflict on Budi's case. Before the fix the queue's "Kasus" filter read only a key, a NIP or a number:
a steward typing "Budi Santoso" or "siti aminah" (the names the queue row itself shows) got an empty
queue, and the CLI and the API could not filter the queue by anything that names a person at all.
An agency viewer's name search reads only their agency's records, as the header search does.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.console.users import create_token
from sbt_sync.db.models import Conflict
from tests.conftest import REPO_ROOT
from tests.console import searching
from tests.console.test_link_pages import Desk, desk  # noqa: F401  (a fixture)
from tests.reconcile.test_database_property import (  # noqa: F401  (project_settings: a fixture)
    NIP_A,
    Spec,
    _write,
    project_settings,
)

pytestmark = pytest.mark.integration


def _rows(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-conflict="(\d+)"', html)]


def _disputed(desk: Desk) -> int:  # noqa: F811
    """Budi's recommendation, re-sent under Siti's name: its identity conflict's id."""
    _write(desk.database, 1, Spec("recommendation", "a_named_b", 0, 0), 2)
    desk.reconcile(1)
    with desk.database.session() as session:
        conflict = session.scalars(
            select(Conflict).where(
                Conflict.staged_record_id == desk.recommendation, Conflict.status == "open"
            )
        ).one()
        return conflict.id


def test_the_console_queue_finds_a_persons_conflict_by_name(desk: Desk) -> None:  # noqa: F811
    conflict = _disputed(desk)
    steward = desk.login("steward")
    assert conflict in _rows(steward.get("/conflicts").text)
    for typed in ("Budi Santoso", "siti aminah", "Dr. Budi Santoso, M.Si."):
        found = searching.location_of(steward, "/conflicts", {"case": typed})
        assert "Budi" not in found and "siti" not in found.lower()  # kept on the server, not in the URL
        assert _rows(steward.get(found).text) == [conflict], typed
    nobody = searching.location_of(steward, "/conflicts", {"case": "Joko Prasetyo"})
    assert _rows(steward.get(nobody).text) == []
    by_nip = searching.location_of(steward, "/conflicts", {"case": NIP_A})  # still by NIP
    assert _rows(steward.get(by_nip).text) == [conflict]


def test_an_agency_viewer_finds_by_name_only_in_their_agencys_records(desk: Desk) -> None:  # noqa: F811
    conflict = _disputed(desk)
    viewer = desk.login("viewer")  # Bawaslu's: the recommendation under Siti's name is BKN Wasdal's
    assert _rows(viewer.get("/conflicts").text) in ([], [conflict])
    probe = searching.location_of(viewer, "/conflicts", {"case": "Siti Aminah"})
    assert _rows(viewer.get(probe).text) == []  # only BKN Wasdal's record names Siti on that case


def test_the_cli_and_the_api_filter_the_queue_by_name(
    desk: Desk,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conflict = _disputed(desk)
    monkeypatch.setenv("SBT_DATABASE_URL", desk.database.url)
    config = ["--config", str(REPO_ROOT / "sbt.yaml")]
    result = CliRunner().invoke(app, [*config, "conflicts", "list", "--case", "budi santoso", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert (listed["total"], [c["id"] for c in listed["conflicts"]]) == (1, [conflict])
    result = CliRunner().invoke(app, [*config, "conflicts", "list", "--case", "Joko Prasetyo", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["total"] == 0, result.output

    token, _ = create_token(desk.database, "steward", name="t", actor="test")
    client = desk.login("steward")
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post("/api/v1/conflicts/search", json={"case": "Siti Aminah"}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert [c["id"] for c in answer.json()["items"]] == [conflict]


def _case_rows(html: str) -> list[int]:
    return sorted({int(i) for i in re.findall(r'href="/cases/(\d+)"', html)})


def test_the_case_list_and_the_api_find_a_persons_cases_by_name(desk: Desk) -> None:  # noqa: F811
    steward = desk.login("steward")
    siti = desk.case_of(desk.finding_b)
    found = searching.location_of(steward, "/cases", {"q": "siti aminah"})
    assert "siti" not in found.lower()
    assert _case_rows(steward.get(found).text) == [siti]
    token, _ = create_token(desk.database, "steward", name="t", actor="test")
    headers = {"Authorization": f"Bearer {token}"}
    answer = steward.post("/api/v1/cases/search", json={"q": "Hj. Siti Aminah"}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert [c["id"] for c in answer.json()["items"]] == [siti]


def test_moving_a_record_finds_the_target_case_by_the_persons_name(desk: Desk) -> None:  # noqa: F811
    """ "Pindahkan ke kasus lain": the steward knows whose case the record belongs in by name."""
    steward = desk.login("steward")
    case = desk.case_of(desk.recommendation)
    siti = desk.case_of(desk.finding_b)
    chooser = f"/cases/{case}/correct?kind=move_record&record={desk.recommendation}"
    form = {"kind": "move_record", "record": str(desk.recommendation), "q": "Siti Aminah"}
    found = searching.location_of(steward, f"/cases/{case}/correct/search", form, page=chooser)
    offered = re.findall(r'name="target_case" value="(\d+)"', steward.get(found).text)
    assert offered == [str(siti)]
