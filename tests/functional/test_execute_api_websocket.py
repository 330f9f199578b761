"""WebSocket APIs served: a chat made with boto3's ``apigatewayv2`` (``$connect``,
``$disconnect``, a custom route picked by ``$request.body.action``, a two-way
``$default``), driven by the ``websockets`` client; its function broadcasts through the
``@connections`` management API (``apigatewaymanagementapi``), as chat samples do."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from altus.testing import Harness, wait_until
from tests.functional.gateways import functions, management


class Chat:
    """The chat's function and what it saw."""

    def __init__(self) -> None:
        self.connections: set[str] = set()
        self.events: list[dict[str, Any]] = []
        self.endpoint = ""
        self.lock = threading.Lock()

    def handler(self, event: dict[str, Any], context: Any) -> Any:
        context_ = event["requestContext"]
        route = context_["routeKey"]
        connection_id = context_["connectionId"]
        with self.lock:
            self.events.append(event)
        if route == "$connect":
            headers = event.get("headers") or {}
            if headers.get("x-refuse"):
                return {"statusCode": 403}
            with self.lock:
                self.connections.add(connection_id)
            return {"statusCode": 200}
        if route == "$disconnect":
            with self.lock:
                self.connections.discard(connection_id)
            return {"statusCode": 200}
        if route == "sendmessage":
            text = json.loads(event["body"])["text"]
            client = management(self.endpoint)
            with self.lock:
                targets = sorted(self.connections)
            for target in targets:
                client.post_to_connection(ConnectionId=target, Data=text.encode())
            return {"statusCode": 200}
        return {"statusCode": 200, "body": "echo:" + event["body"]}


class Deployed:
    def __init__(self, altus: Harness, chat: Chat, api_id: str) -> None:
        self.altus = altus
        self.chat = chat
        self.api_id = api_id
        self.url = altus.url.replace("http://", "ws://") + f"/_aws/execute-api/{api_id}/prod"

    def connect(self, **headers: str) -> ClientConnection:
        return connect(self.url, additional_headers=headers, open_timeout=10, close_timeout=5)


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    chat = Chat()
    with Harness() as altus:
        arn = functions(altus, {"chat": chat.handler})["chat"]
        v2 = altus.client("apigatewayv2")
        api_id = v2.create_api(
            Name="chat",
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression="$request.body.action",
        )["ApiId"]
        integration = v2.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn
        )["IntegrationId"]
        for key in ("$connect", "$disconnect", "sendmessage", "$default"):
            route = v2.create_route(
                ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}"
            )["RouteId"]
            if key == "$default":
                v2.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
        v2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
        chat.endpoint = f"{altus.url}/_aws/execute-api/{api_id}/prod"
        yield Deployed(altus, chat, api_id)


def test_a_chat_broadcasts_through_the_management_api(deployed: Deployed) -> None:
    chat = deployed.chat
    with deployed.connect() as alice, deployed.connect() as bob:
        wait_until(lambda: len(chat.connections) == 2)
        alice.send(json.dumps({"action": "sendmessage", "text": "hello all"}))
        assert alice.recv(timeout=10) == "hello all"
        assert bob.recv(timeout=10) == "hello all"
        # A message no route key names goes to $default, whose answer comes back.
        bob.send("just text")
        assert bob.recv(timeout=10) == "echo:just text"
    wait_until(lambda: not chat.connections)
    kinds = [e["requestContext"]["eventType"] for e in chat.events]
    assert kinds.count("CONNECT") >= 2 and kinds.count("DISCONNECT") >= 2
    connect = next(e for e in chat.events if e["requestContext"]["eventType"] == "CONNECT")
    assert connect["requestContext"]["apiId"] == deployed.api_id
    assert connect["requestContext"]["stage"] == "prod"
    assert connect["requestContext"]["routeKey"] == "$connect"
    message = next(e for e in chat.events if e["requestContext"]["eventType"] == "MESSAGE")
    assert message["requestContext"]["messageDirection"] == "IN"


def test_connect_refused_by_the_function(deployed: Deployed) -> None:
    with pytest.raises(InvalidStatus) as refused, deployed.connect(**{"x-refuse": "1"}):
        pass
    assert refused.value.response.status_code == 403


def test_the_management_api_knows_open_connections_only(deployed: Deployed) -> None:
    stage = management(deployed.chat.endpoint)
    with deployed.connect() as client:
        wait_until(lambda: len(deployed.chat.connections) == 1)
        (connection_id,) = deployed.chat.connections
        found = stage.get_connection(ConnectionId=connection_id)
        assert found["Identity"]["SourceIp"] == "127.0.0.1"
        # The root form reaches the same connection (a client given Altus's own URL).
        root = management(deployed.altus.url)
        root.post_to_connection(ConnectionId=connection_id, Data=b"direct")
        assert client.recv(timeout=10) == "direct"
        stage.delete_connection(ConnectionId=connection_id)
        wait_until(lambda: not deployed.chat.connections)
    with pytest.raises(ClientError) as gone:
        stage.get_connection(ConnectionId=connection_id)
    assert gone.value.response["Error"]["Code"] == "GoneException"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
