"""REST APIs served: requests with httpx against APIs made with boto3's ``apigateway``
(resources, methods, Lambda proxy integrations, deployments and stages), their
functions run in-process. The v1 event, REST's own errors, TOKEN and REQUEST
authorizers, API keys with usage plans, binary media types, and an imported OpenAPI
document."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from altus.testing import Harness
from tests.functional.gateways import (
    ACCOUNT,
    REGION,
    functions,
    json_body,
    lambda_uri,
)


def _echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "body": json.dumps(event),
        "multiValueHeaders": {"x-many": ["a", "b"]},
    }


def _fail(event: dict[str, Any], context: Any) -> Any:
    raise RuntimeError("boom")


def _token_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Allows the token ``allow``, denies ``deny``, refuses anything else."""
    token = event["authorizationToken"]
    if token not in ("allow", "deny"):
        raise Exception("Unauthorized")
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if token == "allow" else "Deny",
                    "Resource": event["methodArn"],
                }
            ],
        },
        "context": {"tier": "gold", "level": 3},
    }


class Rest:
    def __init__(self, altus: Harness) -> None:
        self.altus = altus
        self.gw = altus.client("apigateway")
        self.lam = altus.client("lambda")
        self.http = httpx.Client(timeout=30)
        self.arns = functions(altus, {"echo": _echo, "fail": _fail, "auth": _token_authorizer})

    def api(self, name: str, **extra: Any) -> tuple[str, str]:
        api_id: str = self.gw.create_rest_api(name=name, **extra)["id"]
        root: str = next(
            r["id"] for r in self.gw.get_resources(restApiId=api_id)["items"] if r["path"] == "/"
        )
        return api_id, root

    def resource(self, api_id: str, parent: str, part: str) -> str:
        found: str = self.gw.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"]
        return found

    def method(
        self, api_id: str, resource: str, verb: str, function: str = "echo", **extra: Any
    ) -> None:
        self.gw.put_method(
            restApiId=api_id,
            resourceId=resource,
            httpMethod=verb,
            authorizationType=extra.pop("authorizationType", "NONE"),
            **extra,
        )
        self.gw.put_integration(
            restApiId=api_id,
            resourceId=resource,
            httpMethod=verb,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=lambda_uri(self.arns[function]),
        )

    def url(self, api_id: str, stage: str = "prod") -> str:
        return f"{self.altus.url}/_aws/execute-api/{api_id}/{stage}"


@pytest.fixture(scope="module")
def rest() -> Iterator[Rest]:
    with Harness() as altus:
        made = Rest(altus)
        yield made
        made.http.close()


