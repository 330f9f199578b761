"""API Gateway against a real ``altus up`` with real sandboxes: an HTTP API made with the
AWS CLI's quick create, a REST API imported from OpenAPI, both still served after a
restart, and a WebSocket chat whose function (real code, in its sandbox) broadcasts
through the ``@connections`` API with the SDK's default endpoint (``AWS_ENDPOINT_URL``,
which Altus gives every function)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from altus.packaging import zip_files
from tests.conftest import Server, start_server
from tests.integration.aws_cli import aws, client

pytestmark = pytest.mark.integration

REGION = "us-east-1"
ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/runner"

WEB = """
import json

def handler(event, context):
    version = event.get("version", "1.0")
    path = event.get("rawPath") or event.get("path")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"version": version, "path": path}),
    }
"""

CHAT = """
import json
import boto3

CONNECTIONS = "/tmp/connections.json"

def _load():
    try:
        with open(CONNECTIONS) as f:
            return set(json.load(f))
    except FileNotFoundError:
        return set()

def _save(found):
    with open(CONNECTIONS, "w") as f:
        json.dump(sorted(found), f)

def handler(event, context):
    context_ = event["requestContext"]
    route = context_["routeKey"]
    connection = context_["connectionId"]
    found = _load()
    if route == "$connect":
        found.add(connection)
        _save(found)
    elif route == "$disconnect":
        found.discard(connection)
        _save(found)
    else:
        text = json.loads(event["body"])["text"]
        management = boto3.client("apigatewaymanagementapi")
        for target in sorted(found):
            management.post_to_connection(ConnectionId=target, Data=text.encode())
    return {"statusCode": 200}
"""


def create(url: str, name: str, code: str) -> str:
    lam = client(url, "lambda")
    arn: str = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Handler="app.handler",
        Role=ROLE,
        Code={"ZipFile": zip_files({"app.py": code})},
        Timeout=30,
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*",
    )
    return arn


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("altus-apigateway")


@pytest.fixture(scope="module")
def server(data_dir: Path) -> Iterator[Server]:
    running = start_server(data_dir)
    try:
        yield running
    finally:
        running.stop()


def test_http_and_rest_apis_are_served_and_survive_a_restart(data_dir: Path) -> None:
    first = start_server(data_dir)
    try:
        arn = create(first.url, "web", WEB)
        created = aws(
            first.url,
            "apigatewayv2",
            "create-api",
            "--name",
            "web",
            "--protocol-type",
            "HTTP",
            "--target",
            arn,
        )
        http_endpoint = created["ApiEndpoint"]
        assert http_endpoint.startswith(first.url)
        document = {
            "swagger": "2.0",
            "info": {"title": "web-rest", "version": "1"},
            "paths": {
                "/{proxy+}": {
                    "x-amazon-apigateway-any-method": {
                        "x-amazon-apigateway-integration": {
                            "type": "aws_proxy",
                            "httpMethod": "POST",
                            "uri": (
                                f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/"
                                f"functions/{arn}/invocations"
                            ),
                        }
                    }
                }
            },
        }
        gateway = client(first.url, "apigateway")
        rest_id = gateway.import_rest_api(body=json.dumps(document).encode())["id"]
        gateway.create_deployment(restApiId=rest_id, stageName="prod")
        rest_endpoint = f"{first.url}/_aws/execute-api/{rest_id}/prod"
        with httpx.Client(timeout=60) as http:
            assert http.get(http_endpoint + "/a/b").json() == {"version": "2.0", "path": "/a/b"}
            assert http.get(rest_endpoint + "/c").json() == {"version": "1.0", "path": "/c"}
    finally:
        first.stop()
    second = start_server(data_dir, port=int(first.url.rsplit(":", 1)[1]))
    try:
        with httpx.Client(timeout=60) as http:
            assert http.get(http_endpoint + "/again").json()["path"] == "/again"
            assert http.get(rest_endpoint + "/again").json()["path"] == "/again"
    finally:
        second.stop()


def test_a_websocket_chat_with_a_real_function(server: Server) -> None:
    arn = create(server.url, "chat", CHAT)
    v2 = client(server.url, "apigatewayv2")
    api_id = v2.create_api(
        Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn
    )["IntegrationId"]
    for key in ("$connect", "$disconnect", "sendmessage"):
        v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    url = server.url.replace("http://", "ws://") + f"/_aws/execute-api/{api_id}/prod"
    with connect(url, open_timeout=60) as alice, connect(url, open_timeout=60) as bob:
        alice.send(json.dumps({"action": "sendmessage", "text": "hi"}))
        assert alice.recv(timeout=60) == "hi"
        assert bob.recv(timeout=60) == "hi"
