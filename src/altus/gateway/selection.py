"""WebSocket APIs: which route a message goes to, and the events their functions get
(``$connect``, ``$disconnect``, and messages). Pure: no I/O.

A message's route is chosen by the API's route selection expression, most often
``$request.body.action``: the message is read as JSON and the named member is the route
key. A message that is not JSON, or lacks the member, goes to ``$default``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from altus.gateway.deployed import Stage
from altus.gateway.events import request_time

CONNECT = "CONNECT"
DISCONNECT = "DISCONNECT"
MESSAGE = "MESSAGE"
_BODY_EXPRESSION = re.compile(r"\$\{?request\.body\.([A-Za-z0-9_$\-]+(?:\.[A-Za-z0-9_$\-]+)*)\}?")


def select_route_key(expression: str, body: bytes | str) -> str | None:
    """The route key a message selects (``$request.body.action``, nested
    ``$request.body.a.b``); None: the message goes to ``$default``."""
    found = _BODY_EXPRESSION.fullmatch(expression.strip())
    if found is None:
        return None
    try:
        value: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    for member in found.group(1).split("."):
        if not isinstance(value, dict) or member not in value:
            return None
        value = value[member]
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


@dataclass(frozen=True, slots=True)
class Connection:
    """A WebSocket connection, as its events describe it."""

    connection_id: str
    connected_at_ms: int
    source_ip: str
    #: The Host without its port.
    domain_name: str
    user_agent: str | None = None
    #: The opening (``$connect``) request's headers and query string.
    headers: Sequence[tuple[str, str]] = ()
    raw_query: str = ""


def websocket_event(
    event_type: str,
    connection: Connection,
    stage: Stage,
    *,
    route_key: str,
    request_id: str,
    now_ms: int,
    body: bytes | str | None = None,
    message_id: str | None = None,
    authorizer: Mapping[str, Any] | None = None,
    disconnect_status: int | None = None,
    disconnect_reason: str = "",
) -> dict[str, Any]:
    """The event a WebSocket route's function gets: ``CONNECT`` (with the opening
    request's headers and query), ``MESSAGE`` (with the message: a text frame as text,
    a binary one base64) or ``DISCONNECT`` (with the close code and reason)."""
    context: dict[str, Any] = {"routeKey": route_key}
    if event_type == MESSAGE:
        context["messageId"] = message_id
    if event_type == DISCONNECT:
        context["disconnectStatusCode"] = disconnect_status
    context.update(
        {
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": request_time(now_ms),
            "messageDirection": "IN",
        }
    )
    if event_type == DISCONNECT:
        context["disconnectReason"] = disconnect_reason
    context.update(
        {
            "stage": stage.name,
            "connectedAt": connection.connected_at_ms,
            "requestTimeEpoch": now_ms,
            "identity": _identity(connection),
            "requestId": request_id,
            "domainName": connection.domain_name,
            "connectionId": connection.connection_id,
            "apiId": stage.api_id,
        }
    )
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    event: dict[str, Any] = {}
    if event_type in (CONNECT, DISCONNECT):
        headers: dict[str, list[str]] = {}
        for name, value in connection.headers:
            headers.setdefault(name, []).append(value)
        event["headers"] = {name: values[-1] for name, values in headers.items()}
        event["multiValueHeaders"] = headers
    if event_type == CONNECT and connection.raw_query:
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(connection.raw_query, keep_blank_values=True):
            query.setdefault(name, []).append(value)
        event["queryStringParameters"] = {name: values[-1] for name, values in query.items()}
        event["multiValueQueryStringParameters"] = query
    event["requestContext"] = context
    if stage.variables:
        event["stageVariables"] = dict(stage.variables)
    if event_type == MESSAGE and body is not None:
        if isinstance(body, str):
            event["body"] = body
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


def _identity(connection: Connection) -> dict[str, Any]:
    identity: dict[str, Any] = {}
    if connection.user_agent is not None:
        identity["userAgent"] = connection.user_agent
    identity["sourceIp"] = connection.source_ip
    return identity
