"""The PPK compliance report in the console: the summary per election and instansi (sortable by any
column, filtered by election and by the recommendation's issuer, KASN or BKN), the Kemendagri list and
the KASN-era dossier, with CSV, XLSX and PDF downloads (the writers ``sbt-sync report compliance``
uses, :mod:`sbt_sync.reports.compliance_render`).

The report is BKN's (:func:`sbt_sync.steward.scope.bkn_only`). The Kemendagri list alone, which BKN
sends to Kemendagri anyway (regional heads, counts, recommendation and letter numbers; no NIP, no
name), is also open to Kemendagri's viewers at ``/reports/compliance/kemendagri``
(:func:`sbt_sync.steward.scope.kemendagri_list_visible`); every other agency's viewer gets 403.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from sbt_sync.console.i18n import translator
from sbt_sync.console.labels_sources import calendar_path, named_events
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import console, language, render, require
from sbt_sync.console.web_access import record as record_read
from sbt_sync.db.models import Case
from sbt_sync.pdp.access import nips_in
from sbt_sync.reports import compliance_render as cr
from sbt_sync.reports.compliance import build_compliance, enforcement_day
from sbt_sync.reports.compliance_model import ComplianceReport
from sbt_sync.reports.render import CSV_ENCODING
from sbt_sync.steward.scope import bkn_only, kemendagri_list_visible

router = APIRouter(include_in_schema=False)
ISSUERS = ("KASN", "BKN")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Filter = Annotated[str | None, Query(max_length=64)]
Format = Annotated[str, Query(pattern="^(html|csv|xlsx|pdf)$")]


def sees_compliance(me: Principal | None) -> bool:
    """Whether ``me`` sees the whole report (the menu asks this too)."""
    return me is not None and me.can("compliance.view") and bkn_only(me.sources)


def sees_kemendagri_list(me: Principal | None) -> bool:
    """Whether ``me`` sees the Kemendagri list (Kemendagri's viewers see only that)."""
    return (
        me is not None and me.can("compliance.kemendagri") and kemendagri_list_visible(me.sources, me.agency)
    )


def _viewer(request: Request, me: Annotated[Principal, Depends(require("compliance.view"))]) -> Principal:
    if not bkn_only(me.sources):
        raise HTTPException(403, translator(language(request))("error.forbidden"))
    return me


def _list_reader(
    request: Request, me: Annotated[Principal, Depends(require("compliance.kemendagri"))]
) -> Principal:
    if not kemendagri_list_visible(me.sources, me.agency):
        raise HTTPException(403, translator(language(request))("error.forbidden"))
    return me


Viewer = Annotated[Principal, Depends(_viewer)]
ListReader = Annotated[Principal, Depends(_list_reader)]


def _lang(request: Request) -> Literal["id", "en"]:
    return "en" if language(request) == "en" else "id"


def _bad(request: Request) -> HTTPException:
    return HTTPException(400, translator(language(request))("error.bad_request"))


def _events(request: Request) -> list[str]:
    with console(request).database.session() as session:
        codes = session.scalars(select(Case.event_code).where(Case.event_code.is_not(None)).distinct())
        return sorted({c for c in codes if c})


def _named(request: Request, rows: list[list[Any]]) -> list[list[Any]]:
    """A table as the page shows it: each election by its name (the downloads keep the codes)."""
    return named_events(rows, _events(request), language(request), calendar_path(console(request).settings))


def _report(request: Request, *, event: str | None, issuer: str | None) -> ComplianceReport:
    if (issuer or "") not in ("", *ISSUERS) or (event and event not in _events(request)):
        raise _bad(request)
    settings = console(request).settings
    database = console(request).database
    as_of = enforcement_day(database) or datetime.now(ZoneInfo(settings.schedule.timezone)).date()
    return build_compliance(
        database,
        as_of=as_of,
        follow_up_days=settings.enforcement.follow_up_days,
        nip_display=settings.notify.letters.nip_display,
        event=event or None,
        issuer=issuer or None,
        timezone=settings.schedule.timezone,
    )


def _download(
    report: ComplianceReport, fmt: str, which: cr.Table, lang: cr.Lang, sort: str | None
) -> Response:
    stamp = report.as_of.strftime("%Y%m%d")
    if fmt == "csv":
        return Response(
            cr.as_csv(report, which, lang=lang, sort=sort).encode(CSV_ENCODING),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="kepatuhan-ppk-{which}-{stamp}.csv"'},
        )
    suffix = ".xlsx" if fmt == "xlsx" else ".pdf"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"kepatuhan-ppk{suffix}"
        writer = cr.write_xlsx if fmt == "xlsx" else cr.write_pdf
        writer(report, path, lang=lang, sort=sort)
        content = path.read_bytes()
    return Response(
        content,
        media_type=XLSX if fmt == "xlsx" else "application/pdf",
        headers={"Content-Disposition": f'attachment; filename="kepatuhan-ppk-{stamp}{suffix}"'},
    )


@router.get("/reports/compliance", response_class=HTMLResponse)
def compliance(
    request: Request,
    me: Viewer,
    event: Filter = None,
    issuer: Filter = None,
    sort: Filter = None,
    format: Format = "html",
    table: Annotated[str, Query(pattern="^(summary|kemendagri|dossier)$")] = "summary",
) -> Response:
    """The three tables; ``format`` csv (``table``), xlsx or pdf (all three) downloads them."""
    if sort and sort not in cr.SORT_KEYS:
        raise _bad(request)
    report = _report(request, event=event, issuer=issuer)
    lang = _lang(request)
    record_read(request, me, "search" if format == "html" else "export", nips_in(report),
                filter={"what": "compliance", "event": event, "issuer": issuer, "format": format,
                        "table": table})  # fmt: skip
    which: cr.Table = (
        "kemendagri" if table == "kemendagri" else "dossier" if table == "dossier" else "summary"
    )
    if format != "html":
        return _download(report, format, which, lang, sort or None)
    return render(
        request, "compliance.html", me,
        tables={w: _named(request, cr.table(report, w, lang, sort or None)) for w in cr.TABLES},
        titles={w: cr.heading(report, w, lang) for w in cr.TABLES},
        sort_keys=cr.SORT_KEYS, events=_events(request), issuers=ISSUERS,
        filters={"event": event or "", "issuer": issuer or "", "sort": sort or ""},
    )  # fmt: skip


@router.get("/reports/compliance/kemendagri", response_class=HTMLResponse)
def kemendagri_list(
    request: Request,
    me: ListReader,
    event: Filter = None,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
) -> Response:
    """The list BKN sends Kemendagri (regional heads with recommendations not followed up)."""
    report = _report(request, event=event, issuer=None)
    lang = _lang(request)
    record_read(request, me, "search" if format == "html" else "export", nips_in(report),
                filter={"what": "kemendagri_list", "event": event, "format": format})  # fmt: skip
    if format == "csv":
        return _download(report, "csv", "kemendagri", lang, None)
    return render(
        request, "compliance_kemendagri.html", me,
        rows=_named(request, cr.table(report, "kemendagri", lang)),
        title=cr.heading(report, "kemendagri", lang),
        events=_events(request), event=event or "", full=sees_compliance(me),
    )  # fmt: skip
