"""API Gateway's REST API control plane through boto3: REST APIs, resources, methods,
integrations, deployments and stages (and the snapshots the front door reads),
authorizers, models, validators, gateway responses, tags, the account, API keys and
usage plans, OpenAPI imports and exports, patch operations, AWS's errors, and
restarts."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from altus.gateway.deployed import ApiDirectory
from altus.testing import Harness
from tests.functional import apigateway_helpers as helpers
from tests.functional.apigateway_helpers import ACCOUNT, LAMBDA_URI, REGION

altus = helpers.altus
apigw = helpers.apigw


def _directory(altus: Harness) -> ApiDirectory:
    assert altus.platform is not None
    found: ApiDirectory = altus.platform.component("apigateway").directory
    return found


def _error(call: Any, **members: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**members)
    error = raised.value.response
    return (
        error["Error"]["Code"],
        error["Error"]["Message"],
        error["ResponseMetadata"]["HTTPStatusCode"],
    )


def _proxy_api(apigw: Any, name: str = "pets") -> tuple[str, str, str]:
    """An API with ``GET /pets`` to a function: (api id, root id, /pets id)."""
    api = apigw.create_rest_api(name=name)
    pets = apigw.create_resource(
        restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets"
    )
    apigw.put_method(
        restApiId=api["id"], resourceId=pets["id"], httpMethod="GET", authorizationType="NONE"
    )
    apigw.put_integration(
        restApiId=api["id"],
        resourceId=pets["id"],
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=LAMBDA_URI,
    )
    return api["id"], api["rootResourceId"], pets["id"]


# --- REST APIs ---------------------------------------------------------------------------


def test_a_rest_api_is_made_with_its_root_and_default_models(apigw: Any) -> None:
    api = apigw.create_rest_api(
        name="shop",
        description="the shop",
        binaryMediaTypes=["image/png"],
        apiKeySource="AUTHORIZER",
        endpointConfiguration={"types": ["REGIONAL"]},
        disableExecuteApiEndpoint=True,
        tags={"team": "a"},
    )
    assert len(api["id"]) == 10 and api["id"].isalnum() and api["id"] == api["id"].lower()
    assert api["apiKeySource"] == "AUTHORIZER" and api["disableExecuteApiEndpoint"] is True
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    got = apigw.get_rest_api(restApiId=api["id"])
    assert got["name"] == "shop" and got["tags"] == {"team": "a"}
    assert got["binaryMediaTypes"] == ["image/png"] and "createdDate" in got
    resources = apigw.get_resources(restApiId=api["id"])["items"]
    assert resources == [{"id": api["rootResourceId"], "path": "/"}]
    models = {m["name"]: m for m in apigw.get_models(restApiId=api["id"])["items"]}
    assert set(models) == {"Empty", "Error"}
    assert models["Error"]["contentType"] == "application/json"
    assert "Error Schema" in models["Error"]["schema"]
    apigw.delete_rest_api(restApiId=api["id"])
    assert _error(apigw.get_rest_api, restApiId=api["id"]) == (
        "NotFoundException",
        f"Invalid API identifier specified {ACCOUNT}:{api['id']}",
        404,
    )


def test_rest_apis_are_listed_in_pages(apigw: Any) -> None:
    made = [apigw.create_rest_api(name=f"paged-{i}")["id"] for i in range(3)]
    seen: list[str] = []
    position = None
    for _ in range(50):
        page = apigw.get_rest_apis(limit=1, **({"position": position} if position else {}))
        assert len(page["items"]) <= 1
        seen += [a["id"] for a in page["items"]]
        position = page.get("position")
        if position is None:
            break
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    for api_id in made:
        apigw.delete_rest_api(restApiId=api_id)


def test_update_rest_api_applies_patch_operations(apigw: Any) -> None:
    api_id = apigw.create_rest_api(name="before")["id"]
    updated = apigw.update_rest_api(
        restApiId=api_id,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "after"},
            {"op": "add", "path": "/binaryMediaTypes/image~1jpeg"},
            {"op": "add", "path": "/binaryMediaTypes/application~1octet-stream"},
            {"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "true"},
            {"op": "replace", "path": "/endpointConfiguration/types/EDGE", "value": "REGIONAL"},
        ],
    )
    assert updated["name"] == "after" and updated["disableExecuteApiEndpoint"] is True
    assert updated["binaryMediaTypes"] == ["image/jpeg", "application/octet-stream"]
    assert updated["endpointConfiguration"]["types"] == ["REGIONAL"]
    updated = apigw.update_rest_api(
        restApiId=api_id,
        patchOperations=[{"op": "remove", "path": "/binaryMediaTypes/image~1jpeg"}],
    )
    assert updated["binaryMediaTypes"] == ["application/octet-stream"]
    code, message, status = _error(
        apigw.update_rest_api,
        restApiId=api_id,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "lost"},
            {"op": "replace", "path": "/nope", "value": "x"},
        ],
    )
    assert (code, status) == ("BadRequestException", 400)
    assert message.startswith("Invalid patch path  '/nope' specified for op 'replace'. Must be")
    # Bad input changes nothing: the first operation of the refused call was not kept.
    assert apigw.get_rest_api(restApiId=api_id)["name"] == "after"
    code, message, _ = _error(
        apigw.update_rest_api,
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/apiKeySource", "value": "COOKIE"}],
    )
    assert code == "BadRequestException" and "COOKIE" in message
    apigw.delete_rest_api(restApiId=api_id)


# --- resources ---------------------------------------------------------------------------


def test_resources_follow_path_part_rules(apigw: Any) -> None:
    api = apigw.create_rest_api(name="tree")
    api_id, root = api["id"], api["rootResourceId"]
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    assert len(pets["id"]) == 6 and pets["path"] == "/pets" and pets["parentId"] == root
    pet = apigw.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="{petId}")
    assert pet["path"] == "/pets/{petId}"
    toys = apigw.create_resource(restApiId=api_id, parentId=pet["id"], pathPart="toys")
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")
    assert proxy["path"] == "/{proxy+}"
    assert _error(apigw.create_resource, restApiId=api_id, parentId=root, pathPart="pets") == (
        "ConflictException",
        "Another resource with the same parent already has this name: pets",
        409,
    )
    code, message, _ = _error(
        apigw.create_resource, restApiId=api_id, parentId=pets["id"], pathPart="{other}"
    )
    assert code == "BadRequestException" and "only one is allowed" in message
    code, _, _ = _error(
        apigw.create_resource, restApiId=api_id, parentId=proxy["id"], pathPart="below"
    )
    assert code == "BadRequestException"
    code, message, _ = _error(
        apigw.create_resource, restApiId=api_id, parentId=root, pathPart="bad path"
    )
    assert code == "BadRequestException" and message.startswith("Resource's path part only")
    assert _error(apigw.get_resource, restApiId=api_id, resourceId="zzzzzz") == (
        "NotFoundException",
        "Invalid Resource identifier specified",
        404,
    )
    # Renaming a resource moves the paths below it.
    apigw.update_resource(
        restApiId=api_id,
        resourceId=pets["id"],
        patchOperations=[{"op": "replace", "path": "/pathPart", "value": "animals"}],
    )
    assert apigw.get_resource(restApiId=api_id, resourceId=toys["id"])["path"] == (
        "/animals/{petId}/toys"
    )
    # Deleting a resource deletes what is under it.
    apigw.delete_resource(restApiId=api_id, resourceId=pets["id"])
    paths = {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert paths == {"/", "/{proxy+}"}
    apigw.delete_rest_api(restApiId=api_id)


# --- methods and integrations ------------------------------------------------------------


def test_methods_responses_and_integrations_round_trip(apigw: Any) -> None:
    api_id, _, pets = _proxy_api(apigw, "methods")
    key = {"restApiId": api_id, "resourceId": pets, "httpMethod": "GET"}
    method = apigw.get_method(**key)
    assert method["authorizationType"] == "NONE" and method["apiKeyRequired"] is False
    integration = method["methodIntegration"]
    assert integration["type"] == "AWS_PROXY" and integration["httpMethod"] == "POST"
    assert integration["uri"] == LAMBDA_URI and integration["timeoutInMillis"] == 29000
    assert _error(apigw.put_method, **key, authorizationType="NONE")[0] == "ConflictException"
    apigw.put_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="POST",
        authorizationType="AWS_IAM",
        apiKeyRequired=True,
        operationName="CreatePet",
        requestParameters={"method.request.header.x-trace": False},
    )
    post = {"restApiId": api_id, "resourceId": pets, "httpMethod": "POST"}
    assert _error(apigw.get_integration, **post) == (
        "NotFoundException",
        "No integration defined for method",
        404,
    )
    apigw.put_integration(
        **post,
        type="HTTP_PROXY",
        integrationHttpMethod="ANY",
        uri="http://127.0.0.1:9/pets",
        timeoutInMillis=1000,
    )
    apigw.put_method_response(**post, statusCode="201")
    apigw.put_integration_response(**post, statusCode="201", selectionPattern="")
    got = apigw.get_method(**post)
    assert got["apiKeyRequired"] is True and got["operationName"] == "CreatePet"
    assert got["methodResponses"]["201"]["statusCode"] == "201"
    assert got["methodIntegration"]["integrationResponses"]["201"]["statusCode"] == "201"
    updated = apigw.update_method(
        **post,
        patchOperations=[
            {"op": "replace", "path": "/apiKeyRequired", "value": "false"},
            {"op": "replace", "path": "/authorizationType", "value": "NONE"},
        ],
    )
    assert updated["apiKeyRequired"] is False and updated["authorizationType"] == "NONE"
    updated_integration = apigw.update_integration(
        **post, patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "2000"}]
    )
    assert updated_integration["timeoutInMillis"] == 2000
    code, message, _ = _error(
        apigw.update_integration,
        **post,
        patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "30000"}],
    )
    assert code == "BadRequestException" and "between 50 ms and 29000 ms" in message
    assert _error(apigw.put_integration, **post, type="AWS_PROXY", uri=LAMBDA_URI)[1] == (
        "Enumeration value for HttpMethod must be non-empty"
    )
    assert _error(apigw.get_method, restApiId=api_id, resourceId=pets, httpMethod="DELETE") == (
        "NotFoundException",
        "Invalid Method identifier specified",
        404,
    )
    code, _, _ = _error(
        apigw.put_method,
        restApiId=api_id,
        resourceId=pets,
        httpMethod="PUT",
        authorizationType="CUSTOM",
        authorizerId="nosuch",
    )
    assert code == "BadRequestException"
    apigw.delete_integration_response(**post, statusCode="201")
    apigw.delete_method_response(**post, statusCode="201")
    apigw.delete_integration(**post)
    apigw.delete_method(**post)
    assert _error(apigw.get_method, **post)[0] == "NotFoundException"
    embedded = apigw.get_resource(restApiId=api_id, resourceId=pets, embed=["methods"])
    assert embedded["resourceMethods"]["GET"]["methodIntegration"]["type"] == "AWS_PROXY"
    plain = apigw.get_resource(restApiId=api_id, resourceId=pets)
    assert plain["resourceMethods"] == {"GET": {}}
    apigw.delete_rest_api(restApiId=api_id)


# --- deployments and stages --------------------------------------------------------------


def test_deployments_refuse_empty_apis_and_methods_without_integrations(apigw: Any) -> None:
    api = apigw.create_rest_api(name="empty")
    assert _error(apigw.create_deployment, restApiId=api["id"], stageName="dev") == (
        "BadRequestException",
        "The REST API doesn't contain any methods",
        400,
    )
    apigw.put_method(
        restApiId=api["id"],
        resourceId=api["rootResourceId"],
        httpMethod="GET",
        authorizationType="NONE",
    )
    assert _error(apigw.create_deployment, restApiId=api["id"], stageName="dev") == (
        "BadRequestException",
        "No integration defined for method",
        400,
    )
    assert apigw.get_stages(restApiId=api["id"])["item"] == []
    apigw.delete_rest_api(restApiId=api["id"])


def test_a_deployment_is_a_snapshot_the_stage_serves(altus: Harness, apigw: Any) -> None:
    api_id, root, pets = _proxy_api(apigw, "snap")
    first = apigw.create_deployment(
        restApiId=api_id, stageName="prod", variables={"alias": "live"}, description="v1"
    )
    assert len(first["id"]) == 6 and first["description"] == "v1"
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert stage["deploymentId"] == first["id"] and stage["variables"] == {"alias": "live"}
    directory = _directory(altus)
    assert directory.protocol(api_id) == "REST"
    served = directory.stage(api_id, "prod")
    assert served is not None and served.variables == {"alias": "live"}
    assert [r.key for r in served.deployment.routes] == ["GET /pets"]
    route = served.deployment.routes[0]
    assert route.id == pets and route.path == "/pets" and route.method == "GET"
    assert route.integration is not None and route.integration.uri == LAMBDA_URI
    # An edit is not served until it is deployed.
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="ANY", type="MOCK")
    served = directory.stage(api_id, "prod")
    assert served is not None and [r.key for r in served.deployment.routes] == ["GET /pets"]
    second = apigw.create_deployment(restApiId=api_id, stageName="prod")
    served = directory.stage(api_id, "prod")
    assert served is not None
    assert sorted(r.key for r in served.deployment.routes) == ["ANY /", "GET /pets"]
    assert served.deployment.id == second["id"]
    # Stage settings take effect without a deployment.
    apigw.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/variables/alias", "value": "blue"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "10"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "20"},
            {"op": "replace", "path": "/~1pets/GET/throttling/burstLimit", "value": "2"},
            {"op": "replace", "path": "/description", "value": "production"},
            {"op": "replace", "path": "/tracingEnabled", "value": "true"},
        ],
    )
    got = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert got["methodSettings"]["*/*"]["throttlingRateLimit"] == 10.0
    assert got["methodSettings"]["~1pets/GET"]["throttlingBurstLimit"] == 2
    assert got["tracingEnabled"] is True and got["description"] == "production"
    served = directory.stage(api_id, "prod")
    assert served is not None and served.variables == {"alias": "blue"}
    assert (served.throttle.rate, served.throttle.burst) == (10.0, 20)
    assert served.route_throttles["/pets/GET"].burst == 2
    apigw.flush_stage_authorizers_cache(restApiId=api_id, stageName="prod")
    apigw.flush_stage_cache(restApiId=api_id, stageName="prod")
    served = directory.stage(api_id, "prod")
    assert served is not None and served.authorizers_flushed == 1
    # A deployment in use cannot be deleted; one not in use can.
    assert _error(apigw.delete_deployment, restApiId=api_id, deploymentId=second["id"]) == (
        "BadRequestException",
        "Active stages pointing to this deployment must be moved or deleted",
        400,
    )
    summary = apigw.get_deployment(
        restApiId=api_id, deploymentId=second["id"], embed=["apisummary"]
    )
    assert summary["apiSummary"]["/pets"]["GET"] == {
        "authorizationType": "NONE",
        "apiKeyRequired": False,
    }
    logged = apigw.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": "arn:logs"},
            {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
        ],
    )
    assert logged["accessLogSettings"] == {
        "destinationArn": "arn:logs",
        "format": "$context.requestId",
    }
    apigw.delete_deployment(restApiId=api_id, deploymentId=first["id"])
    assert [d["id"] for d in apigw.get_deployments(restApiId=api_id)["items"]] == [second["id"]]
    # Stages by CreateStage; the stage moves by patch.
    third = apigw.create_deployment(restApiId=api_id, description="unstaged")
    apigw.create_stage(restApiId=api_id, stageName="beta", deploymentId=second["id"])
    assert _error(
        apigw.create_stage, restApiId=api_id, stageName="beta", deploymentId=second["id"]
    ) == ("ConflictException", "Stage already exists", 409)
    apigw.update_stage(
        restApiId=api_id,
        stageName="beta",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": third["id"]}],
    )
    assert (
        apigw.get_stages(restApiId=api_id, deploymentId=third["id"])["item"][0]["stageName"]
        == "beta"
    )
    code, message, _ = _error(
        apigw.update_stage,
        restApiId=api_id,
        stageName="beta",
        patchOperations=[{"op": "replace", "path": "/bogus", "value": "x"}],
    )
    assert code == "BadRequestException" and message.startswith("Invalid patch path  '/bogus'")
    apigw.delete_stage(restApiId=api_id, stageName="beta")
    assert _error(apigw.get_stage, restApiId=api_id, stageName="beta") == (
        "NotFoundException",
        "Invalid stage identifier specified",
        404,
    )
    assert directory.stage(api_id, "beta") is None
    apigw.delete_rest_api(restApiId=api_id)
    assert directory.stage(api_id, "prod") is None and directory.protocol(api_id) is None


# --- authorizers, validators, models, gateway responses ----------------------------------


def test_authorizers_round_trip_and_reach_the_snapshot(altus: Harness, apigw: Any) -> None:
    api_id, _, pets = _proxy_api(apigw, "auth")
    token = apigw.create_authorizer(
        restApiId=api_id,
        name="token",
        type="TOKEN",
        authorizerUri=LAMBDA_URI,
        identitySource="method.request.header.Authorization",
        identityValidationExpression="^Bearer .+$",
    )
    assert token["authorizerResultTtlInSeconds"] == 300 and len(token["id"]) == 6
    code, _, _ = _error(
        apigw.create_authorizer,
        restApiId=api_id,
        name="bad",
        type="TOKEN",
        authorizerUri=LAMBDA_URI,
        identitySource="method.request.querystring.token",
    )
    assert code == "BadRequestException"
    code, _, _ = _error(
        apigw.create_authorizer,
        restApiId=api_id,
        name="bad",
        type="REQUEST",
        authorizerUri=LAMBDA_URI,
        identitySource="method.request.header.A",
        authorizerResultTtlInSeconds=3601,
    )
    assert code == "BadRequestException"
    request = apigw.create_authorizer(
        restApiId=api_id,
        name="request",
        type="REQUEST",
        authorizerUri=LAMBDA_URI,
        identitySource="method.request.header.A, method.request.querystring.b",
        authorizerResultTtlInSeconds=0,
    )
    apigw.update_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "CUSTOM"},
            {"op": "replace", "path": "/authorizerId", "value": token["id"]},
        ],
    )
    updated = apigw.update_authorizer(
        restApiId=api_id,
        authorizerId=token["id"],
        patchOperations=[{"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "60"}],
    )
    assert updated["authorizerResultTtlInSeconds"] == 60
    names = {a["name"] for a in apigw.get_authorizers(restApiId=api_id)["items"]}
    assert names == {"token", "request"}
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    served = _directory(altus).stage(api_id, "dev")
    assert served is not None
    assert served.deployment.routes[0].authorization_type == "CUSTOM"
    assert served.deployment.routes[0].authorizer_id == token["id"]
    kept = served.deployment.authorizers[token["id"]]
    assert kept.identity_sources == ("method.request.header.Authorization",)
    assert kept.identity_validation_expression == "^Bearer .+$" and kept.result_ttl == 60
    assert served.deployment.authorizers[request["id"]].identity_sources == (
        "method.request.header.A",
        "method.request.querystring.b",
    )
    apigw.delete_authorizer(restApiId=api_id, authorizerId=request["id"])
    assert _error(apigw.get_authorizer, restApiId=api_id, authorizerId=request["id"]) == (
        "NotFoundException",
        "Invalid Authorizer identifier specified",
        404,
    )
    apigw.delete_rest_api(restApiId=api_id)


def test_validators_models_and_gateway_responses(altus: Harness, apigw: Any) -> None:
    api_id, _, _ = _proxy_api(apigw, "parts")
    validator = apigw.create_request_validator(
        restApiId=api_id, name="body", validateRequestBody=True
    )
    assert validator["validateRequestParameters"] is False
    apigw.update_request_validator(
        restApiId=api_id,
        requestValidatorId=validator["id"],
        patchOperations=[{"op": "replace", "path": "/validateRequestParameters", "value": "true"}],
    )
    got = apigw.get_request_validator(restApiId=api_id, requestValidatorId=validator["id"])
    assert got["validateRequestParameters"] is True
    assert len(apigw.get_request_validators(restApiId=api_id)["items"]) == 1
    apigw.delete_request_validator(restApiId=api_id, requestValidatorId=validator["id"])

    apigw.create_model(
        restApiId=api_id, name="Pet", contentType="application/json", schema='{"type":"object"}'
    )
    assert _error(apigw.create_model, restApiId=api_id, name="Pet", contentType="application/json")[
        0
    ] == ("ConflictException")
    apigw.update_model(
        restApiId=api_id,
        modelName="Pet",
        patchOperations=[{"op": "replace", "path": "/description", "value": "a pet"}],
    )
    assert apigw.get_model(restApiId=api_id, modelName="Pet")["description"] == "a pet"
    apigw.delete_model(restApiId=api_id, modelName="Pet")
    assert _error(apigw.get_model, restApiId=api_id, modelName="Pet")[0] == "NotFoundException"

    responses = apigw.get_gateway_responses(restApiId=api_id)["items"]
    by_type = {r["responseType"]: r for r in responses}
    assert len(by_type) == 21 and all(r["defaultResponse"] for r in responses)
    assert by_type["UNAUTHORIZED"]["statusCode"] == "401"
    assert by_type["QUOTA_EXCEEDED"]["statusCode"] == "429"
    assert "statusCode" not in by_type["DEFAULT_4XX"]
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="UNAUTHORIZED",
        statusCode="401",
        responseParameters={"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
        responseTemplates={"application/json": '{"error":"no"}'},
    )
    got = apigw.get_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")
    assert got["defaultResponse"] is False
    apigw.update_gateway_response(
        restApiId=api_id,
        responseType="THROTTLED",
        patchOperations=[{"op": "replace", "path": "/statusCode", "value": "503"}],
    )
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    served = _directory(altus).stage(api_id, "dev")
    assert served is not None
    unauthorized = served.deployment.gateway_responses["UNAUTHORIZED"]
    assert unauthorized.status == 401
    assert unauthorized.headers == {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"}
    assert served.deployment.gateway_responses["THROTTLED"].status == 503
    apigw.delete_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")
    assert apigw.get_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")[
        "defaultResponse"
    ]
    apigw.delete_rest_api(restApiId=api_id)


def test_tags_and_the_account(apigw: Any) -> None:
    api_id, _, _ = _proxy_api(apigw, "tagged")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    arn = f"arn:aws:apigateway:{REGION}::/restapis/{api_id}"
    apigw.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    apigw.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"b": "2"}
    stage_arn = f"{arn}/stages/dev"
    apigw.tag_resource(resourceArn=stage_arn, tags={"s": "x"})
    assert apigw.get_stage(restApiId=api_id, stageName="dev")["tags"] == {"s": "x"}
    assert apigw.get_tags(resourceArn=stage_arn)["tags"] == {"s": "x"}
    account = apigw.get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    role = f"arn:aws:iam::{ACCOUNT}:role/apigw-logs"
    apigw.update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
    )
    assert apigw.get_account()["cloudwatchRoleArn"] == role
    apigw.delete_rest_api(restApiId=api_id)


def test_services_altus_does_not_serve_are_refused(apigw: Any) -> None:
    code, message, status = _error(apigw.get_domain_names)
    assert (code, status) == ("BadRequestException", 400) and "GetDomainNames" in message
    code, _, _ = _error(apigw.get_vpc_links)
    assert code == "BadRequestException"


# --- API keys and usage plans ------------------------------------------------------------


def test_api_keys_usage_plans_and_counting(altus: Harness, apigw: Any) -> None:
    api_id, _, _ = _proxy_api(apigw, "metered")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    key = apigw.create_api_key(
        name="partner",
        enabled=True,
        customerId="c-1",
        stageKeys=[{"restApiId": api_id, "stageName": "prod"}],
    )
    assert len(key["value"]) == 40 and key["stageKeys"] == [f"{api_id}/prod"]
    assert "value" not in apigw.get_api_key(apiKey=key["id"])
    assert apigw.get_api_key(apiKey=key["id"], includeValue=True)["value"] == key["value"]
    given = apigw.create_api_key(name="given", value="v" * 30)
    assert given["enabled"] is False
    found = apigw.get_api_keys(nameQuery="part", includeValues=True)["items"]
    assert [k["id"] for k in found] == [key["id"]] and found[0]["value"] == key["value"]
    assert [k["id"] for k in apigw.get_api_keys(customerId="c-1")["items"]] == [key["id"]]
    assert _error(apigw.create_api_key, name="dup", value="v" * 30)[0] == "ConflictException"
    assert _error(apigw.create_api_key, name="short", value="v" * 5)[0] == "BadRequestException"
    updated = apigw.update_api_key(
        apiKey=given["id"],
        patchOperations=[
            {"op": "replace", "path": "/enabled", "value": "true"},
            {"op": "replace", "path": "/description", "value": "given key"},
        ],
    )
    assert updated["enabled"] is True and updated["description"] == "given key"

    plan = apigw.create_usage_plan(
        name="gold",
        apiStages=[
            {
                "apiId": api_id,
                "stage": "prod",
                "throttle": {"/pets/GET": {"burstLimit": 1, "rateLimit": 1.0}},
            }
        ],
        throttle={"burstLimit": 10, "rateLimit": 5.0},
        quota={"limit": 2, "period": "DAY"},
    )
    assert plan["quota"] == {"limit": 2, "offset": 0, "period": "DAY"}
    assert _error(
        apigw.create_usage_plan, name="bad", apiStages=[{"apiId": api_id, "stage": "nope"}]
    )[0] == ("BadRequestException")
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert _error(
        apigw.create_usage_plan_key, usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY"
    )[0] == ("ConflictException")
    plan_key = apigw.get_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert plan_key == {**plan_key, "id": key["id"], "type": "API_KEY", "name": "partner"}
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [
        key["id"]
    ]
    assert [p["id"] for p in apigw.get_usage_plans(keyId=key["id"])["items"]] == [plan["id"]]

    directory = _directory(altus)
    found_key = directory.api_key(key["value"])
    assert found_key is not None and found_key.id == key["id"] and found_key.enabled
    applied = directory.usage_plan(api_id, "prod", key["id"])
    assert applied is not None and applied.id == plan["id"]
    assert applied.quota is not None and (applied.quota.limit, applied.quota.period) == (2, "DAY")
    assert (applied.throttle.rate, applied.throttle.burst) == (5.0, 10)
    assert applied.method_throttles["/pets/GET"].burst == 1
    assert directory.usage_plan(api_id, "prod", given["id"]) is None
    assert altus.clock is not None
    now = altus.clock.now()
    assert directory.count_request(plan["id"], key["id"], now)
    assert directory.count_request(plan["id"], key["id"], now)
    assert not directory.count_request(plan["id"], key["id"], now)
    # The next day is a new period.
    assert directory.count_request(plan["id"], key["id"], now + 86_400)
    day = datetime.datetime.fromtimestamp(now, datetime.UTC).date()
    used = apigw.get_usage(
        usagePlanId=plan["id"], startDate=day.isoformat(), endDate=day.isoformat()
    )
    assert used["items"] == {key["id"]: [[2, 0]]}
    apigw.update_usage(
        usagePlanId=plan["id"],
        keyId=key["id"],
        patchOperations=[{"op": "replace", "path": "/remaining", "value": "1"}],
    )
    if altus.clock.now() - now < 1:
        assert directory.count_request(plan["id"], key["id"], now)
    apigw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[
            {"op": "replace", "path": "/quota/limit", "value": "100"},
            {"op": "replace", "path": "/quota/period", "value": "WEEK"},
            {"op": "replace", "path": "/throttle/rateLimit", "value": "50"},
            {"op": "remove", "path": "/apiStages", "value": f"{api_id}:prod"},
        ],
    )
    got = apigw.get_usage_plan(usagePlanId=plan["id"])
    assert got["quota"]["period"] == "WEEK" and got["quota"]["limit"] == 100
    assert got["throttle"]["rateLimit"] == 50.0 and got["apiStages"] == []
    assert directory.usage_plan(api_id, "prod", key["id"]) is None
    code, _, _ = _error(
        apigw.update_usage_plan,
        usagePlanId=plan["id"],
        patchOperations=[{"op": "replace", "path": "/quota/period", "value": "YEAR"}],
    )
    assert code == "BadRequestException"
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"] == []
    apigw.delete_usage_plan(usagePlanId=plan["id"])
    assert _error(apigw.get_usage_plan, usagePlanId=plan["id"])[0] == "NotFoundException"
    apigw.delete_api_key(apiKey=key["id"])
    assert directory.api_key(key["value"]) is None
    assert _error(apigw.get_api_key, apiKey=key["id"]) == (
        "NotFoundException",
        "Invalid API Key identifier specified",
        404,
    )
    apigw.delete_api_key(apiKey=given["id"])
    apigw.delete_rest_api(restApiId=api_id)


def test_api_keys_import_from_csv(apigw: Any) -> None:
    plan = apigw.create_usage_plan(name="imported")
    body = (
        "Name,key,description,Enabled,usageplanIds\n"
        f"one,{'a' * 24},first,TRUE,{plan['id']}\n"
        f"two,{'b' * 24},second,false,\n"
    )
    made = apigw.import_api_keys(body=body.encode(), format="csv")
    assert len(made["ids"]) == 2
    keys = {k["name"]: k for k in apigw.get_api_keys(includeValues=True)["items"]}
    assert keys["one"]["value"] == "a" * 24 and keys["one"]["enabled"] is True
    assert keys["two"]["enabled"] is False
    assert [k["name"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [
        "one"
    ]
    for key_id in made["ids"]:
        apigw.delete_api_key(apiKey=key_id)
    apigw.delete_usage_plan(usagePlanId=plan["id"])


# --- OpenAPI -----------------------------------------------------------------------------

#: The definition SAM's AWS::Serverless::Api produces (DefinitionBody of the
#: AWS::ApiGateway::RestApi it writes), with CloudFormation's intrinsics resolved.
SAM_BODY: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"version": "1.0", "title": "sam-app"},
    "paths": {
        "/hello": {
            "get": {
                "x-amazon-apigateway-integration": {
                    "httpMethod": "POST",
                    "type": "aws_proxy",
                    "uri": LAMBDA_URI,
                },
                "security": [{"MyLambdaAuth": []}, {"api_key": []}],
                "responses": {},
            }
        },
        "/hello/{name}": {
            "options": {
                "consumes": ["application/json"],
                "produces": ["application/json"],
                "responses": {
                    "200": {
                        "description": "Default response for CORS method",
                        "headers": {
                            "Access-Control-Allow-Origin": {"type": "string"},
                            "Access-Control-Allow-Methods": {"type": "string"},
                        },
                    }
                },
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{\n  "statusCode" : 200\n}\n'},
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseParameters": {
                                "method.response.header.Access-Control-Allow-Origin": "'*'",
                                "method.response.header.Access-Control-Allow-Methods": "'GET'",
                            },
                            "responseTemplates": {"application/json": "{}\n"},
                        }
                    },
                },
            }
        },
        "/{proxy+}": {
            "x-amazon-apigateway-any-method": {
                "x-amazon-apigateway-integration": {
                    "httpMethod": "POST",
                    "type": "aws_proxy",
                    "uri": LAMBDA_URI,
                },
                "responses": {},
            }
        },
    },
    "securityDefinitions": {
        "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
        "MyLambdaAuth": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "token",
                "authorizerUri": LAMBDA_URI,
                "authorizerResultTtlInSeconds": 0,
            },
        },
    },
    "x-amazon-apigateway-binary-media-types": ["image/png"],
    "x-amazon-apigateway-gateway-responses": {
        "UNAUTHORIZED": {
            "statusCode": 401,
            "responseTemplates": {"application/json": '{"message":"no"}'},
        }
    },
}

OAS3_YAML = f"""
openapi: 3.0.1
info:
  title: oas3
  version: "2"
