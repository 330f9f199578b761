"""Function URLs over HTTP: a request to a URL invokes its function, any method, any path.

Two ways to reach a URL:

- by path, on the API's own address (the default; needs no DNS):
  ``http://<host:port>/lambda-url/<url-id>/<path>``; the function sees ``/<path>``;
- by host, when ``url_domain`` is set (a wildcard DNS name pointing here):
  ``http://<url-id>.lambda-url.<region>.<url_domain>[:port]/<path>``; every path of that
  host is the URL's, and the function sees it whole (``UrlHosts``, a middleware in front
  of the API's routes).

Lambda's answers where the function is not what answers: an unknown URL or an
``AWS_IAM`` URL without a (verified) signature, 403 ``{"Message":"Forbidden"}``; a
throttle, 429; a function error or a malformed response, 502 ``Internal Server Error``.
BUFFERED URLs answer once the function has; RESPONSE_STREAM URLs send the response as
the function streams it (chunked), its status and headers from the HTTP prelude of
``HttpResponseStream.from`` (or a Python generator's first ``dict``), and break the
connection off when the function fails after the first byte. CORS is ``url_cors``'s.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from altus.api.chunked import ChunkedResponse, Truncated
from altus.api.invoke_api import SYNC_PAYLOAD_LIMIT
from altus.api.responses import read_body
from altus.api.url_cors import is_preflight, preflight_headers, response_headers
from altus.api.url_payload import (
    MAX_PRELUDE,
    Head,
    UrlRequest,
    buffered_answer,
    build_event,
    prelude_head,
    split_prelude,
    with_headers,
)
from altus.control.arns import FunctionRef
from altus.engine.invoker import InvokeRequest
from altus.engine.streaming import StreamedInvocation
from altus.errors import AltusError
from altus.platform import Platform
from altus.runtime_api.stream import HTTP_INTEGRATION

PATH_PREFIX = "/lambda-url/"
RESPONSE_STREAM = "RESPONSE_STREAM"


# --- the two ways in -------------------------------------------------------------------------


class UrlPaths:
    """The ASGI endpoint of ``/lambda-url/{url_id}`` and everything under it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        url_id: str = scope["path_params"]["url_id"]
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        rest = raw[len(PATH_PREFIX) + len(url_id) :].decode("latin-1") or "/"
        await serve(scope, receive, send, url_id, rest)


class UrlHosts:
    """Routes requests for ``<url-id>.lambda-url.<region>.<domain>`` to their URL; all
    others go on to the API."""

    def __init__(self, app: ASGIApp, domain: str, region: str) -> None:
        self.app = app
        self._suffix = f".lambda-url.{region}.{domain}".lower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            url_id = self.url_id(_host(scope))
            if url_id is not None:
                raw: bytes = scope.get("raw_path") or scope["path"].encode()
                await serve(scope, receive, send, url_id, raw.decode("latin-1") or "/")
                return
        await self.app(scope, receive, send)

    def url_id(self, host: str) -> str | None:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        name = name.lower()
        if not name.endswith(self._suffix):
            return None
        url_id = name[: -len(self._suffix)]
        return url_id if url_id.isalnum() else None


