"""API Gateway V2's control plane through boto3: every resource kind's lifecycle,
quick create, auto-deployed snapshots, OpenAPI import and export, the errors, and the
stages the front door is handed (``ApiDirectory``), across a restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from altus.testing import Harness
from tests.functional import apigatewayv2_helpers as helpers
from tests.functional.apigatewayv2_helpers import ACCOUNT, FUNCTION, error, served_stage

INVOCATION = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations"


# The shared module fixtures, found by pytest under these names.
altus = helpers.altus
gw = helpers.gw


def _http_api(gw: Any, name: str = "plain") -> str:
    return str(gw.create_api(Name=name, ProtocolType="HTTP")["ApiId"])


# --- APIs ------------------------------------------------------------------------------------


def test_quick_create_makes_an_integration_a_route_and_an_auto_deployed_stage(
    altus: Harness, gw: Any
) -> None:
    api = gw.create_api(Name="quick", ProtocolType="HTTP", Target=FUNCTION, Tags={"team": "web"})
    api_id = api["ApiId"]
    assert len(api_id) == 10 and api_id.isalnum() and api_id == api_id.lower()
    assert api["ApiEndpoint"] == f"{altus.url}/_aws/execute-api/{api_id}"
    assert api["RouteSelectionExpression"] == "${request.method} ${request.path}"
    assert api["Tags"] == {"team": "web"}
    (integration,) = gw.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    assert integration["IntegrationUri"] == FUNCTION
    (route,) = gw.get_routes(ApiId=api_id)["Items"]
    assert route["RouteKey"] == "$default"
    assert route["Target"] == f"integrations/{integration['IntegrationId']}"
    (stage,) = gw.get_stages(ApiId=api_id)["Items"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
    (deployment,) = gw.get_deployments(ApiId=api_id)["Items"]
    assert deployment["AutoDeployed"] is True and deployment["DeploymentStatus"] == "DEPLOYED"
    assert stage["DeploymentId"] == deployment["DeploymentId"]

    served = served_stage(altus, api_id, "$default")
    assert served is not None and served.account_id == ACCOUNT
    (served_route,) = served.deployment.routes
    assert served_route.key == "$default" and served_route.integration is not None
    assert served_route.integration.uri == FUNCTION
    assert served_route.integration.payload_format == "2.0"


def test_quick_create_to_a_url_with_a_route_key(gw: Any) -> None:
    api_id = gw.create_api(
        Name="proxy", ProtocolType="HTTP", Target="https://example.com/", RouteKey="GET /x"
    )["ApiId"]
    (integration,) = gw.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationType"] == "HTTP_PROXY"
    assert integration["IntegrationMethod"] == "ANY"
    assert [r["RouteKey"] for r in gw.get_routes(ApiId=api_id)["Items"]] == ["GET /x"]


def test_api_update_listing_and_delete(gw: Any) -> None:
    api_id = _http_api(gw, "listed")
    updated = gw.update_api(
        ApiId=api_id,
        Name="renamed",
        Description="d",
        DisableExecuteApiEndpoint=True,
        CorsConfiguration={"AllowOrigins": ["https://a.example"], "MaxAge": 60},
    )
    assert updated["Name"] == "renamed" and updated["DisableExecuteApiEndpoint"] is True
    assert gw.get_api(ApiId=api_id)["CorsConfiguration"]["AllowOrigins"] == ["https://a.example"]
    gw.delete_cors_configuration(ApiId=api_id)
    assert "CorsConfiguration" not in gw.get_api(ApiId=api_id)

    for n in range(3):
        _http_api(gw, f"page{n}")
    seen: list[str] = []
    token: str | None = None
    for _ in range(50):  # bounded: a few pages
        page = gw.get_apis(MaxResults="2", **({"NextToken": token} if token else {}))
        assert len(page["Items"]) <= 2
        seen += [a["ApiId"] for a in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert api_id in seen and len(seen) == len(set(seen))

    gw.delete_api(ApiId=api_id)
    code, message, status = error(gw.get_api, ApiId=api_id)
    assert (code, status) == ("NotFoundException", 404)
    assert message == f"Invalid API identifier specified {ACCOUNT}:{api_id}"


def test_bad_apis_are_refused(gw: Any) -> None:
    cases: list[dict[str, Any]] = [
        {"Name": "x", "ProtocolType": "HTTP", "RouteSelectionExpression": "$request.body.a"},
        {"Name": "x", "ProtocolType": "WEBSOCKET"},
        {"Name": "x", "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "action"},
        {"Name": "x", "ProtocolType": "HTTP", "Target": "not-a-target"},
        {"Name": "x", "ProtocolType": "HTTP", "RouteKey": "GET /"},
        {
            "Name": "x",
            "ProtocolType": "HTTP",
            "CorsConfiguration": {"AllowOrigins": ["*"], "AllowCredentials": True},
        },
        {"Name": "x", "ProtocolType": "HTTP", "ApiKeySelectionExpression": "$request.x"},
    ]
    before = len(gw.get_apis(MaxResults="500")["Items"])
    for members in cases:
        code, _, status = error(gw.create_api, **members)
        assert (code, status) == ("BadRequestException", 400), members
    assert len(gw.get_apis(MaxResults="500")["Items"]) == before
    assert error(gw.get_apis, NextToken="!!")[0] == "BadRequestException"


# --- routes and integrations ---------------------------------------------------------------


def test_routes_and_integrations_lifecycle(gw: Any) -> None:
    api_id = _http_api(gw, "routes")
    integration = gw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=INVOCATION,
        PayloadFormatVersion="1.0",
        TimeoutInMillis=5000,
    )
    ident = integration["IntegrationId"]
    assert len(ident) == 7 and integration["TimeoutInMillis"] == 5000
    target = f"integrations/{ident}"
    route = gw.create_route(ApiId=api_id, RouteKey="GET /pets/{id}", Target=target)
    greedy = gw.create_route(ApiId=api_id, RouteKey="ANY /files/{proxy+}", Target=target)
    assert gw.get_route(ApiId=api_id, RouteId=route["RouteId"])["RouteKey"] == "GET /pets/{id}"
    assert {r["RouteKey"] for r in gw.get_routes(ApiId=api_id)["Items"]} == {
        "GET /pets/{id}",
        "ANY /files/{proxy+}",
    }
    code, message, status = error(gw.create_route, ApiId=api_id, RouteKey="GET /pets/{id}")
    assert (code, status) == ("ConflictException", 409)
    assert "GET /pets/{id}" in message

    code, message, _ = error(gw.create_route, ApiId=api_id, RouteKey="POST /pets/{petId}/toys")
    assert code == "ConflictException"
    assert message == (
        'The provided route key "POST /pets/{petId}/toys" has a conflicting variable on the '
        'same hierarchical level as "GET /pets/{id}"'
    )
    for key in ("FETCH /x", "GET x", "GET /{a+}/b", "GET /a//b", "$connect"):
        assert error(gw.create_route, ApiId=api_id, RouteKey=key)[0] == "BadRequestException"
    assert error(gw.create_route, ApiId=api_id, RouteKey="GET /y", Target="integrations/none")[
        0
    ] == ("BadRequestException")

    updated = gw.update_route(ApiId=api_id, RouteId=greedy["RouteId"], RouteKey="POST /up")
    assert updated["RouteKey"] == "POST /up" and updated["Target"] == target
    assert (
        gw.update_integration(ApiId=api_id, IntegrationId=ident, TimeoutInMillis=100)[
            "TimeoutInMillis"
        ]
        == 100
    )

    # An integration a route targets is kept.
    assert error(gw.delete_integration, ApiId=api_id, IntegrationId=ident)[0] == (
        "ConflictException"
    )
    gw.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    gw.delete_route(ApiId=api_id, RouteId=greedy["RouteId"])
    gw.delete_integration(ApiId=api_id, IntegrationId=ident)
    code, message, status = error(gw.get_integration, ApiId=api_id, IntegrationId=ident)
    assert (code, status) == ("NotFoundException", 404)
    assert message == f"Invalid Integration identifier specified {ACCOUNT}:{ident}"


@pytest.mark.parametrize(
    "members",
    [
        {"IntegrationType": "AWS_PROXY", "IntegrationUri": FUNCTION},  # no payload version
        {
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": "arn:aws:sqs:us-east-1:1:q",
            "PayloadFormatVersion": "2.0",
        },
        {"IntegrationType": "HTTP_PROXY", "IntegrationUri": "https://x.example"},  # no method
        {"IntegrationType": "MOCK"},
        {
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": FUNCTION,
            "PayloadFormatVersion": "2.0",
            "TimeoutInMillis": 30001,
        },
    ],
)
def test_bad_integrations_of_http_apis_are_refused(gw: Any, members: dict[str, Any]) -> None:
    api_id = _http_api(gw, "badint")
    assert error(gw.create_integration, ApiId=api_id, **members)[0] == "BadRequestException"
    assert gw.get_integrations(ApiId=api_id)["Items"] == []


# --- authorizers -----------------------------------------------------------------------------


def test_authorizers_and_route_authorization(altus: Harness, gw: Any) -> None:
    api_id = gw.create_api(Name="auth", ProtocolType="HTTP", Target=FUNCTION)["ApiId"]
    lam = gw.create_authorizer(
        ApiId=api_id,
        Name="lam",
        AuthorizerType="REQUEST",
        AuthorizerUri=INVOCATION,
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        IdentitySource=["$request.header.Authorization"],
        AuthorizerResultTtlInSeconds=300,
    )
    jwt = gw.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "http://127.0.0.1:9/issuer", "Audience": ["me"]},
    )
    assert len(gw.get_authorizers(ApiId=api_id)["Items"]) == 2
    route = gw.create_route(
        ApiId=api_id,
        RouteKey="GET /secret",
        AuthorizationType="JWT",
        AuthorizerId=jwt["AuthorizerId"],
        AuthorizationScopes=["read"],
    )
    gw.create_route(
        ApiId=api_id,
        RouteKey="GET /custom",
        AuthorizationType="CUSTOM",
        AuthorizerId=lam["AuthorizerId"],
    )
    # The type must fit the authorizer's.
    code = error(
        gw.create_route,
        ApiId=api_id,
        RouteKey="GET /wrong",
        AuthorizationType="CUSTOM",
        AuthorizerId=jwt["AuthorizerId"],
    )[0]
    assert code == "BadRequestException"
    assert (
        error(
            gw.create_route,
            ApiId=api_id,
            RouteKey="GET /missing",
            AuthorizationType="JWT",
            AuthorizerId="nope123",
        )[0]
        == "NotFoundException"
    )
    # Used authorizers are kept.
    assert error(gw.delete_authorizer, ApiId=api_id, AuthorizerId=jwt["AuthorizerId"])[0] == (
        "BadRequestException"
    )

    served = served_stage(altus, api_id, "$default")
    assert served is not None
    by_key = {r.key: r for r in served.deployment.routes}
    assert by_key["GET /secret"].authorization_type == "JWT"
    assert by_key["GET /secret"].authorization_scopes == ("read",)
    found = served.deployment.authorizers[lam["AuthorizerId"]]
    assert found.simple_responses and found.result_ttl == 300 and found.payload_format == "2.0"
    assert served.deployment.authorizers[jwt["AuthorizerId"]].jwt_audience == ("me",)

    gw.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="NONE")
    gw.delete_authorizer(ApiId=api_id, AuthorizerId=jwt["AuthorizerId"])
    gw.reset_authorizers_cache(ApiId=api_id, StageName="$default")
    flushed = served_stage(altus, api_id, "$default")
    assert flushed is not None and flushed.authorizers_flushed == 1


@pytest.mark.parametrize(
    "members",
    [
        {"AuthorizerType": "REQUEST", "AuthorizerUri": INVOCATION},  # no payload version
        {
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": INVOCATION,
            "AuthorizerPayloadFormatVersion": "1.0",
            "EnableSimpleResponses": True,
        },
        {
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": INVOCATION,
            "AuthorizerPayloadFormatVersion": "2.0",
            "AuthorizerResultTtlInSeconds": 3601,
        },
        {"AuthorizerType": "JWT", "JwtConfiguration": {"Issuer": "https://i.example"}},
    ],
)
def test_bad_authorizers_are_refused(gw: Any, members: dict[str, Any]) -> None:
    api_id = _http_api(gw, "badauth")
    code = error(
        gw.create_authorizer,
        ApiId=api_id,
        Name="a",
        IdentitySource=["$request.header.Authorization"],
        **members,
    )[0]
    assert code == "BadRequestException"


# --- stages and deployments ------------------------------------------------------------------


def test_stages_deployments_and_auto_deploy(altus: Harness, gw: Any) -> None:
    api_id = _http_api(gw, "stages")
    assert error(gw.create_deployment, ApiId=api_id)[1] == (
        "Unable to deploy API because no routes exist in this API"
    )
    ident = gw.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri="http://127.0.0.1:9/{proxy}",
        IntegrationMethod="GET",
    )["IntegrationId"]
    gw.create_route(ApiId=api_id, RouteKey="GET /a", Target=f"integrations/{ident}")
    stage = gw.create_stage(
        ApiId=api_id,
        StageName="prod",
        StageVariables={"host": "example.com"},
        DefaultRouteSettings={"ThrottlingRateLimit": 10.0, "ThrottlingBurstLimit": 5},
        RouteSettings={"GET /a": {"ThrottlingRateLimit": 1.0, "ThrottlingBurstLimit": 1}},
        Tags={"env": "prod"},
    )
    assert "DeploymentId" not in stage and served_stage(altus, api_id, "prod") is None
    deployment = gw.create_deployment(ApiId=api_id, StageName="prod", Description="first")
    assert deployment["AutoDeployed"] is False
    served = served_stage(altus, api_id, "prod")
    assert served is not None and served.deployment.id == deployment["DeploymentId"]
    assert served.variables == {"host": "example.com"}
    assert served.throttle.rate == 10.0 and served.throttle.burst == 5
    assert served.route_throttles["GET /a"].rate == 1.0

    # A manual stage keeps serving its deployment after a change...
    gw.create_route(ApiId=api_id, RouteKey="GET /b", Target=f"integrations/{ident}")
    again = served_stage(altus, api_id, "prod")
    assert again is not None and {r.key for r in again.deployment.routes} == {"GET /a"}
    # ...an auto-deploying one follows each change.
    gw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    dev = served_stage(altus, api_id, "dev")
    assert dev is not None and {r.key for r in dev.deployment.routes} == {"GET /a", "GET /b"}
    # An auto-deploying stage takes no deployment by hand.
    for call, members in (
        (gw.create_deployment, {"StageName": "dev"}),
        (gw.update_stage, {"StageName": "dev", "DeploymentId": deployment["DeploymentId"]}),
    ):
        assert error(call, ApiId=api_id, **members)[0] == "BadRequestException"
    gw.create_route(ApiId=api_id, RouteKey="GET /c", Target=f"integrations/{ident}")
    dev = served_stage(altus, api_id, "dev")
    assert dev is not None and len(dev.deployment.routes) == 3
    assert gw.get_deployment(ApiId=api_id, DeploymentId=dev.deployment.id)["AutoDeployed"]

    code, message, _ = error(
        gw.delete_deployment, ApiId=api_id, DeploymentId=deployment["DeploymentId"]
    )
    assert (code, message) == (
        "BadRequestException",
        "Active stages pointing to this deployment must be moved or deleted",
    )
    gw.update_stage(
        ApiId=api_id, StageName="prod", DeploymentId=dev.deployment.id, StageVariables={"b": "2"}
    )
    assert gw.get_stage(ApiId=api_id, StageName="prod")["StageVariables"] == {
        "host": "example.com",
        "b": "2",
    }
    gw.delete_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"])

    gw.delete_route_settings(ApiId=api_id, StageName="prod", RouteKey="GET /a")
    assert gw.get_stage(ApiId=api_id, StageName="prod")["RouteSettings"] == {}
    assert error(gw.delete_route_settings, ApiId=api_id, StageName="prod", RouteKey="GET /a")[
        0
    ] == ("NotFoundException")
    assert error(gw.create_stage, ApiId=api_id, StageName="prod")[0] == "ConflictException"
    for members in (
        {"StageName": "bad name"},
        {"StageName": "vars", "StageVariables": {"bad-name": "x"}},
        {"StageName": "vars", "StageVariables": {"ok": "spaces are not"}},
        {"StageName": "rs", "RouteSettings": {"GET /nope": {"ThrottlingBurstLimit": 1}}},
        {"StageName": "dep", "DeploymentId": "nothere"},
    ):
        assert error(gw.create_stage, ApiId=api_id, **members)[2] in (400, 404)
    gw.delete_stage(ApiId=api_id, StageName="prod")
    assert served_stage(altus, api_id, "prod") is None


def test_disabled_endpoint_reaches_the_served_stage(altus: Harness, gw: Any) -> None:
    api_id = gw.create_api(Name="off", ProtocolType="HTTP", Target=FUNCTION)["ApiId"]
    gw.update_api(ApiId=api_id, DisableExecuteApiEndpoint=True)
    served = served_stage(altus, api_id, "$default")
    assert served is not None and served.endpoint_disabled


def test_cors_is_captured_by_auto_deploy(altus: Harness, gw: Any) -> None:
    api_id = gw.create_api(Name="cors", ProtocolType="HTTP", Target=FUNCTION)["ApiId"]
    gw.update_api(ApiId=api_id, CorsConfiguration={"AllowOrigins": ["https://a.example"]})
    served = served_stage(altus, api_id, "$default")
    assert served is not None and served.deployment.cors is not None
    assert served.deployment.cors.allow_origins == ("https://a.example",)


# --- WebSocket APIs --------------------------------------------------------------------------


def test_websocket_api_routes_responses_and_models(altus: Harness, gw: Any) -> None:
    api = gw.create_api(
        Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    api_id = api["ApiId"]
    assert api["ApiEndpoint"].startswith("ws://")
    integration = gw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=INVOCATION
    )
    target = f"integrations/{integration['IntegrationId']}"
    mock = gw.create_integration(ApiId=api_id, IntegrationType="MOCK")
    auth = gw.create_authorizer(
        ApiId=api_id,
        Name="ws",
        AuthorizerType="REQUEST",
        AuthorizerUri=INVOCATION,
        IdentitySource=["route.request.header.Auth"],
    )
    gw.create_route(
        ApiId=api_id,
        RouteKey="$connect",
        Target=target,
        AuthorizationType="CUSTOM",
        AuthorizerId=auth["AuthorizerId"],
        ApiKeyRequired=True,
    )
    send = gw.create_route(
        ApiId=api_id,
        RouteKey="sendMessage",
        Target=target,
        RouteResponseSelectionExpression="$default",
    )
    assert (
        error(
            gw.create_route,
            ApiId=api_id,
            RouteKey="other",
            AuthorizationType="CUSTOM",
            AuthorizerId=auth["AuthorizerId"],
        )[0]
        == "BadRequestException"
    )
    assert error(gw.create_route, ApiId=api_id, RouteKey="$reserved")[0] == "BadRequestException"
    response = gw.create_route_response(
        ApiId=api_id, RouteId=send["RouteId"], RouteResponseKey="$default"
    )
    assert gw.get_route_responses(ApiId=api_id, RouteId=send["RouteId"])["Items"] == [
        {"RouteResponseId": response["RouteResponseId"], "RouteResponseKey": "$default"}
    ]
    answer = gw.create_integration_response(
        ApiId=api_id, IntegrationId=mock["IntegrationId"], IntegrationResponseKey="/2\\d\\d/"
    )
    assert (
        gw.get_integration_response(
            ApiId=api_id,
            IntegrationId=mock["IntegrationId"],
            IntegrationResponseId=answer["IntegrationResponseId"],
        )["IntegrationResponseKey"]
        == "/2\\d\\d/"
    )
    model = gw.create_model(
        ApiId=api_id, Name="Message", Schema=json.dumps({"type": "object", "properties": {"a": {}}})
    )
    assert gw.get_model(ApiId=api_id, ModelId=model["ModelId"])["ContentType"] == (
        "application/json"
    )
    assert "$inputRoot.a" in gw.get_model_template(ApiId=api_id, ModelId=model["ModelId"])["Value"]
    assert error(gw.create_model, ApiId=api_id, Name="Bad", Schema="{not json")[0] == (
        "BadRequestException"
    )
    gw.create_stage(ApiId=api_id, StageName="live", AutoDeploy=True)
    served = served_stage(altus, api_id, "live")
    assert served is not None and served.deployment.protocol == "WEBSOCKET"
    by_key = {r.key: r for r in served.deployment.routes}
    assert by_key["$connect"].api_key_required and by_key["$connect"].authorizer_id
    assert by_key["sendMessage"].returns_response
    assert served.deployment.route_selection_expression == "$request.body.action"
    assert error(gw.create_stage, ApiId=api_id, StageName="$default")[0] == "BadRequestException"

    gw.delete_route_response(
        ApiId=api_id, RouteId=send["RouteId"], RouteResponseId=response["RouteResponseId"]
    )
    gw.delete_model(ApiId=api_id, ModelId=model["ModelId"])
    gw.delete_api(ApiId=api_id)
    assert served_stage(altus, api_id, "live") is None


def test_responses_request_parameters_deployments_and_log_settings_update(gw: Any) -> None:
    api_id = gw.create_api(
        Name="updates", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    mock = gw.create_integration(ApiId=api_id, IntegrationType="MOCK")["IntegrationId"]
    route = gw.create_route(
        ApiId=api_id,
        RouteKey="echo",
        Target=f"integrations/{mock}",
        RouteResponseSelectionExpression="$default",
        RequestParameters={"route.request.querystring.a": {"Required": True}},
    )["RouteId"]
    other = gw.create_route(ApiId=api_id, RouteKey="other")["RouteId"]

    # Route responses: one key, unique under its route, found only under it.
    made = gw.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
    ident = made["RouteResponseId"]
    assert error(
        gw.create_route_response, ApiId=api_id, RouteId=route, RouteResponseKey="$default"
    )[:2] == ("ConflictException", "Route response with key $default already exists for this route")
    assert error(gw.create_route_response, ApiId=api_id, RouteId=route, RouteResponseKey="x")[
        :2
    ] == ("BadRequestException", "RouteResponseKey must be $default (the one route response key).")
    updated = gw.update_route_response(
        ApiId=api_id, RouteId=route, RouteResponseId=ident, ModelSelectionExpression="$default"
    )
    assert {k: v for k, v in updated.items() if k != "ResponseMetadata"} == {
        "RouteResponseId": ident,
        "RouteResponseKey": "$default",
        "ModelSelectionExpression": "$default",
    }
    assert (
        error(
            gw.update_route_response,
            ApiId=api_id,
            RouteId=route,
            RouteResponseId=ident,
            RouteResponseKey="bad",
        )[0]
        == "BadRequestException"
    )
    assert (
        error(gw.get_route_response, ApiId=api_id, RouteId=other, RouteResponseId=ident)[0]
        == "NotFoundException"
    )
    assert gw.get_route_responses(ApiId=api_id, RouteId=other)["Items"] == []
    assert [
        r["RouteResponseId"] for r in gw.get_route_responses(ApiId=api_id, RouteId=route)["Items"]
    ] == [ident]

    # Integration responses: the same, keyed by $default or a status code pattern.
    answer = gw.create_integration_response(
        ApiId=api_id, IntegrationId=mock, IntegrationResponseKey="$default"
    )["IntegrationResponseId"]
    assert error(
        gw.create_integration_response,
        ApiId=api_id,
        IntegrationId=mock,
        IntegrationResponseKey="$default",
    )[:2] == ("ConflictException", "Integration response with key $default already exists")
    changed = gw.update_integration_response(
        ApiId=api_id,
        IntegrationId=mock,
        IntegrationResponseId=answer,
        IntegrationResponseKey="/4\\d\\d/",
        TemplateSelectionExpression="\\$default",
    )
    assert changed["IntegrationResponseKey"] == "/4\\d\\d/"
    assert changed["TemplateSelectionExpression"] == "\\$default"
    assert "_integration" not in changed
    code, message, status = error(
        gw.update_integration_response,
        ApiId=api_id,
        IntegrationId=mock,
        IntegrationResponseId=answer,
        IntegrationResponseKey="4xx",
    )
    assert (code, status) == ("BadRequestException", 400)
    assert message.startswith("IntegrationResponseKey '4xx' is not valid")
    listed = gw.get_integration_responses(ApiId=api_id, IntegrationId=mock)["Items"]
    assert [r["IntegrationResponseId"] for r in listed] == [answer]

    # DeleteRouteRequestParameter drops one parameter; an unknown one is refused.
    gw.delete_route_request_parameter(
        ApiId=api_id, RouteId=route, RequestParameterKey="route.request.querystring.a"
    )
    assert gw.get_route(ApiId=api_id, RouteId=route)["RequestParameters"] == {}
    assert error(
        gw.delete_route_request_parameter,
        ApiId=api_id,
        RouteId=route,
        RequestParameterKey="route.request.querystring.a",
    )[:2] == (
        "BadRequestException",
        "Invalid request parameter key route.request.querystring.a for this route.",
    )

    # A deployment's description is updated; its snapshot is never answered.
    deployment = gw.create_deployment(ApiId=api_id)["DeploymentId"]
    described = gw.update_deployment(ApiId=api_id, DeploymentId=deployment, Description="v2")
    assert described["Description"] == "v2" and described["DeploymentStatus"] == "DEPLOYED"
    assert gw.get_deployment(ApiId=api_id, DeploymentId=deployment)["Description"] == "v2"
    gw.update_deployment(ApiId=api_id, DeploymentId=deployment)
    assert gw.get_deployment(ApiId=api_id, DeploymentId=deployment)["Description"] == "v2"

    # DeleteAccessLogSettings takes the stage's access logging away, nothing else.
    logs = {
        "DestinationArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:ws",
        "Format": "$context.requestId",
    }
    gw.create_stage(ApiId=api_id, StageName="live", AccessLogSettings=logs, Description="d")
    assert gw.get_stage(ApiId=api_id, StageName="live")["AccessLogSettings"] == logs
    gw.delete_access_log_settings(ApiId=api_id, StageName="live")
    stage = gw.get_stage(ApiId=api_id, StageName="live")
    assert "AccessLogSettings" not in stage and stage["Description"] == "d"

    # The parent's going takes its responses along; HTTP APIs have none.
    gw.delete_route(ApiId=api_id, RouteId=route)
    gw.delete_integration(ApiId=api_id, IntegrationId=mock)
    assert (
        error(gw.get_integration_responses, ApiId=api_id, IntegrationId=mock)[0]
        == "NotFoundException"
    )
    http_api = _http_api(gw, "no-responses")
    assert error(gw.get_route_responses, ApiId=http_api, RouteId="abc1234")[:2] == (
        "BadRequestException",
        "Route responses are supported for WebSocket APIs only.",
    )
    assert error(gw.get_integration_responses, ApiId=http_api, IntegrationId="abc1234")[:2] == (
        "BadRequestException",
        "Integration responses are supported for WebSocket APIs only.",
    )


# --- tags ------------------------------------------------------------------------------------


def test_tags_of_apis_and_stages(gw: Any) -> None:
    api_id = gw.create_api(Name="tags", ProtocolType="HTTP", Target=FUNCTION)["ApiId"]
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api_id}"
    gw.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})
    gw.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert gw.get_tags(ResourceArn=arn)["Tags"] == {"b": "2"}
    stage_arn = f"{arn}/stages/$default"
    gw.tag_resource(ResourceArn=stage_arn, Tags={"s": "x"})
    assert gw.get_tags(ResourceArn=stage_arn)["Tags"] == {"s": "x"}
    missing = "arn:aws:apigateway:us-east-1::/apis/zzzzzzzzzz"
    assert error(gw.get_tags, ResourceArn=missing)[0] == "NotFoundException"


# --- import and export -----------------------------------------------------------------------

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "imported", "version": "2.1"},
    "x-amazon-apigateway-cors": {"allowOrigins": ["https://app.example"], "maxAge": 300},
    "paths": {
        "/pets/{id}": {
            "get": {
                "operationId": "getPet",
                "security": [{"jwt": ["pets:read"]}],
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy",
                    "uri": INVOCATION,
                    "httpMethod": "POST",
                    "payloadFormatVersion": "2.0",
                    "timeoutInMillis": 10000,
                },
            },
            "x-amazon-apigateway-any-method": {
                "security": [{"lam": []}],
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy",
                    "uri": "https://backend.example/pets",
                    "httpMethod": "ANY",
                    "payloadFormatVersion": "1.0",
                },
            },
        },
        "/mapped": {
            "post": {
                "x-amazon-apigateway-integration": {"type": "aws", "uri": INVOCATION},
            }
        },
    },
    "components": {
        "securitySchemes": {
            "jwt": {
                "type": "oauth2",
                "flows": {},
                "x-amazon-apigateway-authorizer": {
                    "type": "jwt",
                    "identitySource": "$request.header.Authorization",
                    "jwtConfiguration": {"issuer": "https://issuer.example", "audience": ["a"]},
                },
            },
            "lam": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authorizer": {
                    "type": "request",
                    "identitySource": "$request.header.Authorization, $request.querystring.k",
                    "authorizerUri": INVOCATION,
                    "authorizerPayloadFormatVersion": "2.0",
                    "enableSimpleResponses": True,
                    "authorizerResultTtlInSeconds": 60,
                },
            },
        }
    },
}


@pytest.mark.parametrize("form", ["yaml", "json"])
def test_import_an_openapi_document(gw: Any, form: str) -> None:
    body = yaml.safe_dump(DOCUMENT) if form == "yaml" else json.dumps(DOCUMENT)
    imported = gw.import_api(Body=body)
    api_id = imported["ApiId"]
    assert imported["Name"] == "imported" and imported["Version"] == "2.1"
    assert imported["CorsConfiguration"]["AllowOrigins"] == ["https://app.example"]
    assert len(imported["Warnings"]) == 1 and "aws" in imported["Warnings"][0]
    routes = {r["RouteKey"]: r for r in gw.get_routes(ApiId=api_id)["Items"]}
    assert set(routes) == {"GET /pets/{id}", "ANY /pets/{id}", "POST /mapped"}
    assert routes["GET /pets/{id}"]["AuthorizationType"] == "JWT"
    assert routes["GET /pets/{id}"]["AuthorizationScopes"] == ["pets:read"]
    assert routes["GET /pets/{id}"]["OperationName"] == "getPet"
    assert routes["ANY /pets/{id}"]["AuthorizationType"] == "CUSTOM"
    assert "Target" not in routes["POST /mapped"]
    authorizers = {a["Name"]: a for a in gw.get_authorizers(ApiId=api_id)["Items"]}
    assert authorizers["lam"]["IdentitySource"] == [
        "$request.header.Authorization",
        "$request.querystring.k",
    ]
    assert authorizers["jwt"]["JwtConfiguration"]["Issuer"] == "https://issuer.example"
    assert gw.get_stages(ApiId=api_id)["Items"] == []  # ImportApi makes no stage

    exported = gw.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")
    document = json.loads(exported["body"].read())
    assert document["info"]["title"] == "imported"
    operation = document["paths"]["/pets/{id}"]["get"]
    assert operation["x-amazon-apigateway-integration"]["timeoutInMillis"] == 10000
    assert operation["security"] == [{"jwt": ["pets:read"]}]
    assert document["x-amazon-apigateway-cors"]["maxAge"] == 300

    # Exported, then imported again: the same routes.
    again = gw.import_api(Body=json.dumps(document))["ApiId"]
    assert {r["RouteKey"] for r in gw.get_routes(ApiId=again)["Items"]} == set(routes)


def test_reimport_replaces_routes_and_auto_deploys(altus: Harness, gw: Any) -> None:
    api_id = gw.create_api(Name="re", ProtocolType="HTTP", Target=FUNCTION)["ApiId"]
    small = {
        "openapi": "3.0.1",
        "info": {"title": "re2"},
        "paths": {
            "/only": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "uri": FUNCTION,
                        "payloadFormatVersion": "1.0",
                    }
                }
            }
        },
    }
    reimported = gw.reimport_api(ApiId=api_id, Body=json.dumps(small))
    assert reimported["ApiId"] == api_id and reimported["Name"] == "re2"
    assert [r["RouteKey"] for r in gw.get_routes(ApiId=api_id)["Items"]] == ["GET /only"]
    served = served_stage(altus, api_id, "$default")
    assert served is not None and [r.key for r in served.deployment.routes] == ["GET /only"]


@pytest.mark.parametrize(
    "body",
    [
        "not: [valid",
        json.dumps({"swagger": "2.0", "info": {"title": "old"}, "paths": {}}),
        json.dumps({"openapi": "3.0.1", "info": {}, "paths": {}}),
        json.dumps(
            {
                "openapi": "3.0.1",
                "info": {"title": "t"},
                "paths": {"/x": {"get": {"security": [{"n": []}]}}},
            }
        ),
    ],
)
def test_bad_documents_are_refused(gw: Any, body: str) -> None:
    before = len(gw.get_apis(MaxResults="500")["Items"])
    assert error(gw.import_api, Body=body)[0] == "BadRequestException"
    assert len(gw.get_apis(MaxResults="500")["Items"]) == before


def test_fail_on_warnings_refuses_the_import(gw: Any) -> None:
    code, message, _ = error(gw.import_api, Body=json.dumps(DOCUMENT), FailOnWarnings=True)
    assert code == "BadRequestException" and "Warnings found during import" in message


def test_unserved_operations_are_refused(gw: Any) -> None:
    code, message, status = error(gw.get_vpc_links)
    assert (code, status) == ("BadRequestException", 400)
    assert "GetVpcLinks" in message


# --- restarts --------------------------------------------------------------------------------


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'altus.db'}"
    with Harness(data_dir=tmp_path, store=store) as first:
        gw = first.client("apigatewayv2")
        api_id = gw.create_api(Name="kept", ProtocolType="HTTP", Target=FUNCTION)["ApiId"]
        gw.create_stage(ApiId=api_id, StageName="named", StageVariables={"v": "1"})
        deployment = gw.create_deployment(ApiId=api_id, StageName="named")["DeploymentId"]
        before = {
            "api": gw.get_api(ApiId=api_id),
            "routes": gw.get_routes(ApiId=api_id)["Items"],
            "stages": gw.get_stages(ApiId=api_id)["Items"],
        }
        served = served_stage(first, api_id, "named")
    with Harness(data_dir=tmp_path, store=store) as again:
        gw = again.client("apigatewayv2")
        assert gw.get_routes(ApiId=api_id)["Items"] == before["routes"]
        assert gw.get_stages(ApiId=api_id)["Items"] == before["stages"]
        assert gw.get_api(ApiId=api_id)["Name"] == "kept"
        restored = served_stage(again, api_id, "named")
        assert restored is not None and restored == served
        assert restored.deployment.id == deployment
        assert served_stage(again, api_id, "$default") is not None


def test_export_of_a_stage_is_its_deployment(gw: Any) -> None:
    api_id = gw.create_api(Name="exp", ProtocolType="HTTP", Target=FUNCTION, RouteKey="GET /a")[
        "ApiId"
    ]
    gw.create_stage(ApiId=api_id, StageName="fixed")
    gw.create_deployment(ApiId=api_id, StageName="fixed")
    gw.create_route(ApiId=api_id, RouteKey="GET /later")

    def paths(**members: Any) -> set[str]:
        body = gw.export_api(ApiId=api_id, Specification="OAS30", OutputType="YAML", **members)
        return set(yaml.safe_load(body["body"].read())["paths"])

    assert paths(StageName="fixed") == {"/a"}
    assert paths() == {"/a", "/later"}
    bare = gw.export_api(
        ApiId=api_id, Specification="OAS30", OutputType="JSON", IncludeExtensions=False
    )
    assert "x-amazon-apigateway" not in bare["body"].read().decode()
    assert (
        error(
            gw.export_api,
            ApiId=api_id,
            Specification="OAS30",
            OutputType="JSON",
            StageName="nostage",
        )[0]
        == "NotFoundException"
    )
