"""API Gateway's events: REST and HTTP API 1.0 proxy events, 2.0 events, authorizers'."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from altus.gateway.deployed import Deployment, Route, Stage
from altus.gateway.events import (
    http_event_v2,
    is_binary,
    method_arn,
    proxy_event_v1,
    request_authorizer_event,
    token_authorizer_event,
)
from altus.gateway.request import EventContext, GatewayRequest, Matched

NOW_MS = 1_583_348_638_390


def stage(
    name: str = "prod", variables: dict[str, str] | None = None, binary: tuple[str, ...] = ()
) -> Stage:
    deployment = Deployment(
        id="dep1", api_id="abc123", protocol="HTTP", routes=(), binary_media_types=binary
    )
    return Stage(
        api_id="abc123",
        name=name,
        deployment=deployment,
        variables=variables or {},
        account_id="123456789012",
    )


ROUTE = Route(id="r1", key="GET /pets/{id}", method="GET", path="/pets/{id}", integration=None)


def request(**changes: Any) -> GatewayRequest:
    values: dict[str, Any] = {
        "method": "GET",
        "path": "/pets/7",
        "stage_path": "/prod/pets/7",
        "raw_query": "a=1&a=2&b=x%20y",
        "headers": [
            ("Host", "abc123.execute-api.localhost"),
            ("User-Agent", "curl/8"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Cookie", "c1=v1; c2=v2"),
        ],
        "body": b"",
        "source_ip": "127.0.0.1",
        "domain_name": "abc123.execute-api.localhost",
        "domain_prefix": "abc123",
    }
    values.update(changes)
    return GatewayRequest(**values)


def context(**changes: Any) -> EventContext:
    values: dict[str, Any] = {
        "stage": stage(),
        "matched": Matched(ROUTE, {"id": "7"}),
        "request_id": "req-1",
        "now_ms": NOW_MS,
        "region": "us-east-1",
    }
    values.update(changes)
    return EventContext(**values)


def test_v2_event_fields() -> None:
    event = http_event_v2(request(), context())
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /pets/{id}"
    assert event["rawPath"] == "/prod/pets/7"  # the stage is part of the path sent
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-multi"] == "one,two"
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["pathParameters"] == {"id": "7"}
    assert "stageVariables" not in event
    assert "body" not in event and event["isBase64Encoded"] is False
    rc = event["requestContext"]
    assert rc["accountId"] == "123456789012" and rc["apiId"] == "abc123"
    assert rc["stage"] == "prod" and rc["routeKey"] == "GET /pets/{id}"
    assert rc["http"] == {
        "method": "GET",
        "path": "/prod/pets/7",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8",
    }
    assert rc["time"] == "04/Mar/2020:19:03:58 +0000" and rc["timeEpoch"] == NOW_MS
    assert rc["domainPrefix"] == "abc123" and rc["requestId"] == "req-1"
    assert "authorizer" not in rc


def test_v2_leaves_out_what_is_empty_and_keeps_stage_variables() -> None:
    event = http_event_v2(
        request(raw_query="", headers=[]),
        context(matched=Matched(ROUTE, {}), stage=stage(variables={"v": "1"})),
    )
    assert "queryStringParameters" not in event and "cookies" not in event
    assert "pathParameters" not in event
    assert event["stageVariables"] == {"v": "1"}


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("application/json", b'{"a":1}', True),
        ("text/plain; charset=utf-8", b"hi", True),
        ("application/xml", b"<a/>", True),
        ("application/x-www-form-urlencoded", b"a=1", False),
        ("image/png", b"\x89PNG", False),
        (None, b"raw", False),
        ("text/plain", b"\xff\xfe", False),  # not UTF-8: base64 whatever the type
    ],
)
def test_v2_body_encoding(content_type: str | None, body: bytes, text: bool) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    event = http_event_v2(request(method="POST", headers=headers, body=body), context())
    assert event["isBase64Encoded"] is (not text)
    assert event["body"] == (body.decode() if text else base64.b64encode(body).decode())


def test_v2_authorizer_and_iam() -> None:
    shaped = {"lambda": {"user": "u1"}}
    event = http_event_v2(request(), context(authorizer=shaped))
    assert event["requestContext"]["authorizer"] == shaped
    principal = {"userArn": "arn:aws:iam::1:user/u", "accessKey": "AK", "accountId": "1"}
    iam = http_event_v2(request(), context(principal=principal))["requestContext"]
    assert iam["authorizer"]["iam"]["userArn"] == "arn:aws:iam::1:user/u"
    assert iam["authorizer"]["iam"]["accessKey"] == "AK"


def test_rest_event_fields() -> None:
    event = proxy_event_v1(
        request(),
        context(api_key="k", api_key_id="kid", stage=stage(variables={"s": "v"})),
        rest=True,
    )
    assert "version" not in event
    assert event["resource"] == "/pets/{id}"
    assert event["path"] == "/pets/7"  # within the stage
    assert event["httpMethod"] == "GET"
    assert event["headers"]["X-Multi"] == "one" and event["headers"]["x-multi"] == "two"
    assert event["multiValueHeaders"]["Cookie"] == ["c1=v1; c2=v2"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["queryStringParameters"] == {"a": "2", "b": "x y"}  # the last value
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert event["pathParameters"] == {"id": "7"}
    assert event["stageVariables"] == {"s": "v"}
    assert event["body"] is None and event["isBase64Encoded"] is False
    rc = event["requestContext"]
    assert rc["path"] == "/prod/pets/7" and rc["resourcePath"] == "/pets/{id}"
    assert rc["resourceId"] == "r1" and rc["httpMethod"] == "GET"
    assert rc["requestTimeEpoch"] == NOW_MS
    assert rc["requestTime"] == "04/Mar/2020:19:03:58 +0000"
    assert rc["identity"]["apiKey"] == "k" and rc["identity"]["apiKeyId"] == "kid"
    assert rc["identity"]["sourceIp"] == "127.0.0.1"
    assert rc["identity"]["userAgent"] == "curl/8"
    assert "authorizer" not in rc and "routeKey" not in rc


def test_forwarded_for_is_appended_to() -> None:
    sent = request(headers=[("x-forwarded-for", "10.0.0.1")], port=8080)
    headers = proxy_event_v1(sent, context(), rest=True)["multiValueHeaders"]
    assert headers["x-forwarded-for"] == ["10.0.0.1, 127.0.0.1"]
    assert headers["X-Forwarded-Port"] == ["8080"]
    v2 = http_event_v2(sent, context())["headers"]
    assert v2["x-forwarded-for"] == "10.0.0.1, 127.0.0.1" and v2["x-forwarded-port"] == "8080"


def test_rest_nulls_when_empty() -> None:
    event = proxy_event_v1(
        request(raw_query="", headers=[]), context(matched=Matched(ROUTE, {})), rest=True
    )
    for key in (
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
    ):
        assert event[key] is None, key


@pytest.mark.parametrize(
    ("content_type", "types", "encoded"),
    [
        ("image/png", ("image/png",), True),
        ("image/png", ("image/*",), True),
        ("application/json", ("*/*",), True),
        ("image/png", (), False),
        ("application/octet-stream", ("image/*",), False),
        ("IMAGE/PNG; x=1", ("image/png",), True),
    ],
)
def test_rest_binary_media_types(content_type: str, types: tuple[str, ...], encoded: bool) -> None:
    body = b"abc"
    event = proxy_event_v1(
        request(method="POST", headers=[("Content-Type", content_type)], body=body),
        context(stage=stage(binary=types)),
        rest=True,
    )
    assert event["isBase64Encoded"] is encoded
    assert event["body"] == (base64.b64encode(body).decode() if encoded else "abc")


def test_http_v1_event_differs_from_rest() -> None:
    event = proxy_event_v1(request(), context(), rest=False)
    assert event["version"] == "1.0"
    assert event["path"] == "/prod/pets/7"  # as sent, stage and all
    rc = event["requestContext"]
    # As HTTP APIs send it: no authorizer without one, no routeKey, the key as resourceId.
    assert "authorizer" not in rc and "routeKey" not in rc
    assert rc["resourceId"] == "GET /pets/{id}" and rc["resourcePath"] == "/pets/{id}"
    assert rc["path"] == "/prod/pets/7"
    assert "apiKey" not in rc["identity"] and rc["identity"]["cognitoAmr"] is None


def test_method_arn() -> None:
    assert (
        method_arn(stage(), "us-east-1", "GET", "/pets/7")
        == "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7"
    )
    assert method_arn(stage(), "us-east-1", "GET", "/").endswith("/prod/GET/")


def test_token_authorizer_event() -> None:
    assert token_authorizer_event("t", "arn:x") == {
        "type": "TOKEN",
        "methodArn": "arn:x",
        "authorizationToken": "t",
    }


def test_request_authorizer_events() -> None:
    body = request(body=b"secret")
    v2 = request_authorizer_event(
        body, context(), arn="arn:r", identity=["a", "b"], version="2.0", rest=False
    )
    assert v2["version"] == "2.0" and v2["type"] == "REQUEST" and v2["routeArn"] == "arn:r"
    assert v2["identitySource"] == ["a", "b"] and v2["rawPath"] == "/prod/pets/7"
    assert "body" not in v2
    v1 = request_authorizer_event(
        body, context(), arn="arn:m", identity=["a", "b"], version="1.0", rest=False
    )
    assert v1["version"] == "1.0" and v1["methodArn"] == "arn:m"
    assert v1["identitySource"] == "a,b" and v1["authorizationToken"] == "a,b"
    assert "body" not in v1
    rest = request_authorizer_event(
        body, context(), arn="arn:m", identity=["a"], version="1.0", rest=True
    )
    assert "version" not in rest and rest["type"] == "REQUEST" and rest["methodArn"] == "arn:m"
    assert rest["resource"] == "/pets/{id}" and "identitySource" not in rest


def test_is_binary_without_content_type() -> None:
    assert not is_binary(None, ("*/*",))