def test_a_deployed_method_gets_the_v1_proxy_event(rest: Rest) -> None:
    api_id, root = rest.api("pets")
    pets = rest.resource(api_id, root, "pets")
    pet = rest.resource(api_id, pets, "{id}")
    rest.method(api_id, pet, "GET")
    base = rest.url(api_id)
    # Nothing is served before a deployment.
    assert rest.http.get(base + "/pets/1").status_code == 403
    rest.gw.create_deployment(restApiId=api_id, stageName="prod", variables={"v": "1"})
    response = rest.http.get(base + "/pets/7?a=1&a=2", headers={"x-h": "one"})
    assert response.status_code == 200, response.text
    assert response.headers.get_list("x-many") == ["a", "b"]
    assert "x-amzn-requestid" in response.headers
    event = json_body(response)
    assert event["resource"] == "/pets/{id}"
    assert event["path"] == "/pets/7"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "7"}
    assert event["queryStringParameters"] == {"a": "2"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["stageVariables"] == {"v": "1"}
    assert event["headers"]["x-h"] == "one"
    context = event["requestContext"]
    assert context["resourcePath"] == "/pets/{id}"
    assert context["resourceId"] == pet
    assert context["stage"] == "prod"
    assert context["path"] == "/prod/pets/7"
    assert context["apiId"] == api_id
    assert context["accountId"] == ACCOUNT


def test_rests_own_errors(rest: Rest) -> None:
    api_id, root = rest.api("errors")
    ok = rest.resource(api_id, root, "ok")
    rest.method(api_id, ok, "GET")
    failing = rest.resource(api_id, root, "fail")
    rest.method(api_id, failing, "GET", function="fail")
    rest.gw.create_deployment(restApiId=api_id, stageName="prod")
    base = rest.url(api_id)
    missing = rest.http.get(base + "/nothing")
    assert missing.status_code == 403
    assert json_body(missing) == {"message": "Missing Authentication Token"}
    wrong_method = rest.http.post(base + "/ok")
    assert wrong_method.status_code == 403
    failed = rest.http.get(base + "/fail")
    assert failed.status_code == 502
    assert json_body(failed) == {"message": "Internal server error"}
    no_stage = rest.http.get(rest.url(api_id, "nostage") + "/ok")
    assert no_stage.status_code == 403


def test_token_authorizer_allows_denies_and_refuses(rest: Rest) -> None:
    api_id, root = rest.api("guarded")
    authorizer = rest.gw.create_authorizer(
        restApiId=api_id,
        name="tokens",
        type="TOKEN",
        authorizerUri=lambda_uri(rest.arns["auth"]),
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=0,
    )["id"]
    secret = rest.resource(api_id, root, "secret")
    rest.method(api_id, secret, "GET", authorizationType="CUSTOM", authorizerId=authorizer)
    rest.gw.create_deployment(restApiId=api_id, stageName="prod")
    url = rest.url(api_id) + "/secret"
    missing = rest.http.get(url)
    assert (missing.status_code, json_body(missing)) == (401, {"message": "Unauthorized"})
    refused = rest.http.get(url, headers={"Authorization": "nonsense"})
    assert (refused.status_code, json_body(refused)) == (401, {"message": "Unauthorized"})
    denied = rest.http.get(url, headers={"Authorization": "deny"})
    assert denied.status_code == 403
    assert json_body(denied) == {
        "Message": "User is not authorized to access this resource with an explicit deny"
    }
    allowed = rest.http.get(url, headers={"Authorization": "allow"})
    assert allowed.status_code == 200, allowed.text
    found = json_body(allowed)["requestContext"]["authorizer"]
    assert found["principalId"] == "user-1"
    assert found["tier"] == "gold"
    assert str(found["level"]) == "3"


def test_api_keys_and_usage_plans(rest: Rest) -> None:
    api_id, root = rest.api("metered")
    metered = rest.resource(api_id, root, "metered")
    rest.method(api_id, metered, "GET", apiKeyRequired=True)
    rest.gw.create_deployment(restApiId=api_id, stageName="prod")
    key = rest.gw.create_api_key(name="customer", enabled=True, value="k" * 24)
    plan = rest.gw.create_usage_plan(
        name="small",
        apiStages=[{"apiId": api_id, "stage": "prod"}],
        quota={"limit": 3, "period": "DAY"},
    )
    url = rest.url(api_id) + "/metered"
    # A key not yet in a plan for this stage is refused as an invalid one.
    assert rest.http.get(url, headers={"x-api-key": "k" * 24}).status_code == 403
    rest.gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert rest.http.get(url).status_code == 403
    assert rest.http.get(url, headers={"x-api-key": "wrong"}).status_code == 403
    statuses = [rest.http.get(url, headers={"x-api-key": "k" * 24}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    over = rest.http.get(url, headers={"x-api-key": "k" * 24})
    assert json_body(over) == {"message": "Limit Exceeded"}
    rest.gw.update_usage(
        usagePlanId=plan["id"],
        keyId=key["id"],
        patchOperations=[{"op": "replace", "path": "/remaining", "value": "5"}],
    )
    allowed = rest.http.get(url, headers={"x-api-key": "k" * 24})
    assert allowed.status_code == 200
    event_key = json_body(allowed)["requestContext"]["identity"]["apiKey"]
    assert event_key == "k" * 24


def test_binary_media_types(rest: Rest) -> None:
    api_id, root = rest.api("binary", binaryMediaTypes=["image/png"])
    upload = rest.resource(api_id, root, "upload")
    rest.method(api_id, upload, "POST")
    rest.gw.create_deployment(restApiId=api_id, stageName="prod")
    raw = bytes(range(200))
    event = json_body(
        rest.http.post(
            rest.url(api_id) + "/upload", content=raw, headers={"content-type": "image/png"}
        )
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw
    text = json_body(
        rest.http.post(
            rest.url(api_id) + "/upload", content=b"plain", headers={"content-type": "text/plain"}
        )
    )
    assert text["isBase64Encoded"] is False
    assert text["body"] == "plain"


def test_an_imported_openapi_document_is_served(rest: Rest) -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": "imported", "version": "1"},
        "paths": {
            "/items/{id}": {
                "get": {
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": lambda_uri(rest.arns["echo"]),
                    },
                }
            },
            "/{proxy+}": {
                "x-amazon-apigateway-any-method": {
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": lambda_uri(rest.arns["echo"]),
                    }
                }
            },
        },
    }
    api_id = rest.gw.import_rest_api(body=json.dumps(document).encode())["id"]
    rest.gw.create_deployment(restApiId=api_id, stageName="v1")
    event = json_body(rest.http.get(rest.url(api_id, "v1") + "/items/9"))
    assert event["resource"] == "/items/{id}"
    assert event["pathParameters"] == {"id": "9"}
    greedy = json_body(rest.http.delete(rest.url(api_id, "v1") + "/x/y"))
    assert greedy["resource"] == "/{proxy+}"
    assert greedy["pathParameters"] == {"proxy": "x/y"}


def test_a_request_authorizer_and_usage_plan_throttling(rest: Rest) -> None:
    calls: list[dict[str, Any]] = []

    def by_query(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event)
        good = (event.get("queryStringParameters") or {}).get("token") == "ok"
        return {
            "principalId": "q",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow" if good else "Deny",
                        "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*",
                    }
                ],
            },
            "usageIdentifierKey": "q" * 24,
        }

    arn = functions(rest.altus, {"byquery": by_query})["byquery"]
    api_id, root = rest.api("byquery", apiKeySource="AUTHORIZER")
    authorizer = rest.gw.create_authorizer(
        restApiId=api_id,
        name="q",
        type="REQUEST",
        authorizerUri=lambda_uri(arn),
        identitySource="method.request.querystring.token",
    )["id"]
    limited = rest.resource(api_id, root, "limited")
    rest.method(
        api_id,
        limited,
        "GET",
        authorizationType="CUSTOM",
        authorizerId=authorizer,
        apiKeyRequired=True,
    )
    rest.gw.create_deployment(restApiId=api_id, stageName="prod")
    key = rest.gw.create_api_key(name="by-authorizer", enabled=True, value="q" * 24)
    plan = rest.gw.create_usage_plan(
        name="throttled",
        apiStages=[{"apiId": api_id, "stage": "prod"}],
        throttle={"burstLimit": 1, "rateLimit": 1.0},
    )
    rest.gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    url = rest.url(api_id) + "/limited"
    assert rest.http.get(url).status_code == 401
    assert rest.http.get(url + "?token=no").status_code == 403
    first = rest.http.get(url + "?token=ok")
    assert first.status_code == 200, first.text
    event = json_body(first)
    assert event["requestContext"]["authorizer"]["principalId"] == "q"
    assert event["requestContext"]["identity"]["apiKey"] == "q" * 24
    # The default TTL is 300 s: the same token is not sent to the function again.
    count = len(calls)
    throttled = rest.http.get(url + "?token=ok")
    assert len(calls) == count
    assert (throttled.status_code, json_body(throttled)) == (429, {"message": "Too Many Requests"})
    rest.altus.advance(1.0)
    assert rest.http.get(url + "?token=ok").status_code == 200


