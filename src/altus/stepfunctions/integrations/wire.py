"""The shapes optimized integrations answer in besides the call's own members: the
``SdkHttpMetadata`` and ``SdkResponseMetadata`` AWS adds (the HTTP response as the AWS SDK
for Java v1 saw it), dates, and JSON text as AWS writes it.

Header sets and their order are AWS's, as recorded from executions on AWS: Lambda's
Invoke answers with ``X-Amz-Executed-Version``, ``x-amzn-Remapped-Content-Length``,
``Connection``, ``x-amzn-RequestId``, ``Content-Length``, ``Date``, ``X-Amzn-Trace-Id`` and
``Content-Type``; the JSON services (SQS, Step Functions) with ``x-amzn-RequestId``,
``connection``, ``Content-Length``, ``Date`` and ``Content-Type``; SNS (query, XML)
without ``connection``. ``AllHttpHeaders`` gives each as a list, in the order received;
``HttpHeaders`` each as one value, ordered by name regardless of case.
"""

from __future__ import annotations

import email.utils
import secrets
from collections.abc import Sequence
from typing import Any

from altus.api.selfcalls import compact as compact
from altus.api.selfcalls import iso_date as iso_date

AMZ_JSON = "application/x-amz-json-1.0"


def as_text(value: Any) -> str:
    """A member AWS takes as text (a message body, an execution's input) from any JSON
    value: a string as it is, anything else as its JSON text."""
    return value if isinstance(value, str) else compact(value)


def http_date(now: float) -> str:
    """An HTTP ``Date`` header's value (RFC 7231)."""
    return email.utils.formatdate(now, usegmt=True)


def trace_id(now: float) -> str:
    """An X-Ray trace id of the form Lambda answers with."""
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"


def http_metadata(headers: Sequence[tuple[str, str]], status: int) -> dict[str, Any]:
    """``SdkHttpMetadata`` of a response with ``headers`` (in the order received)."""
    return {
        "AllHttpHeaders": {name: [value] for name, value in headers},
        "HttpHeaders": dict(sorted(headers, key=lambda item: item[0].lower())),
        "HttpStatusCode": status,
    }


def response_metadata(request_id: str) -> dict[str, str]:
    return {"RequestId": request_id}


def json_service_headers(request_id: str, length: int, date: str) -> list[tuple[str, str]]:
    """What an awsJson service (SQS, Step Functions) answers with."""
    return [
        ("x-amzn-RequestId", request_id),
        ("connection", "keep-alive"),
        ("Content-Length", str(length)),
        ("Date", date),
        ("Content-Type", AMZ_JSON),
    ]


def query_service_headers(request_id: str, length: int, date: str) -> list[tuple[str, str]]:
    """What a query service answering in XML (SNS) answers with."""
    return [
        ("x-amzn-RequestId", request_id),
        ("Content-Length", str(length)),
        ("Date", date),
        ("Content-Type", "text/xml"),
    ]


def invoke_headers(
    *,
    request_id: str,
    length: int,
    date: str,
    trace: str,
    executed_version: str | None,
    log_result: str | None = None,
    function_error: str | None = None,
) -> list[tuple[str, str]]:
    """What Lambda's Invoke answers with."""
    headers: list[tuple[str, str]] = []
    if log_result is not None:
        headers.append(("X-Amz-Log-Result", log_result))
    if function_error is not None:
        headers.append(("X-Amz-Function-Error", function_error))
    if executed_version is not None:
        headers.append(("X-Amz-Executed-Version", executed_version))
    headers += [
        ("x-amzn-Remapped-Content-Length", "0"),
        ("Connection", "keep-alive"),
        ("x-amzn-RequestId", request_id),
        ("Content-Length", str(length)),
        ("Date", date),
        ("X-Amzn-Trace-Id", trace),
        ("Content-Type", "application/json"),
    ]
    return headers
