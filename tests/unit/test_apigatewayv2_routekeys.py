"""Route keys as API Gateway V2 takes them, variables that clash across routes, and
OpenAPI documents read into routes: pure logic."""

from __future__ import annotations

import pytest

from altus.apigatewayv2 import openapi, routekeys
from altus.apigatewayv2.errors import BadRequest


@pytest.mark.parametrize(
    "key",
    ["$default", "GET /", "ANY /{proxy+}", "POST /pets/{id}/toys", "DELETE /a.b/c-d/~e"],
)
def test_http_keys_taken(key: str) -> None:
    assert routekeys.check("HTTP", key) == key


@pytest.mark.parametrize(
    "key",
    [
        "$connect",
        "GET",
        "get /x",
        "GET x",
        "GET /{a+}/b",
        "GET /a//b",
        "GET /{a}/{a}",
        "GET /a b",
        "GET /{}",
    ],
)
def test_http_keys_refused(key: str) -> None:
    with pytest.raises(BadRequest):
        routekeys.check("HTTP", key)


def test_websocket_keys() -> None:
    for key in ("$connect", "$disconnect", "$default", "sendMessage", "a b"):
        assert routekeys.check("WEBSOCKET", key) == key
    with pytest.raises(BadRequest):
        routekeys.check("WEBSOCKET", "$other")


def test_split() -> None:
    assert routekeys.split("GET /pets/{id}") == ("GET", "/pets/{id}")
    assert routekeys.split("$default") == ("", "")


def test_variables_clash_on_one_level_only() -> None:
    assert routekeys.conflicting("GET /pets/{petId}/toys", ["POST /pets/{id}"]) == (
        "POST /pets/{id}"
    )
    assert routekeys.conflicting("GET /pets/{id}/toys", ["POST /pets/{id}"]) is None
    assert routekeys.conflicting("GET /cats/{name}", ["GET /pets/{id}"]) is None
    assert routekeys.conflicting("ANY /{proxy+}", ["GET /{id}"]) is None
    assert routekeys.conflicting("$default", ["GET /{id}"]) is None


def test_an_openapi_document_read_with_its_base_path() -> None:
    document = """
openapi: 3.0.1
info: {title: t}
servers:
  - url: https://example.com/{basePath}
    variables: {basePath: {default: /v1}}
paths:
  /a:
    get:
      x-amazon-apigateway-integration: {type: AWS_PROXY, uri: arn, payloadFormatVersion: 1.0}
      x-amazon-apigateway-request-validator: all
  $default:
    x-amazon-apigateway-any-method: {}
"""
    plain = openapi.read(document)
    assert [r.key for r in plain.routes] == ["GET /a", "$default"]
    assert plain.routes[0].integration is not None
    assert plain.routes[0].integration["PayloadFormatVersion"] == "1.0"
    assert len(plain.warnings) == 1 and "request-validator" in plain.warnings[0]
    prefixed = openapi.read(document, "prepend")
    assert [r.key for r in prefixed.routes] == ["GET /v1/a", "$default"]


def test_identity_sources_by_protocol() -> None:
    from altus.apigatewayv2 import checks

    checks.identity_sources("HTTP", ["$request.header.Authorization", "$context.requestId"])
    checks.identity_sources("WEBSOCKET", ["route.request.querystring.token", "stageVariables.k"])
    for protocol, source in (
        ("HTTP", "route.request.header.Auth"),
        ("HTTP", "$request.body.x"),
        ("WEBSOCKET", "header.Auth"),
    ):
        with pytest.raises(BadRequest):
            checks.identity_sources(protocol, [source])


def test_lambda_uris() -> None:
    from altus.apigatewayv2 import checks

    function = "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert checks.function_of(function) == function
    assert checks.function_of(f"{function}:live") is not None
    assert checks.function_of("arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}")
    wrapped = (
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations"
    )
    assert checks.function_of(wrapped) == wrapped
    for bad in ("arn:aws:sqs:us-east-1:1:q", "arn:aws:apigateway:x:lambda:path/nope/invocations"):
        assert checks.function_of(bad) is None
