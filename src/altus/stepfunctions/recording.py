"""``RecordingRuntime``: a ``Runtime`` that runs nothing. It records what the API asked
of it and does the bookkeeping a runtime owes the API (StopExecution closes the
execution ABORTED with its event; task tokens are answered and taken on the store), so
the service works end to end where executions need not run: the API's own tests, and
a server whose interpreter is not wired in.

``finish`` closes an execution as a runtime would when it ends (tests use it to reach
the states RedriveExecution and DescribeExecution care about).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import Any

from altus.asl.host import NewRecord, Record
from altus.clock import Clock
from altus.stepfunctions.model import ABORTED, RUNNING, SUCCEEDED, Execution
from altus.stepfunctions.store import StepFunctionsStore
from altus.stepfunctions.tokens import TokenDesk


def succeed_with_input(execution: Execution, now: float) -> Execution:
    """StartSyncExecution's default here: the execution succeeds with its input."""
    return dataclasses.replace(execution, status=SUCCEEDED, output=execution.input, stop=now)


class RecordingRuntime:
    def __init__(self, store: StepFunctionsStore, clock: Clock, desk: TokenDesk) -> None:
        self.store = store
        self.clock = clock
        self.desk = desk
        #: Every call, in order: ``(method, arguments...)``.
        self.calls: list[tuple[Any, ...]] = []
        #: What ``run_sync`` answers with, given the execution and the time.
        self.sync_result: Callable[[Execution, float], Execution] = succeed_with_input

    def called(self, method: str) -> list[tuple[Any, ...]]:
        return [call[1:] for call in self.calls if call[0] == method]

    async def resume(self) -> None:
        self.calls.append(("resume",))

    def interrupt(self) -> None:
        self.desk.interrupt()

    async def close(self) -> None:
        self.calls.append(("close",))

    async def start(self, execution: Execution) -> None:
        self.calls.append(("start", execution))

    async def stop(self, execution: Execution, error: str | None, cause: str | None) -> Execution:
        self.calls.append(("stop", execution.arn, error, cause))
        details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        closed = dataclasses.replace(
            execution, status=ABORTED, stop=self.clock.now(), error=error, cause=cause
        )
        aborted = NewRecord(f"aborted/{execution.redrive_count}", "ExecutionAborted", details)
        written = await self.store.finish_execution(closed, RUNNING, [aborted], self.clock.now())
        if written is not None:
            return closed
        stored = await self.store.execution(execution.arn)
        return stored if stored is not None else closed

    async def redrive(self, execution: Execution, expect: str) -> bool:
        self.calls.append(("redrive", execution))
        return await self.store.update_execution(execution, expect)

    async def run_sync(self, execution: Execution) -> Execution:
        self.calls.append(("run_sync", execution))
        return self.sync_result(execution, self.clock.now())

    async def send_success(self, token: str, output: str) -> None:
        self.calls.append(("send_success", token, output))
        await self.desk.succeed(token, output)

    async def send_failure(self, token: str, error: str | None, cause: str | None) -> None:
        self.calls.append(("send_failure", token, error, cause))
        await self.desk.fail(token, error, cause)

    async def send_heartbeat(self, token: str) -> None:
        self.calls.append(("send_heartbeat", token))
        await self.desk.beat(token)

    async def get_activity_task(
        self, activity_arn: str, worker_name: str | None, timeout: float
    ) -> tuple[str, str] | None:
        self.calls.append(("get_activity_task", activity_arn, worker_name, timeout))
        taken = await self.desk.take(activity_arn, worker_name, timeout)
        if taken is None:
            return None
        return taken.token, taken.input if taken.input is not None else "{}"

    # --- what tests use to stand for a running execution ------------------------------

    async def finish(
        self,
        arn: str,
        status: str,
        *,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
        events: Sequence[NewRecord] = (),
    ) -> Execution:
        """Close the RUNNING execution ``arn`` as ``status`` (``output`` a JSON value),
        appending ``events`` with it."""
        stored = await self.store.execution(arn)
        if stored is None or stored.status != RUNNING:
            raise ValueError(f"{arn} is not running")
        closed = dataclasses.replace(
            stored,
            status=status,
            stop=self.clock.now(),
            output=json.dumps(output) if output is not None else None,
            error=error,
            cause=cause,
        )
        written: list[Record] | None = await self.store.finish_execution(
            closed, RUNNING, events, self.clock.now()
        )
        if written is None:
            raise ValueError(f"{arn} closed meanwhile")
        return closed
