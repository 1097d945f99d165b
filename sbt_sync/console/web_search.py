"""The header's search box: ``POST /search`` (what was typed, CSRF-protected) keeps the terms under a
session-bound search id and sends the browser to ``GET /search?s=<id>``, which finds ASN, cases,
conflicts and source records (:mod:`sbt_sync.steward.search`), grouped and linked to their pages. The
terms never travel in a URL (:mod:`sbt_sync.console.searches`); an ASN found links to the case list
through a search id of its own, not its NIP.

Every role that reads cases may search; an agency viewer finds only what their own agency's records
say, and the ASN registry group is shown only to the roles the registry search API serves
(``conflicts.act``). What was typed is personal data (a name, a NIP): it is never logged, nor kept in
the personal-data access log, which records the read (kind ``search``) with the NIPs the page showed,
hashed, and how many hits each group had; the page is sent with ``Cache-Control: no-store`` like every
other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sbt_sync.console import searches
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import check_csrf, console, render, require
from sbt_sync.console.web_access import record as record_read
from sbt_sync.pdp.access import nips_in
from sbt_sync.reconcile.identity.resolve import IdentityThresholds
from sbt_sync.steward.search import SearchResults, search
from sbt_sync.steward.search_terms import MAX_QUERY, SearchError

router = APIRouter(include_in_schema=False)
SearchId = Annotated[str | None, Query(pattern=searches.ID_PATTERN)]
"""A search id in a URL (``?s=``): the terms stay on the server."""


@router.post("/search", dependencies=[Depends(check_csrf)])
def search_post(
    request: Request,
    me: Annotated[Principal, Depends(require("cases.view"))],
    q: Annotated[str, Form(max_length=MAX_QUERY)] = "",
) -> Response:
    if not q.strip():
        return RedirectResponse("/search", status_code=303)
    return RedirectResponse(f"/search?s={searches.remember(request, {'q': q})}", status_code=303)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    me: Annotated[Principal, Depends(require("cases.view"))],
    s: SearchId = None,
) -> Response:
    settings = console(request).settings
    terms = searches.recall(request, s)
    q = (terms or {}).get("q", "")
    results: SearchResults | None = None
    error: str | None = "forgotten" if s and terms is None else None
    case_links: dict[str, str] = {}
    if q.strip():
        try:
            results = search(
                console(request).database, q, sources=me.sources, registry=me.can("conflicts.act"),
                thresholds=IdentityThresholds.from_settings(settings.identity),
            )  # fmt: skip
        except SearchError as exc:
            error = exc.code
        else:
            # An ASN found links to its cases through a search id of its own: its NIP stays off the URL.
            case_links = {a.nip: searches.remember(request, {"q": a.nip}) for a in results.asn}
            # Every NIP the page shows (in case and record keys too); what was typed is not kept.
            record_read(
                request, me, "search", nips_in(results), rows=results.total,
                filter={"asn": len(results.asn), "cases": len(results.cases),
                        "conflicts": len(results.conflicts), "records": len(results.records)},
            )  # fmt: skip
    return render(
        request, "search.html", me, q=q, results=results, error=error, max_query=MAX_QUERY,
        case_links=case_links,
    )  # fmt: skip
