"""The ``AWS::ApiGateway::*`` providers against the in-process server: each type made,
updated in place, deleted (again, and after an interrupted create), checked with boto3;
and a SAM-shaped REST API (a Swagger body, a deployment with a stage of its own, a
``Prod`` stage) served through the execute-api front door with a function behind it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from altus.cloudformation.providers.apigateway import PROVIDERS
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
    interrupted,
    lambda_uri,
    missing,
    update,
)

#: The module's server and contexts (a fixture, found by its name).
world = cloudformation_providers.world

REST_API = PROVIDERS["AWS::ApiGateway::RestApi"]
RESOURCE = PROVIDERS["AWS::ApiGateway::Resource"]
METHOD = PROVIDERS["AWS::ApiGateway::Method"]
DEPLOYMENT = PROVIDERS["AWS::ApiGateway::Deployment"]
STAGE = PROVIDERS["AWS::ApiGateway::Stage"]
AUTHORIZER = PROVIDERS["AWS::ApiGateway::Authorizer"]
MODEL = PROVIDERS["AWS::ApiGateway::Model"]
VALIDATOR = PROVIDERS["AWS::ApiGateway::RequestValidator"]
GATEWAY_RESPONSE = PROVIDERS["AWS::ApiGateway::GatewayResponse"]
API_KEY = PROVIDERS["AWS::ApiGateway::ApiKey"]
USAGE_PLAN = PROVIDERS["AWS::ApiGateway::UsagePlan"]
USAGE_PLAN_KEY = PROVIDERS["AWS::ApiGateway::UsagePlanKey"]
ACCOUNT_SETTINGS = PROVIDERS["AWS::ApiGateway::Account"]


@pytest.fixture(scope="module")
def apigw(world: World) -> Any:
    return world.client("apigateway")


def _answer_path(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps({"path": event["path"], "via": "rest"})}


@pytest.fixture(scope="module")
def function_arn(world: World) -> str:
    """A function for integrations and authorizers (no permission: these APIs are not
    invoked)."""
    return str(world.harness.create_function("restapi-handler", _answer_path)["FunctionArn"])


def rest_api(world: World, logical_id: str = "Api", **props: Any) -> Current:
    return create(world, REST_API, logical_id, {"Name": f"api-{logical_id}", **props})


def test_replacement_properties_and_attributes() -> None:
    assert REST_API.replaced_by == frozenset()
    assert REST_API.attributes == {"RestApiId", "RootResourceId"}
    assert RESOURCE.replaced_by == {"RestApiId", "ParentId", "PathPart"}
    assert METHOD.replaced_by == {"RestApiId", "ResourceId", "HttpMethod"}
    assert DEPLOYMENT.replaced_by == {"RestApiId", "DeploymentCanarySettings"}
    assert DEPLOYMENT.attributes == {"DeploymentId"}
    assert STAGE.replaced_by == {"RestApiId", "StageName"}
    assert AUTHORIZER.replaced_by == {"RestApiId"}
    assert MODEL.replaced_by == {"RestApiId", "Name", "ContentType"}
    assert VALIDATOR.replaced_by == {"RestApiId", "Name"}
    assert GATEWAY_RESPONSE.replaced_by == {"RestApiId", "ResponseType"}
    assert API_KEY.replaced_by == {"GenerateDistinctId", "Name", "Value"}
    assert API_KEY.attributes == {"APIKeyId"}
    assert USAGE_PLAN_KEY.replaced_by == {"KeyId", "UsagePlanId", "KeyType"}


def test_rest_api_made_updated_and_deleted(world: World, apigw: Any) -> None:
    api = rest_api(
        world,
        "Plain",
        Description="first",
        BinaryMediaTypes=["image~1png"],
        EndpointConfiguration={"Types": ["REGIONAL"]},
        MinimumCompressionSize="1024",
        Policy={"Version": "2012-10-17", "Statement": []},
        Tags=[{"Key": "owner", "Value": "me"}],
    )
    found = apigw.get_rest_api(restApiId=api.physical_id)
    assert found["name"] == "api-Plain"
    assert found["description"] == "first"
    assert found["binaryMediaTypes"] == ["image/png"]
    assert found["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert found["minimumCompressionSize"] == 1024
    assert json.loads(found["policy"]) == {"Version": "2012-10-17", "Statement": []}
    assert found["tags"] == {"team": "altus", "owner": "me"}
    assert api.attributes == {
        "RestApiId": api.physical_id,
        "RootResourceId": found["rootResourceId"],
    }

    api = update(
        world,
        REST_API,
        api,
        {
            "Name": "api-Plain-2",
            "BinaryMediaTypes": ["image~1gif"],
            "ApiKeySourceType": "AUTHORIZER",
            "Tags": [{"Key": "stage", "Value": "two"}],
        },
    )
    found = apigw.get_rest_api(restApiId=api.physical_id)
    assert found["name"] == "api-Plain-2"
    # What the template dropped returns to API Gateway's default.
    assert "description" not in found and "policy" not in found
    assert "minimumCompressionSize" not in found
    assert found["binaryMediaTypes"] == ["image/gif"]
    assert found["endpointConfiguration"]["types"] == ["EDGE"]
    assert found["apiKeySource"] == "AUTHORIZER"
    assert found["tags"] == {"team": "altus", "stage": "two"}

    delete_twice(world, REST_API, api, apigw.get_rest_api, restApiId=api.physical_id)


def test_rest_api_refusals(world: World) -> None:
    with pytest.raises(ResourceFailed, match="required key \\[Name\\]"):
        create(world, REST_API, "Nameless", {})
    with pytest.raises(ResourceFailed, match="CloneFrom"):
        create(world, REST_API, "Clone", {"Name": "clone", "CloneFrom": "abc"})


def test_rest_api_interrupted_create_is_found(world: World, apigw: Any) -> None:
    body = {"swagger": "2.0", "info": {"version": "1"}, "paths": {}}
    ctx = world.context("Untitled", seed="interrupted")
    made = world.run(REST_API.create(ctx, "Untitled", {"Body": body}))
    # No Name and no title: the API keeps the generated name, found again by it.
    assert apigw.get_rest_api(restApiId=made.physical_id)["name"].startswith("teststack-Untitled-")
    world.run(
        REST_API.delete(
            world.context("Untitled", seed="interrupted"),
            Current("Untitled", None, {"Body": body}),
        )
    )
    assert missing(apigw.get_rest_api, restApiId=made.physical_id)

    named = rest_api(world, "Named", Name="only-one-of-these")
    delete(world, REST_API, Current("Named", None, named.properties))
    assert missing(apigw.get_rest_api, restApiId=named.physical_id)


def _swagger(arn: str, paths: list[str], title: str = "from-body") -> dict[str, Any]:
    """A definition as SAM's ``AWS::Serverless::Api`` writes it (intrinsics resolved)."""
    integration = {
        "httpMethod": "POST",
        "type": "aws_proxy",
        "uri": lambda_uri(arn),
    }
    return {
        "swagger": "2.0",
        "info": {"version": "1.0", "title": title},
        "paths": {
            path: {"get": {"x-amazon-apigateway-integration": integration, "responses": {}}}
            for path in paths
        },
        "x-amazon-apigateway-binary-media-types": ["application/octet-stream"],
    }


