"""One attempt of a Task: the call to its resource and the events AWS writes for it.

- A function by its ARN (the legacy form): ``LambdaFunctionScheduled`` -> ``Started`` ->
  ``Succeeded`` / ``Failed`` / ``TimedOut``.
- An integration: ``TaskScheduled`` -> ``TaskStarted`` [-> ``TaskSubmitted``] ->
  ``TaskSucceeded`` / ``TaskFailed`` / ``TaskTimedOut``; ``.waitForTaskToken`` sends the
  call, records its response as ``TaskSubmitted`` and waits for the token's answer.
- An activity: ``ActivityScheduled`` -> ``ActivityStarted`` (a worker took it) ->
  ``ActivitySucceeded`` / ``Failed`` / ``TimedOut``; no call, the token board hands the
  input to the worker.

Every step is recorded before the next one acts: the token (before the parameters that
carry it are evaluated), the parameters (with ``*Scheduled``: a resumed attempt sends
what was recorded), ``*Started`` before the call. An attempt found started but not
finished is run again as ``TaskRequest(resumed=True)`` with what it had submitted, and
the runner decides; a token's wait picks up where it was (the token board keeps
answers given meanwhile). Time-outs count from the recorded events, so they survive a
restart: ``TimeoutSeconds`` from ``*Started`` (from ``ActivityScheduled`` for an
activity), ``HeartbeatSeconds`` from the last heartbeat seen. Both fail with
``States.Timeout``, as the histories AWS recorded show."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from altus.asl import errors, resources
from altus.asl.errors import StatesError
from altus.asl.host import (
    Failed as TokenFailed,
)
from altus.asl.host import (
    Heartbeat,
    NewRecord,
    Record,
    Started,
    TaskRequest,
    TokenOpening,
)
from altus.asl.host import (
    Succeeded as TokenSucceeded,
)
from altus.asl.interpreter import events, limits
from altus.asl.interpreter.dataflow import DataFlow
from altus.asl.interpreter.failures import Failed, Fatal
from altus.asl.interpreter.frames import SUSPEND, Run, Visit

#: AWS's default ``TimeoutSeconds`` of a Task.
DEFAULT_TIMEOUT = 99_999_999

TOKEN = "~token"
CALL = "~call"

T = TypeVar("T")


class _TimedOut(Exception):
    pass


class Call:
    """The events of one resource kind."""

    def __init__(self, resource: resources.Resource, region: str) -> None:
        self.resource = resource
        self.region = region
        kind = resource.kind
        self.prefix = {
            resources.LAMBDA_FUNCTION: "LambdaFunction",
            resources.ACTIVITY: "Activity",
        }.get(kind, "Task")
        self.base: dict[str, Any] = (
            {"resourceType": resource.resource_type, "resource": resource.resource}
            if kind == resources.TASK
            else {}
        )

    def type(self, what: str) -> str:
        return f"{self.prefix}{what}"

    @property
    def what(self) -> str:
        """How the oversized-result error names the task."""
        return self.resource.resource_type if self.base else self.resource.arn

    def scheduled(
        self, parameters: Any, timeout: int | None, heartbeat: int | None
    ) -> dict[str, Any]:
        if self.base:
            details = {**self.base, "region": self.region, "parameters": events.text(parameters)}
        else:
            details = events.with_input(parameters, resource=self.resource.arn)
        if timeout is not None:
            details["timeoutInSeconds"] = timeout
        if heartbeat is not None and self.resource.kind != resources.LAMBDA_FUNCTION:
            details["heartbeatInSeconds"] = heartbeat
        return details

    def outcome(self, record: Record) -> Any:
        """The result a recorded outcome gives, or its failure raised."""
        if record.type.endswith("Succeeded"):
            return events.parse(record.details["output"])
        raise Failed(events.error_of(record.details))


async def attempt(visit: Visit, resource: resources.Resource, number: int, retries: int) -> Any:
    """The raw result of attempt ``number`` (raises ``Failed`` with its error)."""
    run = visit.run
    at = f"#{number}"
    call = Call(resource, run.info.region)
    token: str | None = None
    if resource.needs_token:
        found = visit.find(f"{at}:token")
        if found is None:
            found = await visit.note(f"{at}:token", TOKEN, {"token": run.host.new_token()})
        token = str(found.details["token"])
    recorded = visit.run.find(f"{visit.key}{at}:call")
    scheduled = visit.find(f"{at}:scheduled")
    if recorded is None or scheduled is None:
        flow = DataFlow(visit, visit.context(retry_count=retries, token=token))
        effective = flow.effective_input()
        parameters = flow.arguments(effective)
        timeout = _seconds(flow, "TimeoutSeconds", effective)
        heartbeat = _seconds(flow, "HeartbeatSeconds", effective)
        credentials = _credentials(flow, effective)
        plan = {
            "parameters": parameters,
            "timeout": timeout,
            "heartbeat": heartbeat,
            "credentials": credentials,
        }
        scheduled = await visit.event(
            f"{at}:scheduled",
            call.type("Scheduled"),
            call.scheduled(parameters, timeout, heartbeat),
            extra=[NewRecord(f"{visit.key}{at}:call", CALL, plan, public=False)],
        )
        recorded = visit.run.find(f"{visit.key}{at}:call")
    assert recorded is not None
    plan = dict(recorded.details)
    done = visit.find(f"{at}:outcome")
    if done is not None:
        return call.outcome(done)
    # The call starts on a later turn, as AWS's does: tasks scheduled together (a Map's
    # iterations, a Parallel's branches) all show ``*Scheduled`` before any ``*Started``.
    await asyncio.sleep(0)
    attempt = _Attempt(visit, call, at, plan, token, scheduled)
    record = await attempt.run()
    return call.outcome(record)


def _seconds(flow: DataFlow, name: str, effective: Any) -> int | None:
    value = flow.number(name, effective)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Fatal(
            flow.visit.error(
                StatesError(
                    errors.RUNTIME,
                    f"The value of the field '{name}' must be a positive integer: {value!r}",
                )
            )
        )
    return value


def _credentials(flow: DataFlow, effective: Any) -> Any:
    if "Credentials" not in flow.state:
        return None
    if flow.jsonata:
        return flow.expression(flow.state["Credentials"], "Credentials", input=effective)
    return flow.template(flow.state["Credentials"], effective, "Credentials")


class _Progress:
    """``TaskProgress``: ``TaskSubmitted``, recorded once."""

    def __init__(self, attempt: _Attempt) -> None:
        self._attempt = attempt

    async def submitted(self, output: Any) -> None:
        await self._attempt.submitted(output)


class _Attempt:
    def __init__(
        self,
        visit: Visit,
        call: Call,
        at: str,
        plan: Mapping[str, Any],
        token: str | None,
        scheduled: Record,
    ) -> None:
        self.visit = visit
        self.run_ = visit.run
        self.call = call
        self.at = at
        self.plan = plan
        self.token = token
        self.scheduled = scheduled
        timeout = plan["timeout"] if plan["timeout"] is not None else DEFAULT_TIMEOUT
        self.timeout = float(timeout) * self.run_.scale
        self.heartbeat = (
            None if plan["heartbeat"] is None else float(plan["heartbeat"]) * self.run_.scale
        )

    async def run(self) -> Record:
        if self.call.resource.kind == resources.ACTIVITY:
            return await self._activity()
        started = self.visit.find(f"{self.at}:started")
        resumed = started is not None
        if started is None:
            started = await self._event(":started", "Started", dict(self.call.base))
        deadline = started.timestamp + self.timeout
        if self.token is not None:
            await self._open(None)
        submitted = self.visit.find(f"{self.at}:submitted")
        if self.token is not None and submitted is not None:
            return await self._wait_token(deadline)
        request = TaskRequest(
            self.call.resource,
            self.plan["parameters"],
            self.run_.info,
            self.visit.name,
            token=self.token,
            timeout=None if self.plan["timeout"] is None else self.timeout,
            credentials=self.plan["credentials"],
            submitted=(None if submitted is None else events.parse(submitted.details["output"])),
            resumed=resumed,
            key=f"{self.visit.key}{self.at}",
        )
        try:
            result = await _before(
                self.run_, self.run_.host.tasks.run(request, _Progress(self)), deadline
            )
        except StatesError as error:
            return await self._failed(error)
        except _TimedOut:
            return await self._timed_out()
        if self.token is not None:
            await self.submitted(result)
            return await self._wait_token(deadline)
        return await self._succeeded(result)

    async def submitted(self, output: Any) -> None:
        await self._event(":submitted", "Submitted", events.with_output(output, **self.call.base))

    async def _activity(self) -> Record:
        await self._open(self.call.resource.arn)
        return await self._wait_token(self.scheduled.timestamp + self.timeout)

    async def _open(self, activity_arn: str | None) -> None:
        assert self.token is not None
        opening = TokenOpening(
            self.run_.info.arn,
            activity_arn=activity_arn,
            input=None if activity_arn is None else events.text(self.plan["parameters"]),
            heartbeat=self.heartbeat,
        )
        await self.run_.host.tokens.open(self.token, opening)

    async def _wait_token(self, deadline: float) -> Record:
        assert self.token is not None
        host = self.run_.host
        beat = None if self.heartbeat is None else host.now() + self.heartbeat
        try:
            while True:
                until = deadline if beat is None else min(deadline, beat)
                event = await host.tokens.next(self.token, until)
                if event is None:
                    await host.tokens.close(self.token)
                    return await self._timed_out()
                if isinstance(event, Started):
                    details = {} if event.worker_name is None else {"workerName": event.worker_name}
                    await self._event(":started", "Started", details)
                    if self.heartbeat is not None:
                        beat = host.now() + self.heartbeat
                elif isinstance(event, Heartbeat):
                    if self.heartbeat is not None:
                        beat = host.now() + self.heartbeat
                elif isinstance(event, TokenSucceeded):
                    return await self._succeeded(event.output)
                elif isinstance(event, TokenFailed):
                    return await self._failed(StatesError(event.error, event.cause))
        except asyncio.CancelledError as stop:
            if not self.run_.suspending and SUSPEND not in stop.args:
                await host.tokens.close(self.token)
            raise

    async def _event(self, suffix: str, what: str, details: Mapping[str, Any]) -> Record:
        return await self.visit.event(f"{self.at}{suffix}", self.call.type(what), details)

    async def _succeeded(self, result: Any) -> Record:
        if limits.too_large(events.text(result)):
            return await self._failed(limits.exceeded(self.call.what))
        return await self._event(
            ":outcome", "Succeeded", events.with_output(result, **self.call.base)
        )

    async def _failed(self, error: StatesError) -> Record:
        return await self._event(":outcome", "Failed", events.with_error(error, **self.call.base))

    async def _timed_out(self) -> Record:
        error = StatesError(errors.TIMEOUT)
        return await self._event(":outcome", "TimedOut", events.with_error(error, **self.call.base))


async def _before(run: Run, work: Awaitable[T], deadline: float) -> T:
    """``work``'s result, unless ``deadline`` comes first (``_TimedOut``; the work is
    cancelled). Cancelling this cancels the work with the same message."""
    job = asyncio.ensure_future(work)
    timer = asyncio.ensure_future(run.host.sleep_until(deadline))
    try:
        await asyncio.wait({job, timer}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError as stop:
        message = stop.args[0] if stop.args else None
        timer.cancel()
        job.cancel(message)
        with contextlib.suppress(BaseException):
            await job
        raise
    if job.done():
        timer.cancel()
        return job.result()
    job.cancel()
    # ``wait`` (not ``await job``, whose cancellation would be taken for this task's):
    # a halt that comes meanwhile still stops this task.
    await asyncio.wait({job})
    raise _TimedOut
