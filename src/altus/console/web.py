"""The console's HTTP side: its app (on the console's own listener) and routes under
``/_altus/console/``, who the browser is (``sessions``), the CSRF and origin checks on
every POST, the rendering of pages (Jinja2 templates of the package, autoescaped), and
the static files.

A page needs a session, and acts through the API as its principal (``api.Api``), so
what a page may show or change is what IAM allows that principal. Every answer forbids
framing, inline scripts and styles, and caching. With auth open (no sign-in), only
requests naming a loopback host (or the configured public URL's) are answered: a DNS
name an attacker rebinds to 127.0.0.1 gets nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router

from altus.api.selfcalls import BotocoreCalls
from altus.console import BASE
from altus.console.api import DEFAULT_TIMEOUT, Api
from altus.console.saved_events import SCHEMA, SqlSavedEventStore
from altus.console.sessions import (
    COOKIE,
    Principals,
    Session,
    Sessions,
    SignInRefused,
    SignInThrottled,
    csrf_matches,
)

if TYPE_CHECKING:
    from altus.platform import Platform

log = logging.getLogger(__name__)

#: Host names a console with auth open answers to (besides its public URL's).
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_FORM = 1 << 20
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


class BadForm(Exception):
    """The request's form could not be read (too large, not UTF-8)."""


@dataclass(slots=True)
class Page:
    """One request to one page: who asks, the API as them, and the form it sent."""

    request: Request
    session: Session
    api: Api
    console: Console
    form: Mapping[str, str]

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return self.console.render(template, self.session, status=status, **values)

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])


View = Callable[[Page], Awaitable[Response]]


def url(path: str, **query: str | int | None) -> str:
    """A console URL (``path`` under the console's base), with ``query``."""
    found = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in query.items() if v is not None)
    return BASE + path + ("?" + found if found else "")


