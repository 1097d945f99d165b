"""The conflict queue's pages: the list, a conflict side by side (with a registry search on identity
conflicts), claim, release, resolve and bulk resolve. Agency viewers see only conflicts on their
agency's records (another agency's conflict is a 403), each as :mod:`sbt_sync.steward.scope` lets
them see it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from sbt_sync.console import searches
from sbt_sync.console.i18n import translator
from sbt_sync.console.labels import error_text
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import (
    ID_MAX,
    PathId,
    QueryId,
    check_csrf,
    client_address,
    console,
    flash,
    language,
    render,
    require,
    safe_local,
)
from sbt_sync.console.web_access import record as record_read
from sbt_sync.console.web_pages import KANREGS, case_label
from sbt_sync.db.base import utcnow
from sbt_sync.db.models.golden import CONFLICT_KINDS
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import nips_in
from sbt_sync.reconcile.identity.resolve import IdentityThresholds
from sbt_sync.steward.conflict_detail import CandidateFilter, page_candidates, show_conflict
from sbt_sync.steward.conflicts import (
    IDENTITY_KINDS,
    STATUSES,
    UNASSIGNED,
    ConflictClaimed,
    ConflictFilter,
    InvalidAssignee,
    InvalidDecision,
    assign_conflict,
    assignable_users,
    claim_conflict,
    conflict_visible,
    count_queue,
    list_conflicts,
    queue_instansi,
)
from sbt_sync.steward.decisions import BULK_MAX, BulkChoice, BulkRefusal, bulk_resolve, resolve_conflict
from sbt_sync.steward.due import Today
from sbt_sync.steward.identity_review import PROFILE_FIELDS, compare
from sbt_sync.steward.registry_search import RegistryQuery, RegistrySearchError, search_registry

router = APIRouter(include_in_schema=False)
PAGE = 50
SEARCH_HITS = 15
"""Registry hits a conflict page lists: a steward compares a handful, then narrows the search."""
SearchId = Annotated[str | None, Query(pattern=searches.ID_PATTERN)]
"""A search id in a URL: the terms it stands for stay on the server (:mod:`sbt_sync.console.searches`)."""


def _thresholds(request: Request) -> IdentityThresholds:
    return IdentityThresholds.from_settings(console(request).settings.identity)


def _optional(value: str | None) -> str | None:
    return value or None


@router.get("/conflicts", response_class=HTMLResponse)
def conflicts(
    request: Request,
    me: Annotated[Principal, Depends(require("conflicts.view"))],
    status: Annotated[str, Query(max_length=16)] = "open",
    kind: Annotated[str | None, Query(max_length=32)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    kanreg: Annotated[str | None, Query(max_length=8)] = None,
    instansi: Annotated[str | None, Query(max_length=64)] = None,
    s: SearchId = None,
    case_id: QueryId = None,
    older_than_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    mine: Annotated[bool, Query()] = False,
    sort: Annotated[str, Query(pattern="^(priority|due)$")] = "priority",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The queue as a team's task list: filters in the query string (kept by the pager), "tugas saya"
    (``mine=1``), counts per kind and due markers against the deployment's clock and zone. The case
    text (a key, a NIP, a number) and a colleague chosen as the holder (a civil servant's username) are
    posted and kept under the search id ``s``, never in the URL; the URL's ``assignee`` is only ``-``
    (nobody's), a username there is not run."""
    ctx = console(request)
    kept = searches.recall(request, s)
    case = (kept or {}).get("case", "")
    assignee = _holder(me, kept, assignee, mine=mine)
    status_filter = None if status == "all" else status
    if status_filter not in (*STATUSES, None):
        raise HTTPException(400, translator(language(request))("error.bad_request"))
    filters = ConflictFilter(
        status=status_filter, kind=_optional(kind), agency=_optional(agency), kanreg=_optional(kanreg),
        instansi=_optional(instansi), case_text=_optional(case), case_id=case_id,
        opened_before=utcnow() - timedelta(days=older_than_days) if older_than_days else None,
        assignee=_optional(assignee), sources=me.sources,
    )  # fmt: skip
    today = Today(utcnow(), ZoneInfo(ctx.settings.schedule.timezone))
    total, rows = list_conflicts(
        ctx.database,
        filters=filters,
        sort=sort,
        today=today,
        labels=True,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    counts = count_queue(ctx.database, filters, today=today, me=me.username)
    # the case text may be a NIP: the record says only that one was given
    record_read(request, me, "search", nips_in(rows), filter={"what": "conflicts", "status": status,
                "kind": kind, "agency": agency, "kanreg": kanreg, "instansi": instansi, "case": bool(case),
                "case_id": case_id, "older_than_days": older_than_days, "assignee": assignee, "sort": sort,
                "page": page})  # fmt: skip
    sources = me.sources if me.sources is not None else tuple(sorted(ctx.settings.sources))
    return render(
        request, "conflicts.html", me, rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
        kinds=CONFLICT_KINDS, kanregs=KANREGS, sources=sources, statuses=(*STATUSES, "all"),
        counts=counts, instansis=queue_instansi(ctx.database, me.sources), unassigned=UNASSIGNED,
        colleagues=assignable_users(ctx.database) if me.can("conflicts.act") else [],
        mine=mine or assignee == me.username, here=_here(request), forgotten=bool(s) and kept is None,
        filters={"status": status, "kind": kind or "", "agency": agency or "", "kanreg": kanreg or "",
                 "instansi": instansi or "", "case": case or "", "case_id": case_id or "",
                 "older_than_days": older_than_days if older_than_days is not None else "",
                 "assignee": assignee or "", "sort": sort},
    )  # fmt: skip


def _holder(me: Principal, kept: searches.Terms | None, typed: str | None, *, mine: bool) -> str | None:
    """Whose conflicts the queue lists: mine (``mine=1``), nobody's (``assignee=-`` in the URL), or a
    colleague's kept under the search id; a username typed into the URL is not run."""
    if mine:
        return me.username
    if (kept or {}).get("assignee"):
        return (kept or {})["assignee"]
    return UNASSIGNED if typed == UNASSIGNED else None


QUEUE_FILTERS = ("status", "kind", "agency", "kanreg", "instansi", "case_id", "older_than_days", "sort")
"""The queue's filters a URL may carry. The case text (which may be a NIP) and a colleague's username
are kept under a search id; the holder in the URL is ``mine=1`` or ``assignee=-`` (nobody's)."""


@router.post("/conflicts", dependencies=[Depends(check_csrf)])
def conflicts_filter(
    request: Request,
    me: Annotated[Principal, Depends(require("conflicts.view"))],
    case: Annotated[str, Form(max_length=128)] = "",
    status: Annotated[str, Form(max_length=16)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    agency: Annotated[str, Form(max_length=64)] = "",
    kanreg: Annotated[str, Form(max_length=8)] = "",
    instansi: Annotated[str, Form(max_length=64)] = "",
    case_id: Annotated[str, Form(max_length=16)] = "",
    older_than_days: Annotated[str, Form(max_length=8)] = "",
    assignee: Annotated[str, Form(max_length=64)] = "",
    sort: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """The queue's filter form posts: the case text (a NIP, a number that may carry one) and the
    colleague chosen as holder (a username) are kept on the server under a search id
    (:mod:`sbt_sync.console.searches`); the queue's URL carries that id and the other filters (checked
    by the list as any URL is), never the text nor a username."""
    given = dict(zip(QUEUE_FILTERS, (status, kind, agency, kanreg, instansi, case_id, older_than_days,
                                     sort), strict=True))  # fmt: skip
    holder = assignee.strip()
    terms = {"case": case.strip(), "assignee": "" if holder in ("", UNASSIGNED, me.username) else holder}
    terms = {k: v for k, v in terms.items() if v}
    nobody, mine = holder == UNASSIGNED, holder == me.username
    query = {"s": searches.remember(request, terms) if terms else "",
             "assignee": UNASSIGNED if nobody else "", "mine": "1" if mine else "", **given}  # fmt: skip
    kept = urlencode({k: v.strip() for k, v in query.items() if v.strip()})
    return RedirectResponse(f"/conflicts{'?' + kept if kept else ''}", status_code=303)


def _here(request: Request) -> str:
    """This page with its query string: where a form on it sends the browser back."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _visible_conflict(request: Request, me: Principal, conflict_id: int) -> None:
    if not conflict_visible(console(request).database, conflict_id, None):
        raise HTTPException(404, translator(language(request))("error.not_found"))
    if not conflict_visible(console(request).database, conflict_id, me.sources):
        raise HTTPException(403, translator(language(request))("error.forbidden"))


RegistryText = Annotated[str, Form(max_length=128)]
REGISTRY_TERMS = ("q_name", "q_nip", "q_birth", "q_instansi")
FILTER_TERMS = ("c_birth", "c_instansi", "c_kanreg")
"""The candidate filter's fields, in :class:`CandidateFilter`'s order."""


@router.get("/conflicts/{conflict_id}", response_class=HTMLResponse)
def conflict_detail(
    request: Request,
    conflict_id: PathId,
    me: Annotated[Principal, Depends(require("conflicts.view"))],
    s: SearchId = None,
    f: SearchId = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """A conflict side by side; on an identity conflict a steward may also search the registry
    (posted, then kept under the search id ``s``), and each person found is compared with the row like
    the candidates are. A long candidate list (namesakes of a name held nationally) comes a page at a
    time, narrowed by birth date, instansi and Kanreg (posted too, then kept under the search id ``f``:
    a birth date never travels in a URL); only the page shown is recorded as read."""
    _visible_conflict(request, me, conflict_id)
    database, thresholds = console(request).database, _thresholds(request)
    detail = show_conflict(database, conflict_id, thresholds=thresholds, sources=me.sources)
    chosen = searches.recall(request, f) or {}
    c_birth, c_instansi, c_kanreg = (chosen.get(k, "") for k in FILTER_TERMS)
    narrowed = CandidateFilter(c_birth, c_instansi, c_kanreg, page)
    cpage = page_candidates(detail, narrowed) if detail.summary.kind in IDENTITY_KINDS else None
    kept = searches.recall(request, s) if me.can("conflicts.act") else None
    q_name, q_nip, q_birth, q_instansi = (str((kept or {}).get(k, "")) for k in REGISTRY_TERMS)
    searched = any(v.strip() for v in (q_name, q_nip, q_birth, q_instansi))
    hits: list[dict[str, Any]] = []
    search_error: str | None = None
    if searched and detail.summary.kind in IDENTITY_KINDS and me.can("conflicts.act"):
        try:
            found = search_registry(
                database, _registry_query(q_name, q_nip, q_birth, q_instansi), thresholds=thresholds,
                limit=SEARCH_HITS,
            )  # fmt: skip
            hits = [{"hit": h, "matches": compare(detail.source or {}, h, thresholds)} for h in found]
        except RegistrySearchError as exc:
            search_error = exc.code
    record, source = detail.record or {}, detail.source or {}
    birth = source.get("birth_date")
    form = {
        "q_name": q_name if searched else record.get("name") or "",
        "q_nip": q_nip,
        "q_birth": q_birth if searched else (birth.isoformat() if isinstance(birth, date) else ""),
        "q_instansi": q_instansi if searched else source.get("instansi_name") or source.get("instansi") or "",
    }
    record_read(request, me, "conflict", nips_in(detail, hits))
    return render(
        request, "conflict.html", me, c=detail, identity=detail.summary.kind in IDENTITY_KINDS,
        case_label=case_label(database, detail.case["id"] if detail.case else None, me.sources),
        act=me.can("conflicts.act") and detail.summary.status == "open",
        fields=PROFILE_FIELDS, hits=hits, searched=searched, search_error=search_error, search=form,
        search_id=s if kept is not None else None, search_forgotten=bool(s) and kept is None,
        cpage=cpage, narrowed=narrowed, filter_id=f if chosen else None,
        filter_forgotten=bool(f) and not chosen,
        colleagues=assignable_users(database) if me.can("conflicts.act") else [],
    )  # fmt: skip


def _registry_query(name: str, nip: str, birth: str, instansi: str) -> RegistryQuery:
    try:
        birth_date = date.fromisoformat(birth.strip()) if birth.strip() else None
    except ValueError as exc:
        raise RegistrySearchError("birth_date", f"not a date (YYYY-MM-DD): {birth!r}") from exc
    return RegistryQuery(
        name=name.strip() or None,
        nip=nip.strip() or None,
        birth_date=birth_date,
        instansi=instansi.strip() or None,
    )


def _back(conflict_id: int) -> RedirectResponse:
    return RedirectResponse(f"/conflicts/{conflict_id}", status_code=303)


@router.post("/conflicts/{conflict_id}/claim", dependencies=[Depends(check_csrf)])
def claim(
    request: Request, conflict_id: PathId, me: Annotated[Principal, Depends(require("conflicts.act"))]
) -> Response:
    return _claim(request, me, conflict_id, claim=True)


@router.post("/conflicts/{conflict_id}/release", dependencies=[Depends(check_csrf)])
def release(
    request: Request, conflict_id: PathId, me: Annotated[Principal, Depends(require("conflicts.act"))]
) -> Response:
    return _claim(request, me, conflict_id, claim=False)


@router.post("/conflicts/{conflict_id}/assign", dependencies=[Depends(check_csrf)])
def assign(
    request: Request,
    conflict_id: PathId,
    me: Annotated[Principal, Depends(require("conflicts.act"))],
    assignee: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Assign the conflict to a steward or admin (oneself: a claim), reassign it, or release it
    (``assignee`` empty); audited. Back to ``back`` (the queue as it was filtered) or the conflict."""
    _visible_conflict(request, me, conflict_id)
    _ = translator(language(request))
    target = assignee.strip() or None
    try:
        summary = assign_conflict(
            console(request).database, conflict_id, actor=me.username, assignee=target,
            force=me.role == "admin", channel="console", client_address=client_address(request),
        )  # fmt: skip
    except InvalidAssignee:
        flash(request, "error", _("queue.err_assignee"))
    except ConflictClaimed as exc:
        flash(request, "error", _("queue.err_claimed").format(id=conflict_id, user=exc.holder))
    except InvalidDecision:
        flash(request, "error", _("queue.err_closed").format(id=conflict_id))
    else:
        if summary.claimed_by is None:
            flash(request, "ok", _("queue.done_release").format(id=conflict_id))
        elif summary.claimed_by == me.username:
            flash(request, "ok", _("queue.done_claim").format(id=conflict_id))
        else:
            flash(request, "ok", _("queue.done_assign").format(id=conflict_id, user=summary.claimed_by))
    return RedirectResponse(safe_local(back, f"/conflicts/{conflict_id}"), status_code=303)


def _claim(request: Request, me: Principal, conflict_id: int, *, claim: bool) -> Response:
    _visible_conflict(request, me, conflict_id)
    _ = translator(language(request))
    try:
        claim_conflict(
            console(request).database, conflict_id, actor=me.username, claim=claim, force=me.role == "admin",
            channel="console", client_address=client_address(request),
        )  # fmt: skip
        flash(request, "ok", _("conflict.claimed") if claim else _("conflict.released"))
    except SbtError as exc:
        flash(request, "error", error_text(exc, language(request)))
    return _back(conflict_id)


@router.post("/conflicts/{conflict_id}/resolve", dependencies=[Depends(check_csrf)])
def resolve(
    request: Request,
    conflict_id: PathId,
    me: Annotated[Principal, Depends(require("conflicts.act"))],
    reason: Annotated[str, Form(max_length=2000)],
    value: Annotated[str, Form(max_length=255)] = "",
    other: Annotated[str, Form(max_length=255)] = "",
    basis: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    _visible_conflict(request, me, conflict_id)
    _ = translator(language(request))
    chosen = other.strip() or value
    if not chosen:
        flash(request, "error", _("conflict.choose_first"))
        return _back(conflict_id)
    try:
        decision = resolve_conflict(
            console(request).database, conflict_id, value=chosen, reason=reason, actor=me.username,
            channel="console", allow_other=bool(other.strip()), client_address=client_address(request),
            override_claim=me.role == "admin", basis_seen=basis or None,
        )  # fmt: skip
    except SbtError as exc:
        flash(request, "error", error_text(exc, language(request)))
        return _back(conflict_id)
    flash(request, "ok", _("conflict.resolved").format(id=conflict_id, decision=decision))
    return RedirectResponse("/conflicts", status_code=303)


@router.post("/conflicts/bulk", dependencies=[Depends(check_csrf)])
def bulk(
    request: Request,
    me: Annotated[Principal, Depends(require("conflicts.act"))],
    reason: Annotated[str, Form(max_length=2000)],
    choice: Annotated[str, Form(pattern="^(top|none|keep)$")],
    ids: Annotated[list[Annotated[int, Field(ge=1, le=ID_MAX)]] | None, Form()] = None,
    back: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """The same answer for many conflicts (:func:`bulk_resolve`); each one left open is named with
    the reason, in the console's language."""
    _ = translator(language(request))
    queue = RedirectResponse(safe_local(back, "/conflicts"), status_code=303)  # the list as it was filtered
    if not ids:
        flash(request, "error", _("conflict.bulk_nothing"))
        return queue
    try:
        result = bulk_resolve(
            console(request).database, ids[:BULK_MAX], choice=cast(BulkChoice, choice),
            reason=reason, actor=me.username, sources=me.sources, channel="console",
            client_address=client_address(request), override_claim=me.role == "admin",
            thresholds=_thresholds(request),
        )  # fmt: skip
    except SbtError as exc:
        flash(request, "error", error_text(exc, language(request)))
        return queue
    flash(request, "ok", _("conflict.bulk_done").format(count=len(result.resolved)))
    for refusal in result.refused[:20]:
        flash(request, "warn", _refusal_text(request, refusal))
    if len(result.refused) > 20:
        flash(request, "warn", _("bulk.refused.more").format(count=len(result.refused) - 20))
    return queue


def _refusal_text(request: Request, refusal: BulkRefusal) -> str:
    _ = translator(language(request))
    fields = ", ".join(_(f"field.{f}") for f in refusal.fields)
    text = _(f"bulk.refused.{refusal.code}")
    message = error_text(refusal.error, language(request)) if refusal.error else refusal.message
    return text.format(id=refusal.conflict_id, tied=refusal.tied, fields=fields, message=message)


# Declared after /conflicts/bulk: a conflict's id must not swallow that path.
@router.post("/conflicts/{conflict_id}", dependencies=[Depends(check_csrf)])
def conflict_registry_search(
    request: Request,
    conflict_id: PathId,
    me: Annotated[Principal, Depends(require("conflicts.act"))],
    q_name: RegistryText = "",
    q_nip: RegistryText = "",
    q_birth: RegistryText = "",
    q_instansi: RegistryText = "",
    f: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """The registry search on an identity conflict posts (a name, a NIP, a birth date): the terms are
    kept on the server under a search id (:mod:`sbt_sync.console.searches`) and the conflict's URL
    carries only that id."""
    _visible_conflict(request, me, conflict_id)
    terms = dict(zip(REGISTRY_TERMS, (q_name, q_nip, q_birth, q_instansi), strict=True))
    query = {"f": f if re.fullmatch(searches.ID_PATTERN, f) else ""}  # the candidate filter shown stays
    if any(v.strip() for v in terms.values()):
        query = {"s": searches.remember(request, terms), **query}
    kept = urlencode({k: v for k, v in query.items() if v})
    return RedirectResponse(f"/conflicts/{conflict_id}{'?' + kept if kept else ''}#search", status_code=303)


@router.post("/conflicts/{conflict_id}/candidates", dependencies=[Depends(check_csrf)])
def conflict_candidate_filter(
    request: Request,
    conflict_id: PathId,
    me: Annotated[Principal, Depends(require("conflicts.view"))],
    c_birth: RegistryText = "",
    c_instansi: RegistryText = "",
    c_kanreg: Annotated[str, Form(max_length=8)] = "",
    s: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """The candidate filter posts (a birth date, with the instansi and Kanreg beside it): the terms are
    kept on the server under a search id and the conflict's URL carries that id (``f``) and the
    registry search's (``s``, when one is shown), never the terms. An empty filter clears it."""
    _visible_conflict(request, me, conflict_id)
    terms = dict(zip(FILTER_TERMS, (c_birth.strip(), c_instansi.strip(), c_kanreg.strip()), strict=True))
    query = {"s": s if re.fullmatch(searches.ID_PATTERN, s) else ""}
    if any(terms.values()):
        query["f"] = searches.remember(request, terms)
    kept = urlencode({k: v for k, v in query.items() if v})
    return RedirectResponse(
        f"/conflicts/{conflict_id}{'?' + kept if kept else ''}#candidates", status_code=303
    )
