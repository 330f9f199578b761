"""WebSocket APIs: a client's connection, from its handshake to its close.

- The handshake (``ws://<altus>/_aws/execute-api/<api-id>/<stage>``, or the API's host)
  is the ``$connect`` route's request: authorised as the route says (a Lambda REQUEST
  authorizer or IAM; only ``$connect`` is authorised, as on AWS), its API key checked,
  and its integration invoked with the ``CONNECT`` event. A function that fails or answers
  a status outside 2xx refuses the connection (the client gets that status; a failure,
  500). An API without ``$connect`` accepts every connection.
- Each message goes to the route its route selection expression picks
  (``$request.body.action``), else ``$default``, else the client is told ``Forbidden``.
  The route's function gets the ``MESSAGE`` event; its answer goes back to the client
  only where the route has a route response (two-way routes). Messages of one
  connection are handled one after another, in order.
- ``$disconnect`` runs once the connection has closed, whoever closed it (the client,
  ``DeleteConnection``, the 10-minute idle timeout, the 2-hour limit, a shutdown); its
  answer goes nowhere.
- The management API (``PostToConnection`` ...) reaches the connection by its id while it
  is open; nothing of a connection outlives the process.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from altus import ids
from altus.executeapi import guard
from altus.executeapi.component import ExecuteApi
from altus.executeapi.integrate import call_function
from altus.executeapi.refusals import (
    API_CONFIGURATION_ERROR,
    INTEGRATION_FAILURE,
    INVALID_API_KEY,
    THROTTLED,
    Refusal,
)
from altus.gateway.answers import http_error
from altus.gateway.deployed import AWS_PROXY, DEFAULT_ROUTE, WEBSOCKET, Route, Stage, stage_arn
from altus.gateway.request import EventContext, GatewayRequest, Matched
from altus.gateway.selection import (
    CONNECT,
    DISCONNECT,
    MESSAGE,
    Connection,
    select_route_key,
    websocket_event,
)

log = logging.getLogger(__name__)

CONNECT_ROUTE = "$connect"
DISCONNECT_ROUTE = "$disconnect"
#: API Gateway's limits: a message's size, a connection's idle time and its whole life.
MESSAGE_LIMIT = 128 * 1024
IDLE_TIMEOUT = 10 * 60.0
MAX_DURATION = 2 * 60 * 60.0
#: How long a message to a client may wait for the client to read.
SEND_TIMEOUT = 30.0
#: Close codes: a message too large; the server going away (idle, too old, shutting down).
TOO_BIG = 1009
GOING_AWAY = 1001


class Socket:
    """An open connection, as the management API and the message loop reach it."""

    def __init__(self, connection: Connection, stage: Stage, send: Send, user_agent: str) -> None:
        self.connection = connection
        self.api_id = stage.api_id
        self.stage = stage.name
        now = datetime.now(UTC)
        self.connected_at = now
        self.last_active_at = now
        self.source_ip = connection.source_ip
        self.user_agent = user_agent
        self._send = send
        self._lock = asyncio.Lock()
        self.closed = False
        self.close_code: int | None = None

    async def send(self, data: bytes) -> bool:
        """One message to the client: text where it is UTF-8 (as API Gateway sends what a
        function posts), else binary."""
        if self.closed:
            return False
        try:
            message: Message = {"type": "websocket.send", "text": data.decode("utf-8")}
        except UnicodeDecodeError:
            message = {"type": "websocket.send", "bytes": data}
        async with self._lock:
            if self.closed:
                return False
            try:
                # A client that stops reading holds a message only so long: then it is
                # closed, and the sender told the connection is gone.
                async with asyncio.timeout(SEND_TIMEOUT):
                    await self._send(message)
            except TimeoutError:
                await self.close(GOING_AWAY, "Client not reading")
                return False
            except OSError:
                return False
        self.last_active_at = datetime.now(UTC)
        return True

    async def close(self, code: int = 1000, reason: str = "") -> None:
        # Not behind the sending lock: a send waiting on a client that does not read must
        # not hold up its close (the server's close ends that wait).
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        with contextlib.suppress(OSError, RuntimeError):
            await self._send({"type": "websocket.close", "code": code, "reason": reason})


class _Endpoint:
    """The ASGI endpoint of a WebSocket stage (a class: Starlette takes a plain function
    for a WebSocket route's endpoint only with its own WebSocket wrapper)."""

    def __init__(self, front: ExecuteApi) -> None:
        self._front = front

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = scope["path_params"]
        await serve(self._front, scope, receive, send, params["api_id"], params["stage"])


def endpoint(front: ExecuteApi) -> _Endpoint:
    return _Endpoint(front)


async def serve(
    front: ExecuteApi, scope: Scope, receive: Receive, send: Send, api_id: str, stage_name: str
) -> None:
    first = await receive()
    if first["type"] != "websocket.connect":
        return
    found = front.directory(api_id)
    stage = found[0].stage(api_id, stage_name) if found is not None else None
    if found is None or found[1] != WEBSOCKET or stage is None or stage.endpoint_disabled:
        await _deny(send, 403, "Forbidden")
        return
    headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]]
    client = scope.get("client")
    host = next((v for n, v in headers if n.lower() == "host"), "")
    connection = Connection(
        connection_id=_connection_id(front),
        connected_at_ms=int(time.time() * 1000),
        source_ip=client[0] if client else "",
        domain_name=host.rsplit(":", 1)[0] if host.count(":") == 1 else host,
        user_agent=next((v for n, v in headers if n.lower() == "user-agent"), None),
        headers=headers,
        raw_query=scope.get("query_string", b"").decode("latin-1"),
    )
    routes = {route.key: route for route in stage.deployment.routes}
    try:
        authorizer = await _connect(front, scope, stage, routes, connection)
    except Refusal as refusal:
        status, message = _DENIALS.get(refusal.kind, (500, "Internal server error"))
        await _deny(send, refusal.status or status, refusal.message or message)
        return
    await send({"type": "websocket.accept"})
    socket = Socket(connection, stage, send, connection.user_agent or "")
    front.connections[connection.connection_id] = socket
    code, reason = 1006, ""
    try:
        code, reason = await _messages(front, receive, socket, stage, routes, authorizer)
    finally:
        del front.connections[connection.connection_id]
        if not socket.closed:
            await socket.close(code if code in (1000, GOING_AWAY, TOO_BIG) else 1000, reason)
        disconnect = routes.get(DISCONNECT_ROUTE)
        if disconnect is not None:
            await _disconnected(front, stage, disconnect, connection, authorizer, code, reason)


