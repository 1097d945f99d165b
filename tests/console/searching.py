"""Searching the console as a browser does: the header search, the case list's filter and the registry
search on an identity conflict post (CSRF-protected) and are redirected to a URL carrying only a
session-bound search id (:mod:`sbt_sync.console.searches`); these helpers post and follow."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

SEARCH_ID = re.compile(r"[?&]s=([A-Za-z0-9_-]{16,32})")
SEARCH_IDS = re.compile(r"(?<=[?&])[sf]=[A-Za-z0-9_-]{16,32}")
"""Every search id a results URL carries (``s=`` a search, ``f=`` a candidate filter)."""


def csrf(client: TestClient, path: str = "/search") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def with_lang(location: str, lang: str | None) -> str:
    """``location`` with ``lang=`` added to its query (before any fragment)."""
    if lang is None:
        return location
    path, hash_, fragment = location.partition("#")
    return f"{path}{'&' if '?' in path else '?'}lang={lang}{hash_}{fragment}"


def post_search(
    client: TestClient, path: str, form: dict[str, str], *, page: str | None = None, lang: str | None = None
) -> Response:
    """Post ``form`` to ``path`` (with the CSRF token of ``page``, else of ``path``); when the answer is
    the redirect to the results, follow it (in ``lang`` when given) and return the results page, else
    return the answer."""
    token = csrf(client, page or path.split("#")[0])
    answer: Response = client.post(path, data={**form, "csrf_token": token})
    if answer.status_code != 303:
        return answer
    location = answer.headers["location"]
    # What was typed never travels in the URL. The search ids are random URL-safe text, which may hold a
    # typed "_" or "-" by chance: the check reads the URL without them.
    bare = SEARCH_IDS.sub("", location)
    for term in form.values():
        assert not term.strip() or term not in bare, (term, location)
    results: Response = client.get(with_lang(location, lang))
    return results


def search(client: TestClient, q: str, *, lang: str | None = None) -> Response:
    """The header search for ``q``: its results page."""
    return post_search(client, "/search", {"q": q}, lang=lang)


def cases(client: TestClient, q: str, **filters: str) -> Response:
    """The case list filtered by the search ``q`` (and any other filters)."""
    return post_search(client, "/cases", {"q": q, **filters})


def registry(client: TestClient, conflict_id: int, *, lang: str | None = None, **terms: str) -> Response:
    """The identity conflict's page with its registry search for ``terms`` (q_name, q_nip, ...)."""
    return post_search(client, f"/conflicts/{conflict_id}", terms, lang=lang)


def location_of(client: TestClient, path: str, form: dict[str, str], *, page: str | None = None) -> str:
    """Where posting ``form`` to ``path`` sends the browser (a URL with a search id)."""
    token = csrf(client, page or path.split("#")[0])
    answer = client.post(path, data={**form, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])
