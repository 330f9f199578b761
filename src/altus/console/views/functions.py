"""Functions: the list, one function's configuration, versions, aliases and metrics, a
test invoke (with saved test events) showing its result and log, and the live tail of
its log group (polled as JSON by the page's script).

Saved test events are the function's, shared by everyone who may invoke it: saving or
deleting one needs ``lambda:InvokeFunction`` on the function (by the principal's own
policies), and they are kept under the function's name as GetFunctionConfiguration
names it (``evil``, ``evil:1`` and its ARN are one function)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, RedirectResponse, Response

from altus.console.api import CallFailed
from altus.console.saved_events import MAX_NAME, MAX_PAYLOAD, SavedEvent, TooMany
from altus.console.sessions import MAX_INVOKES
from altus.console.views import metrics
from altus.console.views.common import Problem, attempt, gather, problem_of
from altus.console.web import Page, url
from altus.identity.authenticator import Principal
from altus.identity.errors import AccessDenied

if TYPE_CHECKING:
    from altus.console.web import Console

_EVENT_NAME = re.compile(rf"^[A-Za-z0-9_.-]{{1,{MAX_NAME}}}$")
_REQUEST_ID = re.compile(r"START RequestId: ([0-9a-fA-F-]+)")
#: Log events one poll of the tail asks for.
TAIL_LIMIT = 200
#: Pages one poll reads at most to skip past what the browser has already.
SKIP_PAGES = 10
#: Functions listed at most (pages of 50).
MAX_FUNCTIONS = 1000


def register(console: Console) -> None:
    console.page("/functions", functions_list)
    console.page("/functions/{name}", function_page)
    console.page("/functions/{name}/invoke", invoke, methods=("POST",))
    console.page("/functions/{name}/events", save_event, methods=("POST",))
    console.page("/functions/{name}/events/delete", delete_event, methods=("POST",))
    # The tail's polls do not keep a session alive: an open tab is not a person.
    console.page("/functions/{name}/logs", tail, touch=False)


async def list_functions(page: Page, limit: int = MAX_FUNCTIONS) -> list[dict[str, Any]]:
    """The first ``limit`` functions (by the API's order), by name; ``truncated`` on the
    result tells whether there were more."""
    found: list[dict[str, Any]] = []
    marker: str | None = None
    while len(found) < limit:
        params: dict[str, Any] = {"MaxItems": 50}
        if marker:
            params["Marker"] = marker
        answer = await page.api.call("lambda", "ListFunctions", **params)
        found.extend(answer.get("Functions") or ())
        marker = answer.get("NextMarker")
        if not marker:
            break
    listed = Listed(sorted(found[:limit], key=lambda f: str(f.get("FunctionName"))))
    listed.truncated = bool(marker) or len(found) > limit
    return listed


class Listed(list[dict[str, Any]]):
    """A list read page by page up to a cap, and whether the cap cut it short."""

    truncated = False


async def functions_list(page: Page) -> Response:
    functions, problem = await attempt(list_functions(page))
    return page.render(
        "functions.html",
        functions=functions or [],
        problem=problem,
        truncated=getattr(functions, "truncated", False),
        cap=MAX_FUNCTIONS,
    )


async def function_page(page: Page, result: dict[str, Any] | None = None) -> Response:
    name = page.param("name")
    held = page.session.result
    if result is None and held is not None and held[0] == name and page.query("result"):
        result = held[1]  # the no-script invoke's, after its redirect
        page.session.result = None
    (function, problem), (versions, _), (aliases, _) = await gather(
        page.api.call("lambda", "GetFunction", FunctionName=name),
        page.api.call("lambda", "ListVersionsByFunction", FunctionName=name, MaxItems=50),
        page.api.call("lambda", "ListAliases", FunctionName=name, MaxItems=50),
    )
    if function is None:
        assert problem is not None
        status = 403 if problem.kind == "denied" else 404
        return page.render("function.html", status, name=name, problem=problem, function=None)
    configuration = function.get("Configuration") or {}
    events = await page.console.saved_events.list(str(configuration.get("FunctionName") or name))
    chosen = page.query("event")
    payload = next((e.payload for e in events if e.name == chosen), "")
    if result is not None:
        payload = result.get("Request", payload)
    span = page.query("range", "1h")
    charts, chart_problem = await attempt(
        metrics.charts(page.api, [name], metrics.FUNCTION, page.console.now(), span)
    )
    return page.render(
        "function.html",
        name=name,
        function=function,
        configuration=configuration,
        settings=_settings(configuration),
        versions=(versions or {}).get("Versions") or [],
        aliases=(aliases or {}).get("Aliases") or [],
        events=events,
        chosen=chosen,
        payload=payload or '{\n  "key": "value"\n}',
        result=result,
        charts=charts or [],
        chart_problem=chart_problem,
        span=span,
        ranges=list(metrics.RANGES),
        problem=None,
        tail_start=int(page.console.now() * 1000) - 5 * 60_000,
    )


def _settings(configuration: dict[str, Any]) -> list[tuple[str, Any]]:
    keys = (
        "FunctionArn",
        "Runtime",
        "Handler",
        "MemorySize",
        "Timeout",
        "Architectures",
        "PackageType",
        "CodeSize",
        "Role",
        "State",
        "LastUpdateStatus",
        "LastModified",
        "Version",
        "Description",
    )
    rows = [(k, configuration[k]) for k in keys if configuration.get(k) not in (None, "")]
    environment = (configuration.get("Environment") or {}).get("Variables") or {}
    if environment:
        rows.append(("Environment", ", ".join(sorted(environment))))
    layers = [layer.get("Arn") for layer in configuration.get("Layers") or ()]
    if layers:
        rows.append(("Layers", ", ".join(str(arn) for arn in layers)))
    return rows


async def invoke(page: Page) -> Response:
    name = page.param("name")
    payload = page.form.get("payload", "")
    qualifier = page.form.get("qualifier", "").strip()
    params: dict[str, Any] = {
        "FunctionName": name,
        "InvocationType": "RequestResponse",
        "LogType": "Tail",
        "Payload": payload.encode(),  # bytes: sent as they are, not as a JSON string
    }
    if qualifier:
        params["Qualifier"] = qualifier
    result: dict[str, Any] = {"Request": payload}
    status = 200
    wants_json = "application/json" in page.request.headers.get("accept", "")
    if page.session.invoking >= MAX_INVOKES:
        message = f"{MAX_INVOKES} invokes of this session are running: wait for one to end."
        if wants_json:
            return JSONResponse({"message": message}, 429)
        page.session.notices.append(message)
        return RedirectResponse(url(f"/functions/{name}"), 303)
    page.session.invoking += 1
    try:
        answer = await page.api.invoke(**params)
    except CallFailed as failed:
        problem: Problem = problem_of(failed)
        result["Problem"] = {
            "kind": problem.kind,
            "title": problem.title,
            "message": problem.message,
        }
        status = 403 if problem.kind == "denied" else 400
    else:
        status = 200
        log = _log_of(answer.get("LogResult"))
        found = _REQUEST_ID.search(log)
        result.update(
            StatusCode=answer.get("StatusCode"),
            FunctionError=answer.get("FunctionError"),
            ExecutedVersion=answer.get("ExecutedVersion"),
            Payload=_pretty(str(answer.get("Payload") or "")),
            Log=log,
            RequestId=found.group(1) if found else "",
        )
    finally:
        page.session.invoking -= 1
    if wants_json:
        return JSONResponse(result, status)
    # Post/redirect/get: a reload of the page shows the result again, and invokes nothing.
    page.session.result = (name, result)
    return RedirectResponse(url(f"/functions/{name}", result=1), 303)


async def _may_invoke(page: Page, name: str) -> tuple[str, str | None]:
    """The function's canonical name, and why the principal may not keep its test
    events (None: it may), which needs ``lambda:InvokeFunction`` on it."""
    answer, problem = await attempt(
        page.api.call("lambda", "GetFunctionConfiguration", FunctionName=name)
    )
    if answer is None:
        return name, str(problem)
    canonical = str(answer.get("FunctionName") or name)
    arn = str(answer.get("FunctionArn") or "")
    if arn.count(":") > 6:  # qualified: the function's own ARN
        arn = arn.rsplit(":", 1)[0]
    principal = Principal(page.session.principal, page.session.key_id)
    try:
        page.console.identity.authorize(principal, "lambda:InvokeFunction", arn)
    except AccessDenied as denied:
        return canonical, f"Access denied: saved test events need lambda:InvokeFunction. {denied}"
    return canonical, None


async def save_event(page: Page) -> Response:
    name = page.param("name")
    event_name = page.form.get("event_name", "").strip()
    payload = page.form.get("payload", "")
    target = url(f"/functions/{name}", event=event_name)
    if not _EVENT_NAME.match(event_name):
        page.session.notices.append(
            f"An event's name is 1 to {MAX_NAME} letters, digits, '.', '_' or '-'."
        )
        return RedirectResponse(url(f"/functions/{name}"), 303)
    try:
        json.loads(payload)
    except ValueError:
        page.session.notices.append("The event is not JSON: it was not saved.")
        return RedirectResponse(url(f"/functions/{name}"), 303)
    if len(payload.encode()) > MAX_PAYLOAD:
        page.session.notices.append("The event is larger than 256 KiB: it was not saved.")
        return RedirectResponse(url(f"/functions/{name}"), 303)
    # Saved events are the function's, used by all who invoke it: only those who may
    # invoke it keep them.
    canonical, refused = await _may_invoke(page, name)
    if refused is not None:
        page.session.notices.append(refused)
        return RedirectResponse(url(f"/functions/{name}"), 303)
    try:
        await page.console.saved_events.put(
            SavedEvent(canonical, event_name, payload, int(page.console.now() * 1000))
        )
    except TooMany as full:
        page.session.notices.append(str(full))
        return RedirectResponse(url(f"/functions/{name}"), 303)
    page.session.notices.append(f"Saved the test event {event_name}.")
    return RedirectResponse(target, 303)


async def delete_event(page: Page) -> Response:
    name = page.param("name")
    event_name = page.form.get("event_name", "")
    canonical, refused = await _may_invoke(page, name)
    if refused is not None:
        page.session.notices.append(refused)
    elif await page.console.saved_events.delete(canonical, event_name):
        page.session.notices.append(f"Deleted the test event {event_name}.")
    return RedirectResponse(url(f"/functions/{name}"), 303)


async def tail(page: Page) -> Response:
    """The function's log events the browser has not had yet, oldest first, as JSON:
    ``{"events": [{"id", "timestamp", "message", "stream"}], "cursor": {...},
    "problem"?}``. The browser sends the cursor it was given back (``start``, ``token``,
    ``after``, ``last``) and gets each event once, however many share a timestamp."""
    try:
        start = max(int(page.query("start", "0")), 0)
        last = max(int(page.query("last", "0")), start)
    except ValueError:
        start = last = 0
    cursor = Cursor(
        start, page.query("token"), page.query("after"), last, page.query("seek") == "1"
    )

    async def read(start_ms: int, token: str) -> dict[str, Any]:
        params: dict[str, Any] = {
            "logGroupName": f"/aws/lambda/{page.param('name')}",
            "startTime": start_ms,
            "limit": TAIL_LIMIT,
        }
        if token:
            params["nextToken"] = token
        return await page.api.call("logs", "FilterLogEvents", **params)

    try:
        events, cursor = await follow(read, cursor)
    except CallFailed as failed:
        if failed.code == "ResourceNotFoundException":  # no log group yet: nothing logged
            return JSONResponse({"events": [], "cursor": cursor.as_dict()})
        body = {"events": [], "cursor": cursor.as_dict(), "problem": str(problem_of(failed))}
        return JSONResponse(body)
    shown = [
        {
            "id": e.get("eventId"),
            "timestamp": e.get("timestamp"),
            "message": e.get("message"),
            "stream": e.get("logStreamName"),
        }
        for e in events
    ]
    return JSONResponse({"events": shown, "cursor": cursor.as_dict()})


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the tail goes on from: FilterLogEvents' ``token`` for the events since
    ``start`` while it has one; else the events since ``last`` (a timestamp) that come
    after the event ``after`` (the last one the browser has). ``seek``: the token's
    events are still those up to ``after``, being skipped."""

    start: int
    token: str = ""
    after: str = ""
    last: int = 0
    seek: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "token": self.token,
            "after": self.after,
            "last": self.last,
            "seek": int(self.seek),
        }


