"""What the HTML routes share: the signed-in user from the server-side session, the client's address,
permission checks, CSRF, the language, flash messages and rendering with the layout's context."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from connectors.sftp.naming import shown
from sbt_sync.console import labels, sessions
from sbt_sync.console.i18n import LANGUAGES, translator
from sbt_sync.console.roles import Permission, Principal
from sbt_sync.console.security import csrf_matches, new_csrf_token
from sbt_sync.db.models import User
from sbt_sync.settings import Settings
from schemas import reference

LANG_COOKIE = "sbt_lang"
SESSION_KEY = "sid"
"""Where the signed cookie carries the session id."""
FORWARDED_FOR = "x-forwarded-for"
_UNSET = object()
ID_MAX = 2**31 - 1
"""The largest id a table holds (a 32-bit integer key): larger ids in a URL are refused with a 400,
never passed to the database (PostgreSQL raises on an integer out of range)."""
PathId = Annotated[int, PathParam(ge=1, le=ID_MAX)]
"""An object's id in a console URL's path."""
QueryId = Annotated[int | None, Query(ge=1, le=ID_MAX)]
"""An optional object's id in a console URL's query."""
DAY_MIN, DAY_MAX = date(1900, 1, 1), date(2999, 12, 31)
"""The days a filter accepts: wider than any record, narrow enough that a day's bounds in any zone
stay within what datetimes and the databases hold."""


class LoginRequired(Exception):
    """No valid session: the handler sends the browser to the login page."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


def console(request: Request) -> Any:
    return request.app.state.console


def client_address(request: Request) -> str | None:
    """The client's IP address: the direct peer's, unless the peer is one of ``console.trusted_proxies``.

    Then ``X-Forwarded-For`` is read from the right (each proxy appends the address it got the request
    from): trusted proxies are skipped and the first other address is the client. A malformed entry
    stops the walk at the proxy that sent it, so whatever a client writes into the header itself (to
    the left of what its first proxy appended) is never believed. Without trusted proxies the header
    is ignored: anyone can send it.
    """
    peer = request.client.host if request.client else None
    trusted = _networks(tuple(console(request).settings.console.trusted_proxies))
    if peer is None or not trusted or not _within(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getlist(FORWARDED_FOR) for h in v.split(",")]
    address = peer
    for hop in reversed(hops):
        try:
            hop = str(ipaddress.ip_address(hop))
        except ValueError:
            return address
        if not _within(hop, trusted):
            return hop
        address = hop
    return address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(e) for e in entries)  # validated by the settings already


def _within(address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # e.g. a test client's "testclient"
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in n for n in networks)


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


def start_session(request: Request, session_id: str) -> None:
    """Point the cookie at a freshly started session (see :func:`sessions.start`); whatever the cookie
    held before (a pre-login CSRF token, an SSO login in progress) is dropped, so it cannot be replayed."""
    request.session.clear()
    request.session[SESSION_KEY] = session_id
    request.state.live_session = _UNSET  # looked up afresh if this request renders a page


def current_session(request: Request) -> sessions.LiveSession | None:
    """The request's live server-side session, looked up once per request; None when the cookie names
    none (then a session id the cookie still carries is forgotten: it ended or expired)."""
    cached = getattr(request.state, "live_session", _UNSET)
    if cached is not _UNSET:
        assert cached is None or isinstance(cached, sessions.LiveSession)
        return cached
    session_id = request.session.get(SESSION_KEY)
    live = None
    if isinstance(session_id, str) and session_id:
        ctx = console(request)
        with ctx.database.session() as db:
            live = sessions.lookup(db, session_id, ctx.settings.console, address=client_address(request))
        if live is None:
            request.session.clear()
            request.state.session_ended = True
    request.state.live_session = live
    return live


def web_user(request: Request) -> Principal:
    """The session's user, or LoginRequired (no session; or it ended, expired or its account is disabled)."""
    live = current_session(request)
    if live is None:
        raise LoginRequired(expired=bool(getattr(request.state, "session_ended", False)))
    return principal_for(live.user, console(request).settings)


def require(permission: Permission) -> Callable[[Request], Principal]:
    """A dependency: the signed-in user when they hold ``permission``, else 403."""

    def dependency(request: Request) -> Principal:
        me = web_user(request)
        if not me.can(permission):
            raise HTTPException(403, translator(language(request))("error.forbidden"))
        return me

    return dependency


def ensure_csrf(request: Request) -> str:
    """The CSRF token the page's forms carry: the server-side session's, or before login one kept in
    the signed cookie (the login form needs one too)."""
    live = current_session(request)
    if live is not None:
        return live.csrf_token
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
    live = await run_in_threadpool(current_session, request)
    expected = live.csrf_token if live is not None else request.session.get("csrf")
    given = form.get("csrf_token")
    if not csrf_matches(expected, given if isinstance(given, str) else None):
        raise HTTPException(403, translator(language(request))("error.csrf"))


FLASH_BUDGET = 2400
"""Bytes of flash messages (their JSON, as the session cookie serialises them) the cookie carries. With
the session id, base64 (4/3) and the signature the cookie stays well under 4096 bytes, the most a
browser keeps: a larger Set-Cookie is dropped whole, and every message with it."""
FLASH_HIDDEN = "flash_hidden"


def flash(request: Request, kind: str, message: str) -> None:
    """Show ``message`` on the next page. Past :data:`FLASH_BUDGET` the message is only counted; the
    page then says how many were not shown (:func:`render`)."""
    messages = request.session.setdefault("flash", [])
    hidden = int(request.session.get(FLASH_HIDDEN, 0))
    if hidden or len(json.dumps([*messages, [kind, message]])) > FLASH_BUDGET:
        request.session[FLASH_HIDDEN] = hidden + 1
        return
    messages.append([kind, message])


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
    # A record key of an SFTP source names the agency's file: never let it reorder or hide the page.
    templates.env.filters["shown"] = lambda text: "" if text is None else shown(str(text))
    templates.env.globals["kanreg_name"] = kanreg_name
    templates.env.globals["timezone"] = settings.schedule.timezone
    labels.install(templates.env)  # codes into words: sanction names, instansi, rules, ...
    return templates


def render(
    request: Request, template: str, me: Principal | None, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = language(request)
    messages = request.session.pop("flash", []) if "flash" in request.session else []
    if hidden := int(request.session.pop(FLASH_HIDDEN, 0) or 0):
        messages.append(["warn", translator(lang)("flash.more").format(count=hidden)])
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


def parse_day(request: Request, text: str | None) -> date | None:
    """A filter's day (YYYY-MM-DD), None when blank; a 400 in words (in the page's language) when it is
    not a date or lies outside :data:`DAY_MIN`..:data:`DAY_MAX`."""
    if not text:
        return None
    _ = translator(language(request))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, _("error.bad_date")) from None
    if not DAY_MIN <= day <= DAY_MAX:
        raise HTTPException(400, _("error.date_out_of_range").format(first=DAY_MIN, last=DAY_MAX))
    return day
