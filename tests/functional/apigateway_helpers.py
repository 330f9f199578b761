"""What the tests of the REST APIs' control plane share: an in-process server and a
boto3 client of it (module fixtures: a test module takes them by assigning them to its
own names), and the function its integrations name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from altus.testing import Harness

ACCOUNT = "000000000000"
REGION = "us-east-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:pets"
LAMBDA_URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FUNCTION}/invocations"


@pytest.fixture(scope="module")
def altus() -> Iterator[Harness]:
    with Harness() as harness:
        yield harness


@pytest.fixture(scope="module")
def apigw(altus: Harness) -> Any:
    return altus.client("apigateway")
