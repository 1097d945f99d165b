"""Reads of personal data in the console and the API (UU 27/2022, issue 20 items 1 and 6).

:func:`record` is what a page or an API route calls, once, after it read an ASN's personal data and
before it answers: one short transaction writing one access record (:func:`sbt_sync.pdp.access.record_read`).
The access-log page (``/admin/access-log``) lists the records with filters (user, day, channel, kind)
and finds a person's reads by their NIP (posted, never in a URL: the NIP is hashed with the deployment's
key and looked up); showing the log is itself recorded. Admins and auditors read it (``access_log.view``):
it is the oversight of everyone who reads personal data, stewards included, so it is not a steward's
screen, nor an agency viewer's (it names every agency's readers). Unusual access, a person whose reads in
one day showed more distinct ASN than ``pdp.unusual_distinct_asn_per_day``, is listed on the page and
flagged on the admins' dashboard (:func:`unusual_banner`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from sbt_sync.console import searches
from sbt_sync.console.i18n import translator
from sbt_sync.console.roles import Principal
from sbt_sync.console.security import token_hash
from sbt_sync.console.web import check_csrf, client_address, console, language, parse_day, render, require
from sbt_sync.db.models import ApiToken
from sbt_sync.db.models.access import CHANNELS
from sbt_sync.pdp.access import (
    KINDS,
    AccessFilter,
    Reader,
    UnusualReader,
    access_key,
    list_reads,
    local_today,
    nip_hash,
    record_read,
    unusual_readers,
)

router = APIRouter(include_in_schema=False)
PAGE = 100
PURPOSE_MAX = 500
UNUSUAL_DAYS = 7
"""The access-log page lists unusual access over this many days (today included); the dashboard today's."""


def _key(request: Request) -> bytes:
    """The deployment's hashing key, read once per app (it never changes while the console runs)."""
    state = request.app.state
    key: bytes | None = getattr(state, "pdp_access_key", None)
    if key is None:
        key = state.pdp_access_key = access_key(console(request).settings)
    return key


def keyed_hash(request: Request, text: str) -> str:
    """The hex HMAC-SHA256 of ``text`` under the deployment's access-log key: lets the same value be
    recognised across records without storing it (e.g. the name typed in a failed login)."""
    return hmac.new(_key(request), text.encode(), hashlib.sha256).hexdigest()


def record(
    request: Request,
    me: Principal,
    kind: str,
    nips: Iterable[str | None],
    *,
    target: str | None = None,
    purpose: str | None = None,
    rows: int | None = None,
    filter: Mapping[str, Any] | None = None,
) -> None:
    """Record that ``me`` read ``nips``' personal data through this request (console or API)."""
    ctx = console(request)
    key = _key(request)
    if purpose is None:  # a screen asks with a ``purpose`` field in its link or form's query
        purpose = (request.query_params.get("purpose") or "")[:PURPOSE_MAX] or None
    with ctx.database.session() as session:
        token_name = None
        if me.channel == "api":
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                token_name = session.scalar(
                    select(ApiToken.name).where(ApiToken.token_hash == token_hash(token.strip()))
                )
        reader = Reader(
            me.username, me.channel, token_name=token_name, client_address=client_address(request)
        )
        record_read(
            session, reader, None, kind, nips, purpose, rows, filter, key=key,
            target=target or request.url.path,
        )  # fmt: skip


def _unusual(request: Request, days: list[date]) -> list[UnusualReader]:
    ctx = console(request)
    with ctx.database.session() as session:
        return unusual_readers(
            session,
            days,
            threshold=ctx.settings.pdp.unusual_distinct_asn_per_day,
            timezone=ctx.settings.schedule.timezone,
        )


def unusual_banner(request: Request, me: Principal | None) -> list[UnusualReader]:
    """Today's unusual access, for the dashboard's banner: admins only (empty for everyone else)."""
    if me is None or not me.can("access_log.alerts"):
        return []
    today = local_today(console(request).settings.schedule.timezone)
    return _unusual(request, [today])


