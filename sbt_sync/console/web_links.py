"""Link corrections from the case page: move a record to another case, assign it to an ASN (or to
nobody), split it into a case of its own, merge two cases; undo a correction; reopen a resolved
decision (:mod:`sbt_sync.steward.links`).

Every correction, undo and reopening goes through a preview first: previewing changes nothing stored
(the preview runs the reconciliation and the policy in a rolled-back transaction), and only the
confirm form, with its reason, CSRF token and the preview's fingerprint, records it, through the one
check of :mod:`sbt_sync.steward.link_confirm` (as the API and the CLI do): a form without the
fingerprint, or with one whose consequence changed since, records nothing and shows the preview as it
is now. Only stewards and admins reach these routes (``cases.act``, ``conflicts.act``).

Names, NIPs and birth dates never travel in a URL (:mod:`sbt_sync.console.searches`): the searches
and the choice of an ASN are posted, kept on the server under a search id bound to the session, and
the pages' URLs carry that id and record ids only; reload and "back" show the same page again.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sbt_sync.console import searches
from sbt_sync.console.i18n import translator
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
)
from sbt_sync.console.web_access import record as record_read
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import nips_in
from sbt_sync.reconcile.identity.resolve import IdentityThresholds
from sbt_sync.steward.cases import case_visible_to, list_cases
from sbt_sync.steward.conflicts import conflict_visible
from sbt_sync.steward.link_confirm import confirm_correction, confirm_reopen, confirm_undo
from sbt_sync.steward.links import (
    Consequence,
    CorrectionKind,
    CorrectionRequest,
    case_records,
    describe_records,
    parse_person,
    preview_correction,
    preview_reopen,
    preview_undo,
    record_identifiers,
)
from sbt_sync.steward.registry_search import RegistryQuery, RegistrySearchError, search_registry

router = APIRouter(include_in_schema=False)
KINDS: tuple[CorrectionKind, ...] = ("move_record", "assign_person", "split", "merge")
HITS = 15
"""Cases or registry ASN a choose page lists: a steward compares a handful, then narrows the search."""
KIND_PATTERN = "^(move_record|assign_person|split|merge)$"
Kind = Annotated[str, Query(pattern=KIND_PATTERN)]
FormKind = Annotated[str, Form(pattern=KIND_PATTERN)]
FormId = Annotated[int | None, Form(ge=1, le=ID_MAX)]
Typed = Annotated[str, Form(max_length=128)]
SearchId = Annotated[str | None, Query(pattern=searches.ID_PATTERN)]
Reason = Annotated[str, Form(max_length=2000)]
"""Optional to the form parser so an empty one reaches the service and is refused in words, not as 400."""
Shown = Annotated[str, Form(max_length=64)]
"""The :attr:`Consequence.digest` of the preview a confirmation comes from: refused if it changed."""
TERMS = ("q", "q_name", "q_nip", "q_birth", "q_instansi")
"""What a choose page's search keeps under its search id: ``q`` finds cases, the others the registry."""
TARGET = "target_nip"
"""What a preview's search id keeps: the NIP of the ASN chosen (or ``none``)."""


def _words(request: Request) -> Any:
    return translator(language(request))


def _case_records(request: Request, case_id: int) -> list[int]:
    """The case's live records; 404 for no such case (a steward sees every agency's cases)."""
    database = console(request).database
    if not case_visible_to(database, case_id, None):
        raise HTTPException(404, _words(request)("error.not_found"))
    return case_records(database, case_id)


def _own_record(request: Request, case_id: int, kind: str, record: int | None) -> int:
    """The record a correction starts from: one of the case's live records (for a merge, any of them)."""
    records = _case_records(request, case_id)
    if kind == "merge" and record is None and records:
        return records[0]
    if record is None or record not in records:
        raise HTTPException(400, _words(request)("links.error.not_in_case"))
    return record


