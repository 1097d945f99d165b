"""The header's search box: ``GET /search?q=...`` finds ASN, cases, conflicts and source records
(:mod:`sbt_sync.steward.search`), grouped and linked to their pages.

Every role that reads cases may search; an agency viewer finds only what their own agency's records
say, and the ASN registry group is shown only to the roles the registry search API serves
(``conflicts.act``). What was typed is personal data (a name, a NIP): it is never logged, nor kept in
the personal-data access log, which records the read (kind ``search``) with the NIPs the page showed,
hashed, and how many hits each group had; the page is sent with ``Cache-Control: no-store`` like every
other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from sbt_sync.console.roles import Principal
from sbt_sync.console.web import console, render, require
from sbt_sync.console.web_access import record as record_read
from sbt_sync.pdp.access import nips_in
from sbt_sync.reconcile.identity.resolve import IdentityThresholds
from sbt_sync.steward.search import SearchResults, search
from sbt_sync.steward.search_terms import MAX_QUERY, SearchError

router = APIRouter(include_in_schema=False)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    me: Annotated[Principal, Depends(require("cases.view"))],
    q: Annotated[str | None, Query(max_length=MAX_QUERY)] = None,
) -> Response:
    settings = console(request).settings
    results: SearchResults | None = None
    error: str | None = None
    if q is not None and q.strip():
        try:
            results = search(
                console(request).database, q, sources=me.sources, registry=me.can("conflicts.act"),
                thresholds=IdentityThresholds.from_settings(settings.identity),
            )  # fmt: skip
        except SearchError as exc:
            error = exc.code
        else:
            # Every NIP the page shows (in case and record keys too); what was typed is not kept.
            record_read(
                request, me, "search", nips_in(results), rows=results.total,
                filter={"asn": len(results.asn), "cases": len(results.cases),
                        "conflicts": len(results.conflicts), "records": len(results.records)},
            )  # fmt: skip
    return render(request, "search.html", me, q=q or "", results=results, error=error, max_query=MAX_QUERY)