def test_sam_shaped_rest_api_served(world: World, apigw: Any) -> None:
    function_arn = world.harness.create_function("sam-rest", _answer_path)["FunctionArn"]
    props = {"Name": "sam-api", "Body": _swagger(function_arn, ["/hello"])}
    api = create(world, REST_API, "ServerlessRestApi", props)
    api_id = str(api.physical_id)
    allow(world, "sam-rest", f"{api_id}/*/GET/hello")
    found = apigw.get_rest_api(restApiId=api_id)
    # The template's Name wins over the document's title.
    assert found["name"] == "sam-api"
    assert found["binaryMediaTypes"] == ["application/octet-stream"]
    deployment = create(
        world,
        DEPLOYMENT,
        "ServerlessRestApiDeployment1a2b3c",
        {"RestApiId": api_id, "Description": "RestApi deployment id: 1a2b3c", "StageName": "Stage"},
    )
    prod = create(
        world,
        STAGE,
        "ServerlessRestApiProdStage",
        {"RestApiId": api_id, "DeploymentId": deployment.physical_id, "StageName": "Prod"},
    )
    assert prod.physical_id == "Prod"
    stages = {s["stageName"] for s in apigw.get_stages(restApiId=api_id)["item"]}
    assert stages == {"Stage", "Prod"}

    base = f"{world.harness.url}/_aws/execute-api/{api_id}"
    with httpx.Client(timeout=30) as http:
        answer = http.get(f"{base}/Prod/hello")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"path": "/hello", "via": "rest"}

        # SAM's next deploy: a changed body, a new deployment (a new hashed logical id),
        # the stage moved to it, the old deployment deleted in cleanup.
        api = update(
            world,
            REST_API,
            api,
            {"Name": "sam-api", "Body": _swagger(function_arn, ["/hello", "/bye"])},
        )
        second = create(
            world,
            DEPLOYMENT,
            "ServerlessRestApiDeployment4d5e6f",
            {
                "RestApiId": api_id,
                "Description": "RestApi deployment id: 4d5e6f",
                "StageName": "Stage",
            },
        )
        prod = update(world, STAGE, prod, {**prod.properties, "DeploymentId": second.physical_id})
        delete(world, DEPLOYMENT, deployment)
        allow(world, "sam-rest", f"{api_id}/*/GET/bye")
        assert missing(apigw.get_deployment, restApiId=api_id, deploymentId=deployment.physical_id)
        answer = http.get(f"{base}/Prod/bye")
        assert answer.status_code == 200, answer.text
        assert answer.json()["path"] == "/bye"

    delete(world, STAGE, prod)
    delete(world, DEPLOYMENT, second)
    # The stage the deployment's StageName made goes with it.
    assert apigw.get_stages(restApiId=api_id)["item"] == []
    delete(world, REST_API, api)
    delete(world, DEPLOYMENT, second)
    delete(world, STAGE, prod)