#: How a refused handshake is answered (an HTTP response instead of the upgrade).
_DENIALS = {
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": (403, "Forbidden"),
    "INVALID_SIGNATURE": (403, "Forbidden"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Forbidden"),
    INVALID_API_KEY: (403, "Forbidden"),
    THROTTLED: (429, "Too Many Requests"),
}


def _connection_id(front: ExecuteApi) -> str:
    """An id like API Gateway's (``L0SM9cOFvHcCIhw=``), unique among open connections."""
    for _ in range(16):
        found = base64.b64encode(secrets.token_bytes(10)).decode().replace("/", "_")
        if found not in front.connections:
            return found
    raise RuntimeError("no free connection id")  # 2**80 ids: never


async def _deny(send: Send, status: int, message: str) -> None:
    answer = http_error(status, message)
    await send(
        {
            "type": "websocket.http.response.start",
            "status": answer.status,
            "headers": [(n.encode(), v.encode()) for n, v in answer.headers],
        }
    )
    await send({"type": "websocket.http.response.body", "body": answer.body})


# --- $connect ------------------------------------------------------------------------------


async def _connect(
    front: ExecuteApi,
    scope: Scope,
    stage: Stage,
    routes: dict[str, Route],
    connection: Connection,
) -> dict[str, Any] | None:
    """Whether the connection may open (a ``Refusal`` if not); the authorizer's output,
    which every later event of the connection carries."""
    route = routes.get(CONNECT_ROUTE)
    if route is None:
        return None
    now = front.clock.now()
    limits = stage.route_throttles.get(route.key, stage.throttle)
    if not front.throttles.allow((stage.api_id, stage.name, route.key), limits, now):
        raise Refusal(THROTTLED)
    request_id = ids.request_id()
    gateway = GatewayRequest(
        method="GET",
        path="/",
        stage_path=f"/{stage.name}",
        raw_query=connection.raw_query,
        headers=connection.headers,
        body=b"",
        source_ip=connection.source_ip,
        domain_name=connection.domain_name,
        domain_prefix=stage.api_id,
    )
    context = EventContext(
        stage=stage,
        matched=Matched(route, {}),
        request_id=request_id,
        now_ms=int(time.time() * 1000),
        region=front.account.region,
    )
    arn = _route_arn(front, stage, CONNECT_ROUTE)
    event = websocket_event(
        CONNECT,
        connection,
        stage,
        route_key=CONNECT_ROUTE,
        request_id=request_id,
        now_ms=context.now_ms,
    )
    context = await guard.authorize(
        front,
        scope,
        gateway,
        context,
        arn=arn,
        authorizer_event={"type": "REQUEST", "methodArn": arn, **event},
    )
    if route.api_key_required:
        _check_api_key(front, stage, connection)
    if route.integration is not None:
        if context.authorizer is not None:
            event["requestContext"]["authorizer"] = dict(context.authorizer)
        answer = await _invoke(front, stage, route, event, arn)
        status = answer.get("statusCode", 200) if isinstance(answer, dict) else 200
        if not isinstance(status, int) or not 200 <= status < 300:
            code = status if isinstance(status, int) and 400 <= status < 600 else 500
            raise Refusal(INTEGRATION_FAILURE, status=code, message="Forbidden")
    return dict(context.authorizer) if context.authorizer is not None else None


def _check_api_key(front: ExecuteApi, stage: Stage, connection: Connection) -> None:
    """A route that needs an API key: ``x-api-key`` must name an enabled key in a usage
    plan for this stage (usage plans are REST's control plane's, as on AWS)."""
    value = next((v for n, v in connection.headers if n.lower() == "x-api-key"), None)
    keys = front.directories[0]
    key = keys.api_key(value) if value else None
    if key is None or not key.enabled or keys.usage_plan(stage.api_id, stage.name, key.id) is None:
        raise Refusal(INVALID_API_KEY)


# --- messages ------------------------------------------------------------------------------


async def _messages(
    front: ExecuteApi,
    receive: Receive,
    socket: Socket,
    stage: Stage,
    routes: dict[str, Route],
    authorizer: dict[str, Any] | None,
) -> tuple[int, str]:
    """Serve the connection's messages until it closes: the close code and reason."""
    opened = time.monotonic()
    expression = stage.deployment.route_selection_expression
    while True:
        left = MAX_DURATION - (time.monotonic() - opened)
        try:
            message = await asyncio.wait_for(receive(), min(IDLE_TIMEOUT, max(left, 0.0)))
        except TimeoutError:
            await socket.close(GOING_AWAY, "Going away")
            return GOING_AWAY, "Going away"
        if message["type"] == "websocket.disconnect":
            return int(message.get("code", 1005)), str(message.get("reason") or "")
        if message["type"] != "websocket.receive":
            continue
        text = message.get("text")
        data: str | bytes = text if text is not None else message.get("bytes") or b""
        if len(data) > MESSAGE_LIMIT:
            await socket.close(TOO_BIG, "Message too big")
            return TOO_BIG, "Message too big"
        socket.last_active_at = datetime.now(UTC)
        key = select_route_key(expression, data)
        route = routes.get(key) if key is not None else None
        route = route or routes.get(DEFAULT_ROUTE)
        request_id = ids.request_id()
        if route is None or route.integration is None:
            await _tell(socket, "Forbidden", request_id)
            continue
        event = websocket_event(
            MESSAGE,
            socket.connection,
            stage,
            route_key=route.key,
            request_id=request_id,
            now_ms=int(time.time() * 1000),
            body=data,
            message_id=_message_id(),
            authorizer=authorizer,
        )
        arn = _route_arn(front, stage, route.key)
        try:
            answer = await _invoke(front, stage, route, event, arn)
        except Refusal:
            await _tell(socket, "Internal server error", request_id)
            continue
        if route.returns_response:
            await socket.send(_response_body(answer))


async def _tell(socket: Socket, message: str, request_id: str) -> None:
    """API Gateway's own message to a client whose message it could not route or serve."""
    body = {
        "message": message,
        "connectionId": socket.connection.connection_id,
        "requestId": request_id,
    }
    await socket.send(json.dumps(body).encode())


def _route_arn(front: ExecuteApi, stage: Stage, route_key: str) -> str:
    """A WebSocket route's ARN: what its function's policy and its authorizer's are
    asked about (``<api>/<stage>/<route key>``)."""
    base = stage_arn(front.account.region, stage.account_id, stage.api_id)
    return f"{base}/{stage.name}/{route_key}"


def _message_id() -> str:
    return base64.b64encode(secrets.token_bytes(10)).decode()


def _response_body(answer: Any) -> bytes:
    """What a two-way route sends back: a proxy answer's ``body``, else the answer."""
    if isinstance(answer, dict) and "body" in answer:
        body = answer["body"]
        if answer.get("isBase64Encoded") is True and isinstance(body, str):
            try:
                return base64.b64decode(body, validate=True)
            except ValueError:
                return body.encode()
        return body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return json.dumps(answer).encode()


# --- invoking ------------------------------------------------------------------------------


async def _invoke(
    front: ExecuteApi, stage: Stage, route: Route, event: dict[str, Any], arn: str
) -> Any:
    """The route's function's answer (its JSON), or a ``Refusal``."""
    integration = route.integration
    assert integration is not None
    if integration.type != AWS_PROXY:
        log.warning(
            "API %s route %s: %s integrations are not served for WebSocket APIs",
            stage.api_id,
            route.key,
            integration.type,
        )
        raise Refusal(API_CONFIGURATION_ERROR)
    called = await call_function(front, stage, integration, event, arn)
    if called.function_error:
        raise Refusal(INTEGRATION_FAILURE)
    try:
        return json.loads(called.payload) if called.payload.strip() else None
    except ValueError:
        return called.payload.decode("utf-8", "replace")


async def _disconnected(
    front: ExecuteApi,
    stage: Stage,
    route: Route,
    connection: Connection,
    authorizer: dict[str, Any] | None,
    code: int,
    reason: str,
) -> None:
    if route.integration is None:
        return
    event = websocket_event(
        DISCONNECT,
        connection,
        stage,
        route_key=DISCONNECT_ROUTE,
        request_id=ids.request_id(),
        now_ms=int(time.time() * 1000),
        authorizer=authorizer,
        disconnect_status=code,
        disconnect_reason=reason,
    )
    arn = _route_arn(front, stage, DISCONNECT_ROUTE)
    with contextlib.suppress(Refusal):
        await _invoke(front, stage, route, event, arn)
