"""HTTP APIs served: requests with httpx against APIs made with boto3's ``apigatewayv2``,
their functions run in-process. Routing and its precedence, payloads 1.0 and 2.0,
stages and their variables, binary bodies, CORS, throttling, the gateway's own errors,
and the function permission API Gateway needs."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from altus.testing import Harness
from tests.functional.gateways import ACCOUNT, REGION, allow_api_gateway, json_body


def _echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers with what it was given."""
    return {"statusCode": 200, "body": json.dumps(event), "headers": {"x-echo": "1"}}


def _fail(event: dict[str, Any], context: Any) -> Any:
    raise RuntimeError("boom")


def _malformed(event: dict[str, Any], context: Any) -> Any:
    return {"statusCode": "not a status"}


def _binary(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "isBase64Encoded": True,
        "headers": {"content-type": "image/png"},
        "body": base64.b64encode(b"\x89PNG\x00\x01").decode(),
    }


def _bare(event: dict[str, Any], context: Any) -> Any:
    return {"hello": "world"}


class Api:
    def __init__(self, altus: Harness) -> None:
        self.altus = altus
        self.v2 = altus.client("apigatewayv2")
        self.lam = altus.client("lambda")
        self.http = httpx.Client(timeout=30)
        self.arns: dict[str, str] = {}
        self._grants = itertools.count()
        for name, handler in (
            ("echo", _echo),
            ("fail", _fail),
            ("malformed", _malformed),
            ("binary", _binary),
            ("bare", _bare),
        ):
            self.arns[name] = altus.create_function(name, handler)["FunctionArn"]
            self.allow(name)

    def allow(self, name: str, source: str | None = None) -> None:
        """Let API Gateway invoke ``name``: for ``source`` (``<api>/<stage>/...``) only,
        else for any API."""
        if source is None:
            allow_api_gateway(self.lam, name, f"apigateway-{next(self._grants)}")
            return
        self.lam.add_permission(
            FunctionName=name,
            StatementId=f"apigateway-{next(self._grants)}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{source}",
        )

    def integration(self, api_id: str, function: str, version: str = "2.0") -> str:
        found: str = self.v2.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=self.arns[function],
            PayloadFormatVersion=version,
        )["IntegrationId"]
        return found

    def route(self, api_id: str, key: str, integration: str, **extra: Any) -> str:
        found: str = self.v2.create_route(
            ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}", **extra
        )["RouteId"]
        return found


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with Harness() as altus:
        made = Api(altus)
        yield made
        made.http.close()


def test_quick_create_serves_every_path_through_the_default_stage(api: Api) -> None:
    created = api.v2.create_api(Name="quick", ProtocolType="HTTP", Target=api.arns["echo"])
    endpoint = created["ApiEndpoint"]
    assert endpoint == f"{api.altus.url}/_aws/execute-api/{created['ApiId']}"
    response = api.http.get(f"{endpoint}/some/path?a=1&a=2&b=x", headers={"Cookie": "c=1; d=2"})
    assert response.status_code == 200
    assert response.headers["x-echo"] == "1"
    assert "apigw-requestid" in response.headers
    event = json_body(response)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path"
    assert event["rawQueryString"] == "a=1&a=2&b=x"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x"}
    assert event["cookies"] == ["c=1", "d=2"]
    context = event["requestContext"]
    assert context["apiId"] == created["ApiId"]
    assert context["stage"] == "$default"
    assert context["http"]["method"] == "GET"
    assert context["http"]["path"] == "/some/path"
    assert context["accountId"] == ACCOUNT


def test_a_body_of_any_type_reaches_the_function(api: Api) -> None:
    # CBOR is what Kinesis clients send (to ``/``): below an API it is the API's.
    created = api.v2.create_api(Name="cbor", ProtocolType="HTTP", Target=api.arns["echo"])
    response = api.http.post(
        created["ApiEndpoint"] + "/records",
        content=b"\xa1ax\x01",
        headers={"content-type": "application/x-amz-cbor-1.1"},
    )
    assert response.status_code == 200, response.text
    event = json_body(response)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xa1ax\x01"


