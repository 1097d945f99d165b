"""PIC addresses per instansi (where letters to its PPK go): the list for BKN's roles, add and remove
for admins, through the service functions ``sbt-sync pic`` uses (:mod:`sbt_sync.notify.admin`),
audited as the console user. A letter not yet delivered to every PIC follows the list
(:func:`sbt_sync.notify.queue.readdress`); one every PIC has is not sent again.

An address is checked here more strictly than the service does (which only wants ``x@y.z``): one
``@``, a dot-atom local part and a domain of valid DNS labels with an alphabetic top-level label, so a
typo (``pic@bkn..go.id``, ``pic@bkn.go.id.``, ``pic bkn@go.id``) is said on the page, not bounced later.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sbt_sync.console.i18n import translator
from sbt_sync.console.labels import error_text
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import check_csrf, console, flash, language, render, require
from sbt_sync.errors import SbtError
from sbt_sync.notify.admin import add_pic, list_pics, remove_pic
from sbt_sync.steward.scope import bkn_only

router = APIRouter(include_in_schema=False)
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_INSTANSI = re.compile(r"[A-Za-z0-9._-]{1,64}")


def valid_email(value: str) -> bool:
    """Whether ``value`` is a plain mail address (``local@domain.tld``, at most 254 characters)."""
    local, at, domain = value.partition("@")
    labels = domain.split(".")
    return (
        bool(at)
        and len(value) <= 254
        and len(local) <= 64
        and _LOCAL.fullmatch(local) is not None
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )


def sees_pic(me: Principal | None) -> bool:
    """Whether ``me`` sees the PIC page (the menu asks this too)."""
    return me is not None and me.can("pic.view") and bkn_only(me.sources)


def _gate(request: Request, me: Principal) -> Principal:
    if not bkn_only(me.sources):
        raise HTTPException(403, translator(language(request))("error.forbidden"))
    return me


def _viewer(request: Request, me: Annotated[Principal, Depends(require("pic.view"))]) -> Principal:
    return _gate(request, me)


def _admin(request: Request, me: Annotated[Principal, Depends(require("pic.act"))]) -> Principal:
    return _gate(request, me)


Viewer = Annotated[Principal, Depends(_viewer)]
Admin = Annotated[Principal, Depends(_admin)]
Field = Annotated[str, Form(max_length=254)]


@router.get("/admin/pic", response_class=HTMLResponse)
def pics(
    request: Request, me: Viewer, instansi: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    with console(request).database.session() as session:
        rows = list_pics(session, instansi.strip() if instansi else None)
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        grouped.setdefault(row["instansi_id"], []).append(row)
    return render(request, "pic.html", me, grouped=grouped, instansi=instansi or "", act=me.can("pic.act"))


def _back(instansi_id: str) -> RedirectResponse:
    target = f"/admin/pic?instansi={instansi_id}" if _INSTANSI.fullmatch(instansi_id) else "/admin/pic"
    return RedirectResponse(target, status_code=303)


@router.post("/admin/pic/add", dependencies=[Depends(check_csrf)])
def add(
    request: Request,
    me: Admin,
    instansi_id: Field,
    email: Field,
    instansi_name: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    """Add a PIC address; the instansi's name (optional) is how letters address the instansi when the
    registry mirror holds none of its members (never by a bare code)."""
    _ = translator(language(request))
    instansi_id, email = instansi_id.strip(), email.strip().lower()
    if not _INSTANSI.fullmatch(instansi_id) or not valid_email(email):
        flash(request, "error", _("pic.invalid"))
        return _back(instansi_id)
    try:
        with console(request).database.session() as session:
            added = add_pic(
                session,
                instansi_id,
                email,
                actor=me.username,
                channel="console",
                instansi_name=instansi_name or None,
                reviewed=console(request).settings.notify.mode == "reviewed",
            )
    except SbtError as exc:
        flash(request, "error", error_text(exc, language(request)))
        return _back(instansi_id)
    flash(request, "ok" if added else "error", _("pic.added" if added else "pic.exists"))
    return _back(instansi_id)


@router.post("/admin/pic/remove", dependencies=[Depends(check_csrf)])
def remove(request: Request, me: Admin, instansi_id: Field, email: Field) -> Response:
    _ = translator(language(request))
    with console(request).database.session() as session:
        gone = remove_pic(session, instansi_id, email, actor=me.username, channel="console")
    flash(request, "ok" if gone else "error", _("pic.removed" if gone else "pic.missing"))
    return _back(instansi_id.strip())
