"""Searches that carry a name, a NIP or a birth date keep them out of URLs (DESIGN.md: logs never hold
them in clear; a URL lands in the browser's history and the reverse proxy's log): the header search,
the case list's filter and the registry search on an identity conflict post (CSRF-protected) and the
browser is sent to a URL holding only a search id bound to its session; reloading, going back and
paging work; another session, or the same person after logging in again, cannot use the id. Both
backends."""

from __future__ import annotations

import re

from tests.console import searching
from tests.console.conftest import NIP_A, World
from tests.console.identity_world import seed_identity_world
from tests.console.search_world import TRI, TRI_KEY, seed_search_world

FORGOTTEN = "Pencarian ini sudah tidak tersimpan"


def _forms(page: str) -> list[str]:
    return re.findall(r"<form [^>]*>", page)


def test_the_header_search_posts_and_its_results_url_holds_a_session_bound_id(world: World) -> None:
    ids = seed_search_world(world.database)
    steward = world.login("steward")
    header = next(f for f in _forms(steward.get("/").text) if 'role="search"' in f)
    assert 'method="post" action="/search"' in header
    token = searching.csrf(steward)
    assert steward.post("/search", data={"q": "Tri Wijaya"}).status_code == 403  # no CSRF token
    answer = steward.post("/search", data={"q": "Tri Wijaya", "csrf_token": token})
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/search\?s=[\w-]{16}", location) and "Tri" not in location
    first = steward.get(location).text
    assert TRI in first and 'value="Tri Wijaya"' in first  # the box shows what was typed
    assert steward.get(location).text.count(TRI) == first.count(TRI)  # a reload (or "back") again
    # An ASN found links to her cases through an id of its own, never her NIP.
    link = re.search(r'<a href="(/cases\?s=[\w-]+)">', first)
    assert link and TRI not in link.group(1)
    cases = steward.get(link.group(1)).text
    assert f'href="/cases/{ids["case_tri"]}"' in cases and 'value="' + TRI + '"' in cases
    # The id is this session's: another browser of the same steward, or after logging in again, gets
    # the empty form and words, never the results (nor an error page).
    other = world.login("steward")
    elsewhere = other.get(location)
    assert elsewhere.status_code == 200 and TRI not in elsewhere.text and FORGOTTEN in elsewhere.text
    steward.post("/logout", data={"csrf_token": searching.csrf(steward)})
    again = world.login("steward").get(location).text
    assert TRI not in again and FORGOTTEN in again
    # Something that is not an id is refused before any lookup.
    assert steward.get("/search?s=../../etc").status_code in (303, 400)


def test_the_case_list_filter_posts_its_search_and_keeps_the_other_filters_in_the_url(world: World) -> None:
    steward = world.login("steward")
    form = next(f for f in _forms(steward.get("/cases").text) if 'class="filters"' in f)
    assert 'method="post" action="/cases"' in form
    location = searching.location_of(
        steward, "/cases", {"q": NIP_A, "status": "", "kanreg": "I"}, page="/cases"
    )
    assert NIP_A not in location and re.fullmatch(r"/cases\?s=[\w-]+&kanreg=I", location), location
    page = steward.get(location).text
    assert "CASE-A" in page and "CASE-B" not in page and f'value="{NIP_A}"' in page
    assert "CASE-A" in steward.get(location + "&page=1").text  # paging keeps the search
    # A filter without a search term needs no id; an empty search clears it.
    assert (
        searching.location_of(steward, "/cases", {"q": " ", "status": "diblokir"}) == "/cases?status=diblokir"
    )
    assert "CASE-B" in searching.cases(steward, "").text


def test_the_registry_search_on_an_identity_conflict_posts_and_survives_narrowing(world: World) -> None:
    ids = seed_identity_world(world.database)
    steward = world.login("steward")
    conflict = ids["unresolved"]
    page = steward.get(f"/conflicts/{conflict}").text
    found = re.search(r'<form method="post" action="/conflicts/\d+#search"', page)
    assert found, "the registry search posts"
    location = searching.location_of(
        steward, f"/conflicts/{conflict}", {"q_name": "wijaya tri", "q_birth": "1985-04-12"}
    )
    assert re.fullmatch(rf"/conflicts/{conflict}\?s=[\w-]+#search", location), location
    assert "wijaya" not in location.lower() and "1985" not in location
    results = steward.get(location).text
    assert "Hasil pencarian registri" in results and TRI in results
    assert 'value="wijaya tri"' in results and 'value="1985-04-12"' in results
    # an agency viewer or an auditor may not search the registry
    for who in ("auditor", "viewer"):
        client = world.login(who)
        refused = client.post(
            f"/conflicts/{conflict}",
            data={"q_name": "Tri", "csrf_token": searching.csrf(client, "/conflicts")},
        )
        assert refused.status_code == 403, who


def test_a_search_typed_in_a_url_is_not_run(world: World) -> None:
    """An old bookmark or a hand-made link with ``q=`` shows the empty form (the case list unfiltered):
    the term it carries is not searched."""
    seed_search_world(world.database)
    steward = world.login("steward")
    search = steward.get(f"/search?q={TRI}").text
    assert 'id="found-' not in search and f'value="{TRI}"' not in search
    cases = steward.get(f"/cases?q={TRI}").text
    assert f'value="{TRI}"' not in cases and "CASE-A" in cases and TRI_KEY in cases