def test_without_the_functions_permission_the_gateway_answers_500(api: Api) -> None:
    name = "unallowed"
    arn = api.altus.create_function(name, _echo)["FunctionArn"]
    created = api.v2.create_api(Name="locked", ProtocolType="HTTP", Target=arn)
    response = api.http.get(created["ApiEndpoint"] + "/")
    assert response.status_code == 500
    assert json_body(response) == {"message": "Internal Server Error"}
    # A grant for another API is no grant for this one.
    api.allow(name, "someotherapi/*/*")
    assert api.http.get(created["ApiEndpoint"] + "/").status_code == 500
    api.allow(name, f"{created['ApiId']}/*/*")
    assert api.http.get(created["ApiEndpoint"] + "/").status_code == 200


def test_routes_follow_api_gateways_precedence(api: Api) -> None:
    api_id = api.v2.create_api(Name="routes", ProtocolType="HTTP")["ApiId"]
    echo = api.integration(api_id, "echo")
    for key in (
        "GET /pets/{id}",
        "GET /pets/dog",
        "ANY /pets/{id}",
        "GET /files/{path+}",
        "ANY /{proxy+}",
        "$default",
    ):
        api.route(api_id, key, echo)
    api.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    base = f"{api.altus.url}/_aws/execute-api/{api_id}"

    def routed(method: str, path: str) -> dict[str, Any]:
        response = api.http.request(method, base + path)
        assert response.status_code == 200, response.text
        return json_body(response)

    assert routed("GET", "/pets/dog")["routeKey"] == "GET /pets/dog"
    found = routed("GET", "/pets/cat")
    assert found["routeKey"] == "GET /pets/{id}"
    assert found["pathParameters"] == {"id": "cat"}
    assert routed("POST", "/pets/cat")["routeKey"] == "ANY /pets/{id}"
    found = routed("GET", "/files/a/b/c.txt")
    assert found["routeKey"] == "GET /files/{path+}"
    assert found["pathParameters"] == {"path": "a/b/c.txt"}
    assert routed("DELETE", "/anything/else")["routeKey"] == "ANY /{proxy+}"
    assert routed("GET", "/")["routeKey"] == "$default"


