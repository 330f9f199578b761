"""The event sources and front doors: queues, streams, topics, event buses and their
rules, schedules and APIs, each a table (one page of each list: the first 100, with a
note where there are more)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from altus.console.api import Api
from altus.console.views.common import Problem, attempt
from altus.console.web import Page

if TYPE_CHECKING:
    from altus.console.web import Console

#: A table: its columns and rows (each cell text, or (text, link)).
Table = tuple[list[str], list[list[Any]]]


def register(console: Console) -> None:
    for path, title, read in (
        ("/queues", "Queues", queues),
        ("/streams", "Streams", streams),
        ("/topics", "Topics", topics),
        ("/buses", "Event buses and rules", buses),
        ("/schedules", "Schedules", schedules),
        ("/apis", "APIs", apis),
    ):
        console.page(path, _view(title, read))


def _view(title: str, read: Callable[[Api], Awaitable[list[tuple[str, Table]]]]) -> Any:
    async def view(page: Page) -> Response:
        tables, problem = await attempt(read(page.api))
        return page.render("resources.html", title=title, tables=tables or [], problem=problem)

    return view


async def _each(items: list[Any], work: Callable[[Any], Awaitable[Any]]) -> list[Any]:
    """``work`` of each item at once; None where it failed (the row shows what it has)."""

    async def one(item: Any) -> Any:
        value, _ = await attempt(work(item))
        return value

    return list(await asyncio.gather(*(one(i) for i in items)))


#: The members that say a list goes on past the page read.
_NEXT = ("NextToken", "nextToken", "NextMarker", "HasMoreStreams", "position")


def _more(answer: dict[str, Any], what: str) -> str:
    """A heading's note where ``answer`` is one page of more."""
    return f"The first 100 {what}; there are more" if any(answer.get(k) for k in _NEXT) else ""


async def queues(api: Api) -> list[tuple[str, Table]]:
    listed = await api.call("sqs", "ListQueues", MaxResults=100)
    urls = (listed.get("QueueUrls") or [])[:100]
    attributes = await _each(
        urls, lambda u: api.call("sqs", "GetQueueAttributes", QueueUrl=u, AttributeNames=["All"])
    )
    rows = []
    for queue_url, found in zip(urls, attributes, strict=True):
        a = (found or {}).get("Attributes") or {}
        rows.append(
            [
                queue_url.rsplit("/", 1)[-1],
                a.get("ApproximateNumberOfMessages", ""),
                a.get("ApproximateNumberOfMessagesNotVisible", ""),
                a.get("VisibilityTimeout", ""),
                "FIFO" if a.get("FifoQueue") == "true" else "Standard",
                a.get("RedrivePolicy", ""),
            ]
        )
    columns = ["Queue", "Messages", "In flight", "Visibility (s)", "Type", "Redrive policy"]
    return [(_more(listed, "queues"), (columns, rows))]


async def streams(api: Api) -> list[tuple[str, Table]]:
    listed = await api.call("kinesis", "ListStreams", Limit=100)
    names = (listed.get("StreamNames") or [])[:100]
    summaries = await _each(
        names, lambda n: api.call("kinesis", "DescribeStreamSummary", StreamName=n)
    )
    rows = []
    for name, found in zip(names, summaries, strict=True):
        s = (found or {}).get("StreamDescriptionSummary") or {}
        rows.append(
            [
                name,
                s.get("StreamStatus", ""),
                s.get("OpenShardCount", ""),
                s.get("RetentionPeriodHours", ""),
                (s.get("StreamModeDetails") or {}).get("StreamMode", ""),
            ]
        )
    columns = ["Stream", "Status", "Open shards", "Retention (h)", "Mode"]
    return [(_more(listed, "streams"), (columns, rows))]


async def topics(api: Api) -> list[tuple[str, Table]]:
    listed = await api.call("sns", "ListTopics")
    arns = [t.get("TopicArn") for t in listed.get("Topics") or ()][:100]
    subscriptions = await _each(
        arns, lambda a: api.call("sns", "ListSubscriptionsByTopic", TopicArn=a)
    )
    rows = []
    for arn, found in zip(arns, subscriptions, strict=True):
        subs = (found or {}).get("Subscriptions") or []
        rows.append(
            [
                str(arn).rsplit(":", 1)[-1],
                arn,
                len(subs),
                ", ".join(sorted({str(s.get("Protocol")) for s in subs})),
            ]
        )
    return [(_more(listed, "topics"), (["Topic", "ARN", "Subscriptions", "Protocols"], rows))]


async def buses(api: Api) -> list[tuple[str, Table]]:
    found = (await api.call("events", "ListEventBuses", Limit=100)).get("EventBuses") or []
    names = [str(b.get("Name")) for b in found]
    rules = await _each(names, lambda n: api.call("events", "ListRules", EventBusName=n, Limit=100))
    bus_rows = [[b.get("Name"), b.get("Arn"), b.get("Description", "")] for b in found]
    rule_rows = []
    for name, listed in zip(names, rules, strict=True):
        for rule in (listed or {}).get("Rules") or ():
            rule_rows.append(
                [
                    name,
                    rule.get("Name"),
                    rule.get("State"),
                    rule.get("ScheduleExpression") or rule.get("EventPattern") or "",
                ]
            )
    return [
        ("Buses", (["Bus", "ARN", "Description"], bus_rows)),
        ("Rules", (["Bus", "Rule", "State", "Pattern or schedule"], rule_rows)),
    ]


async def schedules(api: Api) -> list[tuple[str, Table]]:
    listed = await api.call("scheduler", "ListSchedules", MaxResults=100)
    found = listed.get("Schedules") or []
    rows = [
        [
            s.get("Name"),
            s.get("GroupName"),
            s.get("State"),
            str((s.get("Target") or {}).get("Arn", "")),
            s.get("LastModificationDate", ""),
        ]
        for s in found
    ]
    columns = ["Schedule", "Group", "State", "Target", "Modified"]
    return [(_more(listed, "schedules"), (columns, rows))]


async def apis(api: Api) -> list[tuple[str, Table]]:
    rest, rest_problem = await attempt(api.call("apigateway", "GetRestApis", limit=100))
    http, http_problem = await attempt(api.call("apigatewayv2", "GetApis", MaxResults="100"))
    tables: list[tuple[str, Table]] = []
    rest_rows = [
        [
            a.get("name"),
            a.get("id"),
            ", ".join((a.get("endpointConfiguration") or {}).get("types") or ()),
            a.get("createdDate", ""),
        ]
        for a in (rest or {}).get("items") or ()
    ]
    tables.append(
        ("REST APIs (v1)" + _note(rest_problem), (["Name", "Id", "Endpoint", "Created"], rest_rows))
    )
    http_rows = [
        [a.get("Name"), a.get("ApiId"), a.get("ProtocolType"), a.get("ApiEndpoint", "")]
        for a in (http or {}).get("Items") or ()
    ]
    tables.append(
        (
            "HTTP and WebSocket APIs (v2)" + _note(http_problem),
            (["Name", "Id", "Protocol", "Endpoint"], http_rows),
        )
    )
    return tables


def _note(problem: Problem | None) -> str:
    return f" ({problem})" if problem is not None else ""