def _choose_url(case_id: int, kind: str, record: int, search_id: str | None = None) -> str:
    query = {"kind": kind, "record": record, **({"s": search_id} if search_id else {})}
    return f"/cases/{case_id}/correct?{urlencode(query)}"


@router.get("/cases/{case_id}/correct", response_class=HTMLResponse)
def choose(
    request: Request,
    case_id: PathId,
    me: Annotated[Principal, Depends(require("cases.act"))],
    kind: Kind,
    record: QueryId = None,
    s: SearchId = None,
) -> Response:
    """Choose the target: another case (move, merge) searched by key, register, recommendation or NIP,
    or an ASN (assign) searched in the registry (the search posted, then kept under the search id
    ``s``); a split needs no target and goes to its preview."""
    record = _own_record(request, case_id, kind, record)
    if kind == "split":
        return RedirectResponse(_preview_url(case_id, kind="split", record=record), 303)
    database = console(request).database
    kept = searches.recall(request, s)
    q, q_name, q_nip, q_birth, q_instansi = (str((kept or {}).get(k, "")) for k in TERMS)
    cases: list[Any] = []
    hits: list[Any] = []
    search_error: str | None = None
    if kind == "assign_person" and any(v.strip() for v in (q_name, q_nip, q_birth, q_instansi)):
        try:
            hits = search_registry(
                database, _registry_query(q_name, q_nip, q_birth, q_instansi),
                thresholds=IdentityThresholds.from_settings(console(request).settings.identity), limit=HITS,
            )  # fmt: skip
        except RegistrySearchError as exc:
            search_error = exc.code
    elif kind != "assign_person" and q.strip():
        _, found = list_cases(database, search=q.strip(), limit=HITS + 1)
        cases = [c for c in found if c.id != case_id][:HITS]
    described = describe_records(database, [record])
    named = record_identifiers(database, [record])  # shown by name and masked NIP: a read all the same
    record_read(request, me, "source_record", nips_in(named, hits, cases))
    return render(
        request, "correct.html", me, case_id=case_id, kind=kind, record=described.get(record), hits=hits,
        cases=cases, search_error=search_error, search_forgotten=bool(s) and kept is None,
        search={"q": q, "q_name": q_name or (described.get(record) or {}).get("name") or "", "q_nip": q_nip,
                "q_birth": q_birth, "q_instansi": q_instansi},
    )  # fmt: skip


@router.post("/cases/{case_id}/correct/search", dependencies=[Depends(check_csrf)])
def choose_search(
    request: Request,
    case_id: PathId,
    me: Annotated[Principal, Depends(require("cases.act"))],
    kind: FormKind,
    record: FormId = None,
    q: Typed = "",
    q_name: Typed = "",
    q_nip: Typed = "",
    q_birth: Typed = "",
    q_instansi: Typed = "",
) -> Response:
    """A choose page's search posts (a name, a NIP, a birth date, a case key): the terms are kept under
    a search id and the choose page's URL carries only that id."""
    record = _own_record(request, case_id, kind, record)
    terms = dict(zip(TERMS, (q, q_name, q_nip, q_birth, q_instansi), strict=True))
    if not any(v.strip() for v in terms.values()):
        return RedirectResponse(_choose_url(case_id, kind, record) + "#search", 303)
    kept = {k: v for k, v in terms.items() if v.strip()}
    return RedirectResponse(
        _choose_url(case_id, kind, record, searches.remember(request, kept)) + "#search", 303
    )


def _registry_query(name: str, nip: str, birth: str, instansi: str) -> RegistryQuery:
    try:
        birth_date = date.fromisoformat(birth.strip()) if birth.strip() else None
    except ValueError as exc:
        raise RegistrySearchError("birth_date", f"not a date (YYYY-MM-DD): {birth!r}") from exc
    return RegistryQuery(
        name=name.strip() or None, nip=nip.strip() or None, birth_date=birth_date,
        instansi=instansi.strip() or None,
    )  # fmt: skip