def test_rest_api_body_from_s3(world: World, apigw: Any, function_arn: str) -> None:
    s3 = world.client("s3")
    s3.create_bucket(Bucket="cfn-apigw-bodies")
    text = json.dumps(_swagger(function_arn, ["/s3"], title="titled"))
    put = s3.put_object(Bucket="cfn-apigw-bodies", Key="api.json", Body=text.encode())
    location = {"Bucket": "cfn-apigw-bodies", "Key": "api.json", "ETag": put["ETag"]}
    api = create(world, REST_API, "FromS3", {"BodyS3Location": location})
    # No Name: the document's title names it.
    assert apigw.get_rest_api(restApiId=api.physical_id)["name"] == "titled"
    paths = {r["path"] for r in apigw.get_resources(restApiId=api.physical_id)["items"]}
    assert paths == {"/", "/s3"}
    api = update(world, REST_API, api, {"BodyS3Location": location, "Name": "named"})
    assert apigw.get_rest_api(restApiId=api.physical_id)["name"] == "named"
    # The template's Name dropped: the document names it again.
    api = update(world, REST_API, api, {"BodyS3Location": location})
    assert apigw.get_rest_api(restApiId=api.physical_id)["name"] == "titled"
    with pytest.raises(ResourceFailed, match="ETag"):
        create(world, REST_API, "Stale", {"BodyS3Location": {**location, "ETag": "0" * 32}})
    delete(world, REST_API, api)


