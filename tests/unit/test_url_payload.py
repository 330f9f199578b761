"""Function URLs, the pure parts: the v2 event, the answer made of a response, CORS."""

from __future__ import annotations

import base64
import json

import pytest

from altus.awslambda import url_cors
from altus.awslambda.url_payload import (
    MAX_PRELUDE,
    PRELUDE_END,
    Head,
    UrlRequest,
    buffered_answer,
    build_event,
    prelude_head,
    split_prelude,
    with_headers,
)
from altus.gateway.events import is_text
from altus.runtime_api.stream import HTTP_INTEGRATION

URL_ID = "a" * 32


def request(**changes: object) -> UrlRequest:
    values: dict[str, object] = {
        "method": "POST",
        "raw_path": "/my/path",
        "raw_query": "a=1&a=2&b=x%20y&c=",
        "headers": [
            ("Host", "example"),
            ("User-Agent", "agent"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Cookie", "c1=v1; c2=v2"),
            ("Cookie", "c3=v3"),
            ("Content-Type", "application/json"),
        ],
        "body": b'{"k": "v"}',
        "source_ip": "10.1.2.3",
        "port": 8080,
    }
    values.update(changes)
    return UrlRequest(**values)  # type: ignore[arg-type]


def event(**changes: object) -> dict[str, object]:
    return build_event(
        request(**changes),
        url_id=URL_ID,
        domain_name="example",
        request_id="rid",
        now_ms=1583348638390,
    )


def test_the_event_has_lambdas_v2_shape() -> None:
    got = event()
    assert got["version"] == "2.0" and got["routeKey"] == "$default"
    assert got["rawPath"] == "/my/path"
    assert got["rawQueryString"] == "a=1&a=2&b=x%20y&c="
    assert got["cookies"] == ["c1=v1", "c2=v2", "c3=v3"]
    headers = got["headers"]
    assert isinstance(headers, dict)
    assert "cookie" not in headers
    assert headers["x-multi"] == "one,two" and headers["user-agent"] == "agent"
    assert headers["x-forwarded-for"] == "10.1.2.3"
    assert headers["x-forwarded-proto"] == "http" and headers["x-forwarded-port"] == "8080"
    assert got["queryStringParameters"] == {"a": "1,2", "b": "x y", "c": ""}
    assert got["requestContext"] == {
        "accountId": "anonymous",
        "apiId": URL_ID,
        "domainName": "example",
        "domainPrefix": URL_ID,
        "http": {
            "method": "POST",
            "path": "/my/path",
            "protocol": "HTTP/1.1",
            "sourceIp": "10.1.2.3",
            "userAgent": "agent",
        },
        "requestId": "rid",
        "routeKey": "$default",
        "stage": "$default",
        "time": "04/Mar/2020:19:03:58 +0000",
        "timeEpoch": 1583348638390,
    }
    assert got["body"] == '{"k": "v"}' and got["isBase64Encoded"] is False


def test_no_query_no_cookies_no_body() -> None:
    got = event(raw_query="", headers=[("Host", "h")], body=b"")
    assert "queryStringParameters" not in got and "cookies" not in got
    assert "body" not in got and got["isBase64Encoded"] is False
    assert got["rawQueryString"] == ""


def test_a_forwarded_for_header_gets_the_client_appended() -> None:
    got = event(headers=[("X-Forwarded-For", "1.1.1.1")])
    assert got["headers"]["x-forwarded-for"] == "1.1.1.1, 10.1.2.3"  # type: ignore[index]


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("text/plain", True),
        ("text/html;charset=latin-1", True),
        ("application/xml", True),
        ("application/javascript", True),
        ("application/octet-stream", False),
        ("application/x-www-form-urlencoded", False),
        ("image/png", False),
        (None, False),
    ],
)
def test_which_bodies_are_text(content_type: str | None, text: bool) -> None:
    assert is_text(content_type) is text
    headers = [("Content-Type", content_type)] if content_type else []
    got = event(headers=headers, body=b"a=1&b=2")
    assert got["isBase64Encoded"] is (not text)
    assert got["body"] == ("a=1&b=2" if text else base64.b64encode(b"a=1&b=2").decode())


def test_a_text_body_that_is_not_utf8_is_base64() -> None:
    got = event(body=b"\xff\xfe")
    assert got["isBase64Encoded"] is True and got["body"] == "//4="


# --- answers -------------------------------------------------------------------------------


def test_a_structured_response() -> None:
    answer = buffered_answer(
        json.dumps(
            {
                "statusCode": 201,
                "headers": {
                    "X-Custom": "v",
                    "Content-Type": "text/plain",
                    "Content-Length": "999",
                    "X-Num": 5,
                },
                "cookies": ["a=1; Max-Age=10", "b=2"],
                "body": "created",
            }
        ).encode(),
        "application/json",
    )
    assert answer is not None
    assert answer.head.status == 201 and answer.body == b"created"
    assert answer.head.headers == [
        ("x-custom", "v"),
        ("content-type", "text/plain"),
        ("x-num", "5"),
        ("set-cookie", "a=1; Max-Age=10"),
        ("set-cookie", "b=2"),
    ]


def test_a_binary_body_and_the_default_content_type() -> None:
    raw = bytes(range(256))
    answer = buffered_answer(
        json.dumps(
            {
                "statusCode": 200,
                "body": base64.b64encode(raw).decode(),
                "isBase64Encoded": True,
            }
        ).encode(),
        None,
    )
    assert answer is not None and answer.body == raw
    assert answer.head.headers == [("content-type", "application/json")]