Reader = Callable[[int, str], Awaitable[dict[str, Any]]]


async def follow(read: Reader, cursor: Cursor) -> tuple[list[dict[str, Any]], Cursor]:
    """The events after ``cursor`` (``read(start, token)``: one FilterLogEvents page),
    and the cursor after them. Never an event twice: without a token, the events of
    ``cursor.last`` up to ``cursor.after`` are read again and skipped, following the
    tokens (``SKIP_PAGES`` pages a poll at most: the next poll goes on skipping)."""
    if cursor.token:
        start = cursor.start
        answer = await read(start, cursor.token)
    else:
        start = max(cursor.last, cursor.start)
        answer = await read(start, "")
    events = list(answer.get("events") or ())
    seeking = bool(cursor.after) and (cursor.seek or not cursor.token)
    pages = 1
    while seeking:
        ids = [str(e.get("eventId")) for e in events]
        if cursor.after in ids:
            events = events[ids.index(cursor.after) + 1 :]
            break
        token = answer.get("nextToken")
        if not token:
            break  # the event is gone (retention): what there is is new
        if pages >= SKIP_PAGES:  # enough for one poll: the next goes on from here
            return [], Cursor(start, str(token), cursor.after, cursor.last, seek=True)
        answer = await read(start, str(token))
        events = list(answer.get("events") or ())
        pages += 1
    after = str(events[-1].get("eventId")) if events else cursor.after
    last = max([cursor.last, cursor.start, *(int(e.get("timestamp") or 0) for e in events)])
    token = answer.get("nextToken")
    if token:
        return events, Cursor(start, str(token), after, last)
    return events, Cursor(last, "", after, last)


def _log_of(encoded: object) -> str:
    if not encoded:
        return ""
    try:
        return base64.b64decode(str(encoded)).decode("utf-8", "replace")
    except ValueError:
        return ""


def _pretty(payload: str) -> str:
    try:
        return json.dumps(json.loads(payload), indent=2)
    except ValueError:
        return payload