def test_routing_results_kept_between_requests_never_mix_paths_or_deployments(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Room for two results: the kept ones are dropped again and again.
    monkeypatch.setattr("altus.executeapi.component._MATCHES", 2)
    api_id = api.v2.create_api(Name="kept", ProtocolType="HTTP")["ApiId"]
    echo = api.integration(api_id, "echo")
    api.route(api_id, "GET /pets/{id}", echo)
    api.route(api_id, "ANY /{proxy+}", echo)
    api.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    base = f"{api.altus.url}/_aws/execute-api/{api_id}"

    def routed(method: str, path: str) -> dict[str, Any]:
        response = api.http.request(method, base + path)
        assert response.status_code == 200, response.text
        return json_body(response)

    for _ in range(2):
        for name in ("cat", "dog", "new"):
            found = routed("GET", f"/pets/{name}")
            assert (found["routeKey"], found["pathParameters"]) == ("GET /pets/{id}", {"id": name})
        assert routed("POST", "/pets/cat")["routeKey"] == "ANY /{proxy+}"
    # A new deployment routes afresh: what was kept for the old one is not used.
    api.route(api_id, "GET /pets/new", echo)
    assert routed("GET", "/pets/new")["routeKey"] == "GET /pets/new"
    assert routed("GET", "/pets/cat")["pathParameters"] == {"id": "cat"}


def test_no_route_and_no_stage_are_not_found(api: Api) -> None:
    api_id = api.v2.create_api(Name="sparse", ProtocolType="HTTP")["ApiId"]
    api.route(api_id, "GET /only", api.integration(api_id, "echo"))
    base = f"{api.altus.url}/_aws/execute-api/{api_id}"
    # Nothing deployed yet: no stage answers.
    response = api.http.get(base + "/only")
    assert response.status_code == 404
    assert json_body(response) == {"message": "Not Found"}
    api.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    assert api.http.get(base + "/only").status_code == 200
    response = api.http.get(base + "/other")
    assert (response.status_code, json_body(response)) == (404, {"message": "Not Found"})
    response = api.http.get(f"{api.altus.url}/_aws/execute-api/nosuchapi/x")
    assert response.status_code == 404


def test_a_named_stage_serves_its_deployment_with_its_variables(api: Api) -> None:
    api_id = api.v2.create_api(Name="staged", ProtocolType="HTTP")["ApiId"]
    api.route(api_id, "GET /hello", api.integration(api_id, "echo"))
    deployment = api.v2.create_deployment(ApiId=api_id)["DeploymentId"]
    api.v2.create_stage(
        ApiId=api_id,
        StageName="prod",
        DeploymentId=deployment,
        StageVariables={"colour": "blue"},
    )
    # A route added after the deployment is not served until deployed.
    api.route(api_id, "GET /later", api.integration(api_id, "echo"))
    base = f"{api.altus.url}/_aws/execute-api/{api_id}/prod"
    event = json_body(api.http.get(base + "/hello"))
    assert event["stageVariables"] == {"colour": "blue"}
    assert event["requestContext"]["stage"] == "prod"
    assert event["rawPath"] == "/prod/hello"
    assert api.http.get(base + "/later").status_code == 404
    second = api.v2.create_deployment(ApiId=api_id, StageName="prod")["DeploymentId"]
    assert second != deployment
    assert api.http.get(base + "/later").status_code == 200


def test_payload_format_1_0(api: Api) -> None:
    api_id = api.v2.create_api(Name="v1", ProtocolType="HTTP")["ApiId"]
    api.route(api_id, "POST /items/{id}", api.integration(api_id, "echo", "1.0"))
    api.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    response = api.http.post(
        f"{api.altus.url}/_aws/execute-api/{api_id}/items/7?x=1&x=2",
        content=b'{"k": 1}',
        headers={"content-type": "application/json", "x-multi": "a"},
    )
    assert response.status_code == 200
    event = json_body(response)
    assert event["version"] == "1.0"
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/7"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"id": "7"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["body"] == '{"k": 1}'
    assert event["isBase64Encoded"] is False


def test_binary_bodies_go_base64_both_ways(api: Api) -> None:
    api_id = api.v2.create_api(Name="bin", ProtocolType="HTTP")["ApiId"]
    api.route(api_id, "POST /echo", api.integration(api_id, "echo"))
    api.route(api_id, "GET /image", api.integration(api_id, "binary"))
    api.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    base = f"{api.altus.url}/_aws/execute-api/{api_id}"
    raw = bytes(range(256))
    event = json_body(
        api.http.post(base + "/echo", content=raw, headers={"content-type": "image/png"})
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw
    image = api.http.get(base + "/image")
    assert image.status_code == 200
    assert image.content == b"\x89PNG\x00\x01"
    assert image.headers["content-type"] == "image/png"


def test_function_failures_and_malformed_answers_are_500(api: Api) -> None:
    api_id = api.v2.create_api(Name="failing", ProtocolType="HTTP")["ApiId"]
    api.route(api_id, "GET /fail", api.integration(api_id, "fail"))
    api.route(api_id, "GET /malformed", api.integration(api_id, "malformed"))
    api.route(api_id, "GET /bare", api.integration(api_id, "bare"))
    api.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    base = f"{api.altus.url}/_aws/execute-api/{api_id}"
    for path in ("/fail", "/malformed"):
        response = api.http.get(base + path)
        assert response.status_code == 500
        assert json_body(response) == {"message": "Internal Server Error"}
    # A 2.0 answer without statusCode is the body of a 200 JSON answer.
    bare = api.http.get(base + "/bare")
    assert bare.status_code == 200
    assert bare.headers["content-type"] == "application/json"
    assert json_body(bare) == {"hello": "world"}


def test_cors_preflights_are_answered_by_the_gateway(api: Api) -> None:
    api_id = api.v2.create_api(
        Name="cors",
        ProtocolType="HTTP",
        CorsConfiguration={
            "AllowOrigins": ["https://example.com"],
            "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["content-type"],
            "MaxAge": 300,
        },
    )["ApiId"]
    api.route(api_id, "GET /data", api.integration(api_id, "echo"))
    api.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    base = f"{api.altus.url}/_aws/execute-api/{api_id}"
    preflight = api.http.options(
        base + "/data",
        headers={
            "origin": "https://example.com",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://example.com"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-max-age"] == "300"
    answered = api.http.get(base + "/data", headers={"origin": "https://example.com"})
    assert answered.status_code == 200
    assert answered.headers["access-control-allow-origin"] == "https://example.com"
    other = api.http.get(base + "/data", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_throttling_answers_429(api: Api) -> None:
    api_id = api.v2.create_api(Name="throttled", ProtocolType="HTTP")["ApiId"]
    api.route(api_id, "GET /t", api.integration(api_id, "echo"))
    api.v2.create_stage(
        ApiId=api_id,
        StageName="$default",
        AutoDeploy=True,
        DefaultRouteSettings={"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 1.0},
    )
    base = f"{api.altus.url}/_aws/execute-api/{api_id}"
    statuses = [api.http.get(base + "/t").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = api.http.get(base + "/t")
    assert json_body(refused) == {"message": "Too Many Requests"}
    # The harness's clock is the server's: a second later, one more token.
    api.altus.advance(1.0)
    assert api.http.get(base + "/t").status_code == 200


def test_http_proxy_integrations_pass_the_request_on(api: Api) -> None:
    # The upstream is another HTTP API on this server (an echo behind a function).
    upstream = api.v2.create_api(Name="upstream", ProtocolType="HTTP", Target=api.arns["echo"])
    api_id = api.v2.create_api(Name="proxy", ProtocolType="HTTP")["ApiId"]
    integration = api.v2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="ANY",
        IntegrationUri=upstream["ApiEndpoint"] + "/{proxy}",
        PayloadFormatVersion="1.0",
    )["IntegrationId"]
    api.route(api_id, "ANY /{proxy+}", integration)
    api.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    response = api.http.post(
        f"{api.altus.url}/_aws/execute-api/{api_id}/a/b?q=1",
        content=b"payload",
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 200
    event = json_body(response)
    assert event["rawPath"] == "/a/b"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["body"] == "payload"


def test_apis_answer_on_their_own_host_when_a_domain_is_set() -> None:
    with Harness(url_domain="altus.test") as altus, httpx.Client(timeout=30) as http:
        arn = altus.create_function("hosted", _echo)["FunctionArn"]
        allow_api_gateway(altus.client("lambda"), "hosted")
        created = altus.client("apigatewayv2").create_api(
            Name="hosted", ProtocolType="HTTP", Target=arn
        )
        api_id = created["ApiId"]
        port = altus.url.rsplit(":", 1)[1]
        assert created["ApiEndpoint"] == f"http://{api_id}.execute-api.{REGION}.altus.test:{port}"
        for host in (
            f"{api_id}.execute-api.{REGION}.altus.test",
            f"{api_id}.execute-api.altus.test",
        ):
            response = http.get(f"{altus.url}/x/y?q=1", headers={"host": f"{host}:{port}"})
            assert response.status_code == 200, response.text
            event = json_body(response)
            assert event["rawPath"] == "/x/y"
            assert event["requestContext"]["domainName"] == host
        # The path form still works beside it.
        assert http.get(f"{altus.url}/_aws/execute-api/{api_id}/z").status_code == 200


def test_an_integration_that_times_out_is_503_and_the_function_runs_on(api: Api) -> None:
    finished = threading.Event()

    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        time.sleep(0.5)
        finished.set()
        return {"statusCode": 200, "body": "late"}

    api.arns["slow"] = api.altus.create_function("slow", slow)["FunctionArn"]
    api.allow("slow")
    api_id = api.v2.create_api(Name="slow", ProtocolType="HTTP")["ApiId"]
    integration = api.v2.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=api.arns["slow"],
        PayloadFormatVersion="2.0",
        TimeoutInMillis=100,
    )["IntegrationId"]
    api.route(api_id, "GET /slow", integration)
    api.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    response = api.http.get(f"{api.altus.url}/_aws/execute-api/{api_id}/slow")
    assert (response.status_code, json_body(response)) == (503, {"message": "Service Unavailable"})
    assert finished.wait(10)


def test_stage_variables_choose_the_function(api: Api) -> None:
    api_id = api.v2.create_api(Name="variable", ProtocolType="HTTP")["ApiId"]
    template = api.arns["echo"].replace(":function:echo", ":function:${stageVariables.fn}")
    integration = api.v2.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=template,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    api.route(api_id, "GET /which", integration)
    deployment = api.v2.create_deployment(ApiId=api_id)["DeploymentId"]
    for stage, function in (("a", "echo"), ("b", "bare")):
        api.v2.create_stage(
            ApiId=api_id, StageName=stage, DeploymentId=deployment, StageVariables={"fn": function}
        )
    base = f"{api.altus.url}/_aws/execute-api/{api_id}"
    assert json_body(api.http.get(base + "/a/which"))["requestContext"]["stage"] == "a"
    assert json_body(api.http.get(base + "/b/which")) == {"hello": "world"}
