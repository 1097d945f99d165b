"""The header search (issue 19 item 2) on both backends: names with titles, slips and any word order,
a NIP in part, register, recommendation and SK numbers, each group linked; an agency viewer finds
only what their own agency's records say; hostile text answers 200 or 400, never 500, and the query
never reaches a log."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sbt_sync.db.models.access import PersonalDataAccess
from tests.console import searching
from tests.console.conftest import World
from tests.console.search_world import (
    BUDI,
    BUDI_REGISTER,
    RECOMMENDATION,
    REGISTER,
    SK,
    TRI,
    TRI_NAMESAKE,
    seed_search_world,
)


@pytest.fixture
def ids(world: World) -> dict[str, int]:
    return seed_search_world(world.database)


def _group(page: str, name: str) -> str:
    """The HTML of one result group ("" when the page has none)."""
    found = re.search(rf'<section class="card" id="found-{name}".*?</section>', page, re.S)
    return str(found.group(0)) if found else ""


def _results(page: str) -> str:
    """Every result group's HTML (the text typed, echoed in the search boxes, left out)."""
    return "".join(_group(page, name) for name in ("asn", "cases", "conflicts", "records"))


def _search(client: TestClient, q: str) -> str:
    response = searching.search(client, q)
    assert response.status_code == 200, response.text
    page: str = response.text
    return page


@pytest.mark.parametrize(
    "typed",
    [
        "Tri Wijaya",  # as the records write her
        "wijaya tri, S.Pd.",  # surname first, lower case, a back title
        "Tri Wijya",  # a letter left out
        "Dr. H. Tri Wjiaya",  # front titles and two letters swapped
    ],
)
def test_a_name_with_titles_a_slip_or_another_order_finds_the_asn_her_case_and_records(
    world: World, ids: dict[str, int], typed: str
) -> None:
    page = _search(world.login("steward"), typed)
    asn = _group(page, "asn")
    assert TRI in asn and "Analis Kepegawaian" in asn
    assert asn.index(TRI) < asn.index(TRI_NAMESAKE) if TRI_NAMESAKE in asn else True  # best first
    cases = _group(page, "cases")
    assert f'href="/cases/{ids["case_tri"]}"' in cases and "Dr. Tri Wijaya, S.Pd." in cases
    namesake = f'href="/cases/{ids["case_namesake"]}"'
    assert namesake not in cases or cases.index(f'href="/cases/{ids["case_tri"]}"') < cases.index(namesake)
    assert f'href="/cases/{ids["case_budi"]}"' not in cases
    records = _group(page, "records")
    assert {"BWS-0070", "WAS-2291", "SK-42"} <= set(re.findall(r"[A-Z]+-\d+", records))
    assert f'href="/cases/{ids["case_tri"]}#records"' in records
    assert f'href="/conflicts/{ids["conflict_tri"]}"' in _group(page, "conflicts")


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        (TRI[-6:], "NIP"),  # the last six digits
        (TRI[:8], "NIP"),  # the birth date
        (f"{TRI[:8]} {TRI[8:14]} {TRI[14]} {TRI[15:]}", "NIP"),  # the NIP laid out as printed
        ("0070/Reg/LP", "no. register"),  # the start of the register number
        ("0070-reg-lp-pb", "no. register"),  # other separators, lower case
        (RECOMMENDATION, "no. rekomendasi"),
        (SK, "no. SK"),
        ("800-0042", "no. SK"),  # IDIS writes a dash where the SK has a slash
    ],
)
def test_a_nip_in_part_or_a_register_recommendation_or_sk_number_finds_the_case(
    world: World, ids: dict[str, int], typed: str, why: str
) -> None:
    page = _search(world.login("steward"), typed)
    cases = _group(page, "cases")
    assert f'href="/cases/{ids["case_tri"]}"' in cases and why in cases
    assert f'href="/cases/{ids["case_budi"]}"' not in cases
    if why == "NIP":
        assert TRI in _group(page, "asn")


def test_a_conflict_is_found_by_its_number(world: World, ids: dict[str, int]) -> None:
    page = _search(world.login("auditor"), f"#{ids['conflict_budi']}")
    assert f'href="/conflicts/{ids["conflict_budi"]}"' in _group(page, "conflicts")


def test_only_the_roles_the_registry_api_serves_see_the_asn_group(world: World, ids: dict[str, int]) -> None:
    page = _search(world.login("auditor"), "Tri Wijya")
    assert _group(page, "asn") == "" and "Analis Kepegawaian" not in page
    assert f'href="/cases/{ids["case_tri"]}"' in _group(page, "cases")  # found by the records' names


