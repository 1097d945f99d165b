"""I-MUT pages: the findings queue, a finding side by side (decision, window, approval, reporting
deadline) with investigate / confirm / dismiss, and the report with its CSV and XLSX downloads.

Who sees them is decided once, in :func:`sbt_sync.steward.scope.imut_visible` (BKN's roles and
Kemendagri's viewers); anyone else gets 403 on every route here and no link in the menu. Decisions go
through the service the CLI uses (:func:`sbt_sync.imut.steward.decide_finding`), audited as the
console user. Lists show NIPs masked; a finding's page shows its ASN (personal data: the page is for
the roles above only).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sbt_sync.console.i18n import translator
from sbt_sync.console.labels import error_text
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import PathId, check_csrf, client_address, console, flash, language, render, require
from sbt_sync.console.web_access import record as record_read
from sbt_sync.errors import SbtError
from sbt_sync.imut import report as ir
from sbt_sync.imut.detail import finding_detail, scoped_reasons
from sbt_sync.imut.elections import ElectionCalendar
from sbt_sync.imut.model import Rule
from sbt_sync.imut.review import FindingStatus, Review, StewardChoice
from sbt_sync.imut.run import calendars
from sbt_sync.imut.steward import FindingFilter, decide_finding, list_findings
from sbt_sync.imut.workdays import WorkingDayCalendar
from sbt_sync.pdp.access import nips_in
from sbt_sync.reports.render import CSV_ENCODING
from sbt_sync.steward.scope import imut_visible

router = APIRouter(include_in_schema=False)
PAGE = 50
Filter = Annotated[str | None, Query(max_length=64)]


def sees_imut(me: Principal | None) -> bool:
    """Whether ``me`` sees the I-MUT pages (the menu asks this too)."""
    return me is not None and me.can("imut.view") and imut_visible(me.sources, me.agency)


def _in_scope(request: Request, me: Principal) -> Principal:
    if not imut_visible(me.sources, me.agency):
        raise HTTPException(403, translator(language(request))("error.forbidden"))
    return me


_view = require("imut.view")
_act = require("imut.act")


def _viewer(request: Request, me: Annotated[Principal, Depends(_view)]) -> Principal:
    return _in_scope(request, me)


def _actor(request: Request, me: Annotated[Principal, Depends(_act)]) -> Principal:
    return _in_scope(request, me)


Viewer = Annotated[Principal, Depends(_viewer)]
Actor = Annotated[Principal, Depends(_actor)]


def _calendars(request: Request) -> tuple[ElectionCalendar, WorkingDayCalendar]:
    return calendars(console(request).settings)


def _lang(request: Request) -> Literal["id", "en"]:
    return "en" if language(request) == "en" else "id"


def _bad(request: Request) -> HTTPException:
    return HTTPException(400, translator(language(request))("error.bad_request"))


@router.get("/imut", response_class=HTMLResponse)
def findings(
    request: Request,
    me: Viewer,
    status: Annotated[str, Query(max_length=16)] = FindingStatus.OPEN.value,
    review: Filter = None,
    rule: Filter = None,
    instansi: Filter = None,
    event: Filter = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The queue: breaches first, then possible retaliation, oldest decision first."""
    statuses = (*(s.value for s in FindingStatus), "all")
    if status not in statuses or (review or "") not in ("", *Review) or (rule or "") not in ("", *Rule):
        raise _bad(request)
    elections, _ = _calendars(request)
    filters = FindingFilter(
        status=None if status == "all" else status,
        review=review or None,
        rule=rule or None,
        instansi_id=instansi or None,
        event_id=event or None,
    )
    database = console(request).database
    total, rows = list_findings(
        database, filters, limit=PAGE, offset=(page - 1) * PAGE, language=_lang(request)
    )
    # A viewer reads a cited case's key only as the scope gate allows (the detail page does the same).
    scoped = scoped_reasons(database, [f.id for f in rows], sources=me.sources, language=_lang(request))
    rows = [replace(f, reason=scoped[f.id]) if f.id in scoped else f for f in rows]
    record_read(request, me, "imut_finding", nips_in(rows), filter={"status": status, "review": review,
                "rule": rule, "instansi": instansi, "event": event, "page": page})  # fmt: skip
    return render(
        request, "imut_findings.html", me, rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
        statuses=statuses, reviews=tuple(Review), rules=tuple(Rule),
        events=sorted({e.event_id for e in elections.events}),
        filters={"status": status, "review": review or "", "rule": rule or "", "instansi": instansi or "",
                 "event": event or ""},
    )  # fmt: skip


