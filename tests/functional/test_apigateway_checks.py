"""API Gateway's REST control plane refusing what AWS refuses (status codes, policies,
parameter names, tag keys, bounds, odd OpenAPI shapes), keeping deployment snapshots
apart from the API, method settings as Terraform writes them, what the front door is
built of (eagerly, defensively), exports that point where the API is served, and
usage counts (written before memory, old days dropped)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from altus.apigateway.model import API, SNAPSHOT, snapshot_id
from altus.testing import Harness
from tests.functional import apigateway_helpers as helpers
from tests.functional.apigateway_helpers import LAMBDA_URI, REGION

altus = helpers.altus
apigw = helpers.apigw


def _component(altus: Harness) -> Any:
    assert altus.platform is not None
    return altus.platform.component("apigateway")


def _error(call: Any, **members: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**members)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def _api(apigw: Any, path: str = "pets", **create: Any) -> tuple[str, str]:
    """An API with ``GET /<path>`` (MOCK): (api id, resource id)."""
    api = apigw.create_rest_api(name="checks", **create)
    res = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=path)
    apigw.put_method(
        restApiId=api["id"], resourceId=res["id"], httpMethod="GET", authorizationType="NONE"
    )
    apigw.put_integration(restApiId=api["id"], resourceId=res["id"], httpMethod="GET", type="MOCK")
    return api["id"], res["id"]


def _import(apigw: Any, definition: dict[str, Any] | str) -> Any:
    body = definition if isinstance(definition, str) else json.dumps(definition)
    return apigw.import_rest_api(body=body.encode())


# --- 1. gateway response status codes -----------------------------------------------------


def test_gateway_response_status_codes_are_checked(apigw: Any) -> None:
    api_id, _ = _api(apigw)
    code, message = _error(
        apigw.update_gateway_response,
        restApiId=api_id,
        responseType="DEFAULT_4XX",
        patchOperations=[{"op": "replace", "path": "/statusCode", "value": "abc"}],
    )
    assert (code, message) == ("BadRequestException", "Invalid status code specified: abc")
    assert apigw.get_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX")[
        "defaultResponse"
    ]
    code, message = _error(
        _import,
        apigw=apigw,
        definition={
            "swagger": "2.0",
            "info": {"title": "t"},
            "paths": {},
            "x-amazon-apigateway-gateway-responses": {"DEFAULT_4XX": {"statusCode": "600"}},
        },
    )
    assert (code, message) == ("BadRequestException", "Invalid status code specified: 600")


# --- 2. policies and request parameter names ------------------------------------------------


def test_policies_must_be_json(apigw: Any) -> None:
    invalid = (
        "Invalid policy document. Please check the policy syntax and ensure that Principals "
        "are valid."
    )
    assert _error(apigw.create_rest_api, name="p", policy="not json") == (
        "BadRequestException",
        invalid,
    )
    api_id, _ = _api(apigw)
    assert _error(
        apigw.update_rest_api,
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/policy", "value": "{nope"}],
    ) == ("BadRequestException", invalid)
    definition = {"swagger": "2.0", "info": {"title": "t"}, "paths": {}}
    assert _error(
        _import, apigw=apigw, definition={**definition, "x-amazon-apigateway-policy": "x"}
    ) == ("BadRequestException", invalid)
    policy = {"Version": "2012-10-17", "Statement": []}
    made = apigw.create_rest_api(name="p", policy=json.dumps(policy))
    assert json.loads(made["policy"]) == policy


def test_method_request_parameters_must_name_a_location(apigw: Any) -> None:
    api_id, res = _api(apigw)
    code, message = _error(
        apigw.put_method,
        restApiId=api_id,
        resourceId=res,
        httpMethod="POST",
        authorizationType="NONE",
        requestParameters={"foo": True},
    )
    assert code == "BadRequestException" and "foo" in message
    code, message = _error(
        apigw.update_method,
        restApiId=api_id,
        resourceId=res,
        httpMethod="GET",
        patchOperations=[{"op": "add", "path": "/requestParameters/bar", "value": "true"}],
    )
    assert code == "BadRequestException" and "bar" in message
    made = apigw.put_method(
        restApiId=api_id,
        resourceId=res,
        httpMethod="POST",
        authorizationType="NONE",
        requestParameters={
            "method.request.multivaluequerystring.tag": False,
            "method.request.header.X-Id": True,
        },
    )
    assert len(made["requestParameters"]) == 2


# --- 3. OpenAPI shapes ------------------------------------------------------------------------

_AUTHORIZER = {"type": "token", "authorizerUri": LAMBDA_URI}


def _swagger(**extra: Any) -> dict[str, Any]:
    return {"swagger": "2.0", "info": {"title": "t"}, "paths": {}, **extra}


def _get(operation: dict[str, Any]) -> dict[str, Any]:
    return _swagger(paths={"/a": {"get": operation}})


def _scheme(authorizer: Any) -> dict[str, Any]:
    scheme = {"type": "apiKey", "name": "Authorization", "in": "header"}
    return _swagger(
        securityDefinitions={"a": {**scheme, "x-amazon-apigateway-authorizer": authorizer}}
    )


@pytest.mark.parametrize(
    ("definition", "where"),
    [
        ({"swagger": "2.0", "info": ["x"], "paths": {}}, "info must be an object"),
        (_scheme("x"), "a.x-amazon-apigateway-authorizer must be an object"),
        (
            _scheme({**_AUTHORIZER, "authorizerResultTtlInSeconds": "abc"}),
            "authorizerResultTtlInSeconds must be an integer",
        ),
        (_get({"security": "x"}), "GET /a security must be a list"),
        (
            _get({"x-amazon-apigateway-integration": {"type": "mock", "timeoutInMillis": "x"}}),
            "timeoutInMillis must be an integer",
        ),
        (
            _get(
                {"x-amazon-apigateway-integration": {"type": "mock", "responses": {"default": "x"}}}
            ),
            "responses.default must be an object",
        ),
        (
            _get(
                {
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": {"statusCode": 200}},
                    }
                }
            ),
            "requestTemplates.application/json must be a string",
        ),
        (
            _swagger(**{"x-amazon-apigateway-binary-media-types": "image/png"}),
            "x-amazon-apigateway-binary-media-types must be a list",
        ),
        (
            _swagger(**{"x-amazon-apigateway-request-validators": {"all": "x"}}),
            "x-amazon-apigateway-request-validators.all must be an object",
        ),
    ],
)
def test_odd_openapi_shapes_are_refused(apigw: Any, definition: dict[str, Any], where: str) -> None:
    code, message = _error(_import, apigw=apigw, definition=definition)
    assert code == "BadRequestException"
    assert message.startswith("Invalid OpenAPI input: ") and where in message


def test_yaml_dates_and_numbers_import_as_text(apigw: Any) -> None:
    text = f"""openapi: 3.0.1