def _page(
    request: Request,
    me: Principal,
    *,
    who: str | None,
    day: str | None,
    channel: str | None,
    kind: str | None,
    nip: str | None,
    page: int,
    purpose: str | None = None,
) -> Response:
    ctx = console(request)
    timezone = ctx.settings.schedule.timezone
    if channel and channel not in CHANNELS:
        raise HTTPException(400, translator(language(request))("error.bad_request"))
    if kind and kind not in KINDS:
        raise HTTPException(400, translator(language(request))("error.bad_request"))
    nip = "".join(nip.split()) if nip else None
    where = AccessFilter(
        who=who.strip() if who and who.strip() else None,
        day=parse_day(request, day),
        channel=channel or None,
        kind=kind or None,
        nip_hash=nip_hash(_key(request), nip) if nip else None,
        timezone=timezone,
    )
    with ctx.database.session() as session:
        rows = list_reads(session, where, limit=PAGE + 1, offset=(page - 1) * PAGE)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    today = local_today(timezone)
    unusual = _unusual(request, [today - timedelta(days=n) for n in range(UNUSUAL_DAYS)])
    # Reading the log is a read too: the looked-up ASN's hash, the filter, how many rows it showed.
    record(
        request, me, "access_log", [nip] if nip else [], rows=len(rows), filter=where.as_dict(),
        purpose=(purpose or "").strip()[:PURPOSE_MAX] or None,
    )  # fmt: skip
    return render(
        request, "access_log.html", me, rows=rows, page=page, more=more, unusual=unusual,
        threshold=ctx.settings.pdp.unusual_distinct_asn_per_day, unusual_days=UNUSUAL_DAYS,
        channels=CHANNELS, kinds=KINDS, nip_given=bool(nip),
        filters={"who": who or "", "day": day or "", "channel": channel or "", "kind": kind or ""},
    )  # fmt: skip


PATH = "/admin/access-log"


@router.get("/admin/access-log", response_class=HTMLResponse)
def access_log(
    request: Request,
    me: Annotated[Principal, Depends(require("access_log.view"))],
    s: Annotated[str | None, Query(pattern=searches.ID_PATTERN)] = None,
    day: Annotated[str | None, Query(max_length=10)] = None,
    channel: Annotated[str | None, Query(max_length=8)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The log, filtered by the day, channel and kind in the URL and by the reader (a civil servant's
    username, posted and kept under the search id ``s``: never in the URL; ``who=`` there is not run)."""
    who = (searches.recall(request, s) or {}).get("who")
    return _page(request, me, who=who, day=day, channel=channel, kind=kind, nip=None, page=page)


@router.post("/admin/access-log", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def access_log_by_nip(
    request: Request,
    me: Annotated[Principal, Depends(require("access_log.view"))],
    nip: Annotated[str, Form(max_length=32)] = "",
    who: Annotated[str | None, Form(max_length=128)] = None,
    day: Annotated[str | None, Form(max_length=10)] = None,
    channel: Annotated[str | None, Form(max_length=8)] = None,
    kind: Annotated[str | None, Form(max_length=32)] = None,
    purpose: Annotated[str | None, Form(max_length=PURPOSE_MAX)] = None,
) -> Response:
    """The filters and the NIP lookup post. Without a NIP: the reader's username is kept under a search
    id (:mod:`sbt_sync.console.searches`) and the browser goes to the log's URL with that id, the day,
    channel and kind. With a NIP: the lookup, answered at once, so the NIP never sits in a URL, a
    browser history or a proxy's log; the form asks why (optional), kept with the record of this read."""
    if not nip.strip():
        kept = searches.remember(request, {"who": who.strip()}) if who and who.strip() else ""
        query = {"s": kept, "day": day or "", "channel": channel or "", "kind": kind or ""}
        shown = urlencode({k: v.strip() for k, v in query.items() if v.strip()})
        return RedirectResponse(PATH + (f"?{shown}" if shown else ""), status_code=303)
    return _page(request, me, who=who, day=day, channel=channel, kind=kind, nip=nip, page=1, purpose=purpose)
