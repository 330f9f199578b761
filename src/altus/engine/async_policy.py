"""What asynchronous invocation decides, as pure functions: whether an attempt's outcome
is retried and when, and what the end of an event sends on (Lambda's destination record,
the original event for a dead-letter queue).

Lambda's rules (spec §4): a function error (including timeouts and crashes) is retried
``MaximumRetryAttempts`` times (default 2), about 1 and then 2 minutes later; a throttle or
a platform error goes back on the queue with exponential backoff from 1 s to 5 min; no
event runs once it is older than ``MaximumEventAgeInSeconds`` (default 6 h). Every time
here is multiplied by the server's ``async_time_scale`` (1 in production).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SUCCESS = "Success"
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"

ON_SUCCESS, ON_FAILURE, DEAD_LETTER = "OnSuccess", "OnFailure", "DeadLetter"

RETRY_DELAYS_S = (60.0, 120.0)
BACKOFF_START_S, BACKOFF_MAX_S = 1.0, 300.0
DEFAULT_RETRIES, DEFAULT_MAX_AGE_S = 2, 21600

#: The DLQ's ErrorMessage attribute carries the first kilobyte of the error.
ERROR_MESSAGE_BYTES = 1024


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class Policy:
    """An event invoke config as the invoker acts on it (times already scaled)."""

    max_retries: int = DEFAULT_RETRIES
    max_age_ms: int = DEFAULT_MAX_AGE_S * 1000
    on_success: str | None = None
    on_failure: str | None = None

    @classmethod
    def of(cls, document: Mapping[str, Any] | None, scale: float) -> Policy:
        document = document or {}
        destinations = document.get("DestinationConfig") or {}
        retries = document.get("MaximumRetryAttempts")
        age = document.get("MaximumEventAgeInSeconds")
        return cls(
            max_retries=DEFAULT_RETRIES if retries is None else int(retries),
            max_age_ms=int((DEFAULT_MAX_AGE_S if age is None else int(age)) * 1000 * scale),
            on_success=(destinations.get(ON_SUCCESS) or {}).get("Destination") or None,
            on_failure=(destinations.get(ON_FAILURE) or {}).get("Destination") or None,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to. ``status`` is 200 when the function ran (then
    ``function_error`` tells success from failure), 429 when it was throttled, 5xx when
    the platform could not run it."""

    status: int
    executed_version: str | None = None
    function_error: str | None = None
    payload: bytes = b""
    error_type: str | None = None
    message: str | None = None

    @property
    def ran(self) -> bool:
        return self.status == 200

    @property
    def succeeded(self) -> bool:
        return self.ran and self.function_error is None

    def to_record(self, limit: int) -> dict[str, Any]:
        """A stored copy (for a retry after a restart), the payload cut to ``limit``."""
        return {
            "status": self.status,
            "executed_version": self.executed_version,
            "function_error": self.function_error,
            "payload": self.payload[:limit].decode("utf-8", "replace"),
            "error_type": self.error_type,
            "message": self.message,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Outcome:
        return cls(
            status=int(record["status"]),
            executed_version=record.get("executed_version"),
            function_error=record.get("function_error"),
            payload=str(record.get("payload") or "").encode(),
            error_type=record.get("error_type"),
            message=record.get("message"),
        )

    def error_message(self) -> str:
        """The error as a dead-letter queue's ErrorMessage attribute gives it."""
        if self.ran:
            try:
                body = json.loads(self.payload)
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("errorMessage"), str):
                text = body["errorMessage"]
            else:
                text = self.payload.decode("utf-8", "replace")
        else:
            text = self.message or self.error_type or "The function could not be run."
        # An SQS attribute may not be empty.
        return text.encode()[:ERROR_MESSAGE_BYTES].decode("utf-8", "ignore") or "Unknown error"


@dataclass(frozen=True, slots=True)
class Retry:
    delay_ms: int


@dataclass(frozen=True, slots=True)
class End:
    condition: str


def decide(
    outcome: Outcome, *, age_ms: int, failed_runs: int, backoffs: int, policy: Policy, scale: float
) -> Retry | End:
    """The next step after ``outcome``. ``failed_runs`` counts the function's failed runs
    including this one; ``backoffs`` the throttles and platform errors before this one."""
    if outcome.succeeded:
        return End(SUCCESS)
    if outcome.ran:
        if failed_runs > policy.max_retries:
            return End(RETRIES_EXHAUSTED)
        index = min(failed_runs, len(RETRY_DELAYS_S)) - 1
        delay_ms = int(RETRY_DELAYS_S[index] * 1000 * scale)
    else:
        delay_ms = int(min(BACKOFF_START_S * 2**backoffs, BACKOFF_MAX_S) * 1000 * scale)
    if age_ms + delay_ms > policy.max_age_ms:
        return End(EVENT_AGE_EXCEEDED)
    return Retry(delay_ms)


def qualified_arn(function_arn: str, qualifier: str | None) -> str:
    """The ARN a destination record names: unqualified invokes ran ``$LATEST``."""
    return function_arn if qualifier else f"{function_arn}:$LATEST"


def destination_record(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    request_payload: bytes,
    outcome: Outcome | None,
    executed_version: str,
    at_ms: int | None = None,
) -> dict[str, Any]:
    """Lambda's invocation record for an OnSuccess or OnFailure destination."""
    stamp = datetime.fromtimestamp((at_ms if at_ms is not None else now_ms()) / 1000, UTC)
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": _json_or_text(request_payload),
    }
    if outcome is not None:
        context: dict[str, Any] = {
            "statusCode": outcome.status,
            "executedVersion": outcome.executed_version or executed_version,
        }
        if outcome.function_error:
            context["functionError"] = outcome.function_error
        record["responseContext"] = context
        if outcome.ran:
            record["responsePayload"] = _json_or_text(outcome.payload) if outcome.payload else None
        else:
            record["responsePayload"] = {
                "errorMessage": outcome.message or "",
                "errorType": outcome.error_type or "ServiceException",
            }
    return record


def dead_letter_attributes(request_id: str, outcome: Outcome) -> dict[str, dict[str, str]]:
    """The message attributes Lambda puts on an event it sends to a dead-letter queue."""
    return {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": str(outcome.status)},
        "ErrorMessage": {"DataType": "String", "StringValue": outcome.error_message()},
    }


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
