"""What the tests of deployed APIs share: functions that answer with their event, the
permission API Gateway needs to invoke them, Lambda URIs in API Gateway's form, and
clients of the ``@connections`` API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import httpx
from botocore.config import Config

from altus.testing import Harness

ACCOUNT = "000000000000"
REGION = "us-east-1"

Handler = Callable[[dict[str, Any], Any], Any]


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A proxy function that answers with the event it was given."""
    return {"statusCode": 200, "body": json.dumps(event)}


def lambda_uri(arn: str) -> str:
    """A function's ARN in the form REST integrations and authorizers name it."""
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"


def allow_api_gateway(lam: Any, name: str, statement: str = "apigateway") -> None:
    """Let API Gateway invoke ``name`` for any of the account's APIs."""
    lam.add_permission(
        FunctionName=name,
        StatementId=statement,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*",
    )


def functions(altus: Harness, handlers: dict[str, Handler]) -> dict[str, str]:
    """In-process functions API Gateway may invoke: their ARNs by name."""
    lam = altus.client("lambda")
    arns = {}
    for name, handler in handlers.items():
        arns[name] = altus.create_function(name, handler)["FunctionArn"]
        allow_api_gateway(lam, name)
    return arns


def json_body(response: httpx.Response) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(response.content)
    return found


def management(endpoint: str) -> Any:
    """A client of the ``@connections`` API at ``endpoint``."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
