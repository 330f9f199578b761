"""API Gateway's answers: functions' proxy responses, HTTP APIs' errors, REST's gateway
responses."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from altus.gateway.answers import (
    EXPLICIT_DENY,
    REST_DEFAULTS,
    http_answer_v2,
    http_error,
    proxy_answer_v1,
    rest_error,
)
from altus.gateway.deployed import GatewayResponse


def dumps(value: object) -> bytes:
    return json.dumps(value).encode()


# --- payload 2.0 --------------------------------------------------------------------------


def test_v2_structured() -> None:
    answer = http_answer_v2(
        dumps(
            {
                "statusCode": 201,
                "headers": {"X-Thing": "a", "Content-Type": "text/html", "Content-Length": "9"},
                "cookies": ["a=1", "b=2; Max-Age=5"],
                "body": "<p/>",
            }
        )
    )
    assert answer is not None
    assert answer.status == 201 and answer.body == b"<p/>"
    assert answer.headers == [
        ("x-thing", "a"),
        ("content-type", "text/html"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2; Max-Age=5"),
    ]


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], 5, None, True])
def test_v2_inferred_200_json(value: object) -> None:
    payload = dumps(value)
    answer = http_answer_v2(payload)
    assert answer is not None
    assert (answer.status, answer.headers, answer.body) == (
        200,
        [("content-type", "application/json")],
        payload,
    )


def test_v2_string_is_the_body_itself() -> None:
    answer = http_answer_v2(b'"Hello from Lambda!"')
    assert answer is not None and answer.body == b"Hello from Lambda!"


def test_v2_base64_body() -> None:
    raw = b"\x00\x01binary"
    answer = http_answer_v2(
        dumps({"statusCode": 200, "body": base64.b64encode(raw).decode(), "isBase64Encoded": True})
    )
    assert answer is not None and answer.body == raw


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"",
        dumps({"statusCode": "abc"}),
        dumps({"statusCode": 99}),
        dumps({"statusCode": True}),
        dumps({"statusCode": 200, "headers": []}),
        dumps({"statusCode": 200, "headers": {"x": {"nested": 1}}}),
        dumps({"statusCode": 200, "headers": {"bad name": "v"}}),
        dumps({"statusCode": 200, "headers": {"x": "a\nb"}}),
        dumps({"statusCode": 200, "cookies": "a=1"}),
        dumps({"statusCode": 200, "body": "%%%", "isBase64Encoded": True}),
    ],
)
def test_v2_malformed(payload: bytes) -> None:
    assert http_answer_v2(payload) is None


# --- payload 1.0 --------------------------------------------------------------------------


def test_v1_headers_merged_multi_wins() -> None:
    answer = proxy_answer_v1(
        dumps(
            {
                "statusCode": 200,
                "headers": {"X-A": "single", "X-B": "b"},
                "multiValueHeaders": {"x-a": ["m1", "m2"], "Set-Cookie": ["c=1", "d=2"]},
                "body": "ok",
            }
        ),
        rest=True,
    )
    assert answer is not None
    assert answer.headers == [
        ("x-b", "b"),
        ("x-a", "m1"),
        ("x-a", "m2"),
        ("set-cookie", "c=1"),
        ("set-cookie", "d=2"),
        ("content-type", "application/json"),
    ]
    assert answer.body == b"ok"


@pytest.mark.parametrize(
    ("payload", "rest", "valid"),
    [
        (dumps({"statusCode": 200}), True, True),
        (dumps({"statusCode": "204"}), True, True),
        (dumps({"body": "x"}), True, False),  # no statusCode
        (dumps({"statusCode": 200, "extra": 1}), True, False),  # REST allows no other key
        (dumps({"statusCode": 200, "extra": 1}), False, True),
        (dumps({"statusCode": 200, "body": {"a": 1}}), True, False),  # body not a string
        (dumps({"statusCode": 200, "multiValueHeaders": {"x": "notalist"}}), True, False),
        (dumps([1]), True, False),
        (b"{", True, False),
    ],
)
def test_v1_malformed(payload: bytes, rest: bool, valid: bool) -> None:
    assert (proxy_answer_v1(payload, rest=rest) is not None) is valid


@pytest.mark.parametrize(
    ("types", "accept", "decoded"),
    [
        (("image/png",), "image/png", True),
        (("image/*",), "image/png,text/html", True),
        (("image/png",), "text/html,image/png", False),  # only the first Accept type counts
        (("image/png",), None, False),
        (("*/*",), None, True),
        ((), "image/png", False),
    ],
)
def test_rest_base64_answer_needs_an_accepted_binary_type(
    types: tuple[str, ...], accept: str | None, decoded: bool
) -> None:
    raw = b"\x89PNG"
    text = base64.b64encode(raw).decode()
    payload = dumps({"statusCode": 200, "body": text, "isBase64Encoded": True})
    answer = proxy_answer_v1(payload, binary_media_types=types, accept=accept, rest=True)
    assert answer is not None
    assert answer.body == (raw if decoded else text.encode())


def test_http_v1_always_decodes_base64() -> None:
    payload = dumps(
        {"statusCode": 200, "body": base64.b64encode(b"x").decode(), "isBase64Encoded": True}
    )
    answer = proxy_answer_v1(payload, rest=False)
    assert answer is not None and answer.body == b"x"


@given(
    st.dictionaries(
        st.from_regex(r"x-[a-z]{1,8}", fullmatch=True),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
        max_size=5,
    )
)
def test_v1_headers_roundtrip(headers: dict[str, str]) -> None:
    answer = proxy_answer_v1(dumps({"statusCode": 200, "headers": headers}), rest=True)
    assert answer is not None
    assert dict(answer.headers[:-1]) == headers


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [(404, "Not Found"), (500, "Internal Server Error"), (503, "Service Unavailable")],
)
def test_http_error(status: int, message: str) -> None:
    answer = http_error(status, message, [("WWW-Authenticate", "Bearer")])
    assert answer.status == status
    assert json.loads(answer.body) == {"message": message}
    assert answer.headers == [("content-type", "application/json"), ("www-authenticate", "Bearer")]


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        ("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token"),
        ("UNAUTHORIZED", 401, "Unauthorized"),
        ("INVALID_API_KEY", 403, "Forbidden"),
        ("THROTTLED", 429, "Too Many Requests"),
        ("QUOTA_EXCEEDED", 429, "Limit Exceeded"),
        ("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out"),
        ("DEFAULT_5XX", 500, "Internal server error"),
    ],
)
def test_rest_defaults(kind: str, status: int, message: str) -> None:
    answer = rest_error(kind, {"requestId": "r"}, {})
    assert answer.status == status
    assert json.loads(answer.body) == {"message": message}
    assert answer.header("x-amzn-errortype") == REST_DEFAULTS[kind].error_type


def test_rest_explicit_deny_says_message_with_a_capital() -> None:
    answer = rest_error("ACCESS_DENIED", {"error.message": EXPLICIT_DENY}, {})
    assert answer.status == 403 and json.loads(answer.body) == {"Message": EXPLICIT_DENY}


def test_rest_authorizer_failure_message_is_null() -> None:
    answer = rest_error("AUTHORIZER_FAILURE", {}, {})
    assert answer.status == 500 and json.loads(answer.body) == {"message": None}


def test_rest_status_override() -> None:
    assert rest_error("DEFAULT_5XX", {}, {}, status=502).status == 502


def test_rest_customised_response() -> None:
    responses = {
        "UNAUTHORIZED": GatewayResponse(
            status=418,
            headers={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
            templates={
                "application/json": '{"m":$context.error.messageString,'
                '"id":"$context.requestId","t":"$context.error.responseType"}'
            },
        )
    }
    answer = rest_error("UNAUTHORIZED", {"requestId": "req-9"}, responses)
    assert answer.status == 418
    assert answer.header("access-control-allow-origin") == "*"
    assert json.loads(answer.body) == {"m": "Unauthorized", "id": "req-9", "t": "UNAUTHORIZED"}


def test_rest_default_4xx_applies_to_types_not_customised() -> None:
    responses = {
        "DEFAULT_4XX": GatewayResponse(
            headers={"X-Custom": "'yes'"},
            templates={"application/json": '{"e":"$context.error.message"}'},
        )
    }
    answer = rest_error("MISSING_AUTHENTICATION_TOKEN", {}, responses)
    assert answer.status == 403
    assert answer.header("x-custom") == "yes"
    assert json.loads(answer.body) == {"e": "Missing Authentication Token"}
    untouched = rest_error("DEFAULT_5XX", {}, responses)
    assert untouched.header("x-custom") is None


def test_rest_default_4xx_status_changes_other_4xx_types() -> None:
    responses = {
        "DEFAULT_4XX": GatewayResponse(status=400),
        "THROTTLED": GatewayResponse(status=503),
    }
    assert rest_error("MISSING_AUTHENTICATION_TOKEN", {}, responses).status == 400
    assert rest_error("THROTTLED", {}, responses).status == 503  # its own wins
    assert rest_error("INTEGRATION_TIMEOUT", {}, responses).status == 504
