"""The request values the gateway's logic shares."""

from __future__ import annotations

from altus.gateway.request import GatewayRequest


def test_header_lookup_ignores_case_and_takes_the_first() -> None:
    request = GatewayRequest(
        method="GET",
        path="/",
        stage_path="/",
        raw_query="",
        headers=[("Content-Type", "a"), ("content-type", "b")],
        body=b"",
        source_ip="127.0.0.1",
        domain_name="localhost",
        domain_prefix="api",
    )
    assert request.header("CONTENT-TYPE") == "a"
    assert request.header("accept") is None
