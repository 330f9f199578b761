"""The optimized integrations that hand a message on: ``sqs:sendMessage``,
``sns:publish`` and ``events:putEvents`` (each also ``.waitForTaskToken``, where the
message carries the token: the interpreter then waits for it).

Each is the service's own API call, as the task's role. As on AWS: a message body or an
event's detail given as a JSON object is sent as its JSON text; SQS's and SNS's answers
carry the ``SdkHttpMetadata`` and ``SdkResponseMetadata`` AWS adds; EventBridge's do not,
every entry gets the execution's and the state machine's ARNs added to its ``Resources``,
and an answer counting a failed entry fails the task with ``EventBridge.FailedEntry`` (the
answer as the cause).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from altus.asl.errors import StatesError
from altus.asl.host import TaskRequest
from altus.stepfunctions.integrations.common import call_optimized, members, present, role_of
from altus.stepfunctions.integrations.ports import SdkCaller, SdkResponse
from altus.stepfunctions.integrations.wire import (
    as_text,
    compact,
    http_date,
    http_metadata,
    json_service_headers,
    query_service_headers,
    response_metadata,
)


class Messaging:
    def __init__(self, calls: SdkCaller, now: Callable[[], float]) -> None:
        self._calls = calls
        self._now = now

    async def send_message(self, request: TaskRequest) -> dict[str, Any]:
        params = present(members(request))
        if "MessageBody" in params:
            params["MessageBody"] = as_text(params["MessageBody"])
        response = await call_optimized(self._calls, "sqs", "SendMessage", params, role_of(request))
        # What the JSON protocol answers with: its length is the response's.
        length = len(compact(response.members).encode())
        headers = json_service_headers(response.request_id, length, self._date(response))
        return self._with_metadata(response, headers)

    async def publish(self, request: TaskRequest) -> dict[str, Any]:
        params = present(members(request))
        if "Message" in params:
            params["Message"] = as_text(params["Message"])
        response = await call_optimized(self._calls, "sns", "Publish", params, role_of(request))
        length = int(response.headers.get("content-length") or len(compact(response.members)))
        headers = query_service_headers(response.request_id, length, self._date(response))
        return self._with_metadata(response, headers)

    async def put_events(self, request: TaskRequest) -> dict[str, Any]:
        params = present(members(request))
        execution = request.execution
        added = [execution.arn, execution.state_machine_arn]
        entries = params.get("Entries")
        if isinstance(entries, list):
            params["Entries"] = [_entry(entry, added) for entry in entries]
        response = await call_optimized(
            self._calls, "events", "PutEvents", params, role_of(request)
        )
        answer = response.members
        failed = answer.get("FailedEntryCount", 0)
        if isinstance(failed, int) and failed > 0:
            raise StatesError("EventBridge.FailedEntry", compact(answer))
        return answer

    def _date(self, response: SdkResponse) -> str:
        return response.headers.get("date") or http_date(self._now())

    @staticmethod
    def _with_metadata(response: SdkResponse, headers: list[tuple[str, str]]) -> dict[str, Any]:
        return {
            **response.members,
            "SdkHttpMetadata": http_metadata(headers, response.status),
            "SdkResponseMetadata": response_metadata(response.request_id),
        }


def _entry(entry: Any, added: list[str]) -> Any:
    if not isinstance(entry, dict):
        return entry
    entry = dict(entry)
    if "Detail" in entry and entry["Detail"] is not None:
        entry["Detail"] = as_text(entry["Detail"])
    resources = entry.get("Resources")
    entry["Resources"] = [*(resources if isinstance(resources, list) else []), *added]
    return entry