x-amazon-apigateway-api-key-source: AUTHORIZER
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement: []
paths:
  /items/{{id}}:
    parameters:
      - name: id
        in: path
        required: true
    get:
      operationId: GetItem
      parameters:
        - name: verbose
          in: query
      security:
        - req: []
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: http://127.0.0.1:9/items/{{id}}
        timeoutInMillis: 5000
        requestParameters:
          integration.request.path.id: method.request.path.id
        passthroughBehavior: when_no_match
    options:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{{"statusCode": 200}}'
        responses:
          default:
            statusCode: "200"
      responses:
        "200":
          description: ok
components:
  securitySchemes:
    req:
      type: apiKey
      name: Unused
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: request
        authorizerUri: {LAMBDA_URI}
        identitySource: method.request.header.X-Token
        authorizerResultTtlInSeconds: 60
"""


def test_a_sam_shaped_swagger_imports(altus: Harness, apigw: Any) -> None:
    api = apigw.import_rest_api(body=json.dumps(SAM_BODY).encode())
    api_id = api["id"]
    assert api["name"] == "sam-app" and api["binaryMediaTypes"] == ["image/png"]
    resources = {
        r["path"]: r for r in apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]
    }
    assert set(resources) == {"/", "/hello", "/hello/{name}", "/{proxy+}"}
    cors = resources["/hello/{name}"]["resourceMethods"]["OPTIONS"]
    assert cors["authorizationType"] == "NONE" and not cors["apiKeyRequired"]
    assert cors["methodResponses"]["200"]["responseParameters"] == {
        "method.response.header.Access-Control-Allow-Origin": False,
        "method.response.header.Access-Control-Allow-Methods": False,
    }
    mock = cors["methodIntegration"]
    assert mock["type"] == "MOCK"
    assert "selectionPattern" not in mock["integrationResponses"]["200"]
    hello = resources["/hello"]["resourceMethods"]["GET"]
    assert hello["authorizationType"] == "CUSTOM" and hello["apiKeyRequired"] is True
    assert hello["methodIntegration"]["type"] == "AWS_PROXY"
    assert "ANY" in resources["/{proxy+}"]["resourceMethods"]
    authorizer = apigw.get_authorizer(restApiId=api_id, authorizerId=hello["authorizerId"])
    assert authorizer["type"] == "TOKEN" and authorizer["authorizerResultTtlInSeconds"] == 0
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    response = apigw.get_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")
    assert response["statusCode"] == "401" and response["defaultResponse"] is False
    apigw.create_deployment(restApiId=api_id, stageName="Prod")
    served = _directory(altus).stage(api_id, "Prod")
    assert served is not None
    assert sorted(r.key for r in served.deployment.routes) == [
        "ANY /{proxy+}",
        "GET /hello",
        "OPTIONS /hello/{name}",
    ]
    apigw.delete_rest_api(restApiId=api_id)


def test_an_openapi_3_yaml_imports_and_exports(apigw: Any) -> None:
    api = apigw.import_rest_api(
        body=OAS3_YAML.encode(), parameters={"endpointConfigurationTypes": "REGIONAL"}
    )
    api_id = api["id"]
    assert api["apiKeySource"] == "AUTHORIZER" and json.loads(api["policy"])["Statement"] == []
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    resources = {
        r["path"]: r for r in apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]
    }
    item = resources["/items/{id}"]["resourceMethods"]
    get = item["GET"]
    assert get["operationName"] == "GetItem" and get["authorizationType"] == "CUSTOM"
    assert get["requestParameters"] == {
        "method.request.path.id": True,
        "method.request.querystring.verbose": False,
    }
    integration = get["methodIntegration"]
    assert integration["type"] == "HTTP_PROXY" and integration["timeoutInMillis"] == 5000
    assert integration["passthroughBehavior"] == "WHEN_NO_MATCH"
    options = item["OPTIONS"]["methodIntegration"]
    assert (
        options["type"] == "MOCK" and options["integrationResponses"]["200"]["statusCode"] == "200"
    )
    apigw.create_deployment(restApiId=api_id, stageName="v1")
    exported = apigw.get_export(
        restApiId=api_id,
        stageName="v1",
        exportType="oas30",
        parameters={"extensions": "apigateway"},
        accepts="application/yaml",
    )
    definition = yaml.safe_load(exported["body"].read())
    assert definition["openapi"].startswith("3.")
    assert (
        definition["paths"]["/items/{id}"]["get"]["x-amazon-apigateway-integration"]["type"]
        == "http_proxy"
    )
    assert "req" in definition["components"]["securitySchemes"]
    swagger = json.loads(
        apigw.get_export(restApiId=api_id, stageName="v1", exportType="swagger")["body"].read()
    )
    assert swagger["swagger"] == "2.0" and "/items/{id}" in swagger["paths"]
    # The export imports back.
    again = apigw.import_rest_api(
        body=exported["body"].read() or yaml.safe_dump(definition).encode()
    )
    assert again["name"] == "oas3"
    apigw.delete_rest_api(restApiId=again["id"])
    apigw.delete_rest_api(restApiId=api_id)


def test_put_rest_api_overwrites_or_merges(apigw: Any) -> None:
    api_id, _, _ = _proxy_api(apigw, "putting")
    one = {
        "swagger": "2.0",
        "info": {"title": "putting", "version": "1"},
        "paths": {"/other": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}},
    }
    apigw.put_rest_api(restApiId=api_id, mode="merge", body=json.dumps(one).encode())
    paths = {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert paths == {"/", "/pets", "/other"}
    apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(one).encode())
    paths = {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert paths == {"/", "/other"}
    bad = {
        "swagger": "2.0",
        "info": {"title": "x"},
        "paths": {
            "/a": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": "nope",
                    }
                }
            }
        },
    }
    code, _, _ = _error(
        apigw.put_rest_api, restApiId=api_id, mode="overwrite", body=json.dumps(bad).encode()
    )
    assert code == "BadRequestException"
    # A refused import changes nothing.
    paths = {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert paths == {"/", "/other"}
    code, message, _ = _error(apigw.import_rest_api, body=b"{not: [valid")
    assert code == "BadRequestException" and message.startswith("Invalid OpenAPI input")
    warned = {
        "openapi": "3.0.1",
        "info": {"title": "warned"},
        "paths": {
            "/w": {
                "get": {
                    "security": [{"ghost": []}],
                    "x-amazon-apigateway-integration": {"type": "mock"},
                }
            }
        },
    }
    code, message, _ = _error(
        apigw.import_rest_api, body=json.dumps(warned).encode(), failOnWarnings=True
    )
    assert code == "BadRequestException" and "ghost" in message
    made = apigw.import_rest_api(body=json.dumps(warned).encode())
    assert any("ghost" in w for w in made["warnings"])
    apigw.delete_rest_api(restApiId=made["id"])
    apigw.delete_rest_api(restApiId=api_id)


# --- restarts ----------------------------------------------------------------------------


@pytest.fixture
def stored(tmp_path: Path, server_store: dict[str, str]) -> tuple[Path, str]:
    return tmp_path, server_store.get("ALTUS_STORE", f"sqlite:{tmp_path / 'altus.db'}")


def test_everything_survives_a_restart(stored: tuple[Path, str]) -> None:
    data_dir, store = stored
    with Harness(clock=None, data_dir=data_dir, store=store) as first:
        apigw = first.client("apigateway")
        api_id, _, pets = _proxy_api(apigw, "durable")
        apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"v": "1"})
        key = apigw.create_api_key(name="kept", enabled=True)
        plan = apigw.create_usage_plan(
            name="kept",
            apiStages=[{"apiId": api_id, "stage": "prod"}],
            quota={"limit": 10, "period": "MONTH", "offset": 2},
        )
        apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        directory = _directory(first)
        assert first.platform is not None
        now = first.platform.component("apigateway").core.clock.now()
        assert directory.count_request(plan["id"], key["id"], now)
        assert directory.count_request(plan["id"], key["id"], now)
    with Harness(clock=None, data_dir=data_dir, store=store) as second:
        apigw = second.client("apigateway")
        assert apigw.get_rest_api(restApiId=api_id)["name"] == "durable"
        method = apigw.get_method(restApiId=api_id, resourceId=pets, httpMethod="GET")
        assert method["methodIntegration"]["uri"] == LAMBDA_URI
        assert apigw.get_stage(restApiId=api_id, stageName="prod")["variables"] == {"v": "1"}
        served = _directory(second).stage(api_id, "prod")
        assert served is not None and [r.key for r in served.deployment.routes] == ["GET /pets"]
        assert apigw.get_usage_plan(usagePlanId=plan["id"])["quota"]["offset"] == 2
        found = _directory(second).api_key(key["value"])
        assert found is not None and found.id == key["id"]
        day = datetime.datetime.fromtimestamp(now, datetime.UTC).date()
        used = apigw.get_usage(
            usagePlanId=plan["id"], startDate=day.isoformat(), endDate=day.isoformat()
        )
        assert used["items"][key["id"]][0][0] == 2


def test_the_directory_sees_keys_as_they_change(altus: Harness, apigw: Any) -> None:
    directory = _directory(altus)
    # Asked first (its answers built), then a key is made, disabled and deleted.
    assert directory.api_key("q" * 40) is None
    key = apigw.create_api_key(name="late", value="q" * 40, enabled=True)
    found = directory.api_key("q" * 40)
    assert found is not None and found.id == key["id"] and found.enabled
    apigw.update_api_key(
        apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )
    found = directory.api_key("q" * 40)
    assert found is not None and not found.enabled
    apigw.delete_api_key(apiKey=key["id"])
    assert directory.api_key("q" * 40) is None
    # A stage asked for before it exists is found once it does.
    api_id, _, _ = _proxy_api(apigw, "late-stage")
    assert directory.stage(api_id, "later") is None
    apigw.create_deployment(restApiId=api_id, stageName="later")
    assert directory.stage(api_id, "later") is not None
    apigw.delete_rest_api(restApiId=api_id)


def test_imports_prepend_the_base_path_and_refuse_alias_bombs(apigw: Any) -> None:
    body = {
        "swagger": "2.0",
        "info": {"title": "based"},
        "basePath": "/v1/shop",
        "paths": {"/items": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}},
    }
    ignored = apigw.import_rest_api(body=json.dumps(body).encode())
    paths = {r["path"] for r in apigw.get_resources(restApiId=ignored["id"])["items"]}
    assert paths == {"/", "/items"}
    prepended = apigw.import_rest_api(
        body=json.dumps(body).encode(), parameters={"basepath": "prepend"}
    )
    paths = {r["path"] for r in apigw.get_resources(restApiId=prepended["id"])["items"]}
    assert paths == {"/", "/v1", "/v1/shop", "/v1/shop/items"}
    lines = [
        "openapi: 3.0.1",
        "info: {title: bomb}",
        "paths: {}",
        "a0: &a0 [x, x, x, x, x, x, x, x]",
    ]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 8) + "]" for i in range(1, 10)]
    code, message, _ = _error(apigw.import_rest_api, body="\n".join(lines).encode())
    assert code == "BadRequestException" and "more than" in message
    for api_id in (ignored["id"], prepended["id"]):
        apigw.delete_rest_api(restApiId=api_id)
