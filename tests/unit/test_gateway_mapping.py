"""HTTP APIs' parameter mapping (``altus.gateway.mapping``)."""

from __future__ import annotations

from altus.gateway.mapping import Mapped, apply

HEADERS = [("Host", "x"), ("X-User", "alice"), ("Accept", "a"), ("Accept", "b")]


def _apply(parameters: dict[str, str], raw_query: str = "a=1&b=2") -> Mapped:
    return apply(
        parameters,
        headers=HEADERS,
        raw_query=raw_query,
        path="/pets/7",
        path_parameters={"id": "7"},
        context={"requestId": "rid", "stage": "prod"},
        stage_variables={"env": "test"},
    )


def test_headers_are_appended_overwritten_and_removed() -> None:
    found = apply(
        {
            "append:header.x-stage": "$stageVariables.env",
            "overwrite:header.x-user": "user-${request.header.x-user}",
            "remove:header.accept": "''",
        },
        headers=HEADERS,
        raw_query="",
        path="/",
        path_parameters={},
        context={},
        stage_variables={"env": "test"},
    )
    assert found.headers == [("Host", "x"), ("x-stage", "test"), ("x-user", "user-alice")]
    assert found.raw_query == "" and found.path is None


def test_query_strings_and_the_path() -> None:
    found = _apply(
        {
            "overwrite:querystring.a": "$request.path.id",
            "append:querystring.c": "$context.requestId",
            "remove:querystring.b": "''",
            "overwrite:path": "/v2$request.path",
        }
    )
    assert found.raw_query == "a=7&c=rid"
    assert found.path == "/v2/pets/7"


def test_nothing_mapped_keeps_the_query_as_sent() -> None:
    found = _apply({}, raw_query="a=%2F&b")
    assert found.raw_query == "a=%2F&b"
