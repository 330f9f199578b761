"""``altus local start-api`` serves a template's APIs at the root of its port, as
``sam local start-api`` does (``http://127.0.0.1:3000/hello``): this is the ASGI app in
front of the platform's that makes that so.

Altus serves a deployed API at ``/_aws/execute-api/<api id>/<stage>/<path>`` (an HTTP
API's ``$default`` stage at ``/_aws/execute-api/<api id>/<path>``). A request for
``/<path>`` is given to the platform's app with its path (and raw path) rewritten to that
form, for the API whose route matches it best, so everything the gateway does (routing,
authorizers, CORS, the proxy event, the answer) is the platform's own. The best route: a
method of its own before ``ANY``, literal segments before ``{variables}``, a greedy
``{proxy+}`` after both, an HTTP API's ``$default`` route last; where no route's path
matches, the first API answers (with its own 404 or 403). With several APIs and the same
route in two, the first listed wins (``--api`` chooses one API).

Requests that are the platform's own pass through unchanged: ``/_aws/...`` (every
deployed API in its long form) and ``/_altus/...`` paths, and AWS API calls (an
``X-Amz-Target`` header, or SigV4 credentials for a service other than
``execute-api``), so the same port also serves ``aws --endpoint-url``.

Not when the port listens beyond this machine (``--host 0.0.0.0``): the platform
authenticates nothing, so its AWS APIs there would let anyone on the network create
functions, that is run code as the user. A ``public`` front serves the template's APIs
alone (at the root, and at their long form ``/_aws/execute-api/<their id>/...``) and
refuses everything else with 403; the AWS APIs stay on the platform's loopback port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from starlette.types import ASGIApp, Receive, Scope, Send

from altus.api.dispatch import signing_service
from altus.gateway.urls import PATH_PREFIX

REST = "REST"
HTTP = "HTTP"
#: An HTTP API's catch-all route key.
DEFAULT_ROUTE = "$default"

_OWN_PREFIXES = ("/_aws/", "/_altus/")
_REFUSED = b'{"message":"Forbidden: only the template\'s APIs are served on this address"}'


@dataclass(frozen=True, slots=True)
class Route:
    """One route of an API: ``method`` (``GET``, ``ANY``) and ``path`` as the API has
    them (``/pets/{id}``, ``/{proxy+}``; ``$default`` for an HTTP API's catch-all)."""

    method: str
    path: str
    #: The logical id (else the name) of the function behind it, if it is one.
    function: str | None = None


@dataclass(frozen=True, slots=True)
class MountedApi:
    """A deployed API and the stage the root of the port serves."""

    logical_id: str
    api_id: str
    #: REST or HTTP.
    kind: str
    #: None: an HTTP API's ``$default`` stage (no stage in the path).
    stage: str | None
    routes: tuple[Route, ...]

    @property
    def base_path(self) -> str:
        """The stage's path on the platform: ``/_aws/execute-api/<id>[/<stage>]``."""
        base = PATH_PREFIX + self.api_id
        return base if self.stage is None else f"{base}/{quote(self.stage, safe='')}"


def _segments(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def path_rank(pattern: str, path: str) -> tuple[int, int] | None:
    """How specifically the route path ``pattern`` matches the request ``path``: None
    when it does not; else (2 for no greedy part, 1 for a greedy one; the number of
    literal segments), higher being more specific."""
    wanted, given = _segments(pattern), _segments(path)
    literal = 0
    for index, part in enumerate(wanted):
        if part.startswith("{") and part.endswith("+}"):
            # A greedy variable is last and takes one segment or more.
            return (1, literal) if index == len(wanted) - 1 and len(given) > index else None
        if index >= len(given):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not given[index]:
                return None
        elif part != given[index]:
            return None
        else:
            literal += 1
    return (2, literal) if len(given) == len(wanted) else None


def _rank(route: Route, method: str, path: str) -> tuple[int, int, int, int] | None:
    """(the method matches, 1 for ANY or 2 for its own, path rank): higher is better;
    None where the path does not match."""
    if route.path == DEFAULT_ROUTE:
        shape: tuple[int, int] | None = (0, 0)
    else:
        shape = path_rank(route.path, path)
    if shape is None:
        return None
    if route.method == method:
        return (1, 2, *shape)
    if route.method == "ANY":
        return (1, 1, *shape)
    return (0, 0, *shape)  # the path matches but not the method: the API still answers


def choose(apis: Sequence[MountedApi], method: str, path: str) -> MountedApi | None:
    """The API that serves ``method path`` at the root: the one with the best route
    (ties: the first listed), else the first; None when there is none."""
    best: tuple[tuple[int, int, int, int], int] | None = None
    chosen: MountedApi | None = None
    for order, api in enumerate(apis):
        for route in api.routes:
            rank = _rank(route, method, path)
            if rank is not None and (best is None or (rank, -order) > best):
                best, chosen = (rank, -order), api
    if chosen is None and apis:
        return apis[0]
    return chosen


def is_platform_request(scope: Scope) -> bool:
    """Whether a request is the platform's own (see the module's docstring)."""
    return scope["path"].startswith(_OWN_PREFIXES) or _signed_for_platform(scope)


def rewritten(scope: Scope, api: MountedApi) -> Scope:
    """A copy of ``scope`` for the same request below ``api``'s stage."""
    base = api.base_path
    child = dict(scope)
    path: str = scope["path"]
    raw: bytes = scope.get("raw_path") or path.encode()
    child["path"] = base + (path if path.startswith("/") else "/" + path)
    child["raw_path"] = base.encode() + (raw if raw.startswith(b"/") else b"/" + raw)
    return child


_NOT_FOUND = b'{"message":"Not Found"}'


def is_api_long_form(scope: Scope, apis: Sequence[MountedApi]) -> bool:
    """Whether the request is for one of ``apis`` at its long form
    (``/_aws/execute-api/<id>/...``)."""
    path: str = scope["path"]
    if not path.startswith(PATH_PREFIX):
        return False
    api_id = path[len(PATH_PREFIX) :].partition("/")[0]
    return any(api.api_id == api_id for api in apis)


class FrontApp:
    """The port's ASGI app: the platform's ``app``, with requests at the root routed to
    the APIs of ``apis`` (replaced whole when the stack changes; one assignment, read
    once per request). ``public``: the port listens beyond this machine, so only the
    APIs are served (see the module's docstring)."""

    def __init__(
        self, app: ASGIApp, apis: Sequence[MountedApi] = (), *, public: bool = False
    ) -> None:
        self.app = app
        self.apis: tuple[MountedApi, ...] = tuple(apis)
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        own = is_platform_request(scope)
        if self.public and own:
            # Only an API's long form, never a signed AWS call nor the platform's paths.
            apis = self.apis
            if _signed_for_platform(scope) or not is_api_long_form(scope, apis):
                await _refuse(scope, send)
                return
        if own:
            await self.app(scope, receive, send)
            return
        api = choose(self.apis, scope.get("method", "GET"), scope["path"])
        if api is None:
            if scope["type"] == "http":
                await _not_found(send)
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(rewritten(scope, api), receive, send)


def _signed_for_platform(scope: Scope) -> bool:
    """An AWS API call (X-Amz-Target, or signed for a service but execute-api)."""
    authorization: bytes | None = None
    for name, value in scope.get("headers", ()):
        lowered = name.lower()
        if lowered == b"x-amz-target":
            return True
        if lowered == b"authorization":
            authorization = value
    service = signing_service(scope, authorization)
    return service is not None and service != "execute-api"


async def _refuse(scope: Scope, send: Send) -> None:
    if scope["type"] != "http":
        await send({"type": "websocket.close", "code": 1008})
        return
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_REFUSED)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _REFUSED})


async def _not_found(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_NOT_FOUND)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _NOT_FOUND})
