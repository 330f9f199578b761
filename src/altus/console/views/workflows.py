"""State machines: the list, one machine's definition drawn as a graph with its recent
executions (and a form to start one), and one execution: the graph coloured state by
state from its history, and the history as a table."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.responses import RedirectResponse, Response

from altus.console import graph
from altus.console.views.common import attempt, gather
from altus.console.web import Page, url

if TYPE_CHECKING:
    from altus.console.web import Console

#: History events read at most (pages of 1000).
MAX_EVENTS = 5000


def register(console: Console) -> None:
    console.page("/statemachines", machines)
    console.page("/statemachine", machine)
    console.page("/statemachine/start", start, methods=("POST",))
    console.page("/execution", execution)


async def machines(page: Page) -> Response:
    answer, problem = await attempt(
        page.api.call("stepfunctions", "ListStateMachines", maxResults=1000)
    )
    found = (answer or {}).get("stateMachines") or []
    return page.render(
        "statemachines.html",
        machines=found,
        problem=problem,
        truncated=bool((answer or {}).get("nextToken")),
    )


def _drawn(
    definition: str, outcomes: dict[str, str] | None = None, otherwise: str = "notrun"
) -> tuple[str, str]:
    """The graph's SVG, or why it could not be drawn."""
    try:
        return graph.render(graph.layout(definition), outcomes, otherwise), ""
    except graph.BadDefinition as bad:
        return "", str(bad)


async def machine(page: Page) -> Response:
    arn = page.query("arn")
    (described, problem), (listed, list_problem) = await gather(
        page.api.call("stepfunctions", "DescribeStateMachine", stateMachineArn=arn),
        page.api.call("stepfunctions", "ListExecutions", stateMachineArn=arn, maxResults=50),
    )
    if described is None:
        return page.render("statemachine.html", 404, machine=None, arn=arn, problem=problem)
    svg, unreadable = _drawn(str(described.get("definition", "")))
    return page.render(
        "statemachine.html",
        machine=described,
        arn=arn,
        svg=svg,
        unreadable=unreadable,
        definition=_pretty(str(described.get("definition", ""))),
        executions=(listed or {}).get("executions") or [],
        more_executions=bool((listed or {}).get("nextToken")),
        list_problem=list_problem,
        problem=None,
    )


async def start(page: Page) -> Response:
    arn = page.query("arn")
    params: dict[str, Any] = {"stateMachineArn": arn, "input": page.form.get("input") or "{}"}
    name = page.form.get("name", "").strip()
    if name:
        params["name"] = name
    answer, problem = await attempt(page.api.call("stepfunctions", "StartExecution", **params))
    if answer is None:
        page.session.notices.append(str(problem))
        return RedirectResponse(url("/statemachine", arn=arn), 303)
    return RedirectResponse(url("/execution", arn=str(answer.get("executionArn"))), 303)


async def execution(page: Page) -> Response:
    arn = page.query("arn")
    described, problem = await attempt(
        page.api.call("stepfunctions", "DescribeExecution", executionArn=arn)
    )
    if described is None:
        return page.render("execution.html", 404, execution=None, arn=arn, problem=problem)
    (machine_of, _), (history, history_problem) = await gather(
        page.api.call("stepfunctions", "DescribeStateMachineForExecution", executionArn=arn),
        _history(page, arn),
    )
    events, truncated = history or ([], False)
    status = str(described.get("status", ""))
    outcomes = graph.outcomes(events, status)
    # From a history cut short, a state not seen in it may have run all the same.
    otherwise = "unknown" if truncated or history_problem is not None else "notrun"
    svg, unreadable = _drawn(str((machine_of or {}).get("definition", "")), outcomes, otherwise)
    return page.render(
        "execution.html",
        execution=described,
        arn=arn,
        svg=svg,
        unreadable=unreadable if machine_of is not None else "",
        events=[_row(e) for e in events],
        outcomes=outcomes,
        history_problem=history_problem,
        truncated=truncated,
        max_events=MAX_EVENTS,
        problem=None,
    )


async def _history(page: Page, arn: str) -> tuple[list[dict[str, Any]], bool]:
    """The execution's first ``MAX_EVENTS`` history events, and whether there were more."""
    events: list[dict[str, Any]] = []
    token: str | None = None
    while len(events) < MAX_EVENTS:
        params: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        if token:
            params["nextToken"] = token
        answer = await page.api.call("stepfunctions", "GetExecutionHistory", **params)
        events.extend(answer.get("events") or ())
        token = answer.get("nextToken")
        if not token:
            break
    return events[:MAX_EVENTS], bool(token) or len(events) > MAX_EVENTS


def _row(event: dict[str, Any]) -> dict[str, Any]:
    """One history event as a table row: its id, type, time, the state it names, and
    the rest of its details as compact JSON."""
    details: dict[str, Any] = {}
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            details = value
    state = details.get("name", "")
    rest = {k: v for k, v in details.items() if k != "name"}
    return {
        "id": event.get("id"),
        "type": event.get("type"),
        "timestamp": event.get("timestamp"),
        "state": state,
        "details": json.dumps(rest, separators=(",", ":"))[:400] if rest else "",
        "failed": str(event.get("type", "")).endswith(("Failed", "TimedOut", "Aborted")),
    }


def _pretty(definition: str) -> str:
    try:
        return json.dumps(json.loads(definition), indent=2)
    except ValueError:
        return definition
