"""The ``AWS::ApiGatewayV2::*`` providers against the in-process server: each type made,
updated in place, deleted (again, and after an interrupted create), checked with boto3;
a SAM-shaped HTTP API (an OpenAPI body with payload 2.0 Lambda integrations, a
``$default`` stage with AutoDeploy) and a quick-created one served through the
execute-api front door with a function behind them, at the ``ApiEndpoint`` the provider
answers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from altus.cloudformation.providers.apigatewayv2 import PROVIDERS
from altus.cloudformation.providers.base import Current, ResourceFailed
from tests.functional import cloudformation_providers
from tests.functional.cloudformation_providers import (
    ACCOUNT,
    REGION,
    World,
    allow,
    create,
    delete,
    delete_twice,
    lambda_uri,
    missing,
    update,
)

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

API = PROVIDERS["AWS::ApiGatewayV2::Api"]
STAGE = PROVIDERS["AWS::ApiGatewayV2::Stage"]
ROUTE = PROVIDERS["AWS::ApiGatewayV2::Route"]
INTEGRATION = PROVIDERS["AWS::ApiGatewayV2::Integration"]
DEPLOYMENT = PROVIDERS["AWS::ApiGatewayV2::Deployment"]
AUTHORIZER = PROVIDERS["AWS::ApiGatewayV2::Authorizer"]
ROUTE_RESPONSE = PROVIDERS["AWS::ApiGatewayV2::RouteResponse"]
INTEGRATION_RESPONSE = PROVIDERS["AWS::ApiGatewayV2::IntegrationResponse"]
MODEL = PROVIDERS["AWS::ApiGatewayV2::Model"]


@pytest.fixture(scope="module")
def v2(world: World) -> Any:
    return world.client("apigatewayv2")


def _answer_path(event: dict[str, Any], context: Any) -> dict[str, Any]:
    answer = {"version": event.get("version"), "path": event.get("rawPath")}
    return {"statusCode": 200, "body": json.dumps(answer)}


@pytest.fixture(scope="module")
def function_arn(world: World) -> str:
    """A function API Gateway may invoke for any API, answering with its event's version
    and path."""
    arn = str(world.harness.create_function("httpapi-handler", _answer_path)["FunctionArn"])
    allow(world, "httpapi-handler", "*")
    return arn


def test_replacement_properties_and_attributes() -> None:
    assert API.replaced_by == {"ProtocolType"}
    assert API.attributes == {"ApiEndpoint", "ApiId"}
    assert STAGE.replaced_by == {"ApiId", "StageName"}
    for provider, ident in (
        (ROUTE, "RouteId"),
        (INTEGRATION, "IntegrationId"),
        (DEPLOYMENT, "DeploymentId"),
        (AUTHORIZER, "AuthorizerId"),
        (MODEL, "ModelId"),
    ):
        assert provider.replaced_by == {"ApiId"}
        assert provider.attributes == {ident}
    assert ROUTE_RESPONSE.replaced_by == {"ApiId", "RouteId"}
    assert INTEGRATION_RESPONSE.replaced_by == {"ApiId", "IntegrationId"}


def test_http_api_made_updated_and_deleted(world: World, v2: Any) -> None:
    props: dict[str, Any] = {
        "Name": "plain-http",
        "ProtocolType": "HTTP",
        "Description": "first",
        "CorsConfiguration": {"AllowOrigins": ["https://example.com"], "MaxAge": "60"},
        "Tags": {"owner": "me"},
    }
    api = create(world, API, "Plain", props)
    api_id = str(api.physical_id)
    found = v2.get_api(ApiId=api_id)
    assert (found["Name"], found["Description"]) == ("plain-http", "first")
    assert found["CorsConfiguration"] == {"AllowOrigins": ["https://example.com"], "MaxAge": 60}
    assert found["Tags"] == {"team": "altus", "owner": "me"}
    # Altus serves the API below its own address (no url_domain): the path form.
    assert api.attributes == {
        "ApiId": api_id,
        "ApiEndpoint": f"{world.harness.url}/_aws/execute-api/{api_id}",
    }

    api = update(
        world,
        API,
        api,
        {"Name": "plain-http-2", "ProtocolType": "HTTP", "DisableExecuteApiEndpoint": "true"},
    )
    found = v2.get_api(ApiId=api_id)
    assert found["Name"] == "plain-http-2" and found["DisableExecuteApiEndpoint"] is True
    assert not found.get("Description") and "CorsConfiguration" not in found
    assert found["Tags"] == {"team": "altus"}
    assert api.attributes["ApiEndpoint"].endswith(f"/_aws/execute-api/{api_id}")

    delete(world, API, Current("Plain", None, api.properties))
    assert missing(v2.get_api, ApiId=api_id)
    delete(world, API, api)
    with pytest.raises(ResourceFailed, match="required key \\[ProtocolType\\]"):
        create(world, API, "Protocolless", {"Name": "x"})


def _openapi(arn: str, paths: list[str]) -> dict[str, Any]:
    """A definition as SAM's ``AWS::Serverless::HttpApi`` writes it (intrinsics
    resolved)."""
    integration = {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": lambda_uri(arn),
        "payloadFormatVersion": "2.0",
    }
    return {
        "openapi": "3.0.1",
        "info": {"title": "teststack", "version": "1.0"},
        "paths": {
            path: {"get": {"x-amazon-apigateway-integration": integration, "responses": {}}}
            for path in paths
        },
        "tags": [{"name": "httpapi:createdBy", "x-amazon-apigateway-tag-value": "SAM"}],
    }


def test_sam_shaped_http_api_served(world: World, v2: Any) -> None:
    function_arn = world.harness.create_function("sam-http", _answer_path)["FunctionArn"]
    api = create(world, API, "ServerlessHttpApi", {"Body": _openapi(function_arn, ["/hello"])})
    api_id = str(api.physical_id)
    allow(world, "sam-http", f"{api_id}/*/GET/hello")
    found = v2.get_api(ApiId=api_id)
    assert found["Name"] == "teststack" and found["ProtocolType"] == "HTTP"
    assert found["Tags"]["team"] == "altus"
    stage = create(
        world,
        STAGE,
        "ServerlessHttpApiApiGatewayDefaultStage",
        {
            "ApiId": api_id,
            "StageName": "$default",
            "AutoDeploy": True,
            "Tags": {"httpapi:createdBy": "SAM"},
        },
    )
    assert stage.physical_id == "$default"
    assert v2.get_stage(ApiId=api_id, StageName="$default")["Tags"] == {
        "team": "altus",
        "httpapi:createdBy": "SAM",
    }
    endpoint = api.attributes["ApiEndpoint"]
    with httpx.Client(timeout=30) as http:
        answer = http.get(f"{endpoint}/hello")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"version": "2.0", "path": "/hello"}

        api = update(
            world,
            API,
            api,
            {"Body": _openapi(function_arn, ["/hello", "/bye"]), "Name": "named-now"},
        )
        assert v2.get_api(ApiId=api_id)["Name"] == "named-now"
        allow(world, "sam-http", f"{api_id}/*/GET/bye")
        # The reimport auto-deploys to the $default stage.
        answer = http.get(f"{endpoint}/bye")
        assert answer.status_code == 200, answer.text
        assert answer.json()["path"] == "/bye"

    delete(world, STAGE, Current(stage.logical_id, None, stage.properties))
    assert missing(v2.get_stage, ApiId=api_id, StageName="$default")
    delete(world, STAGE, stage)
    delete(world, API, api)
    assert missing(v2.get_api, ApiId=api_id)


def test_http_api_body_from_s3(world: World, v2: Any, function_arn: str) -> None:
    s3 = world.client("s3")
    s3.create_bucket(Bucket="cfn-httpapi-bodies")
    text = json.dumps(_openapi(function_arn, ["/s3"]))
    put = s3.put_object(Bucket="cfn-httpapi-bodies", Key="api.json", Body=text.encode())
    location = {"Bucket": "cfn-httpapi-bodies", "Key": "api.json", "Etag": put["ETag"]}
    api = create(world, API, "FromS3", {"BodyS3Location": location, "Name": "from-s3"})
    assert v2.get_api(ApiId=api.physical_id)["Name"] == "from-s3"
    routes = v2.get_routes(ApiId=api.physical_id)["Items"]
    assert [r["RouteKey"] for r in routes] == ["GET /s3"]
    with pytest.raises(ResourceFailed, match="Target"):
        create(world, API, "Both", {"BodyS3Location": location, "Target": function_arn})
    delete(world, API, api)


def test_quick_created_api_served(world: World, v2: Any, function_arn: str) -> None:
    props = {"Name": "quick", "ProtocolType": "HTTP", "Target": function_arn}
    api = create(world, API, "Quick", props)
    api_id = str(api.physical_id)
    assert [s["StageName"] for s in v2.get_stages(ApiId=api_id)["Items"]] == ["$default"]
    with httpx.Client(timeout=30) as http:
        answer = http.get(f"{api.attributes['ApiEndpoint']}/anything")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"version": "2.0", "path": "/anything"}
        api = update(world, API, api, {**props, "RouteKey": "GET /only"})
        assert http.get(f"{api.attributes['ApiEndpoint']}/anything").status_code == 404
        assert http.get(f"{api.attributes['ApiEndpoint']}/only").status_code == 200
    delete(world, API, api)


def test_http_routes_integrations_authorizers_stages(
    world: World, v2: Any, function_arn: str
) -> None:
    api = create(world, API, "Parts", {"Name": "parts", "ProtocolType": "HTTP"})
    api_id = str(api.physical_id)
    integration = create(
        world,
        INTEGRATION,
        "Integration",
        {
            "ApiId": api_id,
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": function_arn,
            "PayloadFormatVersion": "2.0",
            "Description": "the function",
        },
    )
    integration_id = str(integration.physical_id)
    assert integration.attributes == {"IntegrationId": integration_id}
    integration = update(
        world,
        INTEGRATION,
        integration,
        {
            **{k: v for k, v in integration.properties.items() if k != "Description"},
            "TimeoutInMillis": "5000",
        },
    )
    found = v2.get_integration(ApiId=api_id, IntegrationId=integration_id)
    assert found["TimeoutInMillis"] == 5000 and not found.get("Description")

    authorizer = create(
        world,
        AUTHORIZER,
        "Jwt",
        {
            "ApiId": api_id,
            "Name": "jwt",
            "AuthorizerType": "JWT",
            "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {"Issuer": "https://issuer.example", "Audience": ["a"]},
        },
    )
    authorizer = update(
        world,
        AUTHORIZER,
        authorizer,
        {
            **authorizer.properties,
            "JwtConfiguration": {"Issuer": "https://issuer.example", "Audience": ["b"]},
        },
    )
    found = v2.get_authorizer(ApiId=api_id, AuthorizerId=authorizer.physical_id)
    assert found["JwtConfiguration"]["Audience"] == ["b"]

    route_props = {
        "ApiId": api_id,
        "RouteKey": "GET /items",
        "Target": f"integrations/{integration_id}",
        "AuthorizationType": "JWT",
        "AuthorizerId": authorizer.physical_id,
        "AuthorizationScopes": ["read"],
    }
    route = create(world, ROUTE, "Route", route_props)
    route = update(
        world,
        ROUTE,
        route,
        {"ApiId": api_id, "RouteKey": "GET /things", "Target": f"integrations/{integration_id}"},
    )
    found = v2.get_route(ApiId=api_id, RouteId=route.physical_id)
    assert found["RouteKey"] == "GET /things" and found["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in found and not found.get("AuthorizationScopes")

    stage_props: dict[str, Any] = {
        "ApiId": api_id,
        "StageName": "dev",
        "AutoDeploy": True,
        "Description": "dev stage",
        "StageVariables": {"color": "blue", "size": "M"},
        "DefaultRouteSettings": {"ThrottlingBurstLimit": 10, "ThrottlingRateLimit": "5.5"},
        "RouteSettings": json.dumps({"GET /things": {"ThrottlingBurstLimit": 2}}),
        "AccessLogSettings": {
            "DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:access",
            "Format": "$context.requestId",
        },
    }
    stage = create(world, STAGE, "Dev", stage_props)
    found = v2.get_stage(ApiId=api_id, StageName="dev")
    assert found["StageVariables"] == {"color": "blue", "size": "M"}
    assert found["DefaultRouteSettings"]["ThrottlingRateLimit"] == 5.5
    assert found["RouteSettings"]["GET /things"]["ThrottlingBurstLimit"] == 2
    assert found["AccessLogSettings"]["Format"] == "$context.requestId"
    with httpx.Client(timeout=30) as http:
        answer = http.get(f"{api.attributes['ApiEndpoint']}/dev/things")
        assert answer.status_code == 200, answer.text
    stage = update(
        world,
        STAGE,
        stage,
        {"ApiId": api_id, "StageName": "dev", "AutoDeploy": True, "StageVariables": {"size": "L"}},
    )
    found = v2.get_stage(ApiId=api_id, StageName="dev")
    assert found["StageVariables"] == {"size": "L"}
    assert not found.get("RouteSettings") and "AccessLogSettings" not in found
    assert not found.get("Description")
    assert found["Tags"] == {"team": "altus"}

    # An interrupted create of a route is found by its key; of an authorizer by its name.
    delete(world, ROUTE, Current("Route", None, {"ApiId": api_id, "RouteKey": "GET /things"}))
    assert missing(v2.get_route, ApiId=api_id, RouteId=route.physical_id)
    delete(world, ROUTE, route)
    delete(world, AUTHORIZER, Current("Jwt", None, authorizer.properties))
    assert missing(v2.get_authorizer, ApiId=api_id, AuthorizerId=authorizer.physical_id)
    delete(world, AUTHORIZER, authorizer)
    delete_twice(
        world,
        INTEGRATION,
        integration,
        v2.get_integration,
        ApiId=api_id,
        IntegrationId=integration_id,
    )
    delete_twice(world, STAGE, stage, v2.get_stage, ApiId=api_id, StageName="dev")
    delete(world, API, api)


def test_websocket_api_parts(world: World, v2: Any, function_arn: str) -> None:
    api = create(
        world,
        API,
        "Sockets",
        {
            "Name": "sockets",
            "ProtocolType": "WEBSOCKET",
            "RouteSelectionExpression": "$request.body.action",
        },
    )
    api_id = str(api.physical_id)
    assert api.attributes["ApiEndpoint"] == (
        "ws" + world.harness.url.removeprefix("http") + f"/_aws/execute-api/{api_id}"
    )
    integration = create(
        world,
        INTEGRATION,
        "Integration",
        {
            "ApiId": api_id,
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": lambda_uri(function_arn),
        },
    )
    route = create(
        world,
        ROUTE,
        "SendRoute",
        {
            "ApiId": api_id,
            "RouteKey": "send",
            "Target": f"integrations/{integration.physical_id}",
            "RouteResponseSelectionExpression": "$default",
        },
    )
    response = create(
        world,
        ROUTE_RESPONSE,
        "SendResponse",
        {"ApiId": api_id, "RouteId": route.physical_id, "RouteResponseKey": "$default"},
    )
    assert response.attributes == {"RouteResponseId": response.physical_id}
    response = update(
        world,
        ROUTE_RESPONSE,
        response,
        {**response.properties, "ModelSelectionExpression": "$request.body.kind"},
    )
    found = v2.get_route_response(
        ApiId=api_id, RouteId=route.physical_id, RouteResponseId=response.physical_id
    )
    assert found["ModelSelectionExpression"] == "$request.body.kind"

    mock = create(world, INTEGRATION, "Mock", {"ApiId": api_id, "IntegrationType": "MOCK"})
    answer = create(
        world,
        INTEGRATION_RESPONSE,
        "MockAnswer",
        {
            "ApiId": api_id,
            "IntegrationId": mock.physical_id,
            "IntegrationResponseKey": "$default",
            "ResponseTemplates": {"application/json": '{"ok": true}'},
        },
    )
    answer = update(
        world,
        INTEGRATION_RESPONSE,
        answer,
        {
            **{k: v for k, v in answer.properties.items() if k != "ResponseTemplates"},
            "TemplateSelectionExpression": "x",
        },
    )
    found = v2.get_integration_response(
        ApiId=api_id, IntegrationId=mock.physical_id, IntegrationResponseId=answer.physical_id
    )
    assert found["TemplateSelectionExpression"] == "x" and not found.get("ResponseTemplates")

    model = create(
        world,
        MODEL,
        "Model",
        {"ApiId": api_id, "Name": "Message", "Schema": {"type": "object"}, "Description": "m"},
    )
    model = update(world, MODEL, model, {"ApiId": api_id, "Name": "Message", "Schema": "{}"})
    found = v2.get_model(ApiId=api_id, ModelId=model.physical_id)
    assert found["Schema"] == "{}" and not found.get("Description")

    authorizer = create(
        world,
        AUTHORIZER,
        "Auth",
        {
            "ApiId": api_id,
            "Name": "tokens",
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": lambda_uri(function_arn),
            "IdentitySource": ["route.request.header.Auth"],
        },
    )

    deployment = create(world, DEPLOYMENT, "Deployment", {"ApiId": api_id, "Description": "one"})
    stage = create(
        world,
        STAGE,
        "Production",
        {"ApiId": api_id, "StageName": "production", "DeploymentId": deployment.physical_id},
    )
    second = create(world, DEPLOYMENT, "Deployment2", {"ApiId": api_id})
    second = update(
        world,
        DEPLOYMENT,
        second,
        {"ApiId": api_id, "Description": "two", "StageName": "production"},
    )
    assert v2.get_stage(ApiId=api_id, StageName="production")["DeploymentId"] == second.physical_id
    assert v2.get_deployment(ApiId=api_id, DeploymentId=second.physical_id)["Description"] == "two"
    delete(world, DEPLOYMENT, deployment)
    assert missing(v2.get_deployment, ApiId=api_id, DeploymentId=deployment.physical_id)
    # Still serving the stage: left to its API.
    delete(world, DEPLOYMENT, second)
    assert v2.get_deployment(ApiId=api_id, DeploymentId=second.physical_id)

    for kind, current in (
        (ROUTE_RESPONSE, response),
        (INTEGRATION_RESPONSE, answer),
        (MODEL, model),
        (AUTHORIZER, authorizer),
    ):
        delete(world, kind, Current(current.logical_id, None, current.properties))
        delete(world, kind, current)
    assert v2.get_route_responses(ApiId=api_id, RouteId=route.physical_id)["Items"] == []
    assert v2.get_integration_responses(ApiId=api_id, IntegrationId=mock.physical_id)["Items"] == []
    assert v2.get_models(ApiId=api_id)["Items"] == []
    assert v2.get_authorizers(ApiId=api_id)["Items"] == []
    delete(world, STAGE, stage)
    delete(world, DEPLOYMENT, second)
    assert missing(v2.get_deployment, ApiId=api_id, DeploymentId=second.physical_id)
    delete(world, API, api)
    delete(world, API, api)