def _preview_url(case_id: int, **params: object) -> str:
    return f"/cases/{case_id}/correct/preview?" + urlencode(
        {k: v for k, v in params.items() if v is not None}
    )


def _preview_of(
    request: Request, case_id: int, kind: str, record: int, target_record: int | None,
    target_case: int | None, target_nip: str,
) -> str:  # fmt: skip
    """The preview page's URL: the ASN chosen kept under a search id, never in the URL itself."""
    kept = searches.remember(request, {TARGET: target_nip.strip()}) if target_nip.strip() else None
    return _preview_url(case_id, kind=kind, record=record, target_record=target_record,
                        target_case=target_case, s=kept)  # fmt: skip


def _request(
    request: Request, kind: str, record: int, target_record: int | None, target_case: int | None, nip: str
) -> CorrectionRequest:
    """The correction the form asks for; SbtError (shown to the steward) when it names no target."""
    _ = _words(request)
    if kind in ("move_record", "merge"):
        if target_record is None and target_case is not None:
            target_records = case_records(console(request).database, target_case)
            target_record = target_records[0] if target_records else None
        if target_record is None:
            raise SbtError(_("links.error.no_target_case"))
        return CorrectionRequest(cast(CorrectionKind, kind), record, target_staged_record_id=target_record)
    if kind == "assign_person":
        if not nip.strip():
            raise SbtError(_("links.error.no_person"))
        return CorrectionRequest("assign_person", record, target_nip=parse_person(nip))
    return CorrectionRequest("split", record)


