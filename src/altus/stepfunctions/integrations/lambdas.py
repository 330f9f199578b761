"""Invoking functions: the legacy form (a function ARN as the Resource: the result is the
function's output) and the optimized integration ``arn:aws:states:::lambda:invoke``
(Invoke's parameters; the result is Invoke's response, the function's output parsed in
``Payload``).

A RequestResponse invoke goes straight to the Lambda component, as the task's role
(``call_as_service``: the role's session must be allowed ``lambda:InvokeFunction`` where
requests are authenticated). What that path cannot carry (``InvocationType`` Event or
DryRun, ``ClientContext``, ``LogType: Tail``) is a call to Lambda's API instead, signed as
the role.

A function that fails fails the task with its ``errorType`` as the error and the error
payload as the cause: as the runtime wrote it for the legacy form, re-serialised compactly
for ``lambda:invoke`` (both recorded on AWS). A payload with no ``errorType`` is
``Lambda.Unknown``, with AWS's words. Altus's timeout and out-of-memory payloads carry the
error types Lambda's own do today (``Sandbox.Timedout``, ``Runtime.OutOfMemory``), and
Step Functions on AWS reports those as they are; ``Lambda.Unknown`` is what older runtimes'
untyped timeout payloads became.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from altus.api.selfcalls import text
from altus.asl.errors import StatesError
from altus.asl.host import TaskRequest
from altus.errors import AltusError
from altus.stepfunctions.integrations.common import SERVICE_PRINCIPAL, members, role_of
from altus.stepfunctions.integrations.naming import optimized_failure, unreachable
from altus.stepfunctions.integrations.ports import (
    Functions,
    Invoked,
    SdkCaller,
    SdkFailure,
    SdkUnreachable,
)
from altus.stepfunctions.integrations.wire import (
    as_text,
    compact,
    http_date,
    http_metadata,
    invoke_headers,
    response_metadata,
    trace_id,
)

log = logging.getLogger(__name__)

REQUEST_RESPONSE = "RequestResponse"


class Lambdas:
    def __init__(self, functions: Functions, calls: SdkCaller, now: Callable[[], float]) -> None:
        self._functions = functions
        self._calls = calls
        self._now = now
        #: Invocations a cancelled task stopped waiting for, running on to their end.
        self._abandoned: set[asyncio.Future[Invoked]] = set()

    async def legacy(self, request: TaskRequest) -> Any:
        """``arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]``: the
        effective input is the payload; the result is the function's output."""
        payload = compact(request.parameters).encode()
        invoked = await self._invoke(request, request.resource.arn, payload)
        if invoked.function_error is not None:
            raise function_failure(invoked.payload, compact_cause=False)
        return _parsed(invoked.payload)

    async def invoke(self, request: TaskRequest) -> dict[str, Any]:
        """``arn:aws:states:::lambda:invoke[.waitForTaskToken]``."""
        params = members(request)
        name = params.get("FunctionName")
        if not isinstance(name, str) or not name:
            raise optimized_failure(
                "lambda",
                "InvalidParameterValueException",
                "FunctionName is required, and must be a string.",
                400,
                "",
            )
        qualifier = params.get("Qualifier")
        payload = _payload(params.get("Payload"))
        kind = params.get("InvocationType", REQUEST_RESPONSE)
        direct = (
            kind == REQUEST_RESPONSE
            and params.get("ClientContext") is None
            and params.get("LogType", "None") == "None"
        )
        if direct:
            target = qualified(name, qualifier) if isinstance(qualifier, str) else name
            invoked = await self._invoke(request, target, payload)
            return self._answer(invoked)
        return await self._through_api(request, params, payload)

    # --- the direct path -------------------------------------------------------------------

    async def _invoke(self, request: TaskRequest, arn: str, payload: bytes) -> Invoked:
        execution = request.execution
        try:
            call = self._functions.call_as_service(
                SERVICE_PRINCIPAL,
                execution.state_machine_arn,
                execution.account,
                arn,
                payload,
                role=role_of(request),
                trace=execution.trace_header,
            )
            return await self._awaited(call)
        except AltusError as refused:
            raise optimized_failure(
                "lambda", refused.code, refused.message, refused.status, ""
            ) from None
        except Exception as broken:  # a fault of Lambda's: transient, as AWS reports one
            log.exception("invoking %s for %s failed", arn, execution.arn)
            raise StatesError("Lambda.ServiceException", f"Lambda failed: {broken!r}") from None

    async def _awaited(self, call: Awaitable[Invoked]) -> Invoked:
        """The invocation's answer. A task that times out (or an execution that stops)
        cancels its wait, not the invocation: as on AWS, the function runs on to its end
        and its answer goes nowhere."""
        invocation = asyncio.ensure_future(call)
        try:
            return await asyncio.shield(invocation)
        except asyncio.CancelledError:
            if not invocation.done():
                self._abandoned.add(invocation)
                invocation.add_done_callback(self._forget)
            raise

    def _forget(self, invocation: asyncio.Future[Invoked]) -> None:
        self._abandoned.discard(invocation)
        if not invocation.cancelled():
            invocation.exception()  # whatever it was, nobody waits for it now

    def _answer(self, invoked: Invoked) -> dict[str, Any]:
        if invoked.function_error is not None:
            raise function_failure(invoked.payload, compact_cause=True)
        now = self._now()
        headers = invoke_headers(
            request_id=invoked.request_id,
            length=len(invoked.payload),
            date=http_date(now),
            trace=trace_id(now),
            executed_version=invoked.executed_version,
        )
        return {
            "ExecutedVersion": invoked.executed_version,
            "Payload": _parsed(invoked.payload),
            "SdkHttpMetadata": http_metadata(headers, 200),
            "SdkResponseMetadata": response_metadata(invoked.request_id),
            "StatusCode": 200,
        }

    # --- through Lambda's API --------------------------------------------------------------

    async def _through_api(
        self, request: TaskRequest, params: dict[str, Any], payload: bytes
    ) -> dict[str, Any]:
        call = {**params, "Payload": payload}
        try:
            response = await self._calls.call("lambda", "Invoke", call, role_of(request))
        except SdkFailure as failed:
            raise optimized_failure(
                "lambda", failed.code, failed.message, failed.status, failed.request_id
            ) from None
        except SdkUnreachable as unanswered:
            raise unreachable("Lambda", str(unanswered)) from None
        answer = response.members
        body = str(answer.get("Payload", ""))
        error = answer.get("FunctionError")
        if error is not None:
            raise function_failure(body.encode(), compact_cause=True)
        status = int(answer.get("StatusCode", response.status))
        version = answer.get("ExecutedVersion")
        log_result = answer.get("LogResult")
        now = self._now()
        headers = invoke_headers(
            request_id=response.request_id,
            length=len(body.encode()),
            date=response.headers.get("date") or http_date(now),
            trace=response.headers.get("x-amzn-trace-id") or trace_id(now),
            executed_version=version,
            log_result=log_result,
        )
        result: dict[str, Any] = {}
        if version is not None:
            result["ExecutedVersion"] = version
        if log_result is not None:
            result["LogResult"] = log_result
        result["Payload"] = _parsed(body.encode()) if body else ""
        result["SdkHttpMetadata"] = http_metadata(headers, status)
        result["SdkResponseMetadata"] = response_metadata(response.request_id)
        result["StatusCode"] = status
        return result