def _host(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            return str(value.decode("latin-1"))
    return ""


# --- serving one request ---------------------------------------------------------------------


async def serve(scope: Scope, receive: Receive, send: Send, url_id: str, raw_path: str) -> None:
    request = Request(scope, receive)
    response = await answer(request, url_id, raw_path)
    await response(scope, receive, send)


async def answer(request: Request, url_id: str, raw_path: str) -> Response:
    platform: Platform = request.app.state.platform
    config = platform.urls.find(url_id)
    if config is None or config.auth_type != "NONE":
        # AWS_IAM URLs need a SigV4 signature, which Altus does not verify yet: every
        # request is refused as Lambda refuses an unsigned one.
        return _message(403, "AccessDeniedException", "Forbidden")
    headers = request.headers
    origin = headers.get("origin")
    requested = headers.get("access-control-request-method")
    if config.cors and is_preflight(request.method, origin, requested):
        found = preflight_headers(
            config.cors, origin, requested, headers.get("access-control-request-headers")
        )
        return _response(Head(200, found), b"")
    cors = response_headers(config.cors, origin)
    try:
        body = await read_body(request, SYNC_PAYLOAD_LIMIT, "InvokeFunction")
    except AltusError as error:
        return _message(error.status, error.code, error.message, cors)
    request_id = str(uuid.uuid4())
    event = build_event(
        _url_request(request, raw_path, body),
        url_id=url_id,
        domain_name=_host(request.scope).rsplit(":", 1)[0],
        request_id=request_id,
    )
    payload = json.dumps(event, separators=(",", ":")).encode()
    if len(payload) > SYNC_PAYLOAD_LIMIT:
        return _message(
            413,
            "RequestTooLargeException",
            "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
            cors,
        )
    invoke = InvokeRequest(
        ref=FunctionRef(config.function, config.qualifier), payload=payload, request_id=request_id
    )
    extra = [*cors, ("x-amzn-requestid", request_id)]
    try:
        if config.invoke_mode == RESPONSE_STREAM:
            return await _streamed(platform, invoke, extra)
        result = await platform.invoker.invoke(invoke)
    except AltusError as error:
        return _message(error.status, error.code, error.message, extra)
    found_answer = (
        None if result.function_error else buffered_answer(result.payload, result.content_type)
    )
    if found_answer is None:
        return _bad_gateway(extra)
    return _response(with_headers(found_answer.head, extra), found_answer.body)


def _url_request(request: Request, raw_path: str, body: bytes) -> UrlRequest:
    scope = request.scope
    client = scope.get("client")
    server = scope.get("server")
    return UrlRequest(
        method=request.method,
        raw_path=raw_path,
        raw_query=scope.get("query_string", b"").decode("latin-1"),
        headers=[(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]],
        body=body,
        source_ip=client[0] if client else "",
        scheme=scope.get("scheme", "http"),
        port=server[1] if server else None,
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
    )


# --- RESPONSE_STREAM -----------------------------------------------------------------------------


async def _streamed(
    platform: Platform, invoke: InvokeRequest, extra: list[tuple[str, str]]
) -> Response:
    streamed = await platform.invoker.invoke_stream(invoke)
    try:
        head, first, ended = await _stream_head(streamed)
    except BaseException:
        streamed.abandon()
        raise
    if head is None:
        if not ended:
            streamed.abandon()
        return _bad_gateway(extra)
    return ChunkedResponse(
        _body(streamed, first, ended),
        head.status,
        with_headers(head, extra).headers,
        on_abort=streamed.abandon,
    )


async def _stream_head(streamed: StreamedInvocation) -> tuple[Head | None, bytes, bool]:
    """The status and headers of a streamed answer, the body bytes already read, and
    whether the stream has ended. The head is sent with the first byte of the body (not
    before: a function that fails before writing anything gets a 502)."""
    content_type = streamed.content_type or "application/octet-stream"
    if content_type.split(";")[0].strip() != HTTP_INTEGRATION:
        first = await streamed.read()
        if not first and (await streamed.result()).function_error:
            return None, b"", True
        return Head(200, [("content-type", content_type)]), b"".join(first), not first
    buffered = b""
    while True:
        chunks = await streamed.read()
        ended = not chunks
        buffered += b"".join(chunks)
        if ended and (await streamed.result()).function_error:
            return None, b"", True
        split = split_prelude(buffered, final=ended)
        if split is not None:
            return prelude_head(split[0]), split[1], ended
        if ended or len(buffered) > MAX_PRELUDE:
            return None, b"", ended


async def _body(
    streamed: StreamedInvocation, first: bytes, ended: bool
) -> AsyncGenerator[bytes, None]:
    finished = False
    try:
        if first:
            yield first
        if not ended:
            while chunks := await streamed.read():
                yield b"".join(chunks)
        result = await streamed.result()
        finished = True
        if result.function_error:
            raise Truncated(result.error_type)
    finally:
        if not finished:
            streamed.abandon()


# --- answers of the platform's own -------------------------------------------------------------


def _response(head: Head, body: bytes) -> Response:
    response = Response(body, head.status)
    response.raw_headers = [
        *((name.encode("utf-8"), value.encode("utf-8")) for name, value in head.headers),
        *response.raw_headers,
    ]
    return response


def _message(
    status: int, error_type: str, message: str, extra: list[tuple[str, str]] | None = None
) -> Response:
    head = Head(
        status,
        [("content-type", "application/json"), ("x-amzn-errortype", error_type), *(extra or [])],
    )
    return _response(head, json.dumps({"Message": message}).encode())


def _bad_gateway(extra: list[tuple[str, str]]) -> Response:
    return _response(Head(502, [("content-type", "text/plain"), *extra]), b"Internal Server Error")


_paths = UrlPaths()
routes = [
    Route("/lambda-url/{url_id}", _paths),
    Route("/lambda-url/{url_id}/{rest:path}", _paths),
]
