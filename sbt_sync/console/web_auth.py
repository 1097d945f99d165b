"""Log in, log out and the language switch.

A login starts a server-side session (``console.sessions``): the cookie carries only its random id, and
logging out deletes the row, so the cookie stops working at once, wherever a copy of it is.

Login throttling (``security.LoginThrottle``, which documents the design): after
``console.login_attempts_per_minute`` wrong passwords in a minute for an account, further attempts on
that account are refused with 429 for the rest of the minute, even with the right password, and the
account's lock is stored (``users.locked_until``) so every process honours it. A client address with
many failures over all accounts is refused only for the names that failed from it, so another
account's right password from the same address (a shared office, a reverse proxy) always goes
through. The address is the client's, read through ``console.trusted_proxies`` (``web.client_address``).
Failures, refusals, logins and logouts are audited; the password and the session id never are.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from sbt_sync.console import sessions
from sbt_sync.console.i18n import LANGUAGES, translator
from sbt_sync.console.oidc import OidcError
from sbt_sync.console.security import verify_password
from sbt_sync.console.web import (
    LANG_COOKIE,
    SESSION_KEY,
    check_csrf,
    client_address,
    console,
    current_session,
    language,
    render,
    safe_local,
    start_session,
)
from sbt_sync.console.web_access import keyed_hash
from sbt_sync.db.base import utcnow
from sbt_sync.db.models import User

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
            session.add(sessions.audit(None, "sso", "auth.sso_failed", address, reason=str(exc)))
        return render(request, "login.html", None, status=401, next="/", username="", sso=_sso_label(request),
                      error=_("login.sso_failed") + f" ({exc})")  # fmt: skip
    with ctx.database.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            # SIASN's SSO names people by NIP: a name with no account is kept as a keyed hash only.
            audited_as, typed = _audited_name(request, user, username)
            reason = "; ".join(filter(None, ["no active console account", typed]))
            session.add(
                sessions.audit(
                    user.id if user else None, audited_as, "auth.sso_refused", address, reason=reason
                )
            )
            return render(request, "login.html", None, status=403, next="/", username="",
                          sso=_sso_label(request), error=_("login.sso_no_account"))  # fmt: skip
        user.failed_logins, user.locked_until = 0, None
        sessions.prune(session, ctx.settings.console)
        session_id = sessions.start(session, user, address=address, reason="sso")
    start_session(request, session_id)
    return RedirectResponse(safe_local((pending or {}).get("next")), status_code=303)


def _audited_name(request: Request, user: User | None, username: str) -> tuple[str, str | None]:
    """Who a login attempt (typed, or asserted by the SSO provider) is audited as, and the reason to
    store with it: the account's name when one matches; else :data:`sessions.UNKNOWN_USER` and a keyed
    hash of the name (repeated tries of one name stay recognisable, while a password typed into the
    name field, or a NIP the SSO names someone by, never reaches the append-only log)."""
    if user is not None:
        return user.username, None
    return sessions.UNKNOWN_USER, f"typed name hmac:{keyed_hash(request, username)[:16]}"


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
    now = utcnow()
    with ctx.database.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        user_id = user.id if user is not None else None
        locked = user is not None and user.locked_until is not None and user.locked_until > now
        audited_as, typed = _audited_name(request, user, username)
        if locked or ctx.throttle.refused(address=address, account=username):
            session.add(sessions.audit(user_id, audited_as, "auth.throttled", address, reason=typed))
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
            if ctx.throttle.fail(address=address, account=username) and user is not None:
                user.locked_until = now + timedelta(seconds=LOCK_SECONDS)
            if user is not None:
                user.failed_logins += 1
            session.add(sessions.audit(user_id, audited_as, "auth.login_failed", address, reason=typed))
            return render(
                request, "login.html", None, status=401, next=safe_local(next), username=username,
                error=_("login.failed"),
            )  # fmt: skip
        assert user is not None
        user.failed_logins, user.locked_until = 0, None
        ctx.throttle.succeed(address=address, account=username)
        sessions.prune(session, ctx.settings.console, now=now)
        session_id = sessions.start(session, user, address=address, now=now)
    start_session(request, session_id)
    return RedirectResponse(safe_local(next), status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session at once (its row is deleted). A session that already ended (expired, ended by
    an admin) needs no CSRF token to be forgotten: there is nothing left to protect."""
    if await run_in_threadpool(current_session, request) is not None:
        await check_csrf(request)
        session_id = str(request.session.get(SESSION_KEY))
        address = client_address(request)

        def end() -> None:
            with console(request).database.session() as session:
                sessions.end(session, session_id, address=address)

        await run_in_threadpool(end)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def set_language(request: Request, code: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_local(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, httponly=True, samesite="lax")
    return response
