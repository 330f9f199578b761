"""What a request's path may not do: reach a route a policy denies by being spelled
otherwise (percent-encoded, a trailing slash, an encoded API id), climb out of an HTTP
integration's base path, or reach another API's WebSocket connection; and a policy's
conditions are read (an authorizer's Allow for another address allows nothing)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from altus.testing import Harness, wait_until
from tests.functional.gateways import echo, functions, lambda_uri, management


def _deny_admin(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Allows everything of the API but GET /admin; with the token ``elsewhere``, allows
    only callers from another network."""
    api = event["methodArn"].split("/", 1)[0]
    allow: dict[str, Any] = {
        "Effect": "Allow",
        "Action": "execute-api:Invoke",
        "Resource": api + "/*",
    }
    if event["authorizationToken"] == "elsewhere":
        allow["Condition"] = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    return {
        "principalId": "p",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                allow,
                {
                    "Effect": "Deny",
                    "Action": "execute-api:Invoke",
                    "Resource": api + "/*/GET/admin",
                },
            ],
        },
    }


class Setup:
    def __init__(self, altus: Harness) -> None:
        self.altus = altus
        self.http = httpx.Client(timeout=30)
        self.arns = functions(altus, {"echo": echo, "deny": _deny_admin})


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    with Harness() as altus:
        made = Setup(altus)
        yield made
        made.http.close()


def test_a_denied_route_stays_denied_however_its_path_is_spelled(setup: Setup) -> None:
    gw = setup.altus.client("apigateway")
    api_id = gw.create_rest_api(name="spelled")["id"]
    root = gw.get_resources(restApiId=api_id)["items"][0]["id"]
    authorizer = gw.create_authorizer(
        restApiId=api_id,
        name="t",
        type="TOKEN",
        authorizerUri=lambda_uri(setup.arns["deny"]),
        identitySource="method.request.header.Authorization",
    )["id"]
    for part in ("admin", "open"):
        resource = gw.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
        gw.put_method(
            restApiId=api_id,
            resourceId=resource,
            httpMethod="GET",
            authorizationType="CUSTOM",
            authorizerId=authorizer,
        )
        gw.put_integration(
            restApiId=api_id,
            resourceId=resource,
            httpMethod="GET",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=lambda_uri(setup.arns["echo"]),
        )
    gw.create_deployment(restApiId=api_id, stageName="prod")
    base = f"{setup.altus.url}/_aws/execute-api/{api_id}/prod"
    token = {"Authorization": "t"}
    assert setup.http.get(base + "/open", headers=token).status_code == 200
    for path in ("/admin", "/%61dmin", "/admin/", "/%61%64%6D%69%6E/"):
        response = setup.http.get(base + path, headers=token)
        assert response.status_code == 403, (path, response.text)
    encoded_id = "%" + format(ord(api_id[0]), "02X") + api_id[1:]
    response = setup.http.get(
        f"{setup.altus.url}/_aws/execute-api/{encoded_id}/prod/admin", headers=token
    )
    assert response.status_code == 403
    # An Allow whose condition this caller does not meet allows nothing.
    assert setup.http.get(base + "/open", headers={"Authorization": "elsewhere"}).status_code == 403


def test_an_http_integration_path_cannot_climb_out_of_its_base(setup: Setup) -> None:
    v2 = setup.altus.client("apigatewayv2")
    upstream = v2.create_api(Name="upstream", ProtocolType="HTTP", Target=setup.arns["echo"])
    api_id = v2.create_api(Name="front", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="ANY",
        IntegrationUri=upstream["ApiEndpoint"] + "/public/{proxy}",
        PayloadFormatVersion="1.0",
    )["IntegrationId"]
    v2.create_route(
        ApiId=api_id, RouteKey="ANY /files/{proxy+}", Target=f"integrations/{integration}"
    )
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    base = f"{setup.altus.url}/_aws/execute-api/{api_id}"
    event = json.loads(setup.http.get(base + "/files/a/b").content)
    assert event["rawPath"] == "/public/a/b"
    for path in ("/files/%2e%2e/%2e%2e/secret", "/files/..%2F..%2Fsecret"):
        response = setup.http.get(base + path)
        event = json.loads(response.content)
        assert "rawPath" in event, (path, response.status_code, response.text)
        assert event["rawPath"].startswith("/public/"), (path, event["rawPath"])


class _Echo(BaseHTTPRequestHandler):
    """An upstream that answers with the path and headers it got."""

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_parameter_mapping_changes_what_an_http_integration_gets(
    setup: Setup, upstream: str
) -> None:
    v2 = setup.altus.client("apigatewayv2")
    api_id = v2.create_api(Name="mapped", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="GET",
        IntegrationUri=upstream + "/ignored",
        PayloadFormatVersion="1.0",
        RequestParameters={
            "append:header.x-from": "$request.path.id",
            "overwrite:path": "/items/$request.path.id",
            "append:querystring.stage": "$context.stage",
            "remove:header.x-secret": "''",
        },
    )["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /pets/{id}", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    got = setup.http.get(
        f"{setup.altus.url}/_aws/execute-api/{api_id}/pets/9", headers={"x-secret": "s"}
    ).json()
    assert got["path"] == "/items/9?stage=%24default"
    headers = {name.lower(): value for name, value in got["headers"].items()}
    assert headers["x-from"] == "9"
    assert "x-secret" not in headers


def test_a_connection_is_not_reached_through_another_apis_endpoint(setup: Setup) -> None:
    v2 = setup.altus.client("apigatewayv2")
    ids = []
    for name in ("one", "two"):
        api_id = v2.create_api(
            Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
        )["ApiId"]
        v2.create_stage(ApiId=api_id, StageName="live", AutoDeploy=True)
        ids.append(api_id)
    url = setup.altus.url.replace("http://", "ws://") + f"/_aws/execute-api/{ids[0]}/live"

    def stage_of(api_id: str) -> Any:
        return management(f"{setup.altus.url}/_aws/execute-api/{api_id}/live")

    front = setup.altus.call(_front)
    for api_id in ids:
        integration = v2.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=setup.arns["echo"]
        )["IntegrationId"]
        v2.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration}")
    with connect(url, open_timeout=10):
        connection_id = wait_until(lambda: next(iter(front.connections), None))
        assert stage_of(ids[0]).get_connection(ConnectionId=connection_id)
        other = stage_of(ids[1])
        with pytest.raises(other.exceptions.GoneException):
            other.get_connection(ConnectionId=connection_id)


async def _front(platform: Any) -> Any:
    return platform.component("apigatewaymanagementapi")
