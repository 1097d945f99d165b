"""The stewards' pages: dashboard, conflict queue and detail (claim, release, resolve, bulk resolve),
cases and a case's timeline. Agency viewers see only their agency's records; another agency's record
is a 403, and lists never include one."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sbt_sync.console import charts
from sbt_sync.console.i18n import translator
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import check_csrf, client_address, console, flash, language, render, require
from sbt_sync.db.base import utcnow
from sbt_sync.db.models.golden import CASE_STATUSES
from sbt_sync.errors import SbtError
from sbt_sync.reports.recap import COLUMNS, HEADERS
from sbt_sync.steward.cases import case_timeline, case_visible_to, list_cases
from sbt_sync.steward.conflicts import (
    STATUSES,
    claim_conflict,
    conflict_visible,
    list_conflicts,
    show_conflict,
)
from sbt_sync.steward.dashboard import build_dashboard
from sbt_sync.steward.decisions import resolve_conflict

router = APIRouter(include_in_schema=False)
PAGE = 50
KINDS = ("identity", "name_mismatch", "critical_field", "lifecycle", "ambiguous_link")
KANREGS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV")


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, me: Annotated[Principal, Depends(require("dashboard.view"))]) -> Response:
    _ = translator(language(request))
    data = build_dashboard(console(request).database)
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


@router.get("/conflicts", response_class=HTMLResponse)
def conflicts(
    request: Request,
    me: Annotated[Principal, Depends(require("conflicts.view"))],
    status: Annotated[str, Query(max_length=16)] = "open",
    kind: Annotated[str | None, Query(max_length=32)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    kanreg: Annotated[str | None, Query(max_length=8)] = None,
    older_than_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    ctx = console(request)
    status_filter = None if status == "all" else status
    if status_filter not in (*STATUSES, None):
        raise HTTPException(400, f"unknown status {status!r}")
    total, rows = list_conflicts(
        ctx.database,
        status=status_filter,
        kind=_optional(kind),
        agency=_optional(agency),
        kanreg=_optional(kanreg),
        opened_before=utcnow() - timedelta(days=older_than_days) if older_than_days else None,
        sources=me.sources,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    sources = me.sources if me.sources is not None else tuple(sorted(ctx.settings.sources))
    return render(
        request, "conflicts.html", me, rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
        kinds=KINDS, kanregs=KANREGS, sources=sources, statuses=(*STATUSES, "all"),
        filters={"status": status, "kind": kind or "", "agency": agency or "", "kanreg": kanreg or "",
                 "older_than_days": older_than_days if older_than_days is not None else ""},
    )  # fmt: skip


def _visible_conflict(request: Request, me: Principal, conflict_id: int) -> None:
    if not conflict_visible(console(request).database, conflict_id, None):
        raise HTTPException(404, translator(language(request))("error.not_found"))
    if not conflict_visible(console(request).database, conflict_id, me.sources):
        raise HTTPException(403, translator(language(request))("error.forbidden"))


@router.get("/conflicts/{conflict_id}", response_class=HTMLResponse)
def conflict_detail(
    request: Request, conflict_id: int, me: Annotated[Principal, Depends(require("conflicts.view"))]
) -> Response:
    _visible_conflict(request, me, conflict_id)
    detail = show_conflict(console(request).database, conflict_id)
    return render(request, "conflict.html", me, c=detail)


def _back(conflict_id: int) -> RedirectResponse:
    return RedirectResponse(f"/conflicts/{conflict_id}", status_code=303)


@router.post("/conflicts/{conflict_id}/claim", dependencies=[Depends(check_csrf)])
def claim(
    request: Request, conflict_id: int, me: Annotated[Principal, Depends(require("conflicts.act"))]
) -> Response:
    return _claim(request, me, conflict_id, claim=True)


@router.post("/conflicts/{conflict_id}/release", dependencies=[Depends(check_csrf)])
def release(
    request: Request, conflict_id: int, me: Annotated[Principal, Depends(require("conflicts.act"))]
) -> Response:
    return _claim(request, me, conflict_id, claim=False)


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
        flash(request, "error", str(exc))
    return _back(conflict_id)


@router.post("/conflicts/{conflict_id}/resolve", dependencies=[Depends(check_csrf)])
def resolve(
    request: Request,
    conflict_id: int,
    me: Annotated[Principal, Depends(require("conflicts.act"))],
    reason: Annotated[str, Form(max_length=2000)],
    value: Annotated[str, Form(max_length=255)] = "",
    other: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    _visible_conflict(request, me, conflict_id)
    _ = translator(language(request))
    chosen = other.strip() or value
    try:
        decision = resolve_conflict(
            console(request).database, conflict_id, value=chosen, reason=reason, actor=me.username,
            channel="console", allow_other=bool(other.strip()), client_address=client_address(request),
            override_claim=me.role == "admin",
        )  # fmt: skip
    except SbtError as exc:
        flash(request, "error", str(exc))
        return _back(conflict_id)
    flash(request, "ok", _("conflict.resolved").format(id=conflict_id, decision=decision))
    return RedirectResponse("/conflicts", status_code=303)


@router.post("/conflicts/bulk", dependencies=[Depends(check_csrf)])
def bulk_resolve(
    request: Request,
    me: Annotated[Principal, Depends(require("conflicts.act"))],
    reason: Annotated[str, Form(max_length=2000)],
    choice: Annotated[str, Form(pattern="^(top|none|keep)$")],
    ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """The same kind of answer for many conflicts: each one's top candidate, 'none' or 'keep'.

    Each conflict gets its own decision and audit entry; one that cannot take the answer is reported
    and the rest go on.
    """
    _ = translator(language(request))
    ctx = console(request)
    if not ids:
        flash(request, "error", _("conflict.bulk_nothing"))
        return RedirectResponse("/conflicts", status_code=303)
    done, failed = 0, []
    for conflict_id in ids[:500]:
        try:
            _visible_conflict(request, me, conflict_id)
            value = choice
            if choice == "top":
                candidates = show_conflict(ctx.database, conflict_id).candidates
                if not candidates:
                    raise SbtError(f"conflict {conflict_id} has no candidate")
                top = candidates[0]
                value = str(top.get("nip") or top.get("value"))
            resolve_conflict(
                ctx.database, conflict_id, value=value, reason=reason, actor=me.username, channel="console",
                client_address=client_address(request), override_claim=me.role == "admin",
            )  # fmt: skip
            done += 1
        except (SbtError, HTTPException) as exc:
            failed.append(f"#{conflict_id}: {getattr(exc, 'detail', None) or exc}")
    flash(request, "ok", _("conflict.bulk_done").format(count=done))
    for message in failed[:20]:
        flash(request, "error", message)
    return RedirectResponse("/conflicts", status_code=303)


@router.get("/cases", response_class=HTMLResponse)
def cases(
    request: Request,
    me: Annotated[Principal, Depends(require("cases.view"))],
    q: Annotated[str | None, Query(max_length=128)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    kanreg: Annotated[str | None, Query(max_length=8)] = None,
    held: Annotated[str | None, Query(pattern="^(|yes|no)$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    total, rows = list_cases(
        console(request).database, search=_optional(q), status=_optional(status), kanreg=_optional(kanreg),
        held={"yes": True, "no": False}.get(held or ""), sources=me.sources, limit=PAGE,
        offset=(page - 1) * PAGE,
    )  # fmt: skip
    return render(
        request, "cases.html", me, rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
        statuses=CASE_STATUSES, kanregs=KANREGS,
        filters={"q": q or "", "status": status or "", "kanreg": kanreg or "", "held": held or ""},
    )  # fmt: skip


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_detail(
    request: Request, case_id: int, me: Annotated[Principal, Depends(require("cases.view"))]
) -> Response:
    database = console(request).database
    timeline = case_timeline(database, case_id, sources=me.sources)
    if timeline is None:
        raise HTTPException(404, translator(language(request))("error.not_found"))
    if not case_visible_to(database, case_id, me.sources):
        raise HTTPException(403, translator(language(request))("error.forbidden"))
    return render(request, "case.html", me, t=timeline)