@router.get("/imut/report", response_class=HTMLResponse)
def report(
    request: Request,
    me: Viewer,
    event: Filter = None,
    format: Annotated[str, Query(pattern="^(html|csv|xlsx)$")] = "html",
    table: Annotated[str, Query(pattern="^(regions|instansi|officials)$")] = "regions",
) -> Response:
    """The report per election and region; ``format`` csv (one table) or xlsx (all three) downloads."""
    elections, _ = _calendars(request)
    event_ids = sorted({e.event_id for e in elections.events})
    if event and event not in event_ids:
        raise _bad(request)
    settings = console(request).settings
    now = datetime.now(ZoneInfo(settings.schedule.timezone))
    built = ir.build_report(console(request).database, elections, event=event or None, now=now)
    lang = _lang(request)
    stamp = now.strftime("%Y%m%d-%H%M")
    record_read(request, me, "imut_finding" if format == "html" else "export", nips_in(built),
                filter={"what": "imut_report", "event": event, "format": format, "table": table})  # fmt: skip
    if format == "csv":
        which: ir.Table = (
            "instansi" if table == "instansi" else "officials" if table == "officials" else "regions"
        )
        return Response(
            ir.as_csv(built, which, lang=lang).encode(CSV_ENCODING),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="imut-{which}-{stamp}.csv"'},
        )
    if format == "xlsx":
        return Response(
            ir.xlsx_bytes(built, lang=lang),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="imut-{stamp}.xlsx"'},
        )
    tables = {which: ir.table(built, which, lang) for which in ir.TABLES}
    titles = {which: ir.heading(built, which, lang) for which in ir.TABLES}
    return render(
        request, "imut_report.html", me, tables=tables, titles=titles, events=event_ids, event=event or ""
    )


@router.get("/imut/{finding_id}", response_class=HTMLResponse)
def finding(request: Request, finding_id: PathId, me: Viewer) -> Response:
    elections, workdays = _calendars(request)
    detail = finding_detail(
        console(request).database, finding_id, elections=elections, workdays=workdays, sources=me.sources,
        language=_lang(request),
    )  # fmt: skip
    if detail is None:
        raise HTTPException(404, translator(language(request))("error.not_found"))
    act = me.can("imut.act") and detail.status == FindingStatus.OPEN
    record_read(request, me, "imut_finding", nips_in(detail))
    return render(request, "imut_finding.html", me, f=detail, act=act, choices=tuple(StewardChoice))


@router.post("/imut/{finding_id}/decide", dependencies=[Depends(check_csrf)])
def decide(
    request: Request,
    finding_id: PathId,
    me: Actor,
    choice: Annotated[str, Form(pattern="^(investigate|confirm|dismiss)$")],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    _ = translator(language(request))
    try:
        decide_finding(
            console(request).database, finding_id, choice=StewardChoice(choice), reason=reason,
            actor=me.username, channel="console", client_address=client_address(request),
        )  # fmt: skip
    except SbtError as exc:
        flash(request, "error", error_text(exc, language(request)))
        return RedirectResponse(f"/imut/{finding_id}", status_code=303)
    flash(request, "ok", _("imut.decided").format(id=finding_id, choice=_(f"imut.choice.{choice}")))
    return RedirectResponse(f"/imut/{finding_id}", status_code=303)