def qualified(name: str, qualifier: str) -> str:
    """``FunctionName`` with ``Qualifier`` added, unless the name is qualified already
    (Lambda refuses a name and qualifier that disagree; the component does too)."""
    tail = name.rsplit(":function:", 1)[-1]
    return name if ":" in tail else f"{name}:{qualifier}"


def function_failure(payload: bytes, *, compact_cause: bool) -> StatesError:
    """A function's error: its ``errorType`` and the error payload (as written, or
    compacted); ``Lambda.Unknown`` where it names no type."""
    written = text(payload)
    try:
        document = json.loads(written)
    except ValueError:
        document = None
    error_type = document.get("errorType") if isinstance(document, dict) else None
    if not isinstance(error_type, str) or not error_type:
        return StatesError(
            "Lambda.Unknown",
            "The cause could not be determined because Lambda did not return an error "
            f"type. Returned payload: {written}",
        )
    return StatesError(error_type, compact(document) if compact_cause else written)


def _payload(value: Any) -> bytes:
    """Invoke's ``Payload`` from the parameter: a string is the payload's text as it is,
    any other JSON value its JSON text; none, an empty object (what Lambda hands a
    function invoked without a payload)."""
    if value is None:
        return b"{}"
    return as_text(value).encode()


def _parsed(payload: bytes) -> Any:
    """A function's output: its JSON value, or its text where it is not JSON."""
    written = text(payload)
    try:
        return json.loads(written)
    except ValueError:
        return written