def test_resource_and_method(world: World, apigw: Any, function_arn: str) -> None:
    api = rest_api(world, "Tree")
    api_id, root = str(api.physical_id), api.attributes["RootResourceId"]
    pets = create(
        world, RESOURCE, "Pets", {"RestApiId": api_id, "ParentId": root, "PathPart": "pets"}
    )
    assert pets.attributes == {"ResourceId": pets.physical_id}
    assert apigw.get_resource(restApiId=api_id, resourceId=pets.physical_id)["path"] == "/pets"

    props: dict[str, Any] = {
        "RestApiId": api_id,
        "ResourceId": pets.physical_id,
        "HttpMethod": "get",
        "RequestParameters": {"method.request.querystring.kind": "true"},
        "MethodResponses": [
            {"StatusCode": 200, "ResponseParameters": {"method.response.header.X-Kind": False}}
        ],
        "Integration": {
            "Type": "MOCK",
            "RequestTemplates": {"application/json": '{"statusCode": 200}'},
            "IntegrationResponses": [
                {
                    "StatusCode": "200",
                    "ResponseParameters": {"method.response.header.X-Kind": "'cat'"},
                }
            ],
        },
    }
    method = create(world, METHOD, "PetsGet", props)
    assert method.physical_id == f"{api_id}|{pets.physical_id}|GET"
    found = apigw.get_method(restApiId=api_id, resourceId=pets.physical_id, httpMethod="GET")
    assert found["requestParameters"] == {"method.request.querystring.kind": True}
    assert found["methodResponses"]["200"]["responseParameters"] == {
        "method.response.header.X-Kind": False
    }
    integration = found["methodIntegration"]
    assert integration["type"] == "MOCK"
    assert integration["integrationResponses"]["200"]["responseParameters"] == {
        "method.response.header.X-Kind": "'cat'"
    }

    changed = {
        **props,
        "ApiKeyRequired": "true",
        "RequestParameters": {"method.request.header.X-Id": False},
        "MethodResponses": [{"StatusCode": "201"}],
        "Integration": {
            "Type": "AWS_PROXY",
            "IntegrationHttpMethod": "POST",
            "Uri": lambda_uri(function_arn),
        },
    }
    method = update(world, METHOD, method, changed)
    found = apigw.get_method(restApiId=api_id, resourceId=pets.physical_id, httpMethod="GET")
    assert found["apiKeyRequired"] is True
    assert found["requestParameters"] == {"method.request.header.X-Id": False}
    assert set(found["methodResponses"]) == {"201"}
    assert found["methodIntegration"]["type"] == "AWS_PROXY"
    assert "integrationResponses" not in found["methodIntegration"]

    delete(world, METHOD, Current("PetsGet", None, changed))
    assert missing(
        apigw.get_method, restApiId=api_id, resourceId=pets.physical_id, httpMethod="GET"
    )
    delete(world, METHOD, method)
    delete(world, RESOURCE, Current("Pets", None, pets.properties))
    assert missing(apigw.get_resource, restApiId=api_id, resourceId=pets.physical_id)
    delete(world, RESOURCE, pets)
    delete(world, REST_API, api)


