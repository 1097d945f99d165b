"""Operations pages: quarantine per source, the push monitor (outbox, parked rows, retry, guard
approvals, drift) and the audit log (its downloads: :mod:`sbt_sync.console.web_exports`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.console import searches
from sbt_sync.console.i18n import translator
from sbt_sync.console.labels import error_text
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import (
    ID_MAX,
    PathId,
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
from sbt_sync.console.web_exports import (
    AUDIT_KEPT,
    AuditQuery,
    AuditSearchId,
    EntryQuery,
    action_words,
    actor_words,
    audit_filter,
    audit_kept,
    change_value,
    field_label,
    object_words,
)
from sbt_sync.db.models import OutboxEntry, SiasnObservation
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import nips_in
from sbt_sync.push.admin import APPROVE, REJECT, Verdict, decide_approval, outbox_status, retry
from sbt_sync.push.readback import BLOCKED_BY_OTHER
from sbt_sync.states.outbox import OutboxState
from sbt_sync.steward.audit import changes, list_audit
from sbt_sync.steward.quarantine import STATUSES as Q_STATUSES
from sbt_sync.steward.quarantine import held_sources, list_quarantine, set_status

router = APIRouter(include_in_schema=False)
PAGE = 50
OUTBOX_STATES = tuple(OutboxState)


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine(
    request: Request,
    me: Annotated[Principal, Depends(require("quarantine.view"))],
    source: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str, Query(max_length=16)] = "open",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    ctx = console(request)
    if source and not me.sees_source(source):
        raise HTTPException(403, translator(language(request))("error.forbidden"))
    if status not in (*Q_STATUSES, "all"):
        raise HTTPException(400, f"unknown status {status!r}")
    total, rows, per_source = list_quarantine(
        ctx.database, source=source or None, status=None if status == "all" else status, sources=me.sources,
        limit=PAGE, offset=(page - 1) * PAGE,
    )  # fmt: skip
    sources = me.sources if me.sources is not None else tuple(sorted(ctx.settings.sources))
    holds = [h for h in held_sources(ctx.database, sources=me.sources) if not source or h.source == source]
    record_read(request, me, "quarantine", nips_in(rows),
                filter={"source": source, "status": status, "page": page})  # fmt: skip
    return render(
        request, "quarantine.html", me, rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
        per_source=per_source, sources=sources, statuses=(*Q_STATUSES, "all"), holds=holds,
        filters={"source": source or "", "status": status},
    )  # fmt: skip


@router.post("/quarantine/{row_id}/status", dependencies=[Depends(check_csrf)])
def quarantine_status(
    request: Request,
    row_id: PathId,
    me: Annotated[Principal, Depends(require("quarantine.act"))],
    status: Annotated[str, Form(pattern="^(fixed_upstream|ignored|open)$")],
    reason: Annotated[str, Form(max_length=2000)],
    back: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    _ = translator(language(request))
    try:
        set_status(
            console(request).database, row_id, status=status, reason=reason, actor=me.username,
            sources=me.sources, channel="console", client_address=client_address(request),
        )  # fmt: skip
        flash(request, "ok", _("quarantine.updated").format(id=row_id))
    except SbtError as exc:
        flash(request, "error", error_text(exc, language(request)))
    return RedirectResponse(safe_local(back, "/quarantine"), status_code=303)


@router.get("/push", response_class=HTMLResponse)
def push_monitor(
    request: Request,
    me: Annotated[Principal, Depends(require("push.view"))],
    state: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    database = console(request).database
    with database.session() as session:
        status = outbox_status(session)
        query = select(OutboxEntry)
        if state:
            query = query.where(OutboxEntry.state == state)
        rows = list(
            session.scalars(query.order_by(OutboxEntry.id.desc()).limit(PAGE).offset((page - 1) * PAGE))
        )
        latest = status["readback"]["at"]
        drift = (
            list(
                session.scalars(
                    select(SiasnObservation)
                    .where(SiasnObservation.drift.is_(True))
                    .order_by(SiasnObservation.observed_at.desc())
                    .limit(PAGE)
                )
            )
            if latest
            else []
        )
        # The parked rows and the approvals are shown whatever the outbox list's filter and page, the
        # parked rows' NIPs masked but naming their ASN, SIASN's messages sometimes a NIP in full.
        parked_ids = [p["id"] for p in status["parked"]]
        parked = session.scalars(select(OutboxEntry.nip).where(OutboxEntry.id.in_(parked_ids)))
        shown = {*(r.nip for r in rows), *parked, *(d.nip for d in drift)}
        shown |= nips_in(status, [(r.case_refs, r.last_error, r.siasn_reference) for r in rows])
    record_read(request, me, "asn", sorted(shown), filter={"what": "push", "state": state, "page": page})
    # Drift the readback will not correct: a block in SIASN someone else placed (said in words).
    foreign = {o.id for o in drift if (o.response or {}).get("kind") == BLOCKED_BY_OTHER}
    return render(
        request, "push.html", me, ps=status, rows=rows, drift=drift, states=OUTBOX_STATES,
        filters={"state": state or ""}, page=page, blocked_by_others=foreign,
    )  # fmt: skip


def _push_action(request: Request, action: str, run: Callable[[Session], object]) -> Response:
    _ = translator(language(request))
    try:
        with console(request).database.session() as session:
            result = run(session)
        flash(request, "ok", _(f"push.{action}_done").format(result=result))
    except SbtError as exc:
        flash(request, "error", error_text(exc, language(request)))
    return RedirectResponse("/push", status_code=303)


def _decide_push(
    request: Request, me: Principal, approval_id: int, reason: str, verdict: Verdict
) -> Response:
    """Approve or reject a guarded push: the same :func:`decide_approval` as ``sbt-sync push``."""

    def run(session: Session) -> object:
        result = decide_approval(
            session, approval_id, verdict, reason=reason, actor=me.username, channel="console",
            client_address=client_address(request),
        )  # fmt: skip
        return result[verdict.moved_key]

    return _push_action(request, verdict.verb, run)


@router.post("/push/approvals/{approval_id}/approve", dependencies=[Depends(check_csrf)])
def approve_push(
    request: Request,
    approval_id: PathId,
    me: Annotated[Principal, Depends(require("push.act"))],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    return _decide_push(request, me, approval_id, reason, APPROVE)


@router.post("/push/approvals/{approval_id}/reject", dependencies=[Depends(check_csrf)])
def reject_push(
    request: Request,
    approval_id: PathId,
    me: Annotated[Principal, Depends(require("push.act"))],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    return _decide_push(request, me, approval_id, reason, REJECT)


@router.post("/push/retry", dependencies=[Depends(check_csrf)])
def retry_push(
    request: Request,
    me: Annotated[Principal, Depends(require("push.act"))],
    reason: Annotated[str, Form(max_length=2000)],
    ids: Annotated[list[Annotated[int, Field(ge=1, le=ID_MAX)]] | None, Form()] = None,
) -> Response:
    return _push_action(
        request, "retry",
        lambda s: retry(s, ids or (), reason=reason, actor=me.username, channel="console",
                        client_address=client_address(request)),
    )  # fmt: skip


AuditText = Annotated[str, Form(max_length=128)]
AUDIT_SHOWN = ("action", "object_type", "since", "until")
"""The audit filters a URL may carry: codes and days (who acted and the object id are kept: AUDIT_KEPT)."""


@router.get("/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    me: Annotated[Principal, Depends(require("audit.view"))],
    s: AuditSearchId = None,
    action: AuditQuery = None,
    object_type: AuditQuery = None,
    since: AuditQuery = None,
    until: AuditQuery = None,
    entry: EntryQuery = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The audit log, filtered by the action, object type and days in the URL, and by who acted and the
    object's id, posted and kept under the search id ``s`` (``actor=`` in a URL is not run)."""
    actor, object_id = audit_kept(request, s)
    filters = audit_filter(request, actor, action, object_type, object_id, since, until, entry)
    total, rows = list_audit(console(request).database, filters, limit=PAGE, offset=(page - 1) * PAGE)
    record_read(request, me, "audit", nips_in(rows), filter={**filters.described(), "page": page})
    for row in rows:  # before/after as a person reads them (web_exports names actions and fields)
        row["changes"] = changes(row["before"], row["after"])
    carried = ("s", *AUDIT_SHOWN, "entry")  # what the downloads filter on, as this page does
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k in carried])
    return render(
        request, "audit.html", me, rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
        filters={"actor": actor or "", "action": action or "", "object_type": object_type or "",
                 "object_id": object_id or "", "since": since or "", "until": until or "", "entry": entry},
        csv_url="/audit.csv" + (f"?{query}" if query else ""),
        xlsx_url="/audit.xlsx" + (f"?{query}" if query else ""),
        audit_action=action_words, audit_actor=actor_words, audit_field=field_label,
        audit_object=object_words,
        audit_value=partial(change_value, zone=ZoneInfo(console(request).settings.schedule.timezone)),
        forgotten=bool(s) and searches.recall(request, s) is None,
    )  # fmt: skip


@router.post("/audit", dependencies=[Depends(check_csrf)])
def audit_filter_posted(
    request: Request,
    me: Annotated[Principal, Depends(require("audit.view"))],
    actor: AuditText = "",
    action: AuditText = "",
    object_type: AuditText = "",
    object_id: AuditText = "",
    since: AuditText = "",
    until: AuditText = "",
) -> Response:
    """The audit filter form posts: who acted (a civil servant's username) and the object's id are kept
    under a search id (:mod:`sbt_sync.console.searches`); the log's URL (and its downloads') carries
    that id, the action, the object type and the days, never a username."""
    kept = {k: v.strip() for k, v in zip(AUDIT_KEPT, (actor, object_id), strict=True) if v.strip()}
    shown = dict(zip(AUDIT_SHOWN, (action, object_type, since, until), strict=True))
    query = {"s": searches.remember(request, kept) if kept else "", **shown}
    target = urlencode({k: v.strip() for k, v in query.items() if v.strip()})
    return RedirectResponse("/audit" + (f"?{target}" if target else ""), status_code=303)
