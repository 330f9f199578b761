"""Function URLs over HTTP: a request to a URL invokes its function, any method, any path.

Two ways to reach a URL:

- by path, on the API's own address (the default; needs no DNS):
  ``http://<host:port>/lambda-url/<url-id>/<path>``; the function sees ``/<path>``;
- by host, when ``url_domain`` is set (a wildcard DNS name pointing here):
  ``http://<url-id>.lambda-url.<region>.<url_domain>[:port]/<path>``; every path of that
  host is the URL's, and the function sees it whole (``UrlHosts``, a middleware in front
  of the API's routes).

``AWS_IAM`` URLs take SigV4-signed requests only (service ``lambda``), verified against
the server's keys with ``--auth iam`` and only read with ``--auth open``; the function
sees who signed in ``requestContext.authorizer.iam``.

Lambda's answers where the function is not what answers: an unknown URL or an
``AWS_IAM`` URL without a valid signature, 403 ``{"Message":"Forbidden"}``; a
throttle, 429; a function error or a malformed response, 502 ``Internal Server Error``.
BUFFERED URLs answer once the function has; RESPONSE_STREAM URLs send the response as
the function streams it (chunked), its status and headers from the HTTP prelude of
``HttpResponseStream.from`` (or a Python generator's first ``dict``), and break the
connection off when the function fails after the first byte. CORS is ``url_cors``'s.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from altus import ids
from altus.api.chunked import ChunkedResponse, Truncated
from altus.api.protocols.common import read_body
from altus.api.service import request_context
from altus.api.spec import HostRule
from altus.awslambda.component import Lambda
from altus.awslambda.invoke import SYNC_PAYLOAD_LIMIT
from altus.awslambda.url_cors import is_preflight, preflight_headers, response_headers
from altus.awslambda.url_payload import (
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
from altus.identity import sigv4
from altus.identity.authenticator import Principal, Wire
from altus.identity.errors import IdentityError
from altus.observe.trace_header import ensure
from altus.runtime_api.stream import HTTP_INTEGRATION
from altus.settings import Settings

PATH_PREFIX = "/lambda-url/"
RESPONSE_STREAM = "RESPONSE_STREAM"


# --- the two ways in -------------------------------------------------------------------------


class _ByPath:
    """The ASGI endpoint of ``/lambda-url/{url_id}`` and everything under it (a class:
    Starlette takes a plain function for a request handler)."""

    def __init__(self, lam: Lambda) -> None:
        self._lam = lam

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        url_id: str = scope["path_params"]["url_id"]
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        rest = raw[len(PATH_PREFIX) + len(url_id) :].decode("latin-1") or "/"
        await serve(self._lam, scope, receive, send, url_id, rest)


def routes(lam: Lambda) -> list[BaseRoute]:
    """Function URLs by path, on the API's own address."""
    by_path = _ByPath(lam)
    return [
        Route("/lambda-url/{url_id}", by_path),
        Route("/lambda-url/{url_id}/{rest:path}", by_path),
    ]


def host_rule(lam: Lambda, settings: Settings) -> HostRule | None:
    """Every request for ``<url-id>.lambda-url.<region>.<url_domain>``, whatever its path,
    when the settings name a domain."""
    if not settings.url_domain:
        return None
    suffix = f".lambda-url.{lam.account.region}.{settings.url_domain}".lower()

    def url_id(host: str) -> str | None:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        name = name.lower()
        if not name.endswith(suffix):
            return None
        found = name[: -len(suffix)]
        return found if found.isalnum() else None

    async def by_host(scope: Scope, receive: Receive, send: Send) -> None:
        found = url_id(_host(scope))
        assert found is not None  # the dispatcher matched the host
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        await serve(lam, scope, receive, send, found, raw.decode("latin-1") or "/")

    return HostRule(matches=lambda host: url_id(host) is not None, app=by_host)