def test_authorizer_model_validator_gateway_response(
    world: World, apigw: Any, function_arn: str
) -> None:
    api = rest_api(world, "Parts")
    api_id = str(api.physical_id)

    authorizer = create(
        world,
        AUTHORIZER,
        "Auth",
        {
            "RestApiId": api_id,
            "Name": "tokens",
            "Type": "TOKEN",
            "AuthorizerUri": lambda_uri(function_arn),
            "IdentitySource": "method.request.header.Authorization",
        },
    )
    found = apigw.get_authorizer(restApiId=api_id, authorizerId=authorizer.physical_id)
    assert found["authorizerResultTtlInSeconds"] == 300
    assert authorizer.attributes == {"AuthorizerId": authorizer.physical_id}
    authorizer = update(
        world,
        AUTHORIZER,
        authorizer,
        {**authorizer.properties, "Name": "tokens-2", "AuthorizerResultTtlInSeconds": "60"},
    )
    found = apigw.get_authorizer(restApiId=api_id, authorizerId=authorizer.physical_id)
    assert (found["name"], found["authorizerResultTtlInSeconds"]) == ("tokens-2", 60)
    delete(world, AUTHORIZER, Current("Auth", None, authorizer.properties))
    assert missing(apigw.get_authorizer, restApiId=api_id, authorizerId=authorizer.physical_id)
    delete(world, AUTHORIZER, authorizer)

    model = create(
        world,
        MODEL,
        "PetModel",
        {"RestApiId": api_id, "Schema": {"type": "object"}, "Description": "a pet"},
    )
    assert str(model.physical_id).isalnum()
    found = apigw.get_model(restApiId=api_id, modelName=model.physical_id)
    assert (json.loads(found["schema"]), found["contentType"]) == (
        {"type": "object"},
        "application/json",
    )
    model = update(world, MODEL, model, {"RestApiId": api_id, "Schema": '{"type": "array"}'})
    found = apigw.get_model(restApiId=api_id, modelName=model.physical_id)
    assert found["schema"] == '{"type": "array"}' and "description" not in found
    made = interrupted(world, MODEL, "PetModel", {"RestApiId": api_id})
    assert missing(apigw.get_model, restApiId=api_id, modelName=made.physical_id)
    delete_twice(
        world, MODEL, model, apigw.get_model, restApiId=api_id, modelName=model.physical_id
    )

    validator = create(
        world,
        VALIDATOR,
        "Validator",
        {"RestApiId": api_id, "Name": "body-only", "ValidateRequestBody": True},
    )
    validator = update(
        world,
        VALIDATOR,
        validator,
        {"RestApiId": api_id, "Name": "body-only", "ValidateRequestParameters": "true"},
    )
    found = apigw.get_request_validator(restApiId=api_id, requestValidatorId=validator.physical_id)
    assert (found["validateRequestBody"], found["validateRequestParameters"]) == (False, True)
    delete(world, VALIDATOR, Current("Validator", None, validator.properties))
    assert missing(
        apigw.get_request_validator, restApiId=api_id, requestValidatorId=validator.physical_id
    )
    delete(world, VALIDATOR, validator)

    response = create(
        world,
        GATEWAY_RESPONSE,
        "NotFound",
        {
            "RestApiId": api_id,
            "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
            "StatusCode": 404,
            "ResponseTemplates": {"application/json": '{"message": "nothing here"}'},
        },
    )
    assert response.attributes == {"Id": response.physical_id}
    found = apigw.get_gateway_response(
        restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN"
    )
    assert (found["statusCode"], found["defaultResponse"]) == ("404", False)
    response = update(
        world,
        GATEWAY_RESPONSE,
        response,
        {"RestApiId": api_id, "ResponseType": "MISSING_AUTHENTICATION_TOKEN", "StatusCode": "410"},
    )
    found = apigw.get_gateway_response(
        restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN"
    )
    assert (found["statusCode"], found["responseTemplates"]) == ("410", {})
    delete(world, GATEWAY_RESPONSE, Current("NotFound", None, response.properties))
    found = apigw.get_gateway_response(
        restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN"
    )
    assert found["defaultResponse"] is True
    delete(world, GATEWAY_RESPONSE, response)
    delete(world, REST_API, api)


def _served_api(world: World, logical_id: str, function_arn: str) -> tuple[str, Current, Current]:
    """An API with one method deployed: its id, the API and its deployment."""
    api = create(
        world, REST_API, logical_id, {"Body": _swagger(function_arn, ["/x"], title=logical_id)}
    )
    deployment = create(
        world, DEPLOYMENT, f"{logical_id}Deployment", {"RestApiId": api.physical_id}
    )
    return str(api.physical_id), api, deployment


