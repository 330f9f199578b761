"""OpenAPI documents read for ImportApi (``apigatewayv2.openapi.read``): values of the
wrong type refused before anything is planned, schemes API Gateway does not implement
ignored with a warning, YAML aliases and deep nesting refused; and the AWS_IAM routes an
export writes (``write``) read back as AWS_IAM."""

from __future__ import annotations

import json
from typing import Any

import pytest

from altus.apigatewayv2 import openapi
from altus.apigatewayv2.errors import BadRequest

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:handler"
INVOCATION = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations"


def _doc(**extra: Any) -> dict[str, Any]:
    return {"openapi": "3.0.1", "info": {"title": "t"}, **extra}


def _route(integration: dict[str, Any], **operation: Any) -> dict[str, Any]:
    given = {"type": "aws_proxy", "uri": FUNCTION, "payloadFormatVersion": "2.0", **integration}
    return {"/a": {"get": {f"{openapi.EXT}integration": given, **operation}}}


def _refused(document: dict[str, Any] | str) -> str:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(BadRequest) as raised:
        openapi.read(text)
    return str(raised.value)


@pytest.mark.parametrize(
    ("document", "member"),
    [
        (_doc(paths=_route({"timeoutInMillis": "abc"})), "TimeoutInMillis"),
        (_doc(paths=_route({"requestParameters": [[1, 2], [3]]})), "RequestParameters"),
        (_doc(paths=_route({"requestParameters": {"overwrite:path": 5}})), "RequestParameters"),
        (_doc(paths=_route({"uri": ["not", "a", "string"]})), "IntegrationUri"),
        (_doc(**{f"{openapi.EXT}cors": {"allowOrigins": "https://a.example"}}), "AllowOrigins"),
        (_doc(**{f"{openapi.EXT}cors": {"allowCredentials": "yes"}}), "AllowCredentials"),
        (_doc(**{f"{openapi.EXT}cors": {"maxAge": "x"}}), "MaxAge"),
        (
            _doc(
                components={
                    "securitySchemes": {
                        "r": {
                            f"{openapi.EXT}authorizer": {
                                "type": "request",
                                "authorizerUri": INVOCATION,
                                "authorizerPayloadFormatVersion": "2.0",
                                "authorizerResultTtlInSeconds": "x",
                            }
                        }
                    }
                }
            ),
            "AuthorizerResultTtlInSeconds",
        ),
        (
            _doc(
                components={
                    "securitySchemes": {
                        "j": {
                            f"{openapi.EXT}authorizer": {
                                "type": "jwt",
                                "jwtConfiguration": {"issuer": "https://i", "audience": "a"},
                            }
                        }
                    }
                }
            ),
            "Audience",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_its_member(
    document: dict[str, Any], member: str
) -> None:
    assert member in _refused(document)


@pytest.mark.parametrize(
    "document",
    [
        _doc(paths=[]),
        _doc(components=[1]),
        _doc(components={"securitySchemes": "x"}),
        _doc(
            components={
                "securitySchemes": {
                    "j": {f"{openapi.EXT}authorizer": {"type": "jwt", "jwtConfiguration": "x"}}
                }
            }
        ),
        _doc(info={"title": ["t"]}),
        _doc(info={"title": "t", "description": {"a": 1}}),
        _doc(paths=_route({}, operationId=["x"])),
        _doc(paths=_route({}, security="open")),
    ],
)
def test_a_node_of_the_wrong_kind_is_refused(document: dict[str, Any]) -> None:
    assert _refused(document).startswith("Invalid OpenAPI input")


def test_numbers_written_unquoted_in_yaml_are_taken_as_their_text() -> None:
    text = (
        "openapi: 3.0.1\ninfo: {title: t, version: 1.0}\npaths:\n  /a:\n    get:\n"
        f"      x-amazon-apigateway-integration: {{type: aws_proxy, uri: '{FUNCTION}', "
        "payloadFormatVersion: 2.0, timeoutInMillis: 5000}\n"
    )
    found = openapi.read(text)
    assert found.version == "1.0"
    integration = found.routes[0].integration
    assert integration is not None
    assert integration["PayloadFormatVersion"] == "2.0" and integration["TimeoutInMillis"] == 5000


def test_a_scheme_api_gateway_does_not_implement_leaves_the_route_open_with_a_warning() -> None:
    document = _doc(
        components={"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        paths=_route({}, security=[{"bearer": []}]),
    )
    found = openapi.read(json.dumps(document))
    assert found.routes[0].authorization_type == "NONE"
    assert found.routes[0].authorizer is None
    assert any("bearer" in w and "NONE" in w for w in found.warnings)


def test_yaml_aliases_are_refused() -> None:
    lines = ['a0: &a0 ["xxxxxxxxxx"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    text = "openapi: 3.0.1\nanchors:\n" + "\n".join("  " + line for line in lines)
    text += "\ninfo:\n  title: t\n  description: *a6\npaths: {}\n"
    assert "aliases" in _refused(text)


@pytest.mark.parametrize(
    "text",
    [
        "openapi: 3.0.1\ninfo: {title: t}\nx: " + "[" * 50_000 + "]" * 50_000,
        '{"openapi":"3.0.1","info":{"title":"t"},"x":' + "[" * 50_000 + "]" * 50_000 + "}",
    ],
)
def test_a_document_nested_too_deeply_is_refused(text: str) -> None:
    assert "nested too deeply" in _refused(text)


def test_an_aws_iam_route_is_exported_with_a_sigv4_scheme_and_read_back_as_aws_iam() -> None:
    captured: dict[str, Any] = {
        "routes": [
            {"RouteId": "r1", "RouteKey": "GET /secret", "AuthorizationType": "AWS_IAM"},
            {"RouteId": "r2", "RouteKey": "GET /open", "AuthorizationType": "NONE"},
        ],
        "integrations": {},
        "authorizers": {},
        "cors": None,
    }
    written = openapi.write({"Name": "n"}, captured, extensions=True, as_yaml=False)
    document = json.loads(written)
    scheme = document["components"]["securitySchemes"]["sigv4"]
    assert scheme == {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        f"{openapi.EXT}authtype": "awsSigv4",
    }
    assert document["paths"]["/secret"]["get"]["security"] == [{"sigv4": []}]
    assert "security" not in document["paths"]["/open"]["get"]
    found = {r.key: r.authorization_type for r in openapi.read(written.decode()).routes}
    assert found == {"GET /secret": "AWS_IAM", "GET /open": "NONE"}
