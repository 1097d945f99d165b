"""The console's composition root: settings, database, session and security middleware, routers.

Every page is rendered on the server (Jinja); the only script is a small progressive enhancement
(``static/app.js``). Sessions are kept on the server (``console_sessions``, see ``console.sessions``):
the HttpOnly, SameSite=Lax cookie (signed with itsdangerous as well) carries a random session id whose
SHA-256 names the row holding the account, the times and the CSRF token every form posts back. A
session ends at once on logout, when its account is disabled or its password reset, or by ``sbt-sync
users end-sessions``, and expires, checked on the server, after ``console.session_idle_minutes`` idle
or ``console.session_max_hours`` in all. Client addresses (audit, login throttling) come from
``X-Forwarded-For`` only behind ``console.trusted_proxies``. The JSON API under ``/api/v1`` uses
bearer tokens instead and publishes its OpenAPI document at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sbt_sync.console import (
    api,
    api_links,
    web_access,
    web_auth,
    web_compliance,
    web_conflicts,
    web_exports,
    web_imut,
    web_letters,
    web_links,
    web_metrics,
    web_ops,
    web_pages,
    web_pdp,
    web_pic,
    web_search,
)
from sbt_sync.console.i18n import translator
from sbt_sync.console.oidc import OidcClient
from sbt_sync.console.searches import SearchMemory
from sbt_sync.console.security import LoginThrottle, session_secret
from sbt_sync.console.web import LoginRequired, language, render_error, safe_local, setup_templates
from sbt_sync.db.engine import Database, DatabaseBusy, writes_wait_at_most
from sbt_sync.settings import Settings

HERE = Path(__file__).parent
SESSION_COOKIE = "sbt_session"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass
class Console:
    """What every route needs, kept on ``app.state.console``."""

    settings: Settings
    database: Database
    throttle: LoginThrottle
    templates: Jinja2Templates
    oidc: OidcClient | None = None
    searches: SearchMemory = field(default_factory=SearchMemory)
    """Typed search terms under opaque ids (:mod:`sbt_sync.console.searches`): never in a URL."""


class SecurityHeaders:
    """Adds the headers a console holding personal data should send on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                for name, value in (
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cache-control", b"no-store"),
                ):
                    if not any(h[0] == name for h in headers):
                        headers.append((name, value))
            await send(message)

        await self.app(scope, receive, with_headers)


class RefuseNulCharacters:
    """400 for a query string carrying a NUL character: no database stores one in text, and
    PostgreSQL refuses it with an error rather than a clean answer (form and JSON values are checked
    where they are read)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            if b"\x00" in query or b"%00" in query.lower():
                response = JSONResponse(
                    {"detail": "a NUL character is not allowed in a request"}, status_code=400
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


BUSY_RETRY_AFTER_SECONDS = 10
"""What a busy answer's ``Retry-After`` suggests."""


class WaitForWritersAtMost:
    """Every request's sessions take SQLite's write lock when they begin and wait for another writer
    (an enforcement run) at most ``console.write_wait_seconds``; then the request answers 503 in words
    (:func:`busy_answer`) instead of failing 'database is locked' or waiting as long as the daemon's
    writers do. Nearly every request writes after it reads (the session's last-seen time, a recorded
    read, a decision), and SQLite cannot let a transaction that read first wait for the lock."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with writes_wait_at_most(self.seconds, every_session_writes=True):
            await self.app(scope, receive, send)


def busy_answer(request: Request) -> Response:
    """503, the database is busy: try again (in the page's language). Touches no database."""
    _ = translator(language(request))
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": _("error.busy")}, status_code=503, headers=headers)
    lang = "en" if _("error.try_again") == "Try again" else "id"
    back = urlsplit(request.headers.get("referer", "")).path
    target = escape(request.url.path if request.method == "GET" else safe_local(back, "/"))
    page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(_('error.title.503'))}</title></head><body><main>"
        f"<h1>{escape(_('error.title.503'))}</h1><p>{escape(_('error.busy'))}</p>"
        f'<p><a href="{target}">{escape(_("error.try_again"))}</a></p></main></body></html>'
    )
    return HTMLResponse(page, status_code=503, headers=headers)


API_DESCRIPTION = (
    "Bearer-token API of the sbt-sync console. A NIP, a name, a birth date or a staff username is never "
    "sent in a URL (URLs are written to proxy logs): searches by them post a JSON body "
    "(`POST /api/v1/cases/search`, `POST /api/v1/registry/search`, "
    "`POST /api/v1/conflicts/{conflict_id}/candidates`, `POST /api/v1/conflicts/search` by who handles a "
    "conflict, `POST /api/v1/audit/search` by who acted), and a GET given "
    "such a parameter answers 400 with `detail.code` `personal_data_in_url` and `detail.use` naming the "
    "POST endpoint."
)


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """The console app for ``settings`` (its database unless one is given)."""
    database = database or Database(settings.database_url, echo=settings.database.echo)
    console_settings = settings.console
    secure = (
        console_settings.secure_cookies
        if console_settings.secure_cookies is not None
        else settings.environment == "production"
    )
    app = FastAPI(
        title="sbt-sync",
        summary="The golden dataset of neutrality violations, its conflicts, and the SIASN block feed.",
        description=API_DESCRIPTION,
        version=package_version("sbt-sync"),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    templates = setup_templates(HERE / "templates", settings)
    templates.env.globals["sees_imut"] = web_imut.sees_imut  # the menu's I-MUT link
    templates.env.globals["sees_letters"] = web_letters.sees_letters
    templates.env.globals["sees_compliance"] = web_compliance.sees_compliance
    templates.env.globals["sees_kemendagri_list"] = web_compliance.sees_kemendagri_list
    templates.env.globals["sees_pic"] = web_pic.sees_pic
    templates.env.globals["unusual_access"] = web_access.unusual_banner  # the admins' dashboard flag
    app.state.console = Console(
        settings=settings,
        database=database,
        throttle=LoginThrottle(console_settings.login_attempts_per_minute),
        templates=templates,
        oidc=OidcClient(console_settings.oidc, settings) if console_settings.oidc else None,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=console_settings.session_max_hours * 3600,
        same_site="lax",
        https_only=secure,
    )
    app.add_middleware(RefuseNulCharacters)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(WaitForWritersAtMost, seconds=console_settings.write_wait_seconds)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(web_auth.router)
    app.include_router(web_pages.router)
    app.include_router(web_conflicts.router)
    app.include_router(web_links.router)
    app.include_router(web_ops.router)
    app.include_router(web_exports.router)
    app.include_router(web_imut.router)
    app.include_router(web_letters.router)
    app.include_router(web_compliance.router)
    app.include_router(web_pic.router)
    app.include_router(web_pdp.router)
    app.include_router(web_search.router)
    app.include_router(web_access.router)
    app.include_router(web_metrics.router)
    app.include_router(api.router)
    app.include_router(api_links.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}" + ("&expired=1" if exc.expired else ""), 303)

    @app.exception_handler(DatabaseBusy)
    async def busy(request: Request, exc: DatabaseBusy) -> Response:
        return busy_answer(request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return render_error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": _errors(exc)}, status_code=422)
        return render_error(request, 400, translator(language(request))("error.bad_request"))

    return app


def _errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