@pytest.mark.parametrize(
    "payload",
    [
        b'{"message": "hi"}',
        b'"Hello, world!"',
        b"[1, 2]",
        b"42",
        b"null",
        b'{"statusCodeX": 1}',
    ],
)
def test_json_without_a_status_code_is_the_body(payload: bytes) -> None:
    answer = buffered_answer(payload, "application/json")
    assert answer is not None
    assert answer.head == Head(200, [("content-type", "application/json")])
    assert answer.body == payload


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"statusCode": "abc"}',
        b'{"statusCode": 99}',
        b'{"statusCode": true}',
        b'{"statusCode": 200, "headers": ["x"]}',
        b'{"statusCode": 200, "cookies": "a=1"}',
        b'{"statusCode": 200, "body": "!!", "isBase64Encoded": true}',
        b'{"statusCode": 200, "headers": {"x": "a\\r\\nSet-Cookie: evil"}}',
    ],
)
def test_malformed_responses_give_none(payload: bytes) -> None:
    assert buffered_answer(payload, "application/json") is None


def test_a_streamed_response_to_a_buffered_url_keeps_its_type() -> None:
    answer = buffered_answer(b"plain bytes", "text/event-stream")
    assert answer is not None
    assert answer.head == Head(200, [("content-type", "text/event-stream")])
    prelude = json.dumps({"statusCode": 404, "headers": {"x-a": "b"}}).encode()
    answer = buffered_answer(prelude + PRELUDE_END + b"missing", HTTP_INTEGRATION)
    assert answer is not None and answer.head.status == 404 and answer.body == b"missing"


def test_prelude_split_waits_for_its_delimiter() -> None:
    prelude = json.dumps({"statusCode": 202, "cookies": ["a=b"]}).encode()
    assert split_prelude(prelude[:5], final=False) is None
    split = split_prelude(prelude + PRELUDE_END + b"body" + PRELUDE_END, final=False)
    assert split is not None
    assert split[0]["statusCode"] == 202 and split[1] == b"body" + PRELUDE_END
    # A stream that ends inside its prelude has no body.
    assert split_prelude(prelude, final=True) == ({"statusCode": 202, "cookies": ["a=b"]}, b"")
    assert split_prelude(b"{broken" + PRELUDE_END, final=False) is None
    head = prelude_head(split[0])
    assert head == Head(202, [("content-type", "application/octet-stream"), ("set-cookie", "a=b")])
    assert prelude_head({}) == Head(200, [("content-type", "application/octet-stream")])
    assert prelude_head({"statusCode": "x"}) is None


def test_platform_headers_replace_the_functions() -> None:
    head = Head(200, [("access-control-allow-origin", "*"), ("x-a", "1")])
    replaced = with_headers(head, [("access-control-allow-origin", "https://a.example")])
    assert replaced.headers == [("x-a", "1"), ("access-control-allow-origin", "https://a.example")]
    assert with_headers(head, []) is head


# --- CORS ------------------------------------------------------------------------------------

CORS = {
    "AllowOrigins": ["https://a.example"],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["X-Custom", "Content-Type"],
    "ExposeHeaders": ["X-Out"],
    "MaxAge": 300,
    "AllowCredentials": True,
}


def test_preflight_of_an_allowed_origin_method_and_headers() -> None:
    assert url_cors.is_preflight("OPTIONS", "https://a.example", "POST")
    assert not url_cors.is_preflight("OPTIONS", "https://a.example", None)
    assert not url_cors.is_preflight("GET", "https://a.example", "POST")
    assert url_cors.preflight_headers(CORS, "https://a.example", "post", "x-custom") == [
        ("access-control-allow-origin", "https://a.example"),
        ("access-control-allow-methods", "GET,POST"),
        ("access-control-allow-headers", "x-custom,content-type"),
        ("access-control-allow-credentials", "true"),
        ("access-control-max-age", "300"),
        ("vary", "Origin"),
    ]


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [
        ("https://evil.example", "GET", None),
        ("https://a.example", "DELETE", None),
        ("https://a.example", "GET", "X-Other"),
        (None, "GET", None),
    ],
)
def test_preflights_that_are_refused_get_no_cors_headers(
    origin: str | None, method: str, headers: str | None
) -> None:
    assert url_cors.preflight_headers(CORS, origin, method, headers) == []


def test_wildcards() -> None:
    anything = {"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"]}
    assert url_cors.preflight_headers(anything, "https://x.example", "PATCH", "X-Any") == [
        ("access-control-allow-origin", "*"),
        ("access-control-allow-methods", "*"),
        ("access-control-allow-headers", "*"),
    ]
    assert url_cors.response_headers(anything, "https://x.example") == [
        ("access-control-allow-origin", "*")
    ]
    # Credentials cannot go with a wildcard origin: the origin is named instead.
    credentials = {**anything, "AllowCredentials": True}
    assert url_cors.allowed_origin(credentials, "https://x.example") == "https://x.example"


def test_headers_of_ordinary_responses() -> None:
    assert url_cors.response_headers(CORS, "https://A.example") == [
        ("access-control-allow-origin", "https://A.example"),
        ("access-control-allow-credentials", "true"),
        ("access-control-expose-headers", "X-Out"),
        ("vary", "Origin"),
    ]
    assert url_cors.response_headers(CORS, "https://evil.example") == []
    assert url_cors.response_headers(CORS, None) == []
    assert url_cors.response_headers(None, "https://a.example") == []


def test_a_prelude_too_big_is_refused_however_it_arrives() -> None:
    prelude = json.dumps({"statusCode": 200, "headers": {"x-big": "v" * MAX_PRELUDE}}).encode()
    assert split_prelude(prelude + PRELUDE_END + b"body", final=False) is None
    assert split_prelude(prelude + PRELUDE_END + b"body", final=True) is None
    assert split_prelude(prelude, final=True) is None