def test_stage_and_deployment_settings(world: World, apigw: Any, function_arn: str) -> None:
    api_id, api, deployment = _served_api(world, "Staged", function_arn)
    props: dict[str, Any] = {
        "RestApiId": api_id,
        "DeploymentId": deployment.physical_id,
        "StageName": "live",
        "Description": "the live one",
        "Variables": {"color": "blue"},
        "TracingEnabled": True,
        "MethodSettings": [
            {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingBurstLimit": 10},
            {"ResourcePath": "/~1x", "HttpMethod": "GET", "MetricsEnabled": "true"},
        ],
        "AccessLogSetting": {
            "DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:access",
            "Format": "$context.requestId",
        },
        "Tags": [{"Key": "tier", "Value": "gold"}],
    }
    stage = create(world, STAGE, "Live", props)
    found = apigw.get_stage(restApiId=api_id, stageName="live")
    assert found["description"] == "the live one" and found["variables"] == {"color": "blue"}
    assert found["tracingEnabled"] is True
    assert found["methodSettings"]["*/*"]["throttlingBurstLimit"] == 10
    assert found["methodSettings"]["~1x/GET"]["metricsEnabled"] is True
    assert found["accessLogSettings"]["format"] == "$context.requestId"
    assert found["tags"] == {"team": "altus", "tier": "gold"}

    props = {
        "RestApiId": api_id,
        "DeploymentId": deployment.physical_id,
        "StageName": "live",
        "Variables": {"color": "red", "size": "L"},
        "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingBurstLimit": 20}],
    }
    stage = update(world, STAGE, stage, props)
    found = apigw.get_stage(restApiId=api_id, stageName="live")
    assert "description" not in found and "accessLogSettings" not in found
    assert found["tracingEnabled"] is False
    assert found["variables"] == {"color": "red", "size": "L"}
    assert set(found["methodSettings"]) == {"*/*"}
    assert found["methodSettings"]["*/*"]["throttlingBurstLimit"] == 20
    assert found.get("tags") == {"team": "altus"}
    delete(world, STAGE, Current("Live", None, props))
    assert missing(apigw.get_stage, restApiId=api_id, stageName="live")
    delete(world, STAGE, stage)

    named = create(
        world,
        DEPLOYMENT,
        "WithStage",
        {
            "RestApiId": api_id,
            "StageName": "beta",
            "StageDescription": {
                "Description": "beta stage",
                "Variables": {"v": "1"},
                "MetricsEnabled": True,
                "MethodSettings": [
                    {"ResourcePath": "/x", "HttpMethod": "GET", "ThrottlingRateLimit": 5}
                ],
            },
        },
    )
    found = apigw.get_stage(restApiId=api_id, stageName="beta")
    assert found["deploymentId"] == named.physical_id
    assert found["description"] == "beta stage" and found["variables"] == {"v": "1"}
    assert found["methodSettings"]["*/*"]["metricsEnabled"] is True
    assert found["methodSettings"]["~1x/GET"]["throttlingRateLimit"] == 5.0
    named = update(
        world,
        DEPLOYMENT,
        named,
        {
            "RestApiId": api_id,
            "Description": "described",
            "StageName": "beta",
            "StageDescription": {"Description": "beta again"},
        },
    )
    assert apigw.get_deployment(restApiId=api_id, deploymentId=named.physical_id)[
        "description"
    ] == ("described")
    found = apigw.get_stage(restApiId=api_id, stageName="beta")
    assert found["description"] == "beta again" and "variables" not in found
    assert found["methodSettings"] == {}
    # Named another stage: made on this deployment (the old one stays on it too).
    named = update(world, DEPLOYMENT, named, {**named.properties, "StageName": "gamma"})
    found = apigw.get_stage(restApiId=api_id, stageName="gamma")
    assert (found["deploymentId"], found["description"]) == (named.physical_id, "beta again")
    with pytest.raises(ResourceFailed, match="canary"):
        create(
            world,
            DEPLOYMENT,
            "Canary",
            {"RestApiId": api_id, "DeploymentCanarySettings": {"PercentTraffic": 10}},
        )
    delete(world, DEPLOYMENT, named)
    assert missing(apigw.get_stage, restApiId=api_id, stageName="beta")
    assert missing(apigw.get_stage, restApiId=api_id, stageName="gamma")
    delete(world, DEPLOYMENT, named)
    delete(world, DEPLOYMENT, deployment)
    delete(world, REST_API, api)


