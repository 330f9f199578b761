"""How a poller runs its function on a batch: a synchronous invoke through the same
admission as any other (the function's reserved concurrency and the account's limit
apply), turned into one of four outcomes the pollers act on.

- ``OK``: the function returned; its response may still report failed items.
- ``FAILED``: the function ran and failed (an error, a timeout, a crash).
- ``THROTTLED``: no concurrency was left; the function did not run. Pollers back off
  and do not count it as a retry, as Lambda does.
- ``PROBLEM``: the invoke could not be made (the function or its alias is gone ...).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from altus.arns import Account
from altus.control.arns import parse_function_ref
from altus.engine.errors import TooManyRequests
from altus.engine.invoker import Invoker, InvokeRequest
from altus.errors import AltusError

OK = "ok"
FAILED = "failed"
THROTTLED = "throttled"
PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str
    payload: bytes = b""
    request_id: str = ""
    executed_version: str = ""
    #: The function's error type (FAILED), or what kept the invoke from being made.
    error: str = ""
    #: ``Unhandled`` where the function failed (X-Amz-Function-Error).
    function_error: str = ""

    @property
    def description(self) -> str:
        """What LastProcessingResult says of it."""
        if self.kind == OK:
            return "OK"
        if self.kind == FAILED:
            return "PROBLEM: Function call failed"
        if self.kind == THROTTLED:
            return "PROBLEM: Function call throttled"
        return f"PROBLEM: {self.error}"


class BatchInvoker:
    def __init__(self, invoker: Invoker, account: Account) -> None:
        self._invoker = invoker
        self._account = account

    def has_room(self, function_arn: str) -> bool:
        """Whether an invoke of the function would be admitted now."""
        name = parse_function_ref(function_arn, self._account).name
        return self._invoker.concurrency.has_room(name)

    def iterator_age(self, function_arn: str, age_ms: int) -> None:
        """A stream's batch is about to be sent; its last record arrived ``age_ms`` ago
        (Lambda's IteratorAge)."""
        ref = parse_function_ref(function_arn, self._account)
        self._invoker.hooks.iterator_age(ref.name, ref.qualifier, max(age_ms, 0))

    async def invoke(self, function_arn: str, payload: bytes, trace: str | None = None) -> Outcome:
        """``trace``: the X-Ray header the batch's invocation joins (an SQS batch's first
        record's ``AWSTraceHeader``, as Lambda takes it)."""
        try:
            ref = parse_function_ref(function_arn, self._account)
            result = await self._invoker.invoke(InvokeRequest(ref, payload, trace_id=trace))
        except TooManyRequests as error:
            return Outcome(THROTTLED, error=error.reason)
        except AltusError as error:
            return Outcome(PROBLEM, error=error.message)
        if result.function_error:
            return Outcome(
                FAILED,
                result.payload,
                result.request_id,
                result.executed_version,
                result.error_type or result.function_error,
                result.function_error,
            )
        return Outcome(OK, result.payload, result.request_id, result.executed_version)


def failed_items(payload: bytes, identifiers: Sequence[str]) -> list[str] | None:
    """The items a ReportBatchItemFailures response names, in batch order; None when it
    fails the whole batch, as Lambda reads it: an empty or null response, or an empty or
    null list, is complete success; a response that is not JSON, has no valid list, or
    names an item with an empty, null or unknown identifier is complete failure."""
    text = payload.strip()
    if not text or text == b"null":
        return []
    try:
        response: Any = json.loads(text)
    except ValueError:
        return None
    if response is None:
        return []
    if not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures")
    if failures is None:
        return []
    if not isinstance(failures, list):
        return None
    known = set(identifiers)
    named: set[str] = set()
    for item in failures:
        if not isinstance(item, dict):
            return None
        identifier = item.get("itemIdentifier")
        if not isinstance(identifier, str) or not identifier or identifier not in known:
            return None
        named.add(identifier)
    return [identifier for identifier in identifiers if identifier in named]


def iso_time(epoch: float) -> str:
    """``2024-01-01T00:00:00.000Z``: the times of Lambda's poller records."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def failure_record(
    function_arn: str, condition: str, last: Outcome | None, attempts: int, now: float
) -> dict[str, Any]:
    """What every poller's on-failure record begins with (Lambda's invocation record for
    a discarded batch); each source adds its own batch info."""
    return {
        "requestContext": {
            "requestId": last.request_id if last else "",
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": last.executed_version if last else "",
            "functionError": last.function_error if last else "",
        },
        "version": "1.0",
        "timestamp": iso_time(now),
    }