def _host(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            return str(value.decode("latin-1"))
    return ""


# --- serving one request ---------------------------------------------------------------------


async def serve(
    lam: Lambda, scope: Scope, receive: Receive, send: Send, url_id: str, raw_path: str
) -> None:
    request = Request(scope, receive)
    response = await answer(lam, request, url_id, raw_path)
    await response(scope, receive, send)


async def answer(lam: Lambda, request: Request, url_id: str, raw_path: str) -> Response:
    config = lam.urls.find(url_id)
    if config is None:
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
    caller: Principal | None = None
    try:
        if config.auth_type == "AWS_IAM":
            # Lambda refuses any request it cannot authenticate alike, in one word.
            caller = await _signed_by(lam, request, FunctionRef(config.function, config.qualifier))
            if caller is None:
                return _message(403, "AccessDeniedException", "Forbidden")
        body = await read_body(request, SYNC_PAYLOAD_LIMIT, "InvokeFunction")
    except AltusError as error:
        return _message(error.status, error.code, error.message, cors)
    request_id = ids.request_id()
    # X-Ray: the client's trace (normalised) or a new one, carried into the invocation
    # and shown in the event's headers, as Invoke's X-Amzn-Trace-Id is.
    trace = ensure(request.headers.get("x-amzn-trace-id"))
    event = build_event(
        _url_request(request, raw_path, body, trace),
        url_id=url_id,
        domain_name=_host(request.scope).rsplit(":", 1)[0],
        request_id=request_id,
        iam=_authorizer(lam, caller) if config.auth_type == "AWS_IAM" else None,
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
        ref=FunctionRef(config.function, config.qualifier),
        payload=payload,
        request_id=request_id,
        trace_id=trace,
    )
    extra = [*cors, ("x-amzn-requestid", request_id)]
    try:
        if config.invoke_mode == RESPONSE_STREAM:
            return await _streamed(lam, invoke, extra)
        result = await lam.invoker.invoke(invoke)
    except AltusError as error:
        return _message(error.status, error.code, error.message, extra)
    found_answer = (
        None if result.function_error else buffered_answer(result.payload, result.content_type)
    )
    if found_answer is None:
        return _bad_gateway(extra)
    return _response(with_headers(found_answer.head, extra), found_answer.body)


async def _signed_by(lam: Lambda, request: Request, function: FunctionRef) -> Principal | None:
    """Who signed a request to an ``AWS_IAM`` URL (for the ``lambda`` service): verified
    with ``--auth iam``, and allowed ``lambda:InvokeFunctionUrl`` on the function by its
    own policies or the function's; with ``--auth open``, whoever the key is (any
    well-formed signature is taken, an unknown key as the account's root). None: not
    signed, not validly, or not allowed."""
    scope = request.scope
    query, headers = scope.get("query_string", b""), scope["headers"]
    identity = lam.identity
    if not identity.enforcing:
        try:
            if sigv4.parse(query, headers) is None:
                return None
        except AltusError:
            return None
        known = identity.identify(query, headers)
        return known or Principal(lam.account.arn("iam", "root", regional=False), "")
    try:
        admitted = identity.admit(query, headers, service="lambda")
        body = await read_body(request, SYNC_PAYLOAD_LIMIT, "InvokeFunction")
        wire = Wire(request.method, scope.get("raw_path") or b"", query, headers, body)
        caller = identity.verify(admitted, wire)
        identity.authorize(
            caller,
            "lambda:InvokeFunctionUrl",
            lam.account.function_arn(function.name, function.qualifier),
            lam.policies(function),
            {"lambda:FunctionUrlAuthType": "AWS_IAM", **request_context(scope)},
        )
        return caller
    except IdentityError:
        return None


def _authorizer(lam: Lambda, caller: Principal | None) -> dict[str, Any]:
    """``requestContext.authorizer.iam`` as Lambda fills it (the caller's id as IAM keeps
    it: a renamed user's is its first)."""
    assert caller is not None
    user_id = lam.identity.unique_id_of(caller)
    return {
        "accessKey": caller.access_key,
        "accountId": caller.arn.split(":")[4],
        "callerId": user_id,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": caller.arn,
        "userId": user_id,
    }


def _url_request(request: Request, raw_path: str, body: bytes, trace: str) -> UrlRequest:
    scope = request.scope
    client = scope.get("client")
    server = scope.get("server")
    headers = [
        (n.decode("latin-1"), v.decode("latin-1"))
        for n, v in scope["headers"]
        if n.lower() != b"x-amzn-trace-id"
    ]
    headers.append(("x-amzn-trace-id", trace))
    return UrlRequest(
        method=request.method,
        raw_path=raw_path,
        raw_query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        source_ip=client[0] if client else "",
        scheme=scope.get("scheme", "http"),
        port=server[1] if server else None,
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
    )


# --- RESPONSE_STREAM -----------------------------------------------------------------------------


async def _streamed(lam: Lambda, invoke: InvokeRequest, extra: list[tuple[str, str]]) -> Response:
    streamed = await lam.invoker.invoke_stream(invoke)
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
