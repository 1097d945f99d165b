"""The stewards' pages: dashboard, cases and a case's timeline (the conflict queue is
:mod:`sbt_sync.console.web_conflicts`). Agency viewers see only their agency's records; another
agency's record is a 403, lists never include one, and every value shown has passed the one gate,
:mod:`sbt_sync.steward.scope` (through the steward functions called with ``sources``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sbt_sync.console import charts, searches
from sbt_sync.console.holds import explain_hold
from sbt_sync.console.i18n import translator
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import PathId, check_csrf, console, language, render, require
from sbt_sync.console.web_access import record as record_read
from sbt_sync.db.engine import Database
from sbt_sync.db.models.golden import CASE_STATUSES
from sbt_sync.letters.queries import case_letter_steps
from sbt_sync.reports.recap import COLUMNS, HEADERS
from sbt_sync.steward.case_labels import case_labels
from sbt_sync.steward.cases import case_timeline, case_visible_to, list_cases
from sbt_sync.steward.conflicts import list_conflicts
from sbt_sync.steward.dashboard import build_dashboard
from sbt_sync.steward.links import case_records, list_corrections
from sbt_sync.steward.sanctions import list_versions
from sbt_sync.steward.scope import case_scopes

router = APIRouter(include_in_schema=False)
PAGE = 50
KANREGS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV")


def case_label(database: Database, case_id: int | None, sources: Sequence[str] | None) -> str | None:
    """A case by its short label (event, register, name), as the queue and the search name it
    (:mod:`sbt_sync.steward.case_labels`), within what a user scoped to ``sources`` may see."""
    if case_id is None:
        return None
    with database.session() as session:
        return case_labels(session, [case_id], case_scopes(session, [case_id], sources)).get(case_id)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, me: Annotated[Principal, Depends(require("dashboard.view"))]) -> Response:
    _ = translator(language(request))
    data = build_dashboard(console(request).database, sources=me.sources)
    funnel = charts.hbars([(_(f"recap.{key}"), value) for key, value in data.funnel])
    kanreg = charts.vbars(data.blocks_by_kanreg)
    trend = charts.lines(
        data.trend,
        [
            ("recommended", _("recap.recommended")),
            ("sanctioned", _("recap.sanctioned")),
            ("blocked", _("recap.blocked")),
        ],
    )
    return render(
        request, "dashboard.html", me, data=data, columns=COLUMNS, headers=HEADERS,
        funnel=funnel, kanreg_chart=kanreg, trend_chart=trend,
    )  # fmt: skip


def _optional(value: str | None) -> str | None:
    return value or None


Status = Annotated[str | None, Query(max_length=32)]
Kanreg = Annotated[str | None, Query(max_length=8)]
Held = Annotated[str | None, Query(pattern="^(|yes|no)$")]
Issuer = Annotated[str | None, Query(pattern="^(|KASN|BKN)$")]


@router.post("/cases", dependencies=[Depends(check_csrf)])
def cases_filter(
    request: Request,
    me: Annotated[Principal, Depends(require("cases.view"))],
    q: Annotated[str, Form(max_length=128)] = "",
    status: Annotated[str, Form(max_length=32)] = "",
    kanreg: Annotated[str, Form(max_length=8)] = "",
    held: Annotated[str, Form(pattern="^(|yes|no)$")] = "",
    issuer: Annotated[str, Form(pattern="^(|KASN|BKN)$")] = "",
) -> Response:
    """The filter form posts: a search term (a NIP, a number that may carry one) is kept on the server
    under a search id (:mod:`sbt_sync.console.searches`); the list's URL carries that id and the
    other filters, never the term."""
    query = {"status": status, "kanreg": kanreg, "held": held, "issuer": issuer}
    if q.strip():
        query = {"s": searches.remember(request, {"q": q.strip()}), **query}
    return RedirectResponse(f"/cases?{urlencode({k: v for k, v in query.items() if v})}", status_code=303)


@router.get("/cases", response_class=HTMLResponse)
def cases(
    request: Request,
    me: Annotated[Principal, Depends(require("cases.view"))],
    s: Annotated[str | None, Query(pattern=searches.ID_PATTERN)] = None,
    status: Status = None,
    kanreg: Kanreg = None,
    held: Held = None,
    issuer: Issuer = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    # The issuer is a golden value chosen from BKN Wasdal's or KASN's record: BKN's roles filter by it,
    # an agency viewer's filter would find cases by another agency's value, so it is ignored for them.
    issuer = issuer if me.sources is None else None
    terms = searches.recall(request, s)
    q = (terms or {}).get("q", "")
    total, rows = list_cases(
        console(request).database, search=_optional(q), status=_optional(status), kanreg=_optional(kanreg),
        held={"yes": True, "no": False}.get(held or ""), issuer=_optional(issuer), sources=me.sources,
        limit=PAGE, offset=(page - 1) * PAGE,
    )  # fmt: skip
    record_read(request, me, "search", [r.nip for r in rows], filter={"status": status, "kanreg": kanreg,
                "held": held, "issuer": issuer, "page": page, "search": bool(q)})  # fmt: skip
    return render(
        request, "cases.html", me, rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
        statuses=CASE_STATUSES, kanregs=KANREGS, forgotten=bool(s) and terms is None,
        filters={"q": q, "status": status or "", "kanreg": kanreg or "", "held": held or "",
                 "issuer": issuer or ""},
    )  # fmt: skip


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_detail(
    request: Request, case_id: PathId, me: Annotated[Principal, Depends(require("cases.view"))]
) -> Response:
    database = console(request).database
    timeline = case_timeline(database, case_id, sources=me.sources)
    if timeline is None:
        raise HTTPException(404, translator(language(request))("error.not_found"))
    if not case_visible_to(database, case_id, me.sources):
        raise HTTPException(403, translator(language(request))("error.forbidden"))
    # Its conflicts as links, the identity disputes of its rows included (those carry no case id).
    _, conflicts = list_conflicts(database, status=None, case_id=case_id, sources=me.sources, limit=PAGE)
    # Corrections of every record the case ever held: one moved away still names it (agency viewers
    # see none: a correction may name another agency's records).
    corrections = (
        list_corrections(database, staged_record_ids=[r["id"] for r in timeline.records])
        if me.sources is None
        else []
    )
    # Its letters to the PPK and its sanction versions (BKN's records: agency viewers see none, as
    # with corrections).
    sanction_versions = None
    if me.sources is None:
        with database.session() as session:
            letters = case_letter_steps(session, case_id)
            sanction_versions = list_versions(session, case_id)
    else:
        letters = []
    record_read(request, me, "case", [timeline.case.nip, *(r["nip_as_written"] for r in timeline.records)])
    return render(
        request, "case.html", me, t=timeline, conflicts=conflicts, corrections=corrections, letters=letters,
        hold=explain_hold(database, timeline.case.hold_reason) if timeline.case.held else [],
        correct=me.can("cases.act"), case_label=case_label(database, case_id, me.sources),
        live=set(case_records(database, case_id)), sanction_versions=sanction_versions,
    )  # fmt: skip