def test_a_viewer_finds_only_what_their_own_agencys_records_say(world: World, ids: dict[str, int]) -> None:
    viewer = world.login("viewer")  # Bawaslu's
    for typed in (
        "Budi Santoso",
        "santoso budi",
        BUDI[-6:],
        BUDI_REGISTER,
        "kmd-7",
        f"#{ids['conflict_budi']}",
    ):
        page = _search(viewer, typed)
        assert f'href="/cases/{ids["case_budi"]}"' not in page, typed
        assert f'href="/conflicts/{ids["conflict_budi"]}"' not in page and BUDI not in page, typed
        assert _results(page) == "", typed
    # Her case is the viewer's (Bawaslu's register names her), but the SK and the recommendation are
    # IDIS's and BKN Wasdal's: those numbers cannot be probed.
    for typed in (SK, RECOMMENDATION):
        assert f'href="/cases/{ids["case_tri"]}"' not in _search(viewer, typed), typed
    page = _search(viewer, "Tri Wijya")
    assert f'href="/cases/{ids["case_tri"]}"' in _group(page, "cases")
    records = _group(page, "records")
    assert "BWS-0070" in records and "WAS-2291" not in records and "SK-42" not in records
    assert _group(page, "asn") == "" and "Analis Kepegawaian" not in page
    assert f'href="/cases/{ids["case_tri"]}"' in _group(_search(viewer, REGISTER), "cases")


HOSTILE = [
    ("", 200),
    ("   ", 200),
    ("%", 200),
    ("%%%", 200),
    ("_", 200),
    ("___", 200),
    ("%_%_%", 200),
    ("'", 200),
    ("' OR '1'='1", 200),
    ('"; DROP TABLE cases; --', 200),
    ("\\", 200),
    ("\\%\\_", 200),
    ("Tri\tWijaya\u200b", 200),
    ("\U0001f600\U0001f600\U0001f600", 200),
    ("ÀÉÎ Õü", 200),
    ("1" * 200, 200),
    ("%" * 200, 200),
    ("x" * 201, 400),  # longer than the box allows
    ("Tri\x00Wijaya", 400),  # no database stores a NUL in text
]


def test_empty_and_hostile_text_answers_200_or_400_never_500(world: World, ids: dict[str, int]) -> None:
    steward = world.login("steward")
    for typed, status in HOSTILE:
        response = searching.search(steward, typed)
        assert response.status_code == status, (typed, response.text)
        if status == 200 and not any(ch.isalnum() for ch in typed):
            # a wildcard or a quote is a character like any other: it finds nothing, never everything
            assert _results(response.text) == "", typed


def test_the_query_never_reaches_a_log(
    world: World, ids: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    steward = world.login("steward")
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="sbt_sync"):
        for typed in ("Tri Wijaya", TRI[-6:], REGISTER):
            assert TRI in _search(steward, typed)
    searches = [r for r in caplog.records if r.name == "sbt_sync.steward.search"]
    assert len(searches) == 3 and "read as name" in searches[0].getMessage()  # it does log, masked
    # the product's records (the test client's own request lines are not the console's logs)
    ours = [r for r in caplog.records if not r.name.startswith("httpx")]
    logged = " ".join(f"{r.getMessage()} {r.args}" for r in ours)
    assert "Wijaya" not in logged and "WIJAYA" not in logged
    assert TRI[-6:] not in logged and "0070" not in logged
    # The personal-data access log records each search (who, the NIPs shown, hashed), not the text.
    with world.database.session() as session:
        reads = list(session.scalars(select(PersonalDataAccess).where(PersonalDataAccess.kind == "search")))
    assert len(reads) == 3 and all(r.who == "steward" and r.nip_count >= 1 for r in reads)
    kept = " ".join(f"{r.target} {r.filter} {r.purpose}" for r in reads)
    assert "Wijaya" not in kept and TRI[-6:] not in kept and "0070" not in kept


def test_every_page_has_the_search_box_and_the_case_timeline_links_its_conflicts(
    world: World, ids: dict[str, int]
) -> None:
    steward = world.login("steward")
    for path in ("/", "/conflicts", f"/cases/{ids['case_tri']}", "/quarantine", "/search"):
        assert re.search(r'<form method="post" action="/search" role="search"', steward.get(path).text), path
    assert 'action="/search"' not in world.client().get("/login").text  # not before logging in
    page = steward.get(f"/cases/{ids['case_tri']}").text
    opened = re.search(r'<li class="t-conflict_opened">.*?</li>', page, re.S)
    assert opened and f'<a href="/conflicts/{ids["conflict_tri"]}">' in opened.group(0)