class Console:
    def __init__(self, platform: Platform, endpoint: str) -> None:
        self.identity = platform.identity
        self.region = platform.account.region
        self.open = not self.identity.enforcing
        self.now: Callable[[], float] = time.time
        self.sessions = Sessions(self.identity, self.now)
        self.principals = Principals(self.identity, self.now)
        public = platform.settings.console_public_url
        #: Cookies are Secure where browsers reach the console over https (a proxy's).
        self.secure = public is not None and public.startswith("https:")
        self.hosts = LOOPBACK | ({_host_of(urlsplit(public).netloc)} if public else set())
        database = platform.storage.database()
        # Blocking, once, before the server serves (as the services' own migrations).
        database.migrate((SCHEMA,))
        self.saved_events = SqlSavedEventStore(database)
        self.endpoint = endpoint
        # Two pools: a page's reads, and invokes (which last as long as their function
        # runs, up to 15 minutes: they must not hold the threads the pages read with).
        self.calls = BotocoreCalls(
            endpoint,
            self.region,
            self.principals,
            self.now,
            workers=8,
            session_name="AltusConsole",
            thread_name="altus-console",
        )
        self.invokes = BotocoreCalls(
            endpoint,
            self.region,
            self.principals,
            self.now,
            workers=8,
            session_name="AltusConsole",
            thread_name="altus-console-invoke",
        )
        self._http: httpx.AsyncClient | None = None
        self._templates: Any = None
        self._views: list[BaseRoute] = []

    def http(self) -> httpx.AsyncClient:
        """The one HTTP client of requests to Altus's own routes (made in the loop)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        return self._http

    async def close(self) -> None:
        self.calls.close()
        self.invokes.close()
        if self._http is not None:
            await self._http.aclose()

    @property
    def templates(self) -> Any:
        """The Jinja2 environment, made (and Jinja2 imported) on the first page: a server
        nobody opens the console of does not pay for it at start."""
        if self._templates is None:
            import jinja2

            templates = jinja2.Environment(
                loader=jinja2.PackageLoader("altus.console", "templates"),
                autoescape=True,
                # A member an answer lacks (an optional one) renders as nothing.
                undefined=jinja2.ChainableUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            templates.globals["url"] = url
            templates.globals["base"] = BASE
            templates.filters["when"] = when
            templates.filters["arn_name"] = arn_name
            self._templates = templates
        return self._templates

    # --- wiring ----------------------------------------------------------------------------

    def app(self) -> Callable[[Any, Any, Any], Awaitable[None]]:
        """The console's ASGI app: its routes, "/" leading to them, and (auth open) the
        Host check."""
        router = Router(self.routes())

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and self.open and not self._host_allowed(scope):
                response = Response(
                    b"This console answers to its own address only (127.0.0.1, localhost, "
                    b"or console_public_url).\n",
                    421,
                    media_type="text/plain",
                )
                await response(scope, receive, send)
                return
            await router(scope, receive, send)

        return app

    def _host_allowed(self, scope: Any) -> bool:
        host = next((v for k, v in scope.get("headers") or () if k == b"host"), b"")
        return _host_of(host.decode("latin-1")) in self.hosts

    def routes(self) -> list[BaseRoute]:
        """Every page ``page`` was given, and the console's own (sign-in, static files)."""

        async def home(request: Request) -> Response:
            return RedirectResponse(BASE + "/", 307)

        router = Router(
            [
                Route("/static/{name}", self._static, methods=["GET"]),
                Route("/signin", self._signin_page, methods=["GET"]),
                Route("/signin", self._signin, methods=["POST"]),
                Route("/signout", self._signout, methods=["POST"]),
                *self._views,
            ]
        )
        return [
            Route("/", home, methods=["GET"]),
            Route(BASE, home, methods=["GET"]),
            Mount(BASE, app=router),
        ]

    def page(
        self,
        path: str,
        view: View,
        methods: tuple[str, ...] = ("GET",),
        touch: bool = True,
    ) -> None:
        """Serve ``view`` at ``path`` (under the base) to a browser with a session.
        ``touch``: a request restarts the session's idle time (not the tail's polls)."""

        async def endpoint(request: Request) -> Response:
            return await self._serve(request, view, touch)

        self._views.append(Route(path, endpoint, methods=list(methods)))

    def api(self, session: Session) -> Api:
        """The API as the session's principal."""
        return Api(
            self.calls,
            self.principals,
            self.endpoint,
            self.region,
            session.principal,
            self.http,
            self.invokes,
        )

    def render(
        self, template: str, session: Session | None, status: int = 200, **values: Any
    ) -> HTMLResponse:
        notices = list(session.notices) if session is not None else []
        if session is not None:
            session.notices.clear()
        html = self.templates.get_template(template).render(
            session=session, open_mode=self.open, notices=notices, **values
        )
        return HTMLResponse(html, status, headers=SECURITY_HEADERS)

    # --- the request path -------------------------------------------------------------------

    async def _serve(self, request: Request, view: View, touch: bool = True) -> Response:
        session = self.sessions.find(request.cookies.get(COOKIE), touch)
        fresh = False
        if session is None:
            if not self.open:
                if _wants_json(request):
                    return JSONResponse({"message": "Signed out: sign in again."}, 401)
                return RedirectResponse(url("/signin", next=_next_of(request)), 303)
            try:
                admin = self.identity.admin_key()
            except StopIteration:  # no active key of the administrator's
                message = (
                    "The administrator's access key is not active, and with auth open the "
                    "console acts as the administrator: reactivate the key (or restart "
                    "the server, which makes a new one)."
                )
                if _wants_json(request):
                    return JSONResponse({"message": message}, 503)
                return self.render(
                    "error.html", None, 503, title="Console unavailable", message=message
                )
            client = request.client.host if request.client else ""
            session, fresh = self.sessions.for_client(client, admin.principal, admin.id)
        form: Mapping[str, str] = {}
        if request.method == "POST":
            try:
                form = await read_form(request)
            except BadForm as error:
                return self.render(
                    "error.html", session, 400, title="Bad request", message=str(error)
                )
            given = request.headers.get("x-csrf-token") or form.get("csrf")
            if fresh or not csrf_matches(session, given) or not _same_origin(request):
                message = "The form was stale or came from another site; reload the page."
                if _wants_json(request):
                    return JSONResponse({"message": message}, 403)
                return self.render("error.html", session, 403, title="Refused", message=message)
        try:
            response = await view(Page(request, session, self.api(session), self, form))
        except Exception:
            # A page's own bug: logged, and shown as a page, never a bare 500.
            log.exception("console page %s failed", request.url.path)
            response = self.render(
                "error.html",
                session,
                500,
                title="Something went wrong",
                message="This page failed; the server's log has the details.",
            )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if fresh:
            self._set_cookie(response, session)
        return response

    async def _signin_page(self, request: Request) -> Response:
        if self.open:
            return RedirectResponse(BASE + "/", 303)
        return self.render("signin.html", None, next=_safe_next(request.query_params.get("next")))

    async def _signin(self, request: Request) -> Response:
        if self.open:
            return RedirectResponse(BASE + "/", 303)
        try:
            form = await read_form(request)
        except BadForm as error:
            return self.render("signin.html", None, 400, error=str(error), next=BASE + "/")
        target = _safe_next(form.get("next"))
        if not _same_origin(request):
            return self.render(
                "signin.html", None, 403, error="Cross-site sign-in refused.", next=target
            )
        client = request.client.host if request.client else ""
        try:
            session = self.sessions.sign_in(
                form.get("access_key_id", ""), form.get("secret_access_key", ""), client
            )
        except SignInRefused as refused:
            status = 429 if isinstance(refused, SignInThrottled) else 401
            return self.render("signin.html", None, status, error=str(refused), next=target)
        old = request.cookies.get(COOKIE)
        self.sessions.close(old)  # a new id at sign-in: no fixation
        response = RedirectResponse(target, 303)
        self._set_cookie(response, session)
        return response

    def _set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE, session.id, path=BASE, httponly=True, samesite="strict", secure=self.secure
        )

    async def _signout(self, request: Request) -> Response:
        session = self.sessions.find(request.cookies.get(COOKIE))
        try:
            form = await read_form(request)
        except BadForm:
            form = {}
        if session is not None and csrf_matches(session, form.get("csrf")):
            self.sessions.close(session.id)
        response = RedirectResponse(url("/signin") if not self.open else BASE + "/", 303)
        response.delete_cookie(
            COOKIE, path=BASE, httponly=True, samesite="strict", secure=self.secure
        )
        return response

    async def _static(self, request: Request) -> Response:
        name = str(request.path_params["name"])
        suffix = name[name.rfind(".") :] if "." in name else ""
        if "/" in name or name.startswith(".") or suffix not in _STATIC_TYPES:
            return Response(b"not found", 404)
        try:
            data = resources.files("altus.console").joinpath("static", name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return Response(b"not found", 404)
        # Static files may be cached (they change with the package, and are small).
        headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=300"}
        return Response(data, 200, headers=headers, media_type=_STATIC_TYPES[suffix])


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (or none) as a dict."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise BadForm("The form is larger than 1 MiB.")
    if not body:
        return {}
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise BadForm("The form is not UTF-8.") from None
    if request.headers.get("content-type", "").startswith("application/json"):
        import json

        try:
            value = json.loads(text)
        except ValueError:
            raise BadForm("The body is not JSON.") from None
        return (
            {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
            if isinstance(value, dict)
            else {}
        )
    return dict(parse_qsl(text, keep_blank_values=True))


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _here(request: Request) -> str:
    path = request.url.path
    return path + ("?" + request.url.query if request.url.query else "")


def _next_of(request: Request) -> str:
    """Where to return after signing in again: the page itself for a GET; for a POST
    (whose URL answers nothing to a GET), the page the form was on."""
    if request.method == "GET":
        return _here(request)
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.headers.get("host"):
        return BASE + "/"
    return _safe_next(referer.path + ("?" + referer.query if referer.query else ""))


def _host_of(host: str) -> str:
    """A Host header's (or URL's netloc's) host name, without its port or brackets,
    lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only (no open redirect)."""
    if (
        target
        and target.startswith(BASE + "/")
        and "//" not in target
        and "\\" not in target
        and all(" " < c != "\x7f" for c in target)
    ):
        return target
    return BASE + "/"


def _same_origin(request: Request) -> bool:
    """A POST's ``Origin`` (where the browser sent one) names this server: its host and
    port as the request's ``Host`` has them ("null", an opaque origin, never does)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    scheme, _, rest = origin.partition("://")
    return scheme in ("http", "https") and rest == request.headers.get("host", "")


def arn_name(arn: Any) -> str:
    """The last part of an ARN (``arn:...:user/admin`` -> ``admin``)."""
    return str(arn).rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def when(value: Any) -> str:
    """A time (ISO text, epoch seconds or milliseconds) as ``YYYY-MM-DD HH:MM:SS`` UTC."""
    if value in (None, ""):
        return ""
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
    text = str(value)
    return text.replace("T", " ")[:19]
