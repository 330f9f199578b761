"""A subset of the CloudWatch Logs API (awsJson1.1) over the function logs.

Enough for ``boto3.client("logs")``, ``aws logs tail --follow`` and ``altus logs``:
DescribeLogGroups, DescribeLogStreams, GetLogEvents, FilterLogEvents, DeleteLogGroup.
Served on the same port, as ``POST /`` with ``X-Amz-Target: Logs_20140328.<Op>``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from altus.api.model import validate_body
from altus.api.responses import request_id
from altus.control.arns import Account
from altus.control.errors import InvalidRequestContent, ValidationFailed
from altus.errors import UserError
from altus.logs.filters import compile_filter
from altus.logs.store import LogStore

CONTENT_TYPE = "application/x-amz-json-1.1"


class LogsError(UserError):
    code = "InvalidParameterException"


class LogGroupNotFound(LogsError):
    code = "ResourceNotFoundException"


class Unreadable(LogsError):
    """A member of the wrong JSON type (awsJson's deserialisation failure)."""

    code = "SerializationException"


def _int(body: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise LogsError(f"{key} must be an integer")
    return value


def _limit(body: dict[str, Any], default: int, maximum: int) -> int:
    limit = _int(body, "limit", default) or default
    if not 1 <= limit <= maximum:
        raise LogsError(f"limit must be between 1 and {maximum}")
    return limit


def _token(body: dict[str, Any], key: str = "nextToken") -> int:
    token = body.get(key)
    if not token:
        return 0
    try:
        return int(str(token).split("/", 1)[-1])
    except ValueError:
        raise LogsError(f"The specified {key} is invalid.") from None


async def _group(logs: LogStore, body: dict[str, Any]) -> str:
    group = body.get("logGroupName")
    if not isinstance(group, str) or not group:
        identifier = body.get("logGroupIdentifier")
        if isinstance(identifier, str) and identifier:
            group = identifier.split(":log-group:", 1)[-1].removesuffix(":*")
        else:
            raise LogsError("logGroupName is required")
    if not any(g.group == group for g in await logs.groups(group)):
        raise LogGroupNotFound("The specified log group does not exist.")
    return group


def _arn(account: Account, group: str) -> str:
    return f"arn:{account.partition}:logs:{account.region}:{account.account_id}:log-group:{group}"


async def describe_log_groups(
    logs: LogStore, body: dict[str, Any], account: Account
) -> dict[str, Any]:
    prefix = body.get("logGroupNamePrefix") or ""
    limit = _limit(body, 50, 50)
    groups = await logs.groups(prefix)
    start = _token(body)
    page = groups[start : start + limit]
    out: dict[str, Any] = {
        "logGroups": [
            {
                "logGroupName": g.group,
                "creationTime": g.created,
                "storedBytes": g.stored_bytes,
                "metricFilterCount": 0,
                "arn": _arn(account, g.group) + ":*",
                "logGroupClass": "STANDARD",
                **({"retentionInDays": g.retention_days} if g.retention_days else {}),
            }
            for g in page
        ]
    }
    if start + limit < len(groups):
        out["nextToken"] = str(start + limit)
    return out


async def describe_log_streams(
    logs: LogStore, body: dict[str, Any], account: Account
) -> dict[str, Any]:
    group = await _group(logs, body)
    streams = await logs.streams(group, body.get("logStreamNamePrefix") or "")
    if body.get("orderBy") == "LastEventTime":
        streams.sort(key=lambda s: s.last_event)
    if body.get("descending"):
        streams.reverse()
    limit = _limit(body, 50, 50)
    start = _token(body)
    out: dict[str, Any] = {
        "logStreams": [
            {
                "logStreamName": s.stream,
                "creationTime": s.created,
                "firstEventTimestamp": s.first_event,
                "lastEventTimestamp": s.last_event,
                "lastIngestionTime": s.last_ingestion,
                "uploadSequenceToken": "1",
                "storedBytes": s.stored_bytes,
                "arn": f"{_arn(account, group)}:log-stream:{s.stream}",
            }
            for s in streams[start : start + limit]
        ]
    }
    if start + limit < len(streams):
        out["nextToken"] = str(start + limit)
    return out


async def get_log_events(logs: LogStore, body: dict[str, Any], account: Account) -> dict[str, Any]:
    group = await _group(logs, body)
    stream = body.get("logStreamName")
    if not isinstance(stream, str) or not stream:
        raise LogsError("logStreamName is required")
    limit = _limit(body, 10000, 10000)
    token = body.get("nextToken") or ""
    backward = token.startswith("b/") or (not token and body.get("startFromHead") is False)
    descending = backward or (not token and not body.get("startFromHead", False))
    events = await logs.events(
        group,
        [stream],
        _int(body, "startTime"),
        _int(body, "endTime"),
        after_id=_token(body),
        limit=limit,
        descending=descending,
    )
    if descending:
        events.reverse()
    rendered = [
        {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}
        for e in events
    ]
    first = events[0].event_id if events else _token(body)
    last = events[-1].event_id if events else _token(body)
    return {
        "events": rendered,
        "nextForwardToken": f"f/{last:056d}",
        "nextBackwardToken": f"b/{first:056d}",
    }


async def filter_log_events(
    logs: LogStore, body: dict[str, Any], account: Account
) -> dict[str, Any]:
    group = await _group(logs, body)
    names = body.get("logStreamNames")
    prefix = body.get("logStreamNamePrefix")
    if names and prefix:
        raise LogsError("logStreamNames and logStreamNamePrefix are mutually exclusive")
    if prefix:
        names = [s.stream for s in await logs.streams(group, prefix)]
        if not names:
            return {"events": [], "searchedLogStreams": []}
    pattern = compile_filter(body.get("filterPattern"))
    limit = _limit(body, 10000, 10000)
    after = _token(body)
    found: list[dict[str, Any]] = []
    last_id = after
    # Scan in pages so a sparse match over a large group stays bounded in memory.
    while len(found) < limit:
        page = await logs.events(
            group,
            names,
            _int(body, "startTime"),
            _int(body, "endTime"),
            after_id=last_id,
            limit=1000,
        )
        if not page:
            last_id = 0
            break
        for event in page:
            last_id = event.event_id
            if pattern is None or pattern.search(event.message):
                found.append(
                    {
                        "logStreamName": event.stream,
                        "timestamp": event.timestamp,
                        "message": event.message,
                        "ingestionTime": event.ingestion_time,
                        "eventId": str(event.event_id),
                    }
                )
                if len(found) >= limit:
                    break
        if len(page) < 1000:
            last_id = 0
            break
    out: dict[str, Any] = {"events": found, "searchedLogStreams": []}
    if last_id:
        out["nextToken"] = f"n/{last_id}"
    return out


async def delete_log_group(
    logs: LogStore, body: dict[str, Any], account: Account
) -> dict[str, Any]:
    await logs.delete_group(await _group(logs, body))
    return {}


_OPERATIONS: dict[str, Callable[[LogStore, dict[str, Any], Account], Awaitable[dict[str, Any]]]] = {
    "DescribeLogGroups": describe_log_groups,
    "DescribeLogStreams": describe_log_streams,
    "GetLogEvents": get_log_events,
    "FilterLogEvents": filter_log_events,
    "DeleteLogGroup": delete_log_group,
}


def handler(operation: str) -> Callable[[Request, dict[str, Any]], Awaitable[Response]] | None:
    fn = _OPERATIONS.get(operation)
    if fn is None:
        return None

    async def run(request: Request, body: dict[str, Any]) -> Response:
        logs: LogStore = request.app.state.platform.logs
        account: Account = request.app.state.platform.account
        # CloudWatch Logs checks a request against its model before reading it; the
        # operations below can then trust every member's type and range.
        try:
            body = validate_body(operation, body, service="logs")
        except ValidationFailed as error:
            raise LogsError(error.message) from None
        except InvalidRequestContent as error:
            raise Unreadable(error.message.split(": ", 1)[-1]) from None

        await logs.flush()  # what was logged before this request is visible to it
        result = await fn(logs, body, account)
        return Response(
            json.dumps(result).encode(),
            200,
            {"x-amzn-RequestId": request_id(request)},
            media_type=CONTENT_TYPE,
        )

    return run