info: {{title: dated, version: 2020-01-01}}
paths:
  /a:
    get:
      responses:
        200: {{description: ok}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: "{LAMBDA_URI}"
        responses:
          default: {{statusCode: 200}}
components:
  schemas:
    Pet:
      type: object
      properties:
        born: {{type: string, format: date, example: 2020-01-01}}
"""
    made = _import(apigw, text)
    assert made["version"] == "2020-01-01"
    pet = apigw.get_model(restApiId=made["id"], modelName="Pet")
    assert json.loads(pet["schema"])["properties"]["born"]["example"] == "2020-01-01"
    (res,) = [r for r in apigw.get_resources(restApiId=made["id"])["items"] if r["path"] == "/a"]
    integration = apigw.get_integration(
        restApiId=made["id"], resourceId=res["id"], httpMethod="GET"
    )
    assert integration["integrationResponses"]["200"]["statusCode"] == "200"


def test_an_import_of_many_nested_paths_builds_each_resource_once(apigw: Any) -> None:
    paths = {
        f"/g{i % 7}/p{i}/{{id}}": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}
        for i in range(200)
    }
    made = _import(apigw, yaml.safe_dump(_swagger(paths=paths)))
    found = apigw.get_resources(restApiId=made["id"], limit=500)["items"]
    by_path = {r["path"]: r for r in found}
    # The root, 7 groups, 200 parents, 200 variables: each once.
    assert len(found) == len(by_path) == 1 + 7 + 200 + 200
    assert by_path["/g3/p10/{id}"]["parentId"] == by_path["/g3/p10"]["id"]


def test_put_rest_api_merge_keeps_one_validator_of_a_name(apigw: Any) -> None:
    definition = _swagger(
        **{"x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": True}}}
    )
    api_id = _import(apigw, definition)["id"]
    first = apigw.get_request_validators(restApiId=api_id)["items"]
    for _ in range(2):
        apigw.put_rest_api(restApiId=api_id, mode="merge", body=json.dumps(definition).encode())
    assert apigw.get_request_validators(restApiId=api_id)["items"] == first


# --- 5. snapshots kept apart ------------------------------------------------------------------


def test_deployment_snapshots_are_their_own_documents(altus: Harness, apigw: Any) -> None:
    api_id, _ = _api(apigw)
    deployment = apigw.create_deployment(restApiId=api_id, stageName="prod")
    apigw.tag_resource(
        resourceArn=f"arn:aws:apigateway:{REGION}::/restapis/{api_id}", tags={"a": "b"}
    )
    core = _component(altus).core
    kept = altus.call(lambda _: core.store.load())
    stored = kept.docs[API][api_id]
    assert set(stored["deployments"][deployment["id"]]) == {"id", "createdDate"}
    snapshot = kept.docs[SNAPSHOT][snapshot_id(api_id, deployment["id"])]
    assert sorted(r["path"] for r in snapshot["resources"].values()) == ["/", "/pets"]
    summary = apigw.get_deployment(
        restApiId=api_id, deploymentId=deployment["id"], embed=["apisummary"]
    )
    assert summary["apiSummary"]["/pets"]["GET"]["authorizationType"] == "NONE"
    other = apigw.create_deployment(restApiId=api_id)
    apigw.delete_deployment(restApiId=api_id, deploymentId=other["id"])
    kept = altus.call(lambda _: core.store.load())
    assert snapshot_id(api_id, other["id"]) not in kept.docs[SNAPSHOT]
    apigw.delete_stage(restApiId=api_id, stageName="prod")
    apigw.delete_rest_api(restApiId=api_id)
    kept = altus.call(lambda _: core.store.load())
    assert snapshot_id(api_id, deployment["id"]) not in kept.docs.get(SNAPSHOT, {})


# --- 6. method settings as Terraform writes them ----------------------------------------------


def test_method_settings_take_terraform_and_aws_paths(altus: Harness, apigw: Any) -> None:
    api = apigw.create_rest_api(name="tf")
    a = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="a")
    b = apigw.create_resource(restApiId=api["id"], parentId=a["id"], pathPart="b")
    for res in (a["id"], b["id"], api["rootResourceId"]):
        apigw.put_method(
            restApiId=api["id"], resourceId=res, httpMethod="GET", authorizationType="NONE"
        )
        apigw.put_integration(restApiId=api["id"], resourceId=res, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    operations = [
        {"op": "replace", "path": "/a/b/GET/throttling/rateLimit", "value": "3"},
        {"op": "replace", "path": "/~1a/GET/throttling/rateLimit", "value": "4"},
        {"op": "replace", "path": "//GET/throttling/rateLimit", "value": "5"},
    ]
    stage = apigw.update_stage(restApiId=api["id"], stageName="prod", patchOperations=operations)
    # Kept as written (Terraform reads its setting back by its method_path).
    assert set(stage["methodSettings"]) == {"a/b/GET", "~1a/GET", "/GET"}
    served = _component(altus).directory.stage(api["id"], "prod")
    assert served is not None
    rates = {key: limits.rate for key, limits in served.route_throttles.items()}
    # As the front door looks them up: ``<resource path>/<METHOD>``.
    assert rates == {"/a/b/GET": 3.0, "/a/GET": 4.0, "//GET": 5.0}
    apigw.update_stage(
        restApiId=api["id"],
        stageName="prod",
        patchOperations=[
            {"op": "remove", "path": "/a/b/GET"},
            {"op": "remove", "path": "/~1a/GET"},
        ],
    )
    served = _component(altus).directory.stage(api["id"], "prod")
    assert served is not None and set(served.route_throttles) == {"//GET"}


# --- 7, 11. usage plans and bounds -----------------------------------------------------------


def test_a_usage_plan_with_api_stages_is_not_deleted(apigw: Any) -> None:
    api_id, _ = _api(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "prod"}])
    assert _error(apigw.delete_usage_plan, usagePlanId=plan["id"]) == (
        "BadRequestException",
        f"Cannot delete Usage Plan {plan['id']} because there are API Stages associated "
        f"with it, including {api_id}:prod",
    )
    apigw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[{"op": "remove", "path": "/apiStages", "value": f"{api_id}:prod"}],
    )
    apigw.delete_usage_plan(usagePlanId=plan["id"])


def test_bounds_are_refused(apigw: Any) -> None:
    api_id, _ = _api(apigw)
    for size in ("-5", "10485761"):
        code, message = _error(
            apigw.update_rest_api,
            restApiId=api_id,
            patchOperations=[{"op": "replace", "path": "/minimumCompressionSize", "value": size}],
        )
        assert code == "BadRequestException" and "minimum compression size" in message
    assert _error(apigw.create_rest_api, name="big", minimumCompressionSize=10485761)[0] == (
        "BadRequestException"
    )
    made = apigw.create_rest_api(name="ok", minimumCompressionSize=10485760)
    assert made["minimumCompressionSize"] == 10485760
    reserved = (
        "BadRequestException",
        "Invalid tag key. Tag keys cannot start with 'aws:' (case insensitive)",
    )
    arn = f"arn:aws:apigateway:{REGION}::/restapis/{api_id}"
    assert _error(apigw.tag_resource, resourceArn=arn, tags={"AWS:x": "y"}) == reserved
    assert _error(apigw.create_rest_api, name="t", tags={"aws:x": "y"}) == reserved
    assert _error(apigw.create_api_key, name="k", tags={"aws:x": "y"}) == reserved
    code, _ = _error(apigw.create_usage_plan, name="p", throttle={"rateLimit": -1.0})
    assert code == "BadRequestException"
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    code, _ = _error(
        apigw.update_stage,
        restApiId=api_id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "-5"}],
    )
    assert code == "BadRequestException"
    # -1: the account's limit (AWS's way back to the default).
    stage = apigw.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "-1"}],
    )
    assert stage["methodSettings"]["*/*"]["throttlingRateLimit"] == -1.0


# --- 8. exports -------------------------------------------------------------------------------


def test_exports_point_where_the_stage_is_served(altus: Harness, apigw: Any) -> None:
    api_id, res = _api(apigw)
    apigw.put_method(
        restApiId=api_id,
        resourceId=res,
        httpMethod="POST",
        authorizationType="NONE",
        requestParameters={"method.request.multivalueheader.X-Many": False},
    )
    apigw.put_integration(restApiId=api_id, resourceId=res, httpMethod="POST", type="MOCK")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    endpoint = f"{altus.url.rstrip('/')}/_aws/execute-api/{api_id}"
    oas = json.loads(
        apigw.get_export(restApiId=api_id, stageName="prod", exportType="oas30")["body"].read()
    )
    assert oas["servers"][0]["url"] == endpoint + "/{basePath}"
    assert oas["servers"][0]["variables"]["basePath"]["default"] == "prod"
    assert oas["paths"]["/pets"]["post"]["parameters"][0]["in"] == "header"
    swagger = yaml.safe_load(
        apigw.get_export(
            restApiId=api_id, stageName="prod", exportType="swagger", accepts="application/yaml"
        )["body"].read()
    )
    assert f"{swagger['schemes'][0]}://{swagger['host']}{swagger['basePath']}" == endpoint + "/prod"


# --- 12. what deploying changes, and integrations AWS accepts ---------------------------------


def test_disabling_the_endpoint_takes_effect_when_deployed(altus: Harness, apigw: Any) -> None:
    api_id, _ = _api(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    directory = _component(altus).directory
    served = directory.stage(api_id, "prod")
    assert served is not None and not served.endpoint_disabled
    apigw.update_rest_api(
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "true"}],
    )
    served = directory.stage(api_id, "prod")
    assert served is not None and not served.endpoint_disabled
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    served = directory.stage(api_id, "prod")
    assert served is not None and served.endpoint_disabled


def test_a_lambda_proxy_integration_takes_any_http_method(apigw: Any) -> None:
    api_id, res = _api(apigw)
    made = apigw.put_integration(
        restApiId=api_id,
        resourceId=res,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="GET",
        uri=LAMBDA_URI,
    )
    assert made["httpMethod"] == "GET"


# --- 9, 10. usage counts ----------------------------------------------------------------------


def test_old_usage_days_are_dropped_by_the_flush(altus: Harness, apigw: Any) -> None:
    component = _component(altus)
    directory, core = component.directory, component.core
    today = datetime.datetime.fromtimestamp(core.now(), datetime.UTC).date()
    old = (today - datetime.timedelta(days=200)).isoformat()
    recent = (today - datetime.timedelta(days=30)).isoformat()

    async def count_and_flush() -> Any:
        for day in (old, recent):
            directory.counts[("plan0", "key0", day)] = 3
            directory._dirty.add(("plan0", "key0", day))
        await directory.flush()
        return await core.store.load()

    kept = altus.call(lambda _: count_and_flush())
    assert ("plan0", "key0", old) not in kept.counts
    assert kept.counts[("plan0", "key0", recent)] == 3
    assert ("plan0", "key0", old) not in directory.counts
