"""The CloudWatch Logs API's reading operations: DescribeLogGroups, DescribeLogStreams,
GetLogEvents, FilterLogEvents (enough for ``boto3.client("logs")``, ``aws logs tail
--follow`` and ``altus logs``). Every operation first makes what was logged before the
request visible to it; events older than the group's retention policy are not returned
(they are pruned soon after: ``component.py``).

Listings page with the framework's opaque tokens; GetLogEvents' tokens are CloudWatch's
own form (``f/<56 digits>``, ``b/...``), which ``aws logs tail`` compares and keeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from altus.api import paging
from altus.api.spec import Call, Members
from altus.arns import Account
from altus.logs.component import Logs
from altus.logs.errors import InvalidParameter, stream_not_found
from altus.logs.filters import compile_filter, too_slow
from altus.logs.groups import LogGroup
from altus.logs.patterns import MatchTimeout
from altus.logs.retention import cutoff
from altus.logs.store import StreamInfo

#: Events read per store query while filtering, so a sparse match stays bounded in memory.
_SCAN = 1000
#: The latest event time a search bound is taken as (about the year 292,000,000).
_LAST_MS = 2**62
#: Most events one FilterLogEvents call looks at, and most time it scans for: past
#: either it answers what it found (perhaps nothing) with a nextToken going on from
#: there, as AWS answers "all the events found within a time-bounded scan window".
MAX_SCANNED = 10_000
SCAN_SECONDS = 5.0
#: How long matching holds the event loop before letting other requests run.
_SLICE_SECONDS = 0.02


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


async def _group(logs: Logs, body: Members) -> LogGroup:
    """The group the request names (what was logged before is stored once it returns)."""
    group = group_named(body)
    if group is None:
        raise InvalidParameter("logGroupName is required")
    return await logs.groups.get(group)


def _arn(account: Account, group: str) -> str:
    return account.arn("logs", f"log-group:{group}")


def visible_since(logs: Logs, group: LogGroup, start: int | None) -> int | None:
    """The earliest event time a read returns: ``start``, or later where the group's
    retention policy hides older events."""
    days = group.settings.retention_days
    if days is None:
        return start
    oldest = cutoff(days, logs.now_ms())
    return oldest if start is None else max(start, oldest)


def group_view(account: Account, group: LogGroup) -> Members:
    """A group as DescribeLogGroups shows it: ``arn`` ends with ``:*`` (as IAM policies
    write it), ``logGroupArn`` does not (as the tagging operations take it)."""
    settings = group.settings
    arn = _arn(account, group.name)
    view: Members = {
        "logGroupName": group.name,
        "creationTime": settings.created,
        "metricFilterCount": 0,
        "arn": f"{arn}:*",
        "storedBytes": group.stored_bytes,
        "logGroupClass": settings.group_class,
        "logGroupArn": arn,
    }
    if settings.retention_days is not None:
        view["retentionInDays"] = settings.retention_days
    if settings.kms_key_id:
        view["kmsKeyId"] = settings.kms_key_id
    return view


def _chosen(body: Members) -> Callable[[LogGroup], bool]:
    """DescribeLogGroups' filters besides the prefix: a name pattern (a substring, in
    any case), a class, named groups (by name or ARN)."""
    pattern = str(body.get("logGroupNamePattern") or "").lower()
    group_class = body.get("logGroupClass")
    named = {group_named({"logGroupIdentifier": i}) for i in body.get("logGroupIdentifiers") or ()}
    if body.get("logGroupNamePrefix") and pattern:
        raise InvalidParameter(
            "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters."
        )

    def chosen(group: LogGroup) -> bool:
        return (
            pattern in group.name.lower()
            and (group_class is None or group.settings.group_class == group_class)
            and (not named or group.name in named)
        )

    return chosen


async def describe_log_groups(logs: Logs, call: Call, body: Members) -> Members:
    chosen = _chosen(body)
    groups = [
        g for g in await logs.groups.listing(body.get("logGroupNamePrefix") or "") if chosen(g)
    ]
    found = paging.page(
        groups,
        [g.name for g in groups],
        body.get("nextToken"),
        body.get("limit") or 50,
        _invalid_token,
    )
    out: Members = {"logGroups": [group_view(call.account, g) for g in found.items]}
    if found.next:
        out["nextToken"] = found.next
    return out


async def describe_log_streams(logs: Logs, call: Call, body: Members) -> Members:
    group = (await _group(logs, body)).name
    streams = await logs.store.streams(group, body.get("logStreamNamePrefix") or "")
    by_time = body.get("orderBy") == "LastEventTime"
    descending = bool(body.get("descending"))

    def key(stream: StreamInfo) -> str:
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
    out: Members = {"logStreams": [_stream_view(arn, s) for s in found.items]}
    if found.next:
        out["nextToken"] = found.next
    return out


def _stream_view(group_arn: str, stream: StreamInfo) -> Members:
    """A stream as DescribeLogStreams shows it: one nothing was written to yet has no
    event times."""
    view: Members = {
        "logStreamName": stream.stream,
        "creationTime": stream.created,
        "uploadSequenceToken": "1",
        # Always 0 for a stream, as AWS has answered since June 2019 (a group's is kept).
        "storedBytes": 0,
        "arn": f"{group_arn}:log-stream:{stream.stream}",
    }
    if not stream.empty:
        view["firstEventTimestamp"] = stream.first_event
        view["lastEventTimestamp"] = stream.last_event
        view["lastIngestionTime"] = stream.last_ingestion
    return view


async def get_log_events(logs: Logs, call: Call, body: Members) -> Members:
    group = await _group(logs, body)
    stream = str(body["logStreamName"])
    if not any(s.stream == stream for s in await logs.store.streams(group.name, stream)):
        raise stream_not_found()
    token = str(body.get("nextToken") or "")
    after = _event_token(body)
    backward = token.startswith("b/") or (not token and body.get("startFromHead") is False)
    descending = backward or (not token and not body.get("startFromHead", False))
    events = await logs.store.events(
        group.name,
        [stream],
        visible_since(logs, group, body.get("startTime")),
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
    found_group = await _group(logs, body)
    group = found_group.name
    since = visible_since(logs, found_group, body.get("startTime"))
    names = body.get("logStreamNames")
    prefix = body.get("logStreamNamePrefix")
    if names and prefix:
        raise InvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive")
    if prefix:
        names = [s.stream for s in await logs.store.streams(group, prefix)]
        if not names:
            return {"events": [], "searchedLogStreams": []}
    pattern = compile_filter(body.get("filterPattern"))
    # FilterLogEvents' endTime is inclusive ("a timestamp later than this time" is left
    # out), GetLogEvents' exclusive; the store's end is exclusive. Bounded so that the
    # next millisecond fits any store's 64-bit integer.
    end = body.get("endTime")
    until = None if end is None else min(int(end), _LAST_MS) + 1
    limit = body.get("limit") or 10000
    found: list[dict[str, Any]] = []
    last_id = _event_token(body)
    scanned = 0
    started = sliced = time.monotonic()
    while (
        len(found) < limit and scanned < MAX_SCANNED and time.monotonic() - started < SCAN_SECONDS
    ):
        asked = min(_SCAN, MAX_SCANNED - scanned)
        page = await logs.store.events(group, names, since, until, after_id=last_id, limit=asked)
        taken = 0
        for event in page:
            taken += 1
            scanned += 1
            last_id = event.event_id
            try:
                hit = pattern is None or pattern.search(event.message)
            except MatchTimeout as problem:
                raise too_slow(problem) from None
            if hit:
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
            if time.monotonic() - sliced > _SLICE_SECONDS:
                await asyncio.sleep(0)  # let other requests run
                sliced = time.monotonic()
        if len(page) < asked and taken == len(page):
            last_id = 0  # every event there is was looked at: no token
            break
    out: Members = {"events": found, "searchedLogStreams": []}
    if last_id:
        out["nextToken"] = f"n/{last_id}"
    return out
