"""Integrations: Lambda function ARNs and HTTP proxy URLs, with stage variables."""

from __future__ import annotations

import pytest

from altus.gateway.deployed import Route
from altus.gateway.integrations import function_arn, http_target, substitute
from altus.gateway.request import GatewayRequest, Matched

FN = "arn:aws:lambda:us-east-1:123456789012:function:pets"


@pytest.mark.parametrize(
    ("uri", "variables", "expected"),
    [
        (FN, {}, FN),
        (FN + ":live", {}, FN + ":live"),
        (
            f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations",
            {},
            FN,
        ),
        (
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations",
            {"fn": "pets:prod"},
            FN + ":prod",
        ),
        ("https://example.com/x", {}, None),
        ("arn:aws:sqs:us-east-1:123456789012:q", {}, None),
        ("", {}, None),
    ],
)
def test_function_arn(uri: str, variables: dict[str, str], expected: str | None) -> None:
    assert function_arn(uri, variables) == expected


def test_substitute() -> None:
    assert substitute("a-${stageVariables.x}-${stageVariables.y}", {"x": "1"}) == "a-1-"
    assert substitute("plain", {}) == "plain"


def request(path: str, raw_query: str = "") -> GatewayRequest:
    return GatewayRequest(
        method="GET",
        path=path,
        stage_path="/prod" + path,
        raw_query=raw_query,
        headers=[],
        body=b"",
        source_ip="127.0.0.1",
        domain_name="localhost",
        domain_prefix="api",
    )


def matched(key: str, parameters: dict[str, str]) -> Matched:
    if key == "$default":
        return Matched(Route("r", key, "", "", None), parameters)
    method, path = key.split(" ", 1)
    return Matched(Route("r", key, method, path, None), parameters)


@pytest.mark.parametrize(
    ("uri", "key", "parameters", "path", "query", "rest", "expected"),
    [
        (
            "http://backend/{proxy}",
            "ANY /{proxy+}",
            {"proxy": "a/b c"},
            "/a/b%20c",
            "x=1",
            True,
            "http://backend/a/b%20c?x=1",
        ),
        (
            "http://backend/pets/{id}",
            "GET /pets/{id}",
            {"id": "a/b"},
            "/pets/a%2Fb",
            "",
            True,
            "http://backend/pets/a%2Fb",
        ),
        (
            "http://${stageVariables.host}/items/{rest}",
            "GET /items/{rest+}",
            {"rest": "x/y"},
            "/items/x/y",
            "",
            False,
            "http://svc:8080/items/x/y",
        ),
        (
            "http://backend/files/{proxy}",
            "GET /files/{path+}",
            {"path": "a/b"},
            "/files/a/b",
            "",
            False,
            "http://backend/files/a/b",
        ),
        (
            "http://backend/",
            "$default",
            {},
            "/store/checkout",
            "q=1",
            False,
            "http://backend/store/checkout?q=1",
        ),
        ("http://backend/exact", "GET /pets", {}, "/pets", "", False, "http://backend/exact"),
        ("http://backend/x?a=1", "GET /pets", {}, "/pets", "b=2", True, "http://backend/x?a=1&b=2"),
    ],
)
def test_http_target(
    uri: str,
    key: str,
    parameters: dict[str, str],
    path: str,
    query: str,
    rest: bool,
    expected: str,
) -> None:
    target = http_target(
        uri, {"host": "svc:8080"}, matched(key, parameters), request(path, query), rest=rest
    )
    assert target == expected
