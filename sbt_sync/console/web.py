"""What the HTML routes share: the signed-in user from the session, permission checks, CSRF, the
language, flash messages and rendering with the layout's context."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from sbt_sync.console.i18n import LANGUAGES, translator
from sbt_sync.console.roles import Permission, Principal
from sbt_sync.console.security import csrf_matches, new_csrf_token, password_fingerprint
from sbt_sync.db.models import User
from sbt_sync.settings import Settings
from schemas import reference

LANG_COOKIE = "sbt_lang"
SEEN_REFRESH_SECONDS = 30


class LoginRequired(Exception):
    """No valid session: the handler sends the browser to the login page."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


def console(request: Request) -> Any:
    return request.app.state.console


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    default: str = console(request).settings.console.default_language
    return default


def principal_for(user: User, settings: Settings, channel: str = "console") -> Principal:
    sources = tuple(settings.agency_sources(user.agency or "")) if user.role == "agency_viewer" else None
    return Principal(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        agency=user.agency,
        sources=sources,
        channel="api" if channel == "api" else "console",
    )


def safe_local(target: str | None, default: str = "/") -> str:
    """``target`` when it is a local path; never send a user to another site after a form."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target


def start_session(request: Request, user: User) -> None:
    """A fresh session for ``user`` (a new CSRF token too, so a pre-login token cannot be replayed)."""
    now = time.time()
    request.session.clear()
    request.session.update(
        {
            "uid": user.id,
            "pwv": password_fingerprint(user.password_hash),
            "iat": now,
            "seen": now,
            "csrf": new_csrf_token(),
        }
    )


def web_user(request: Request) -> Principal:
    """The session's user, or LoginRequired (no session, expired, disabled, password changed)."""
    session = request.session
    uid = session.get("uid")
    if not uid:
        raise LoginRequired
    limits = console(request).settings.console
    now = time.time()
    if now - float(session.get("iat", 0)) > limits.session_max_hours * 3600 or (
        now - float(session.get("seen", 0)) > limits.session_idle_minutes * 60
    ):
        session.clear()
        raise LoginRequired(expired=True)
    with console(request).database.session() as db:
        user = db.scalar(select(User).where(User.id == int(uid)))
    if user is None or not user.active or password_fingerprint(user.password_hash) != session.get("pwv"):
        session.clear()
        raise LoginRequired(expired=True)
    if now - float(session.get("seen", 0)) > SEEN_REFRESH_SECONDS:
        session["seen"] = now
    return principal_for(user, console(request).settings)


def require(permission: Permission) -> Callable[[Request], Principal]:
    """A dependency: the signed-in user when they hold ``permission``, else 403."""

    def dependency(request: Request) -> Principal:
        me = web_user(request)
        if not me.can(permission):
            raise HTTPException(403, translator(language(request))("error.forbidden"))
        return me

    return dependency


def ensure_csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = new_csrf_token()
    return str(token)


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request whose form lacks the session's CSRF token (403)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    if any(isinstance(v, str) and "\x00" in v for v in form.values()):
        raise HTTPException(400, translator(language(request))("error.bad_request"))
    given = form.get("csrf_token")
    if not csrf_matches(request.session.get("csrf"), given if isinstance(given, str) else None):
        raise HTTPException(403, translator(language(request))("error.csrf"))


def flash(request: Request, kind: str, message: str) -> None:
    request.session.setdefault("flash", []).append([kind, message])


def setup_templates(directory: Path, settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(directory))
    zone = ZoneInfo(settings.schedule.timezone)

    def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A timestamp (or its ISO text, as service dictionaries carry it) in the deployment's zone."""
        moment: datetime | None = None
        if isinstance(value, datetime):
            moment = value
        elif value:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value
        if moment is None:
            return ""
        return moment.astimezone(zone).strftime(fmt) if moment.tzinfo is not None else str(moment)

    kanreg_names = {k.id: k.nama for k in reference.kanreg()}

    def kanreg_name(code: str | None) -> str:
        """A Kanreg as people say it, its code beside the name ("II · Kantor Regional II BKN")."""
        if not code:
            return ""
        name = kanreg_names.get(code)
        return f"{code} · {name}" if name else code

    templates.env.filters["dt"] = local_time
    templates.env.globals["kanreg_name"] = kanreg_name
    templates.env.globals["timezone"] = settings.schedule.timezone
    return templates


def render(
    request: Request, template: str, me: Principal | None, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = language(request)
    messages = request.session.pop("flash", []) if "flash" in request.session else []
    response: HTMLResponse = console(request).templates.TemplateResponse(
        request,
        template,
        {
            "me": me,
            "lang": lang,
            "_": translator(lang),
            "csrf_token": ensure_csrf(request),
            "path": request.url.path,
            "messages": messages,
            **context,
        },
        status_code=status,
    )
    return response


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    me: Principal | None
    try:
        me = web_user(request)
    except LoginRequired:
        me = None
    return render(request, "error.html", me, status=status, status_code=status, message=message)
