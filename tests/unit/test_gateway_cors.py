"""HTTP APIs' CORS: preflight answers and the headers added to every answer."""

from __future__ import annotations

import pytest

from altus.gateway.cors import cors_headers, is_preflight, preflight_headers
from altus.gateway.deployed import Cors

CORS = Cors(
    allow_origins=("https://app.example", "https://*.example.org"),
    allow_methods=("GET", "POST"),
    allow_headers=("content-type", "x-api-key"),
    expose_headers=("x-request-id",),
    allow_credentials=True,
    max_age=600,
)


@pytest.mark.parametrize(
    ("method", "headers", "preflight"),
    [
        ("OPTIONS", {"Origin": "o", "Access-Control-Request-Method": "GET"}, True),
        ("options", {"origin": "o", "access-control-request-method": "GET"}, True),
        ("OPTIONS", {"Origin": "o"}, False),
        ("GET", {"Origin": "o", "Access-Control-Request-Method": "GET"}, False),
    ],
)
def test_is_preflight(method: str, headers: dict[str, str], preflight: bool) -> None:
    assert is_preflight(method, headers) is preflight


def test_preflight_allowed() -> None:
    headers = dict(preflight_headers(CORS, "https://app.example", "POST", "Content-Type"))
    assert headers == {
        "access-control-allow-origin": "https://app.example",
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET,POST",
        "access-control-allow-headers": "content-type,x-api-key",
        "access-control-expose-headers": "x-request-id",
        "access-control-max-age": "600",
    }


@pytest.mark.parametrize(
    ("origin", "method", "request_headers"),
    [
        ("https://evil.example", "GET", None),
        (None, "GET", None),
        ("https://app.example", "DELETE", None),
        ("https://app.example", "GET", "x-other"),
        ("https://app.example", None, None),
    ],
)
def test_preflight_refused_gets_no_cors_headers(
    origin: str | None, method: str | None, request_headers: str | None
) -> None:
    assert preflight_headers(CORS, origin, method, request_headers) == []


def test_wildcard_origin_and_subdomains() -> None:
    anyone = Cors(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    assert dict(cors_headers(anyone, "http://x"))["access-control-allow-origin"] == "*"
    assert preflight_headers(anyone, "http://x", "PATCH", "x-a, x-b") != []
    sub = dict(cors_headers(CORS, "https://a.example.org"))
    assert sub["access-control-allow-origin"] == "https://a.example.org"


def test_cors_headers() -> None:
    assert cors_headers(CORS, "https://app.example") == [
        ("access-control-allow-origin", "https://app.example"),
        ("access-control-allow-credentials", "true"),
        ("access-control-expose-headers", "x-request-id"),
    ]
    assert cors_headers(CORS, "https://evil.example") == []
    assert cors_headers(CORS, None) == []
