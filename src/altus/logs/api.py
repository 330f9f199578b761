"""A subset of the CloudWatch Logs API over the function logs.

Enough for ``boto3.client("logs")``, ``aws logs tail --follow`` and ``altus logs``:
DescribeLogGroups, DescribeLogStreams, GetLogEvents, FilterLogEvents, DeleteLogGroup.
Every operation first makes what was logged before the request visible to it.

Listings page with the framework's opaque tokens; GetLogEvents' tokens are CloudWatch's
own form (``f/<56 digits>``, ``b/...``), which ``aws logs tail`` compares and keeps.
"""

from __future__ import annotations

from typing import Any

from altus.api import paging
from altus.api.spec import Call, Members
from altus.arns import Account
from altus.logs.component import Logs
from altus.logs.errors import InvalidParameter, ResourceNotFound
from altus.logs.filters import compile_filter

#: Events read per query while filtering, so a sparse match stays bounded in memory.
_SCAN = 1000


def _invalid_token(token: str) -> InvalidParameter:
    return InvalidParameter("The specified nextToken is invalid.")


def _event_token(body: Members) -> int:
    """The event id a GetLogEvents or FilterLogEvents token continues from."""
    token = body.get("nextToken")
    if not token:
        return 0
    digits = str(token).split("/", 1)[-1]
    # ASCII digits of an id a store can hold (a signed 64-bit integer): ``isdigit``
    # alone takes "²", which ``int`` does not.
    if not (digits.isascii() and digits.isdigit()) or int(digits) >= 1 << 63:
        raise _invalid_token(str(token))
    return int(digits)


def group_named(body: Members) -> str | None:
    """The log group a request names, by ``logGroupName`` or ``logGroupIdentifier`` (a
    name or an ARN): what the operation acts on, and what its permission is checked
    against."""
    group = body.get("logGroupName")
    if not group:
        identifier = body.get("logGroupIdentifier")
        if not identifier:
            return None
        group = str(identifier).split(":log-group:", 1)[-1].removesuffix(":*")
    return str(group)


async def _group(logs: Logs, body: Members) -> str:
    group = group_named(body)
    if group is None:
        raise InvalidParameter("logGroupName is required")
    if not any(g.group == group for g in await logs.store.groups(group)):
        raise ResourceNotFound("The specified log group does not exist.")
    return str(group)


def _arn(account: Account, group: str) -> str:
    return account.arn("logs", f"log-group:{group}")


async def describe_log_groups(logs: Logs, call: Call, body: Members) -> Members:
    await logs.store.flush()
    groups = await logs.store.groups(body.get("logGroupNamePrefix") or "")
    found = paging.page(
        groups,
        [g.group for g in groups],
        body.get("nextToken"),
        body.get("limit") or 50,
        _invalid_token,
    )
    out: Members = {
        "logGroups": [
            {
                "logGroupName": g.group,
                "creationTime": g.created,
                "storedBytes": g.stored_bytes,
                "metricFilterCount": 0,
                "arn": _arn(call.account, g.group) + ":*",
                "logGroupClass": "STANDARD",
                **({"retentionInDays": g.retention_days} if g.retention_days else {}),
            }
            for g in found.items
        ]
    }
    if found.next:
        out["nextToken"] = found.next
    return out


async def describe_log_streams(logs: Logs, call: Call, body: Members) -> Members:
    await logs.store.flush()
    group = await _group(logs, body)
    streams = await logs.store.streams(group, body.get("logStreamNamePrefix") or "")
    by_time = body.get("orderBy") == "LastEventTime"
    descending = bool(body.get("descending"))

    def key(stream: Any) -> str:
        # One ascending key per order the API offers, so the same token pages them all.
        rank = stream.last_event if by_time else 0
        if descending:
            rank = 10**19 - rank
        name = (
            stream.stream
            if not descending or by_time
            else "".join(chr(0x10FFFF - ord(c)) for c in stream.stream)
        )
        return f"{rank:020d}\x00{name}"

    streams.sort(key=key)
    found = paging.page(
        streams,
        [key(s) for s in streams],
        body.get("nextToken"),
        body.get("limit") or 50,
        _invalid_token,
    )
    arn = _arn(call.account, group)
    out: Members = {
        "logStreams": [
            {
                "logStreamName": s.stream,
                "creationTime": s.created,
                "firstEventTimestamp": s.first_event,
                "lastEventTimestamp": s.last_event,
                "lastIngestionTime": s.last_ingestion,
                "uploadSequenceToken": "1",
                "storedBytes": s.stored_bytes,
                "arn": f"{arn}:log-stream:{s.stream}",
            }
            for s in found.items
        ]
    }
    if found.next:
        out["nextToken"] = found.next
    return out


async def get_log_events(logs: Logs, call: Call, body: Members) -> Members:
    await logs.store.flush()
    group = await _group(logs, body)
    token = str(body.get("nextToken") or "")
    after = _event_token(body)
    backward = token.startswith("b/") or (not token and body.get("startFromHead") is False)
    descending = backward or (not token and not body.get("startFromHead", False))
    events = await logs.store.events(
        group,
        [body["logStreamName"]],
        body.get("startTime"),
        body.get("endTime"),
        after_id=after,
        limit=body.get("limit") or 10000,
        descending=descending,
    )
    if descending:
        events.reverse()
    first = events[0].event_id if events else after
    last = events[-1].event_id if events else after
    return {
        "events": [
            {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}
            for e in events
        ],
        "nextForwardToken": f"f/{last:056d}",
        "nextBackwardToken": f"b/{first:056d}",
    }


async def filter_log_events(logs: Logs, call: Call, body: Members) -> Members:
    await logs.store.flush()
    group = await _group(logs, body)
    names = body.get("logStreamNames")
    prefix = body.get("logStreamNamePrefix")
    if names and prefix:
        raise InvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive")
    if prefix:
        names = [s.stream for s in await logs.store.streams(group, prefix)]
        if not names:
            return {"events": [], "searchedLogStreams": []}
    pattern = compile_filter(body.get("filterPattern"))
    limit = body.get("limit") or 10000
    found: list[dict[str, Any]] = []
    last_id = _event_token(body)
    while len(found) < limit:
        scanned = await logs.store.events(
            group, names, body.get("startTime"), body.get("endTime"), after_id=last_id, limit=_SCAN
        )
        for index, event in enumerate(scanned):
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
                    if index == len(scanned) - 1 and len(scanned) < _SCAN:
                        last_id = 0  # the limit fell on the last event there is
                    break
        else:
            if len(scanned) < _SCAN:
                last_id = 0  # the end: no token
                break
    out: Members = {"events": found, "searchedLogStreams": []}
    if last_id:
        out["nextToken"] = f"n/{last_id}"
    return out


async def delete_log_group(logs: Logs, call: Call, body: Members) -> Members:
    await logs.store.delete_group(await _group(logs, body))
    return {}
