"""Events as Lambda delivers them, for invoking a function in a test the way its trigger
will: an SQS batch, a function URL (payload format 2.0, also API Gateway HTTP APIs')
request. Built by the same code the platform builds them with, where it has them."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from altus.awslambda.url_payload import UrlRequest, build_event

REGION = "us-east-1"
ACCOUNT = "000000000000"


def sqs(
    bodies: Iterable[str],
    *,
    queue: str = "queue",
    region: str = REGION,
    account: str = ACCOUNT,
    attributes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An SQS batch event: one record per body, with the message attributes given
    (strings), as an event source mapping delivers messages of ``queue``."""
    now = str(int(time.time() * 1000))
    records = []
    for body in bodies:
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": now,
                    "SenderId": account,
                    "ApproximateFirstReceiveTimestamp": now,
                },
                "messageAttributes": {
                    name: {
                        "stringValue": value,
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": "String",
                    }
                    for name, value in (attributes or {}).items()
                },
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{region}:{account}:{queue}",
                "awsRegion": region,
            }
        )
    return {"Records": records}


def function_url(
    method: str = "GET",
    path: str = "/",
    *,
    query: str = "",
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    url_id: str = "a" * 32,
    region: str = REGION,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """A function URL request's event (payload format 2.0), as a URL of ``url_id``
    would deliver it."""
    domain = f"{url_id}.lambda-url.{region}.on.aws"
    request = UrlRequest(
        method=method,
        raw_path=path,
        raw_query=query,
        headers=[("host", domain), *(headers or {}).items()],
        body=body,
        source_ip=source_ip,
        scheme="https",
        port=443,
    )
    return build_event(request, url_id=url_id, domain_name=domain, request_id=str(uuid.uuid4()))