def test_a_mock_options_method_answers_cors_as_sam_configures_it(rest: Rest) -> None:
    api_id, root = rest.api("mocked")
    items = rest.resource(api_id, root, "items")
    rest.gw.put_method(
        restApiId=api_id, resourceId=items, httpMethod="OPTIONS", authorizationType="NONE"
    )
    rest.gw.put_integration(
        restApiId=api_id,
        resourceId=items,
        httpMethod="OPTIONS",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    rest.gw.put_method_response(
        restApiId=api_id,
        resourceId=items,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={
            "method.response.header.Access-Control-Allow-Origin": False,
            "method.response.header.Access-Control-Allow-Methods": False,
        },
    )
    rest.gw.put_integration_response(
        restApiId=api_id,
        resourceId=items,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={
            "method.response.header.Access-Control-Allow-Origin": "'https://example.com'",
            "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
        },
        responseTemplates={"application/json": "{}"},
    )
    rest.gw.create_deployment(restApiId=api_id, stageName="prod")
    answered = rest.http.options(rest.url(api_id) + "/items")
    assert answered.status_code == 200
    assert answered.headers["access-control-allow-origin"] == "https://example.com"
    assert answered.headers["access-control-allow-methods"] == "GET,OPTIONS"
    assert answered.content == b"{}"
