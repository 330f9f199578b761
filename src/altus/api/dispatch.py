"""The one dispatcher of the one port: which service a request is for, decided once.

In this order, the first that decides wins:

1. **Host rules**: a host that belongs to a service whatever the path (function URL
   hosts; later S3 virtual-hosted buckets and execute-api hosts).
2. **X-Amz-Target**: the awsJson services, by their models' target prefixes; and
   ``smithy-protocol: rpc-v2-cbor`` requests, by the service their path names
   (``/service/<service>/operation/<Op>``).
3. **The SigV4 credential scope's service** (``Authorization: AWS4-HMAC-SHA256
   Credential=<key>/<date>/<region>/<service>/aws4_request``, or a presigned URL's
   ``X-Amz-Credential``): the model's signing name. Where the identity layer verifies
   signatures, once, for every service.
4. **Paths**: Altus's own (``/_altus/...``, ``/metrics``), then each service's raw
   routes and REST operations in registry order, then an unsigned query-protocol form by
   its ``Version`` (or, without one, by its ``Action`` where one service has it).

Nothing matched: ``UnknownOperationException`` (404), as the first REST service words
errors.

With ``--auth iam``, a request routed to a service is then authenticated, once, here: its
SigV4 signature checked against the server's access keys for that service's signing name
(``altus.identity``), and refused in that service's protocol where it does not hold. What
authorises itself is not: function URLs (their AuthType decides), Altus's own health and
metrics routes, and the unknown-operation answer.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from urllib.parse import parse_qsl, quote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from altus import ids
from altus.api.errors import UnknownOperation
from altus.api.payload import (
    PAYLOAD,
    SHA256_MISMATCH,
    ChunkSigner,
    ContentSha256Mismatch,
    InvalidContentSha256,
    PayloadRules,
)
from altus.api.protocols.common import read_body
from altus.api.protocols.query import QueryProtocol, is_query
from altus.api.protocols.rpcv2_cbor import HEADER as SMITHY_PROTOCOL
from altus.api.protocols.rpcv2_cbor import RpcV2CborProtocol, path_parts
from altus.api.service import PRINCIPAL, REQUEST, SIGNED_PATH, BoundService
from altus.errors import AltusError
from altus.identity import sigv4
from altus.identity.authenticator import Admitted, Identity, Wire
from altus.identity.errors import AccessDenied, SignatureExpired

log = logging.getLogger(__name__)


_SMITHY = SMITHY_PROTOCOL.encode()


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over ``body`` (already read) once, then waits on the
    connection as the original would (for its end)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


_HEX = frozenset("0123456789abcdef")
EXPIRED = "Request has expired"


def _header(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def _headers_from_query(scope: Scope) -> None:
    """An S3 URL presigned with SigV2 carries what were the request's ``x-amz-*``,
    ``Content-Type`` and ``Content-MD5`` headers in its query (botocore moves them there,
    and signs them as headers): they are the request's headers, unless it sent its own."""
    query = scope.get("query_string", b"")
    if b"AWSAccessKeyId=" not in query:
        return
    present = {name.lower() for name, _ in scope["headers"]}
    added = []
    # Decoded as Latin-1, each byte one character: encoded back, the bytes as sent.
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    for key, value in pairs:
        name = key.lower().encode("latin-1")
        text = name.decode("latin-1")
        if (text.startswith("x-amz-") or text in ("content-type", "content-md5")) and (
            name not in present
        ):
            # Only a name's first value: the one the signature is checked against.
            present.add(name)
            added.append((name, value.encode("latin-1")))
    if added:
        scope["headers"] = [*scope["headers"], *added]


def _small(headers: Sequence[tuple[bytes, bytes]], limit: int) -> bool:
    length = _header(headers, b"content-length")
    return length is not None and length.isdigit() and int(length) <= limit


