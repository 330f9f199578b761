"""CloudFormation stacks: the list, and one stack's outputs, parameters, resources and
events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response

from altus.console.views.common import attempt, gather
from altus.console.web import Page

if TYPE_CHECKING:
    from altus.console.web import Console


def register(console: Console) -> None:
    console.page("/stacks", stacks)
    console.page("/stacks/{name}", stack)


async def stacks(page: Page) -> Response:
    answer, problem = await attempt(page.api.call("cloudformation", "ListStacks"))
    found = (answer or {}).get("StackSummaries") or []
    everything = page.query("all") == "1"
    if not everything:
        found = [s for s in found if s.get("StackStatus") != "DELETE_COMPLETE"]
    return page.render("stacks.html", stacks=found, problem=problem, everything=everything)


async def stack(page: Page) -> Response:
    name = page.param("name")
    (described, problem), (events, _), (resources, _) = await gather(
        page.api.call("cloudformation", "DescribeStacks", StackName=name),
        page.api.call("cloudformation", "DescribeStackEvents", StackName=name),
        page.api.call("cloudformation", "ListStackResources", StackName=name),
    )
    found = ((described or {}).get("Stacks") or [None])[0]
    if found is None:
        return page.render("stack.html", 404, name=name, stack=None, problem=problem)
    return page.render(
        "stack.html",
        name=name,
        stack=found,
        events=(events or {}).get("StackEvents") or [],
        resources=(resources or {}).get("StackResourceSummaries") or [],
        problem=None,
    )
