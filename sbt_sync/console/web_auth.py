"""Log in, log out and the language switch.

Login throttling: after ``console.login_attempts_per_minute`` wrong passwords in a minute for an
account or from one client address, further attempts are refused with 429 for the rest of the minute,
even with the right password; the account's lock is also stored (``users.locked_until``) so every
process honours it. Failures and successes are audited; the password never is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from sbt_sync.console.i18n import LANGUAGES, translator
from sbt_sync.console.oidc import OidcError
from sbt_sync.console.security import verify_password
from sbt_sync.console.web import (
    LANG_COOKIE,
    check_csrf,
    client_address,
    console,
    language,
    render,
    safe_local,
    start_session,
)
from sbt_sync.db.base import utcnow
from sbt_sync.db.models import AuditEntry, User

router = APIRouter(include_in_schema=False)
LOCK_SECONDS = 60


def _sso_label(request: Request) -> str | None:
    oidc = console(request).oidc
    return oidc.config.label if oidc is not None else None


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, expired: int = 0) -> Response:
    return render(
        request, "login.html", None, next=safe_local(next), expired=bool(expired), username="",
        sso=_sso_label(request),
    )  # fmt: skip


@router.get("/login/oidc")
def oidc_begin(request: Request, next: str | None = None) -> Response:
    """Send the browser to the SSO provider (404 when no ``console.oidc`` is configured)."""
    oidc = console(request).oidc
    if oidc is None:
        raise HTTPException(404, translator(language(request))("error.not_found"))
    try:
        url, pending = oidc.authorization_url(str(request.url_for("oidc_callback")))
    except OidcError as exc:
        return render(request, "login.html", None, status=502, next=safe_local(next), username="",
                      sso=_sso_label(request), error=str(exc))  # fmt: skip
    request.session["oidc"] = {**pending, "next": safe_local(next)}
    return RedirectResponse(url, status_code=303)


@router.get("/login/oidc/callback", name="oidc_callback")
def oidc_callback(
    request: Request,
    code: Annotated[str, Query(max_length=2048)] = "",
    state: Annotated[str, Query(max_length=256)] = "",
) -> Response:
    """Finish an SSO login: verify the answer and the ID token, then open a session for the account."""
    ctx = console(request)
    _ = translator(language(request))
    if ctx.oidc is None:
        raise HTTPException(404, _("error.not_found"))
    pending = request.session.pop("oidc", None)
    address = client_address(request)
    try:
        username = ctx.oidc.finish(code=code, state=state, pending=pending)
    except OidcError as exc:
        with ctx.database.session() as session:
            session.add(_audit(None, "sso", "auth.sso_failed", address, reason=str(exc)))
        return render(request, "login.html", None, status=401, next="/", username="", sso=_sso_label(request),
                      error=_("login.sso_failed") + f" ({exc})")  # fmt: skip
    with ctx.database.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            session.add(
                _audit(user, username, "auth.sso_refused", address, reason="no active console account")
            )
            return render(request, "login.html", None, status=403, next="/", username="",
                          sso=_sso_label(request), error=_("login.sso_no_account"))  # fmt: skip
        user.failed_logins, user.locked_until = 0, None
        session.add(_audit(user, username, "auth.login", address, reason="sso"))
    start_session(request, user)
    return RedirectResponse(safe_local((pending or {}).get("next")), status_code=303)


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    ctx = console(request)
    _ = translator(language(request))
    address = client_address(request) or "-"
    keys = (f"user:{username.lower()}", f"addr:{address}")
    now = utcnow()
    with ctx.database.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        locked = user is not None and user.locked_until is not None and user.locked_until > now
        if locked or ctx.throttle.blocked(*keys):
            session.add(_audit(user, username, "auth.throttled", address))
            return render(
                request, "login.html", None, status=429, next=safe_local(next), username=username,
                error=_("login.throttled"),
            )  # fmt: skip
        ok = (
            verify_password(user.password_hash if user else None, password)
            and user is not None
            and user.active
        )
        if not ok:
            if ctx.throttle.fail(*keys) and user is not None:
                user.locked_until = now + timedelta(seconds=LOCK_SECONDS)
            if user is not None:
                user.failed_logins += 1
            session.add(_audit(user, username, "auth.login_failed", address))
            return render(
                request, "login.html", None, status=401, next=safe_local(next), username=username,
                error=_("login.failed"),
            )  # fmt: skip
        assert user is not None
        user.failed_logins, user.locked_until = 0, None
        session.add(_audit(user, username, "auth.login", address))
        ctx.throttle.clear(keys[0])
    start_session(request, user)
    return RedirectResponse(safe_local(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    uid = request.session.get("uid")
    if uid:
        ctx = console(request)
        with ctx.database.session() as session:
            user = session.get(User, int(uid))
            if user is not None:
                session.add(_audit(user, user.username, "auth.logout", client_address(request)))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def set_language(request: Request, code: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_local(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, httponly=True, samesite="lax")
    return response


def _audit(
    user: User | None, username: str, action: str, address: str | None, *, reason: str | None = None
) -> AuditEntry:
    return AuditEntry(
        at=utcnow(),
        actor_id=user.id if user else None,
        actor_name=username[:64],
        action=action,
        object_type="session",
        object_id=None,
        channel="console",
        client_address=address,
        reason=reason,
    )