def payload_rules(admitted: Admitted, declared: str) -> PayloadRules:
    """What is left to check of a body whose signature covers ``declared`` (its
    ``X-Amz-Content-SHA256``): its SHA-256, or the signatures of its chunks."""
    if declared in (sigv4.UNSIGNED_PAYLOAD, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"):
        return PayloadRules()
    if declared in (
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    ):
        signed = admitted.signed
        key = sigv4.signing_key(admitted.key.secret, signed.date, signed.region, signed.service)
        return PayloadRules(
            chunks=ChunkSigner(key, signed.amz_date, sigv4.scope_of(signed), signed.signature)
        )
    if len(declared) == 64 and set(declared) <= _HEX:
        return PayloadRules(sha256=declared)
    raise InvalidContentSha256(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a "
        "valid sha256 value."
    )


def _claims_any_path(service: BoundService) -> bool:
    model = service.model
    return service.rest is not None and any(
        model.operation_model(name).http.get("requestUri", "").startswith("/{")
        for name in model.operation_names
    )


def _prefix_path(scope: Scope, prefix: str) -> None:
    """A virtual-hosted request made path-style (``/<bucket>`` before its path), the
    path it was signed with kept for its signature."""
    raw = scope.get("raw_path") or scope["path"].encode()
    scope[SIGNED_PATH] = raw
    encoded = quote(prefix, safe="/").encode()
    scope["raw_path"] = b"/" + encoded + (raw if raw != b"/" else b"")
    path = scope["path"]
    scope["path"] = "/" + prefix + (path if path != "/" else "")


def signing_service(scope: Scope, authorization: bytes | None) -> str | None:
    """The service a request is signed for (SigV4 header or presigned query), if any."""
    credential: str | None = None
    if authorization is not None:
        text = authorization.decode("latin-1")
        start = text.find("Credential=")
        if start >= 0:
            credential = text[start + 11 :].split(",", 1)[0].strip()
    else:
        query = scope.get("query_string", b"")
        if b"X-Amz-Credential=" in query:
            credential = dict(parse_qsl(query.decode("latin-1"))).get("X-Amz-Credential")
    if credential is None:
        return None
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else None


class Dispatcher:
    """The ASGI app of the API port."""

    def __init__(
        self,
        services: Sequence[BoundService],
        own: Sequence[BaseRoute],
        identity: Identity | None = None,
    ) -> None:
        self.services = list(services)
        self._identity = identity if identity is not None and identity.enforcing else None
        self._hosts = [s.host_rule for s in services if s.host_rule is not None]
        self._by_target = {s.target_prefix: s for s in services if s.target_prefix}
        #: Smithy RPC v2 services by the names their requests' paths give them.
        self._by_rpc = {
            name: s
            for s in services
            for p in s.protocols.values()
            if isinstance(p, RpcV2CborProtocol)
            for name in p.names
        }
        self._by_signing: dict[str, list[BoundService]] = {}
        for service in services:
            self._by_signing.setdefault(service.signing_name, []).append(service)
        # Altus's own routes by their literal paths (looked up, not matched one by one);
        # any with parameters are matched in order.
        self._own_literal = {r.path: r for r in own if isinstance(r, Route) and "{" not in r.path}
        self._own = [r for r in own if r not in self._own_literal.values()]
        self._fallback = next(
            (s for s in services if s.rest is not None and not _claims_any_path(s)), None
        )
        # A REST model whose paths begin with a label (S3's ``/{Bucket}/{Key+}``) would
        # claim every path: it is asked last, after every service with literal paths.
        self._claiming = sorted(self.services, key=_claims_any_path)
        self._virtual = [s for s in services if s.virtual_host is not None]
        #: Every service's raw routes begin with one of these (most requests, none); each
        #: prefix with the services whose routes begin with it, in claiming order, the
        #: longest prefix first: the most specific owner is asked before one that looks
        #: at every path (Kinesis's CBOR check, on ``/``).
        self._raw_prefixes = tuple(p for s in services for p in s.raw_prefixes)
        self._raw_owners = sorted(
            (
                (prefix, [s for s in self._claiming if prefix in s.raw_prefixes])
                for prefix in dict.fromkeys(self._raw_prefixes)
            ),
            key=lambda owned: -len(owned[0]),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        _headers_from_query(scope)
        try:
            app = await self.route(scope, receive)
        except Exception:
            # A bug in routing itself: the services answer their own errors.
            log.exception(
                "unexpected error dispatching %s %s", scope.get("method"), scope.get("path")
            )
            app = Response(
                b'{"message":"An internal error occurred."}', 500, media_type="application/json"
            )
        if self._identity is not None and isinstance(app, BoundService) and app.signed(scope):
            app, receive = await self._authenticate(app, scope, receive)
        await app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket handshake: served by the service's raw route for it (a WebSocket
        API's stage), found by path after any virtual host made the host a path; else
        refused (403)."""
        for name, value in scope["headers"]:
            if name == b"host":
                text = value.decode("latin-1")
                for virtual in self._virtual:
                    assert virtual.virtual_host is not None
                    prefix = virtual.virtual_host(text)
                    if prefix is not None:
                        _prefix_path(scope, prefix)
                        break
                break
        for service in self.services:
            found = service.raw_route(scope)
            if found is not None:
                route, child = found
                scope.update(child)
                await route.handle(scope, receive, send)
                return
        await send({"type": "websocket.close", "code": 1008})

    async def _authenticate(
        self, service: BoundService, scope: Scope, receive: Receive
    ) -> tuple[ASGIApp, Receive]:
        """``service`` if the request is signed for it by a key of this server, else its
        refusal in the service's protocol. The body (which the signature covers) is read
        here, so what answers gets it again from a ``receive`` that replays it."""
        assert self._identity is not None
        request = scope.get(REQUEST) or Request(scope, receive)
        query, headers = scope.get("query_string", b""), scope["headers"]
        await self._identity.keep_fresh()
        method = scope["method"]
        # The path as the client signed it (a virtual-hosted bucket's, before the bucket
        # was put into it).
        path = scope.get(SIGNED_PATH) or scope.get("raw_path") or scope["path"].encode()
        s3 = service.signing_name == "s3"  # S3 signs its path as sent, not encoded again
        try:
            if service.spec.streamed_bodies:
                # SigV2 signs the path-style resource (``/<bucket>/<key>``) whatever the host.
                resource = scope.get("raw_path") or path
                presigned = self._identity.presigned_v2(Wire(method, resource, query, headers, b""))
                if presigned is not None:
                    scope[PRINCIPAL] = presigned
                    return service, receive
            # What needs no body first: an unsigned or unknown caller is refused unread.
            admitted = self._identity.admit(
                query,
                headers,
                service=service.signing_name,
                skew_minutes=service.spec.clock_skew_minutes,
            )
            declared = _header(headers, b"x-amz-content-sha256")
            if service.spec.streamed_bodies and (declared is not None or admitted.signed.presigned):
                # The body goes to the operation unread, checked against what the
                # signature was made over as the operation reads it.
                payload_hash = declared or sigv4.UNSIGNED_PAYLOAD
                rules = payload_rules(admitted, payload_hash)
                scope[PRINCIPAL] = self._identity.verify_declared(
                    admitted, Wire(method, path, query, headers, b""), payload_hash
                )
                if rules.sha256 is not None and _small(headers, service.body_limit):
                    # A body that fits in memory is checked before anything runs (most
                    # operations never stream theirs); larger ones as they are read.
                    body = await read_body(request, service.body_limit, "this")
                    if hashlib.sha256(body).hexdigest() != rules.sha256:
                        raise ContentSha256Mismatch(SHA256_MISMATCH)
                    replay = _replay(body, receive)
                    scope[REQUEST] = Request(scope, replay)
                    return service, replay
                scope[PAYLOAD] = rules
                return service, receive
            body = await read_body(request, service.body_limit, "this")
        except AltusError as error:
            if s3 and isinstance(error, SignatureExpired) and error.message == EXPIRED:
                # S3 refuses an expired presigned URL as access denied.
                error = AccessDenied(EXPIRED)
            return service.protocol_for(request).error(request, ids.request_id(), error), receive
        except ClientDisconnect:  # gone before its body was in: nobody reads the answer
            return Response(status_code=400), receive
        replay = _replay(body, receive)
        request = Request(scope, replay)
        scope[REQUEST] = request
        try:
            scope[PRINCIPAL] = self._identity.verify(
                admitted, Wire(method, path, query, headers, body), s3=s3
            )
        except AltusError as error:
            return service.protocol_for(request).error(request, ids.request_id(), error), replay
        return service, replay

    async def route(self, scope: Scope, receive: Receive) -> ASGIApp:
        """What answers a request: a host rule's app, a service, one of Altus's own
        routes (``scope`` then has its path parameters), or the unknown-operation
        answer. Reads no body but an unsigned query form's."""
        host = target = authorization = smithy = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"x-amz-target":
                target = value
            elif name == b"authorization":
                authorization = value
            elif name == _SMITHY:
                smithy = value
        if host is not None and (self._hosts or self._virtual):
            text = host.decode("latin-1")
            for rule in self._hosts:
                if rule.matches(text):
                    return rule.app
            for virtual in self._virtual:
                assert virtual.virtual_host is not None
                prefix = virtual.virtual_host(text)
                if prefix is not None:
                    _prefix_path(scope, prefix)
                    return virtual
        if target is not None:
            service = self._by_target.get(target.split(b".", 1)[0].decode("latin-1"))
            if service is not None:
                return service
        if smithy is not None:
            parts = path_parts(scope["path"])
            service = self._by_rpc.get(parts[0]) if parts is not None else None
            if service is not None:
                return service
        request = Request(scope, receive)
        scope[REQUEST] = request  # the one Request of this request: its body read once
        signed = signing_service(scope, authorization)
        if signed is not None:
            candidates = self._by_signing.get(signed, ())
            if len(candidates) == 1:
                return candidates[0]
            for service in candidates:
                if await service.claims(request):
                    return service
        literal = self._own_literal.get(scope["path"])
        for route in (literal, *self._own) if literal is not None else self._own:
            match, child = route.matches(scope)
            if match == Match.FULL:
                scope.update(child)
                return route.handle
        # Raw routes first, all of them: each begins with a literal prefix no model's path
        # has, and looking them up is far cheaper than matching every model's paths.
        path = scope["path"]
        if path.startswith(self._raw_prefixes):
            for prefix, owners in self._raw_owners:
                if path.startswith(prefix):
                    for service in owners:
                        if service.claims_raw(scope):
                            return service
        for service in self._claiming:
            if await service.claims(request, raw=False):
                return service
        if is_query(request):
            try:
                form = await self._form(request)
            except AltusError as error:
                # A form no service can read (not UTF-8, too large): refused in the
                # query protocol's shape, as any query service would refuse it.
                return self._unreadable_form(request, error)
            except ClientDisconnect:  # gone before its body was in: nobody reads the answer
                return Response(status_code=400)
            speaking = [s for s in self.services if "query" in s.protocols]
            for service in speaking:
                if service.api_version == form.get("Version"):
                    return service
            # No Version (older examples): the one service with that Action, if one.
            having = [s for s in speaking if form.get("Action") in s.model.operation_names]
            if len(having) == 1:
                return having[0]
        return self._unknown(request)

    async def _form(self, request: Request) -> dict[str, str]:
        for service in self.services:
            protocol = service.protocols.get("query")
            if isinstance(protocol, QueryProtocol):
                return await protocol.form(request)
        return {}

    def _unreadable_form(self, request: Request, error: AltusError) -> Response:
        for service in self.services:
            protocol = service.protocols.get("query")
            if protocol is not None:
                return protocol.error(request, ids.request_id(), error)
        return self._unknown(request)

    def _unknown(self, request: Request) -> Response:
        error = UnknownOperation(f"No operation at {request.method} {request.url.path}")
        if self._fallback is None or self._fallback.rest is None:
            return Response(str(error).encode(), 404)
        return self._fallback.rest.error(request, ids.request_id(), error)
