"""WebSocket APIs: route selection and the events of connections."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from altus.gateway.deployed import Deployment, Stage
from altus.gateway.selection import (
    CONNECT,
    DISCONNECT,
    MESSAGE,
    Connection,
    select_route_key,
    websocket_event,
)


@pytest.mark.parametrize(
    ("expression", "body", "key"),
    [
        ("$request.body.action", '{"action": "sendMessage"}', "sendMessage"),
        ("$request.body.action", b'{"action": "join"}', "join"),
        ("${request.body.action}", '{"action": "join"}', "join"),
        ("$request.body.meta.kind", '{"meta": {"kind": "ping"}}', "ping"),
        ("$request.body.action", '{"action": 7}', "7"),
        ("$request.body.action", '{"other": 1}', None),
        ("$request.body.action", '{"action": {"x": 1}}', None),
        ("$request.body.action", '{"action": null}', None),
        ("$request.body.action", "not json", None),
        ("$request.body.action", b"\xff\xfe", None),
        ("$request.body.action", '["action"]', None),
        ("$request.body.meta.kind", '{"meta": "flat"}', None),
        ("$request.header.x", '{"action": "a"}', None),
    ],
)
def test_select_route_key(expression: str, body: str | bytes, key: str | None) -> None:
    assert select_route_key(expression, body) == key


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,15}", fullmatch=True))
def test_select_any_action(action: str) -> None:
    assert select_route_key("$request.body.action", f'{{"action": "{action}"}}') == action


STAGE = Stage(
    api_id="ws1",
    name="prod",
    deployment=Deployment(id="d", api_id="ws1", protocol="WEBSOCKET", routes=()),
    variables={"v": "1"},
)
CONNECTION = Connection(
    connection_id="conn-1",
    connected_at_ms=1_000,
    source_ip="127.0.0.1",
    domain_name="ws1.execute-api.localhost",
    user_agent="client/1",
    headers=[("Host", "ws1.execute-api.localhost"), ("X-A", "1"), ("X-A", "2")],
    raw_query="room=blue",
)


def event(kind: str, **extra: Any) -> dict[str, Any]:
    route = {CONNECT: "$connect", DISCONNECT: "$disconnect", MESSAGE: "send"}[kind]
    return websocket_event(
        kind, CONNECTION, STAGE, route_key=route, request_id="r1", now_ms=2_000, **extra
    )


def test_connect_event() -> None:
    connect = event(CONNECT)
    assert connect["headers"] == {"Host": "ws1.execute-api.localhost", "X-A": "2"}
    assert connect["multiValueHeaders"] == {
        "Host": ["ws1.execute-api.localhost"],
        "X-A": ["1", "2"],
    }
    assert connect["queryStringParameters"] == {"room": "blue"}
    assert connect["multiValueQueryStringParameters"] == {"room": ["blue"]}
    assert connect["isBase64Encoded"] is False and "body" not in connect
    assert connect["stageVariables"] == {"v": "1"}
    context = connect["requestContext"]
    assert isinstance(context, dict)
    assert context["routeKey"] == "$connect" and context["eventType"] == "CONNECT"
    assert context["connectionId"] == "conn-1" and context["connectedAt"] == 1_000
    assert context["messageDirection"] == "IN" and context["stage"] == "prod"
    assert context["apiId"] == "ws1" and context["requestId"] == "r1"
    assert context["domainName"] == "ws1.execute-api.localhost"
    assert context["identity"] == {"userAgent": "client/1", "sourceIp": "127.0.0.1"}
    assert context["requestTimeEpoch"] == 2_000
    assert "messageId" not in context and "disconnectStatusCode" not in context


def test_message_events() -> None:
    text = event(MESSAGE, body='{"action":"send"}', message_id="m1")
    assert text["body"] == '{"action":"send"}' and text["isBase64Encoded"] is False
    assert "headers" not in text and "queryStringParameters" not in text
    context = text["requestContext"]
    assert isinstance(context, dict)
    assert context["messageId"] == "m1" and context["eventType"] == "MESSAGE"
    binary = event(MESSAGE, body=b"\x00\x01", message_id="m2")
    assert binary["body"] == base64.b64encode(b"\x00\x01").decode()
    assert binary["isBase64Encoded"] is True


def test_disconnect_event() -> None:
    gone = event(DISCONNECT, disconnect_status=1001, disconnect_reason="Client going away")
    context = gone["requestContext"]
    assert isinstance(context, dict)
    assert context["eventType"] == "DISCONNECT" and context["routeKey"] == "$disconnect"
    assert context["disconnectStatusCode"] == 1001
    assert context["disconnectReason"] == "Client going away"
    assert "queryStringParameters" not in gone and "headers" in gone


def test_authorizer_context_on_events() -> None:
    connect = event(CONNECT, authorizer={"principalId": "u"})
    context = connect["requestContext"]
    assert isinstance(context, dict) and context["authorizer"] == {"principalId": "u"}