def test_api_keys_usage_plans_and_account(world: World, apigw: Any, function_arn: str) -> None:
    api_id, api, deployment = _served_api(world, "Metered", function_arn)
    stage = create(
        world,
        STAGE,
        "MeteredStage",
        {"RestApiId": api_id, "DeploymentId": deployment.physical_id, "StageName": "v1"},
    )
    key = create(world, API_KEY, "Key", {"Enabled": True, "Description": "first"})
    found = apigw.get_api_key(apiKey=key.physical_id)
    assert found["name"].startswith("teststack-Key-") and found["enabled"] is True
    assert found["tags"] == {"team": "altus"}
    key = update(world, API_KEY, key, {"Description": "second", "CustomerId": "c1"})
    found = apigw.get_api_key(apiKey=key.physical_id)
    assert (found["description"], found["customerId"], found["enabled"]) == ("second", "c1", False)

    plan = create(
        world,
        USAGE_PLAN,
        "Plan",
        {
            "ApiStages": [{"ApiId": api_id, "Stage": "v1"}],
            "Throttle": {"BurstLimit": 10, "RateLimit": 5},
            "Quota": {"Limit": 100, "Period": "DAY"},
        },
    )
    assert plan.attributes == {"Id": plan.physical_id}
    found = apigw.get_usage_plan(usagePlanId=plan.physical_id)
    assert found["apiStages"] == [{"apiId": api_id, "stage": "v1"}]
    assert found["throttle"] == {"burstLimit": 10, "rateLimit": 5.0}
    assert found["quota"] == {"limit": 100, "offset": 0, "period": "DAY"}
    plan = update(
        world,
        USAGE_PLAN,
        plan,
        {
            "UsagePlanName": "renamed",
            "ApiStages": [
                {"ApiId": api_id, "Stage": "v1", "Throttle": {"/x/GET": {"BurstLimit": 3}}}
            ],
            "Throttle": {"BurstLimit": 10},
            "Quota": {"Limit": 50, "Period": "WEEK"},
        },
    )
    found = apigw.get_usage_plan(usagePlanId=plan.physical_id)
    assert found["name"] == "renamed" and found["throttle"] == {"burstLimit": 10}
    assert found["quota"] == {"limit": 50, "offset": 0, "period": "WEEK"}
    assert found["apiStages"] == [
        {"apiId": api_id, "stage": "v1", "throttle": {"/x/GET": {"burstLimit": 3}}}
    ]

    plan_key = create(
        world,
        USAGE_PLAN_KEY,
        "PlanKey",
        {"KeyId": key.physical_id, "KeyType": "API_KEY", "UsagePlanId": plan.physical_id},
    )
    assert plan_key.physical_id == key.physical_id
    assert apigw.get_usage_plan_key(usagePlanId=plan.physical_id, keyId=key.physical_id)
    delete(world, USAGE_PLAN_KEY, Current("PlanKey", None, plan_key.properties))
    assert missing(apigw.get_usage_plan_key, usagePlanId=plan.physical_id, keyId=key.physical_id)
    delete(world, USAGE_PLAN_KEY, plan_key)

    # A plan with API stages is emptied, then deleted.
    delete_twice(world, USAGE_PLAN, plan, apigw.get_usage_plan, usagePlanId=plan.physical_id)
    made = interrupted(world, USAGE_PLAN, "Plan2", {})
    assert missing(apigw.get_usage_plan, usagePlanId=made.physical_id)

    delete(world, API_KEY, Current("Key", None, {}))  # another seed: nothing of its name
    assert apigw.get_api_key(apiKey=key.physical_id)
    delete_twice(world, API_KEY, key, apigw.get_api_key, apiKey=key.physical_id)
    made = interrupted(world, API_KEY, "Key2", {})
    assert missing(apigw.get_api_key, apiKey=made.physical_id)

    role = f"arn:aws:iam::{ACCOUNT}:role/apigateway-logs"
    account = create(world, ACCOUNT_SETTINGS, "Account", {"CloudWatchRoleArn": role})
    assert apigw.get_account()["cloudwatchRoleArn"] == role
    account = update(world, ACCOUNT_SETTINGS, account, {"CloudWatchRoleArn": role + "-2"})
    assert apigw.get_account()["cloudwatchRoleArn"] == role + "-2"
    delete(world, ACCOUNT_SETTINGS, account)
    # The account's settings stay, as CloudFormation leaves them.
    assert apigw.get_account()["cloudwatchRoleArn"] == role + "-2"

    delete(world, STAGE, stage)
    delete(world, DEPLOYMENT, deployment)
    delete(world, REST_API, api)
