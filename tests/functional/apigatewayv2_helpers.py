"""What the tests of API Gateway V2's control plane share: an in-process server and a
boto3 client of it (module fixtures: a test module takes them by assigning them to its
own names), an error call's code, message and status, and the stage the front door is
handed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.gateway.deployed import Stage
from altus.testing import Harness

ACCOUNT = "000000000000"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:handler"


@pytest.fixture(scope="module")
def altus() -> Iterator[Harness]:
    with Harness() as harness:
        yield harness


@pytest.fixture(scope="module")
def gw(altus: Harness) -> Any:
    return altus.client("apigatewayv2")


def error(call: Any, **members: Any) -> tuple[str, str, int]:
    """The code, message and HTTP status of the error ``call(**members)`` raises."""
    with pytest.raises(ClientError) as raised:
        call(**members)
    answer = raised.value.response
    return (
        answer["Error"]["Code"],
        answer["Error"]["Message"],
        answer["ResponseMetadata"]["HTTPStatusCode"],
    )


def served_stage(altus: Harness, api_id: str, name: str) -> Stage | None:
    """The stage ``name`` of ``api_id`` as the front door is handed it (None: not served)."""
    assert altus.platform is not None
    found: Stage | None = altus.platform.component("apigatewayv2").stage(api_id, name)
    return found
