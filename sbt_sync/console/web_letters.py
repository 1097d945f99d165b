"""Letters to PPKs: the list per instansi with each letter's mail state, a letter with its cases and
its PDF as sent, and the stewards' actions on its delivery: release a letter held for review
(``notify.mode: reviewed``), retry a parked one, or give it up for the PICs who do not have it.

The pages are BKN's (:func:`sbt_sync.steward.scope.bkn_only`: admins, stewards, auditors read-only);
agency viewers get 403 and no menu link. Actions go through the service functions the CLI uses
(:func:`sbt_sync.notify.admin.release_mail`, :func:`~sbt_sync.notify.admin.retry_mail`), audited as
the console user; the notifier sends a released letter on its next run. Lists show NIPs masked.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sbt_sync.console.i18n import translator
from sbt_sync.console.labels import error_text
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import PathId, check_csrf, console, flash, language, render, require
from sbt_sync.console.web_access import record as record_read
from sbt_sync.db.models.letters import LetterStep, MailState
from sbt_sync.errors import SbtError
from sbt_sync.letters.draft import letter_templates
from sbt_sync.letters.queries import LetterFilter, letter_detail, letter_pdf, list_letters, mail_row_of
from sbt_sync.notify.admin import give_up_mail, release_mail, retry_mail
from sbt_sync.pdp.access import letter_nips
from sbt_sync.steward.case_labels import case_labels
from sbt_sync.steward.scope import bkn_only, case_scopes

router = APIRouter(include_in_schema=False)
PAGE = 50
Filter = Annotated[str | None, Query(max_length=64)]


def sees_letters(me: Principal | None) -> bool:
    """Whether ``me`` sees the letters pages (the menu asks this too)."""
    return me is not None and me.can("letters.view") and bkn_only(me.sources)


def _gate(request: Request, me: Principal) -> Principal:
    if not bkn_only(me.sources):
        raise HTTPException(403, translator(language(request))("error.forbidden"))
    return me


_view = require("letters.view")
_act = require("letters.act")


def _viewer(request: Request, me: Annotated[Principal, Depends(_view)]) -> Principal:
    return _gate(request, me)


def _actor(request: Request, me: Annotated[Principal, Depends(_act)]) -> Principal:
    return _gate(request, me)


Viewer = Annotated[Principal, Depends(_viewer)]
Actor = Annotated[Principal, Depends(_actor)]


def _bad(request: Request) -> HTTPException:
    return HTTPException(400, translator(language(request))("error.bad_request"))


@router.get("/letters", response_class=HTMLResponse)
def letters(
    request: Request,
    me: Viewer,
    state: Filter = None,
    step: Filter = None,
    instansi: Filter = None,
    day: Filter = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Every letter, newest day first, by PPK; filter by mail state, step, instansi and day."""
    if (state or "") not in ("", *MailState) or (step or "") not in ("", *LetterStep):
        raise _bad(request)
    try:
        on = date.fromisoformat(day) if day else None
    except ValueError:
        raise _bad(request) from None
    filters = LetterFilter(state=state or None, step=step or None, instansi_id=instansi or None, day=on)
    with console(request).database.session() as session:
        total, rows = list_letters(session, filters, limit=PAGE, offset=(page - 1) * PAGE)
    return render(
        request, "letters.html", me, rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
        states=tuple(MailState), steps=tuple(LetterStep), mode=console(request).settings.notify.mode,
        filters={"state": state or "", "step": step or "", "instansi": instansi or "", "day": day or ""},
    )  # fmt: skip


@router.get("/letters/{letter_id}", response_class=HTMLResponse)
def letter(request: Request, letter_id: PathId, me: Viewer) -> Response:
    with console(request).database.session() as session:
        detail = letter_detail(session, letter_id)
        shown = letter_nips(session, letter_id)  # the cases' NIPs (the page shows them masked)
        # A case by its short label: its key can hold the ASN's NIP in clear (a register's cases).
        ids = [c["id"] for c in detail["cases"]] if detail else []
        labels = case_labels(session, ids, case_scopes(session, ids, me.sources))
    if detail is None:
        raise HTTPException(404, translator(language(request))("error.not_found"))
    record_read(request, me, "letter", shown)
    return render(
        request, "letter.html", me, d=detail, l=detail["letter"], labels=labels, act=me.can("letters.act")
    )


@router.get("/letters/{letter_id}/pdf")
def pdf(request: Request, letter_id: PathId, me: Viewer) -> Response:
    """The letter's PDF exactly as stored (the bytes that were mailed), its sha256 in a header."""
    with console(request).database.session() as session:
        found = letter_pdf(session, letter_id)
        shown = letter_nips(session, letter_id)  # the cases the PDF names
    if found is None:
        raise HTTPException(404, translator(language(request))("error.not_found"))
    number, content, sha256 = found
    record_read(request, me, "export", shown, filter={"what": "letter_pdf", "letter": letter_id})
    name = "surat-" + "".join(c if c.isalnum() else "-" for c in number) + ".pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Content-SHA256": sha256},
    )


def _act_on(request: Request, letter_id: int, me: Principal, reason: str, *, action: str) -> Response:
    _ = translator(language(request))
    try:
        with console(request).database.session() as session:
            row_id = mail_row_of(session, letter_id)
            if row_id is None:
                raise HTTPException(404, _("error.not_found"))
            who = {"reason": reason.strip(), "actor": me.username, "channel": "console"}
            if action == "release":
                templates = letter_templates(console(request).settings)
                count = release_mail(session, [row_id], templates=templates, **who)
            elif action == "give_up":
                count = give_up_mail(session, [row_id], **who)
            else:
                count = retry_mail(session, [row_id], **who)
    except SbtError as exc:
        flash(request, "error", error_text(exc, language(request)))
        return RedirectResponse(f"/letters/{letter_id}", status_code=303)
    if action == "release":
        done, not_done = _("letters.released"), _("letters.not_released")
    elif action == "give_up":
        done, not_done = _("letters.given_up"), _("letters.not_retried")
    else:
        done, not_done = _("letters.retried"), _("letters.not_retried")
    flash(request, "ok" if count else "error", done if count else not_done)
    return RedirectResponse(f"/letters/{letter_id}", status_code=303)


@router.post("/letters/{letter_id}/release", dependencies=[Depends(check_csrf)])
def release(
    request: Request, letter_id: PathId, me: Actor, reason: Annotated[str, Form(max_length=2000)]
) -> Response:
    """Release a letter held for review; the notifier sends it on its next run."""
    return _act_on(request, letter_id, me, reason, action="release")


@router.post("/letters/{letter_id}/retry", dependencies=[Depends(check_csrf)])
def retry(
    request: Request, letter_id: PathId, me: Actor, reason: Annotated[str, Form(max_length=2000)]
) -> Response:
    """Make a parked letter due again (with its instansi's current PIC addresses if it had none)."""
    if not reason.strip():
        flash(request, "error", translator(language(request))("letters.reason_required"))
        return RedirectResponse(f"/letters/{letter_id}", status_code=303)
    return _act_on(request, letter_id, me, reason, action="retry")


@router.post("/letters/{letter_id}/give-up", dependencies=[Depends(check_csrf)])
def give_up(
    request: Request, letter_id: PathId, me: Actor, reason: Annotated[str, Form(max_length=2000)]
) -> Response:
    """Give up the PICs of a parked letter who do not have it (:func:`sbt_sync.notify.admin.give_up_mail`)."""
    return _act_on(request, letter_id, me, reason, action="give_up")
