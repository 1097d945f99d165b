"""A case search matches what was typed literally: LIKE's wildcards ``_`` and ``%`` (and the escape
character) match only themselves, on both backends, for a steward (the golden keys and numbers) and an
agency viewer (their own records' keys and numbers)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from sbt_sync.db.models import Case
from sbt_sync.steward.cases import list_cases
from tests.console.conftest import World


def _total(world: World, who: str, term: str) -> int:
    response = world.client().post(
        "/api/v1/cases/search", json={"q": term}, headers={"Authorization": f"Bearer {world.tokens[who]}"}
    )
    assert response.status_code == 200, response.text
    total = response.json()["total"]
    assert isinstance(total, int)
    return total


@pytest.mark.parametrize(
    ("who", "term", "found"),
    [
        ("steward", "CASE-", 2),  # the control: a plain part of both keys finds both
        ("steward", "_", 0),  # one "_" was any one character: every case
        ("steward", "%", 0),  # "%" was anything: every case
        ("steward", "CASE_A", 0),  # "_" stood for the "-" of CASE-A
        ("steward", "\\", 0),  # the escape character alone is a character like any other
        ("viewer", "REG-A", 1),  # the viewer's own record's key
        ("viewer", "REG_A", 0),
        ("viewer", "_", 0),
    ],
)
def test_a_case_search_matches_wildcards_literally(world: World, who: str, term: str, found: int) -> None:
    assert _total(world, who, term) == found


def test_a_key_with_an_underscore_is_found_by_its_underscore(world: World) -> None:
    with world.database.session() as session:
        session.execute(update(Case).where(Case.id == world.ids["case_a"]).values(case_key="CASE_A%1"))
    total, rows = list_cases(world.database, search="E_A%1")
    assert total == 1 and [r.id for r in rows] == [world.ids["case_a"]]
    assert list_cases(world.database, search="E-A")[0] == 0
