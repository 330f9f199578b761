"""A registered service with its component: answers what the dispatcher routes to it.

For a request it picks the protocol (Smithy RPC v2 CBOR when ``smithy-protocol`` says so,
awsJson when ``X-Amz-Target`` names the service, the query protocol for a form, else the
model's REST protocol), inflates a gzipped body where the model allows one, lets the
protocol find the operation and its members, calls the operation, and has the protocol
render the output or the error. Raw routes the service declared (function URLs, its pages under
``/_altus``) come before all of that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Message, Receive, Scope, Send

from altus import ids
from altus.api.compression import compresses, inflate
from altus.api.errors import InternalFailure, UnknownOperation
from altus.api.model import service_model
from altus.api.protocols.base import WireProtocol
from altus.api.protocols.common import header_map
from altus.api.protocols.json import JsonProtocol
from altus.api.protocols.query import QueryProtocol, is_query
from altus.api.protocols.rest_json import RestJsonProtocol
from altus.api.protocols.rest_xml import RestXmlProtocol
from altus.api.protocols.rpcv2_cbor import RpcV2CborProtocol, speaks
from altus.api.spec import Call, HostRule, Members, Needs, ServiceSpec
from altus.arns import Account
from altus.errors import AltusError
from altus.identity.authenticator import Identity, Principal

log = logging.getLogger(__name__)

#: Scope keys: the Request the dispatcher made (one per request), and what ``claims``
#: found (a raw route, or the protocol and operation).
REQUEST = "altus.request"
#: Scope key: the principal that signed the request (``altus.identity.Principal``), where
#: requests are authenticated (``--auth iam``).
PRINCIPAL = "altus.principal"

_RAW = "altus.raw"
#: Scope key: the raw path a client signed, where routing rewrote it (virtual hosts,
#: mounts).
SIGNED_PATH = "altus.signed_path"
#: Scope key: the prefix a mount took off the path (decoded), for the operation to read.
MOUNTED = "altus.mounted"
_OPERATION = "altus.operation"


def request_context(scope: Scope) -> dict[str, str]:
    """The condition keys a request itself gives (``aws:SourceIp``,
    ``aws:SecureTransport``): for every authorisation made on its behalf."""
    client = scope.get("client")
    context = {"aws:SecureTransport": "true" if scope.get("scheme") == "https" else "false"}
    if client:
        context["aws:SourceIp"] = client[0]
    return context


def caller(call: Call, identity: Identity) -> Principal | None:
    """Who made a call: with ``--auth iam``, the principal the dispatcher verified; with
    ``--auth open``, whoever the request's key belongs to where Altus knows it (nothing
    was verified: any keys are accepted), else None."""
    scope = call.request.scope
    found = scope.get(PRINCIPAL)
    if isinstance(found, Principal):
        return found
    return identity.identify(scope.get("query_string", b""), scope["headers"])


PROTOCOLS: dict[str, type[WireProtocol]] = {
    "json": JsonProtocol,
    "rest-json": RestJsonProtocol,
    "query": QueryProtocol,
    "rest-xml": RestXmlProtocol,
    "smithy-rpc-v2-cbor": RpcV2CborProtocol,
}


class BoundService:
    def __init__(
        self,
        spec: ServiceSpec,
        component: Any,
        account: Account,
        settings: Any,
        identity: Identity | None = None,
    ) -> None:
        self.spec = spec
        #: Who may do what (``altus.identity``): asked of every authenticated call.
        self.identity = identity
        self.component = component
        self.account = account
        self.model = service_model(spec.name)
        metadata = self.model.metadata
        names = [*(metadata.get("protocols") or [metadata["protocol"]]), *spec.extra_protocols]
        self.protocols = {
            name: PROTOCOLS[name](spec, self.model) for name in names if name in PROTOCOLS
        }
        self.main = self.protocols[metadata["protocol"]]
        self.rest = next((p for n, p in self.protocols.items() if n.startswith("rest-")), None)
        #: Whether its clients may gzip request bodies (``requestcompression``).
        self._compressed = compresses(self.model)
        self.target_prefix: str | None = metadata.get("targetPrefix")
        self.signing_name: str = metadata.get("signingName") or metadata["endpointPrefix"]
        self.api_version: str = metadata["apiVersion"]
        self._open_routes = list(spec.open_routes(component)) if spec.open_routes else []
        self.routes: list[BaseRoute] = [
            *self._open_routes,
            *(spec.routes(component) if spec.routes else ()),
        ]
        #: The largest request body any of its operations takes.
        self.body_limit = max(
            [spec.body_limit, 6 * 1024 * 1024 + 64 * 1024, *spec.body_limits.values()]
        )
        #: The literal prefixes its raw routes begin with.
        self.raw_prefixes = tuple(
            getattr(route, "path", "/").split("{", 1)[0] for route in self.routes
        )
        self.host_rule: HostRule | None = spec.hosts(component, settings) if spec.hosts else None
        #: Host -> the path prefix it stands for (S3's ``<bucket>.s3.<domain>``), or None.
        self.virtual_host: Callable[[str], str | None] | None = (
            spec.virtual_hosts(settings) if spec.virtual_hosts else None
        )

    # --- routing -------------------------------------------------------------------------

    def raw_route(self, scope: Scope) -> tuple[BaseRoute, Scope] | None:
        # Every raw route begins with a literal prefix: most requests are none of them.
        if not scope["path"].startswith(self.raw_prefixes):
            return None
        mount = self.spec.mount
        if mount is not None and self._unmount(scope, mount):
            return None
        for route in self.routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                return route, child
        return None

    @staticmethod
    def _unmount(scope: Scope, mount: Callable[[str], int | None]) -> bool:
        """Whether the request is for an operation below the service's mount; if so, its
        path is made the operation's (the path it was signed with kept)."""
        cut = mount(scope["path"])
        if not cut:
            return False
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        raw_cut = mount(raw.decode("latin-1"))
        if not raw_cut:
            return False
        scope.setdefault(SIGNED_PATH, raw)
        scope[MOUNTED] = scope["path"][:cut]
        scope["path"] = scope["path"][cut:]
        scope["raw_path"] = raw[raw_cut:]
        return True

    def signed(self, scope: Scope) -> bool:
        """Whether a request routed here must be signed (in ``iam`` mode): all but those
        for a route that authorises by itself (a function URL). Keeps what it found for
        answering."""
        found = scope[_RAW] if _RAW in scope else self.raw_route(scope)
        scope[_RAW] = found
        return found is None or found[0] not in self._open_routes

    def claims_raw(self, scope: Scope) -> bool:
        """Whether a request is for one of this service's raw routes (kept in the scope,
        for answering without looking again)."""
        found = self.raw_route(scope)
        if found is None:
            return False
        scope[_RAW] = found
        return True

    async def claims(self, request: Request, *, raw: bool = True) -> bool:
        """Whether an unsigned request is this service's by its path alone: a raw route
        (unless ``raw`` is False: they were looked at already) or an operation of its
        REST model. What it found is kept in the scope, for answering without looking
        again."""
        found = self.raw_route(request.scope) if raw else None
        request.scope[_RAW] = found
        if found is not None:
            return True
        if self.rest is None:
            return False
        name = await self.rest.operation(request)
        claim = self.spec.unsigned_claim
        if name is None:
            # No operation fits, but the request may still be plainly this service's (an
            # S3 client's request on no S3 path): its refusal is then the service's own.
            return claim is not None and claim(self.component, request, None)
        if claim is not None and not claim(self.component, request, name):
            return False
        request.scope[_OPERATION] = (self.rest, name)
        return True

    def protocol_for(self, request: Request) -> WireProtocol:
        headers = header_map(request)
        if "smithy-rpc-v2-cbor" in self.protocols and speaks(request):
            return self.protocols["smithy-rpc-v2-cbor"]
        if "x-amz-target" in headers and "json" in self.protocols:
            return self.protocols["json"]
        if "query" in self.protocols and is_query(request):
            return self.protocols["query"]
        return self.rest or self.main

    # --- answering -----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = scope.pop(_RAW) if _RAW in scope else self.raw_route(scope)
        if found is not None:
            await self._raw(found, scope, receive, send)
            return
        request = scope.get(REQUEST) or Request(scope, receive)
        response = await self.answer(request)
        await response(scope, receive, send)

    async def _raw(
        self, found: tuple[BaseRoute, Scope], scope: Scope, receive: Receive, send: Send
    ) -> None:
        """A raw route; an ``AltusError`` it raises before answering is answered in the
        service's own protocol."""
        route, child = found
        scope.update(child)
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            principal = scope.get(PRINCIPAL)
            if principal is not None and self.identity is not None:
                # Altus's own pages (under /_altus) are the administrator's: another
                # principal needs a policy allowing ``altus:Admin``.
                self.identity.authorize(
                    principal, "altus:Admin", "*", context=request_context(scope)
                )
            await route.handle(scope, receive, watched)
        except ClientDisconnect:
            # Gone before its body was in: nobody reads an answer, and nothing went wrong.
            if not started:
                await Response(status_code=400)(scope, receive, send)
        except AltusError as error:
            if started:
                raise
            request = Request(scope, receive)
            await self.main.error(request, ids.request_id(), error)(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        protocol = self.protocol_for(request)
        request_id = ids.request_id()
        try:
            if self._compressed:
                await inflate(request, self.body_limit)
            claimed = request.scope.pop(_OPERATION, None)
            if claimed is not None and claimed[0] is protocol:
                name = claimed[1]
            else:
                name = await protocol.operation(request)
            implementation = self.spec.operations.get(name) if name is not None else None
            if name is None or implementation is None:
                raise self._unknown(request, name)
            operation = self.model.operation_model(name)
            members = await protocol.parse(request, operation)
            caller = request.scope.get(PRINCIPAL)
            if caller is not None and self.spec.implied_by_caller is not None:
                members = self.spec.implied_by_caller(self.component, name, members, caller)
            self._authorize(request, name, members)
            call = Call(
                service=self.spec.name,
                operation=name,
                request_id=request_id,
                account=self.account,
                request=request,
            )
            output = await implementation(self.component, call, members)
            return protocol.respond(call, operation, output)
        except AltusError as error:
            return protocol.error(request, request_id, error)
        except ClientDisconnect:
            # Gone before its body was in (it announced more than it sent): nobody reads
            # the answer, and nothing went wrong here.
            return Response(status_code=400)
        except Exception:
            # Still an answer in this protocol's shape, which the client can parse.
            log.exception(
                "unexpected error serving %s %s %s",
                self.spec.name,
                request.method,
                request.url.path,
            )
            return protocol.error(request, request_id, InternalFailure())

    def _authorize(self, request: Request, operation: str, members: Members) -> None:
        """Where the request was authenticated, its principal's policies must allow the
        operation's IAM action on its resource (``ServiceSpec.actions``)."""
        principal = request.scope.get(PRINCIPAL)
        if principal is None or self.identity is None:
            return
        if self.spec.actions is not None:
            needed = self.spec.actions(self.component, operation, members)
        else:
            needed = (f"{self.signing_name}:{operation}", "*")
        if needed is None:
            return
        # One need (action, resource[, its policies]), or several: a call that acts on
        # several resources (DynamoDB's batches and transactions) needs each.
        needs = cast("Sequence[Needs]", [needed] if isinstance(needed[0], str) else needed)
        for need in needs:
            policies: Sequence[Mapping[str, Any]] = need[2] if len(need) == 3 else ()
            self.identity.authorize(
                principal, need[0], need[1], policies, request_context(request.scope)
            )

    def _unknown(self, request: Request, name: str | None) -> AltusError:
        if self.spec.unknown is not None:
            return self.spec.unknown(name)
        if name is not None:
            return UnknownOperation(
                f"Altus does not serve the {name} operation of {self.model.metadata['serviceId']}."
            )
        return UnknownOperation(
            f"No {self.model.metadata['serviceId']} operation at "
            f"{request.method} {request.url.path}"
        )