@router.post("/cases/{case_id}/correct/preview", dependencies=[Depends(check_csrf)])
def choose_target(
    request: Request,
    case_id: PathId,
    me: Annotated[Principal, Depends(require("cases.act"))],
    kind: FormKind,
    record: FormId = None,
    target_record: FormId = None,
    target_case: FormId = None,
    target_nip: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """The target chosen on a choose page posts (an ASN's NIP): on to the preview, whose URL carries
    the NIP's search id and record ids only."""
    record = _own_record(request, case_id, kind, record)
    return RedirectResponse(
        _preview_of(request, case_id, kind, record, target_record, target_case, target_nip), 303
    )


@router.get("/cases/{case_id}/correct/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    case_id: PathId,
    me: Annotated[Principal, Depends(require("cases.act"))],
    kind: Kind,
    record: QueryId = None,
    target_record: QueryId = None,
    target_case: QueryId = None,
    s: SearchId = None,
) -> Response:
    """What the correction would change at the next cycle, and the form that confirms it."""
    record = _own_record(request, case_id, kind, record)
    ctx = console(request)
    kept = searches.recall(request, s)
    if s and kept is None:  # the session changed or the console restarted: choose again
        flash(request, "error", _words(request)("links.error.forgotten"))
        return RedirectResponse(_choose_url(case_id, kind, record), 303)
    try:
        wanted = _request(request, kind, record, target_record, target_case, (kept or {}).get(TARGET, ""))
        consequence = preview_correction(ctx.database, ctx.settings, wanted)
    except SbtError as exc:
        flash(request, "error", _error(request, exc))
        # a split has no choose page: back to the case
        target = _choose_url(case_id, kind, record) if kind != "split" else f"/cases/{case_id}"
        return RedirectResponse(target, 303)
    shown = [*consequence.cases_before.values(), *consequence.cases_after.values()]
    listed = {i for members in shown for i in members} | {record}
    nobody = kind == "assign_person" and wanted.target_nip is None
    named = record_identifiers(ctx.database, listed)
    record_read(request, me, "source_record", nips_in(consequence, wanted.target_nip, named))
    return render(
        request, "correct_preview.html", me, case_id=case_id, kind=kind, wanted=wanted, c=consequence,
        records=describe_records(ctx.database, listed),
        target_nip_value="none" if nobody else wanted.target_nip,
    )  # fmt: skip


@router.post("/cases/{case_id}/correct", dependencies=[Depends(check_csrf)])
def confirm(
    request: Request,
    case_id: PathId,
    me: Annotated[Principal, Depends(require("cases.act"))],
    kind: FormKind,
    record: Annotated[int, Form(ge=1, le=ID_MAX)],
    reason: Reason = "",
    target_record: FormId = None,
    target_nip: Annotated[str, Form(max_length=32)] = "",
    shown: Shown = "",
) -> Response:
    """Record the correction the preview showed (``shown``: its :attr:`Consequence.digest`); refused,
    and previewed again, without it or when its consequence changed since."""
    _ = _words(request)
    record = _own_record(request, case_id, kind, record)
    ctx = console(request)
    try:
        wanted = _request(request, kind, record, target_record, None, target_nip)
        correction, _seen = confirm_correction(
            ctx.database, ctx.settings, wanted, shown=shown, reason=reason, actor=me.username,
            channel="web", client_address=client_address(request),
        )  # fmt: skip
    except SbtError as exc:
        flash(request, "error", _error(request, exc))
        return RedirectResponse(
            _preview_of(request, case_id, kind, record, target_record, None, target_nip), 303
        )
    flash(request, "ok", _("links.recorded").format(id=correction))
    return RedirectResponse(f"/cases/{case_id}#corrections", 303)


REFUSALS = (
    ("needs a reason", "links.error.reason"),
    ("already in the same case", "links.error.same_case"),
    ("to or merged with itself", "links.error.itself"),
    ("is not in the registry", "links.error.not_in_registry"),
    ("is already undone", "links.error.already_undone"),
    ("not resolved", "links.error.not_resolved"),
    ("does not exist or its source withdrew it", "links.error.withdrawn"),
    ("needs a live target record", "links.error.no_target_case"),
)
"""The service's refusals (English, as the CLI prints them) -> the words the console says instead."""


AGAIN = ("preview_required", "consequence_changed")
"""Refusals after which the steward reads the preview again (as it is now) before confirming."""
CODES = {
    "preview_required": "links.error.unseen",
    "consequence_changed": "links.error.changed",
    "reason_required": "links.error.reason",
}
"""The service's refusal codes (:mod:`sbt_sync.steward.link_confirm`) -> the words the console says."""


def _error(request: Request, exc: SbtError) -> str:
    """A refusal in the console's language, the service's text beside it when it is not one we know."""
    text = str(exc)
    key = CODES.get(exc.code or "") or next((k for fragment, k in REFUSALS if fragment in text), None)
    return _words(request)(key) if key else text


def _decision_preview(
    request: Request,
    me: Principal,
    consequence: Consequence,
    *,
    title: str,
    hint: str,
    action: str,
    confirm: str,
    back: str,
    back_label: str,
) -> Response:
    """The consequence of an undo or a reopening, and the form (reason, CSRF) that records it."""
    shown = [*consequence.cases_before.values(), *consequence.cases_after.values()]
    listed = {i for members in shown for i in members}
    database = console(request).database
    record_read(request, me, "source_record", nips_in(consequence, record_identifiers(database, listed)))
    return render(
        request, "decision_preview.html", me, c=consequence, title=title, hint=hint, action=action,
        confirm=confirm, back=back, back_label=back_label, records=describe_records(database, listed),
    )  # fmt: skip


@router.get("/cases/{case_id}/corrections/{correction_id}/undo", response_class=HTMLResponse)
def undo_preview(
    request: Request,
    case_id: PathId,
    correction_id: PathId,
    me: Annotated[Principal, Depends(require("cases.act"))],
) -> Response:
    """What undoing the correction would change at the next cycle, and the form that records it."""
    _ = _words(request)
    _case_records(request, case_id)
    ctx = console(request)
    try:
        consequence = preview_undo(ctx.database, ctx.settings, correction_id)
    except SbtError as exc:
        flash(request, "error", _error(request, exc))
        return RedirectResponse(f"/cases/{case_id}#corrections", 303)
    return _decision_preview(
        request, me, consequence, title=_("links.undo_title").format(id=correction_id),
        hint=_("links.undo_hint"), action=f"/cases/{case_id}/corrections/{correction_id}/undo",
        confirm=_("links.undo_confirm"), back=f"/cases/{case_id}#corrections", back_label=_("case.title"),
    )  # fmt: skip


@router.get("/conflicts/{conflict_id}/reopen", response_class=HTMLResponse)
def reopen_preview(
    request: Request,
    conflict_id: PathId,
    me: Annotated[Principal, Depends(require("conflicts.act"))],
) -> Response:
    """What reopening the conflict would change at the next cycle, and the form that records it."""
    _ = _words(request)
    ctx = console(request)
    if not conflict_visible(ctx.database, conflict_id, None):
        raise HTTPException(404, _("error.not_found"))
    try:
        consequence = preview_reopen(ctx.database, ctx.settings, conflict_id)
    except SbtError as exc:
        flash(request, "error", _error(request, exc))
        return RedirectResponse(f"/conflicts/{conflict_id}", 303)
    return _decision_preview(
        request, me, consequence, title=_("links.reopen_title").format(id=conflict_id),
        hint=_("links.reopen_preview_hint"), action=f"/conflicts/{conflict_id}/reopen",
        confirm=_("links.reopen"), back=f"/conflicts/{conflict_id}", back_label=_("conflicts.title"),
    )  # fmt: skip


@router.post("/cases/{case_id}/corrections/{correction_id}/undo", dependencies=[Depends(check_csrf)])
def undo(
    request: Request,
    case_id: PathId,
    correction_id: PathId,
    me: Annotated[Principal, Depends(require("cases.act"))],
    reason: Reason = "",
    shown: Shown = "",
) -> Response:
    """Undo the correction its preview showed; refused, and previewed again, without the preview's
    fingerprint or when the consequence changed since."""
    _ = _words(request)
    _case_records(request, case_id)
    ctx = console(request)
    try:
        confirm_undo(
            ctx.database, ctx.settings, correction_id, shown=shown, reason=reason, actor=me.username,
            channel="web", client_address=client_address(request),
        )  # fmt: skip
    except SbtError as exc:
        flash(request, "error", _error(request, exc))
        if exc.code in AGAIN:
            return RedirectResponse(f"/cases/{case_id}/corrections/{correction_id}/undo", 303)
        return RedirectResponse(f"/cases/{case_id}#corrections", 303)
    flash(request, "ok", _("links.undone").format(id=correction_id))
    return RedirectResponse(f"/cases/{case_id}#corrections", 303)


@router.post("/conflicts/{conflict_id}/reopen", dependencies=[Depends(check_csrf)])
def reopen(
    request: Request,
    conflict_id: PathId,
    me: Annotated[Principal, Depends(require("conflicts.act"))],
    reason: Reason = "",
    shown: Shown = "",
) -> Response:
    """Reopen the decision its preview showed; refused, and previewed again, without the preview's
    fingerprint or when the consequence changed since."""
    _ = _words(request)
    ctx = console(request)
    if not conflict_visible(ctx.database, conflict_id, None):
        raise HTTPException(404, _("error.not_found"))
    try:
        confirm_reopen(
            ctx.database, ctx.settings, conflict_id, shown=shown, reason=reason, actor=me.username,
            channel="web", client_address=client_address(request),
        )  # fmt: skip
    except SbtError as exc:
        flash(request, "error", _error(request, exc))
        if exc.code in AGAIN:
            return RedirectResponse(f"/conflicts/{conflict_id}/reopen", 303)
        return RedirectResponse(f"/conflicts/{conflict_id}", 303)
    flash(request, "ok", _("links.reopened").format(id=conflict_id))
    return RedirectResponse(f"/conflicts/{conflict_id}", 303)
