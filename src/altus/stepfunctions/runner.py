"""The runtime that runs executions: ``altus.asl``'s interpreter on this service's store.

- A STANDARD execution runs on its journal in the store (``SqlJournal``): every step is
  written before it is acted on, so an execution interrupted anywhere (a stop of the
  server, a SIGKILL) resumes where it was when the server next starts (``resume``): the
  interpreter runs it again from the start and takes every recorded step from the
  journal. It is closed (status, output, stop date) once the interpreter returns; the
  last event is in the journal before that, so a crash between the two only repeats the
  closing.
- An EXPRESS execution runs on a journal in memory (``altus.asl.memory``): AWS keeps no
  history of it (at-least-once asynchronously, at-most-once for StartSyncExecution); one
  that was running when the server stopped is gone, as an Express execution whose host
  fails. Its draws (``States.UUID``, ``$random``) are random, as a STANDARD one's.
- Task tokens are the store's (``StoreTokens`` on the ``TokenDesk``): an answer given
  while the server was down, or before a restart, is found when the execution resumes.
- Tasks run through the integrations (``altus.stepfunctions.integrations``) as the
  execution's role; nested executions (``states:startExecution``) start here, as the
  role, and ``.sync`` waits for them here.

A run whose journal cannot be written (the store failing) stops there and is tried again
after a pause growing from a second to a minute, resuming from its journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import json
import logging
import random
import secrets
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from altus.asl import memory
from altus.asl.host import (
    ChildOutcome,
    ExecutionInfo,
    Failed,
    Heartbeat,
    Journal,
    MapChild,
    MapRunBoard,
    NewRecord,
    Started,
    Succeeded,
    TaskRunner,
    TokenEvent,
    TokenOpening,
)
from altus.asl.interpreter import SUSPEND, Outcome, run_execution
from altus.clock import Clock
from altus.identity.authenticator import service_session
from altus.stepfunctions import executions, executions_api, names
from altus.stepfunctions.errors import ExecutionAlreadyExists, execution_missing
from altus.stepfunctions.journal import JournalWriter, SqlJournal
from altus.stepfunctions.mapruns import StoreMapRuns
from altus.stepfunctions.model import (
    ABORTED,
    ANSWERED_FAILURE,
    ANSWERED_SUCCESS,
    EXPRESS,
    FAILED,
    RUNNING,
    STANDARD,
    STARTED,
    SUCCEEDED,
    TOKEN_CLOSED,
    Execution,
    ExecutionFilter,
    TaskToken,
)
from altus.stepfunctions.tokens import TokenDesk

if TYPE_CHECKING:
    from altus.stepfunctions.component import StepFunctions

log = logging.getLogger(__name__)

SERVICE_PRINCIPAL = "states.amazonaws.com"
#: Pauses before a run whose journal could not be written is tried again.
RETRY_FIRST = 1.0
RETRY_CAP = 60.0
#: How long StopExecution waits for the run it cancels to let go of its tokens.
STOP_GRACE = 10.0
#: The events an execution ends with, and the status each closes it with.
_ENDINGS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
}
RUNTIME_ERROR = "States.Runtime"
#: Executions read per page when resuming.
RESUME_PAGE = 500
#: Seconds the end of an EXPRESS child is kept for a ``.sync`` parent that never asks.
EXPRESS_KEEP = 3600.0


class ServiceHost:
    """``altus.asl.host.Host`` on this service's parts."""

    def __init__(
        self,
        journal: Journal,
        tasks: TaskRunner,
        tokens: Any,
        clock: Clock,
        time_scale: float,
        map_runs: MapRunBoard | None = None,
    ) -> None:
        self.journal = journal
        self.tasks = tasks
        self.tokens = tokens
        self._clock = clock
        self.time_scale = time_scale
        #: The store's Map Runs for a STANDARD execution (None for an EXPRESS one: AWS
        #: runs distributed Maps in STANDARD workflows only).
        self.map_runs: MapRunBoard | None = map_runs

    def now(self) -> float:
        return self._clock.now()

    async def sleep_until(self, when: float) -> None:
        # The event loop may wake a timer up to its clock's resolution early, and the
        # wall clock is not the loop's: sleep again until the time has come.
        for _ in range(1000):
            left = when - self._clock.now()
            if left <= 0:
                return
            await self._clock.sleep(left)

    def new_token(self) -> str:
        # AWS's tokens are long opaque text (at most 1,024 characters); 96 random bytes
        # in URL-safe base64 are 128.
        return secrets.token_urlsafe(96)

    def draw(self) -> float:
        return random.random()


class StoreTokens:
    """``altus.asl.host.TokenBoard`` on the store: what the API's SendTask* and
    GetActivityTask write (``TokenDesk``) is read back here as the token's events."""

    def __init__(self, desk: TokenDesk, clock: Clock) -> None:
        self._desk = desk
        self._store = desk.store
        self._clock = clock
        #: Per token opened here: whether its ``Started`` was handed out, and the last
        #: ``updated`` seen (a later one is a heartbeat).
        self._seen: dict[str, tuple[bool, float]] = {}

    async def open(self, token: str, opening: TokenOpening) -> None:
        now = self._clock.now()
        stored = await self._desk.open(
            TaskToken(
                token=token,
                execution_arn=opening.execution_arn,
                created=now,
                updated=now,
                activity_arn=opening.activity_arn,
                input=opening.input,
                heartbeat=opening.heartbeat,
                extra=dict(opening.extra),
            )
        )
        # Reopened after a restart: a worker's taking is handed out again (the run may
        # have lost the record of it); heartbeats count from now.
        self._seen[token] = (False, stored.updated)

    async def next(self, token: str, until: float | None) -> TokenEvent | None:
        for _ in range(10**9):  # until an event, the deadline, or cancellation
            changed = self._desk.changed(token)
            stored = await self._store.token(token)
            if stored is None or stored.status == TOKEN_CLOSED:
                self._seen.pop(token, None)
                self._desk.forget(token)
                return None
            started, updated = self._seen.get(token, (False, stored.updated))
            if stored.status in (ANSWERED_SUCCESS, ANSWERED_FAILURE):
                if stored.activity_arn is not None and not started:
                    # A worker took it and answered before this looked: its taking
                    # (ActivityStarted) comes first all the same.
                    self._seen[token] = (True, stored.updated)
                    return Started(stored.worker)
                # The answer is final: nothing more to watch for (a resumed run reads it
                # again from the store).
                self._seen.pop(token, None)
                self._desk.forget(token)
                if stored.status == ANSWERED_SUCCESS:
                    return Succeeded(json.loads(stored.answer or "null"))
                answer = json.loads(stored.answer or "{}")
                return Failed(answer.get("error") or "", answer.get("cause") or "")
            if stored.status == STARTED and not started:
                self._seen[token] = (True, stored.updated)
                return Started(stored.worker)
            if stored.updated > updated:
                self._seen[token] = (started, stored.updated)
                return Heartbeat()
            left = None if until is None else until - self._clock.now()
            if left is not None and left <= 0:
                return None
            await self._clock.wait(changed, left)
        return None

    async def close(self, token: str) -> None:
        self._seen.pop(token, None)
        await self._store.close_token(token, self._clock.now())
        self._desk.forget(token)


class Runner:
    """``altus.stepfunctions.runtime_api.Runtime`` with the interpreter."""

    def __init__(self, sfn: StepFunctions, tasks: TaskRunner, time_scale: float) -> None:
        self._sfn = sfn
        self._store = sfn.store
        self._clock = sfn.clock
        self._desk = sfn.desk
        self._tasks = tasks
        self._time_scale = time_scale
        self._tokens = StoreTokens(sfn.desk, sfn.clock)
        #: Every execution's appends, group-committed.
        self._writer = JournalWriter(sfn.store, sfn.clock)
        #: The runs under way, by execution ARN (EXPRESS ones included).
        self._running: dict[str, asyncio.Task[None]] = {}
        #: Set when an execution closes here (``.sync`` parents wait on it).
        self._closed: dict[str, asyncio.Event] = {}
        #: EXPRESS children a ``.sync`` parent waits for, and the ends they came to.
        #: (By ARN, when the wait was announced: one never waited for is dropped after
        #: ``EXPRESS_KEEP`` seconds.)
        self._awaited: dict[str, float] = {}
        self._express_ends: dict[str, Execution] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    async def resume(self) -> None:
        after: tuple[float, str] | None = None
        for _ in range(10**6):  # pages of RUNNING executions
            page = await self._store.list_executions(
                ExecutionFilter(status=RUNNING), after, RESUME_PAGE
            )
            for execution in page:
                if execution.type != EXPRESS and execution.arn not in self._running:
                    self._launch(execution)
            if len(page) < RESUME_PAGE:
                return
            after = (page[-1].start, page[-1].arn)

    def interrupt(self) -> None:
        self._desk.interrupt()

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel(SUSPEND)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._running.clear()

    # --- executions --------------------------------------------------------------------------

    async def start(self, execution: Execution) -> None:
        if execution.type == EXPRESS:
            definition = await self._definition(execution)
            self._spawn(execution.arn, self._express(execution, definition))
            return
        self._launch(execution)

    async def stop(self, execution: Execution, error: str | None, cause: str | None) -> Execution:
        task = self._running.pop(execution.arn, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(task), STOP_GRACE)
        # What the cancelled run appended is written before the journal is read.
        await self._writer.drain()
        closed = await self._close_stopped(execution, error, cause)
        # Its Map Runs' children still running (one whose start was landing as the
        # run was cancelled) are aborted with it.
        for run in await self._store.list_map_runs(execution.arn, None, 10_000):
            await self.abort_map_children(run.arn)
        return closed

    async def _close_stopped(
        self, execution: Execution, error: str | None, cause: str | None
    ) -> Execution:
        """Close a RUNNING execution whose run is not under way here: ABORTED with
        ``ExecutionAborted``, or as its journal says it ended."""
        now = self._clock.now()
        records = await self._store.load_journal(execution.arn)
        last = max((r for r in records if r.id is not None), key=lambda r: r.id or 0, default=None)
        if last is not None and last.type in _ENDINGS:
            # It ended on its own before the cancel reached it (its closing was not yet
            # written): it closes as it ended, not ABORTED.
            closed = self._ended_as(execution, last.type, last.details, now)
            written = await self._store.finish_execution(closed, RUNNING, [], now)
        else:
            details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
            closed = dataclasses.replace(
                execution, status=ABORTED, stop=now, error=error, cause=cause
            )
            aborted = NewRecord(
                f"x:aborted@{execution.redrive_count}",
                "ExecutionAborted",
                details,
                previous_id=0 if last is None or last.id is None else last.id,
            )
            written = await self._store.finish_execution(closed, RUNNING, [aborted], now)
        if written is not None:
            # Tokens the run could not close itself (a stop during a callback's call, a
            # run waiting to retry a store failure): a late answer says TaskTimedOut and
            # no worker gets its activity task.
            for token in await self._store.close_tokens(execution.arn, now):
                self._desk.forget(token)
            self._signal(execution.arn)
            return closed
        stored = await self._store.execution(execution.arn)
        if stored is not None and stored.status == RUNNING:
            # Not closed by this call and still running: it was not ours to cancel (a
            # run elsewhere); say it as the store has it.
            return stored
        return stored if stored is not None else closed

    async def redrive(self, execution: Execution, expect: str) -> bool:
        count = execution.redrive_count
        redriven = NewRecord(
            f"x:redriven@{count}",
            "ExecutionRedriven",
            {"redriveCount": count},
            previous_id=await self._last_event(execution.arn),
        )
        now = self._clock.now()
        if await self._store.finish_execution(execution, expect, [redriven], now) is None:
            return False
        self._launch(execution)
        return True

    async def run_sync(self, execution: Execution) -> Execution:
        definition = await self._definition(execution)
        outcome = await run_execution(definition, self._info(execution), self._memory_host())
        return self._closed_as(execution, outcome)

    # --- task tokens -----------------------------------------------------------------------

    async def send_success(self, token: str, output: str) -> None:
        await self._desk.succeed(token, output)

    async def send_failure(self, token: str, error: str | None, cause: str | None) -> None:
        await self._desk.fail(token, error, cause)

    async def send_heartbeat(self, token: str) -> None:
        await self._desk.beat(token)

    async def get_activity_task(
        self, activity_arn: str, worker_name: str | None, timeout: float
    ) -> tuple[str, str] | None:
        taken = await self._desk.take(activity_arn, worker_name, timeout)
        if taken is None:
            return None
        return taken.token, taken.input if taken.input is not None else "{}"

    # --- nested executions (integrations.ports.ChildExecutions) -----------------------------

    async def start_child(
        self,
        state_machine_arn: str,
        name: str | None,
        input: str,
        parent_execution_arn: str,
        role_arn: str,
        *,
        repeat: bool = False,
        wait: bool = False,
    ) -> tuple[str, float]:
        """StartExecution made by a parent's task, as its role: the role's session must be
        allowed ``states:StartExecution`` where requests are authenticated. As
        ``integrations.ports.ChildExecutions.start``."""
        identity = self._sfn.identity
        if identity is not None and identity.enforcing:
            identity.authorize(
                service_session(role_arn, SERVICE_PRINCIPAL),
                "states:StartExecution",
                state_machine_arn,
            )
        members: dict[str, Any] = {"stateMachineArn": state_machine_arn, "input": input}
        if name:
            members["name"] = name
        try:
            started = await executions_api.start(self._sfn, members)
        except ExecutionAlreadyExists:
            found = await self._made_before(state_machine_arn, name, input) if repeat else None
            if found is None:
                raise
            return found.arn, found.start
        if wait and started.type == EXPRESS:
            # Its run is spawned, not yet under way (nothing awaited since): its end is
            # kept from now on for ``wait_child``.
            now = self._clock.now()
            for arn, since in list(self._awaited.items()):
                if now - since > EXPRESS_KEEP:
                    self._awaited.pop(arn, None)
                    self._express_ends.pop(arn, None)
            self._awaited[started.arn] = now
        return started.arn, started.start

    async def _made_before(
        self, state_machine_arn: str, name: str | None, input: str
    ) -> Execution | None:
        """The execution of ``name`` a start of ``state_machine_arn`` with ``input`` made
        before, if there is one."""
        if not name:
            return None
        machine = names.parse(state_machine_arn).machine
        found = await self._store.execution(self._sfn.core.execution_arn(machine, name))
        return found if found is not None and found.input == input else None

    async def wait_child(self, execution_arn: str) -> Mapping[str, Any]:
        """DescribeExecution of the child once it has closed."""
        if names.parse(execution_arn).kind == names.EXPRESS:
            closed = await self._express_end(execution_arn)
        else:
            closed = await self._closing(execution_arn)
        return await executions.described(self._sfn, closed, True)

    async def _express_end(self, execution_arn: str) -> Execution:
        """An EXPRESS child's end, kept in memory (``start_child`` with ``wait``)."""
        try:
            for _ in range(10**9):  # until it ends, or the waiter is cancelled
                ended = self._express_ends.pop(execution_arn, None)
                if ended is not None:
                    return ended
                if execution_arn not in self._running or execution_arn not in self._awaited:
                    # Lost with the server that ran it (AWS keeps no Express execution).
                    raise execution_missing(execution_arn)
                await self._closed.setdefault(execution_arn, asyncio.Event()).wait()
            raise AssertionError("unreachable")
        finally:
            self._awaited.pop(execution_arn, None)
            self._express_ends.pop(execution_arn, None)
            self._closed.pop(execution_arn, None)

    async def _closing(self, execution_arn: str) -> Execution:
        """The execution once it has closed."""
        for _ in range(10**9):  # until it closes, or the waiter is cancelled
            closed = self._closed.setdefault(execution_arn, asyncio.Event())
            stored = await self._store.execution(execution_arn)
            if stored is None:
                raise execution_missing(execution_arn)
            if stored.status != RUNNING:
                self._closed.pop(execution_arn, None)
                return stored
            # Closed here, it says so at once; closed elsewhere (another frontend), it is
            # seen at the next look.
            await self._clock.wait(closed, 5.0)
        raise AssertionError("unreachable")

    # --- a Map Run's child executions (mapruns.MapChildren) ----------------------------------

    def _child_names(self, child: MapChild) -> tuple[str, str]:
        """The child's state machine ARN (``<machine>/<label>``) and its label."""
        label = names.parse(child.map_run_arn).name
        return f"{child.parent.state_machine_arn}/{label}", label

    async def run_map_child(self, child: MapChild) -> ChildOutcome:
        machine_arn, label = self._child_names(child)
        machine = f"{child.parent.state_machine_name}/{label}"
        core = self._sfn.core
        text = json.dumps(child.input, separators=(",", ":"), ensure_ascii=False)
        if child.type == EXPRESS:
            # Not kept, as AWS keeps no Express execution: a resumed parent runs it again.
            execution = self._child_record(
                child, core.express_arn(machine, child.name, str(uuid.uuid4())), machine_arn, text
            )
            execution = dataclasses.replace(execution, type=EXPRESS)
            definition = await self._definition(execution)
            outcome = await run_execution(definition, self._info(execution), self._memory_host())
            return _child_outcome(self._closed_as(execution, outcome))
        arn = core.execution_arn(machine, child.name)
        stored = await self._store.execution(arn)
        if stored is None:
            execution = self._child_record(child, arn, machine_arn, text)
            kept = await asyncio.shield(self._create_and_launch(execution))
            stored = kept if kept is not None else execution
        elif self._redrives(stored, child):
            await asyncio.shield(self._redrive_child(stored, child))
        return _child_outcome(await self._closing(arn))

    async def _map_run_open(self, execution: Execution) -> bool:
        """Whether the execution may run: it is no Map Run's child, or its Map Run is
        RUNNING."""
        if execution.map_run_arn is None:
            return True
        run = await self._store.map_run(execution.map_run_arn)
        return run is not None and run.status == RUNNING

    async def abort_map_children(self, map_run_arn: str) -> None:
        """Abort every child of the Map Run still running (it closed FAILED or
        ABORTED). Best effort: failures are logged."""
        tried: set[str] = set()
        try:
            for _ in range(10**6):  # pages, until none is left running
                page = await self._store.list_executions(
                    ExecutionFilter(map_run_arn=map_run_arn, status=RUNNING), None, RESUME_PAGE
                )
                fresh = [child for child in page if child.arn not in tried]
                for child in fresh:
                    tried.add(child.arn)
                    await self.stop(child, None, None)
                # A child a stop could not close (its run is elsewhere) is not asked
                # again: a page of those alone ends the sweep.
                if len(page) < RESUME_PAGE or not fresh:
                    return
        except Exception:
            log.exception("Step Functions could not abort the children of %s", map_run_arn)

    async def abort_map_child(self, child: MapChild) -> None:
        if child.type == EXPRESS:
            return  # it ran in the parent's task, cancelled with it
        _, label = self._child_names(child)
        arn = self._sfn.core.execution_arn(f"{child.parent.state_machine_name}/{label}", child.name)
        try:
            stored = await self._store.execution(arn)
            if stored is not None and stored.status == RUNNING:
                await self.stop(stored, None, None)
        except Exception:
            log.exception("Step Functions could not abort the Map Run child %s", arn)

    def _child_record(self, child: MapChild, arn: str, machine_arn: str, text: str) -> Execution:
        # Started by a redriven parent: it counts as redriven for that generation, so
        # asking for it again in it (a resumed parent) takes it as it ended.
        token = _map_redrive_token(child) if child.generation > 0 else None
        return Execution(
            redrive_token=token,
            arn=arn,
            machine_arn=machine_arn,
            name=child.name,
            type=STANDARD,
            status=RUNNING,
            input=text,
            start=self._clock.now(),
            role_arn=child.parent.role_arn,
            map_run_arn=child.map_run_arn,
            trace_header=child.parent.trace_header,
        )

    async def _create_and_launch(self, execution: Execution) -> Execution | None:
        kept = await self._store.create_execution(execution)
        if kept is None:
            self._launch(execution)
        return kept

    @staticmethod
    def _redrives(stored: Execution, child: MapChild) -> bool:
        """Whether the child ended unsuccessfully in an earlier run of its redriven
        parent (and was not redriven for this one yet)."""
        return (
            child.generation > 0
            and stored.status not in (RUNNING, SUCCEEDED)
            and stored.redrive_token != _map_redrive_token(child)
        )

    async def _redrive_child(self, stored: Execution, child: MapChild) -> None:
        now = self._clock.now()
        redriven = dataclasses.replace(
            stored,
            status=RUNNING,
            redrive_count=stored.redrive_count + 1,
            redrive_date=now,
            redrive_token=_map_redrive_token(child),
            stop=None,
            output=None,
            error=None,
            cause=None,
        )
        await self.redrive(redriven, stored.status)

    # --- running ---------------------------------------------------------------------------

    def _spawn(self, arn: str, work: Any) -> None:
        task = asyncio.create_task(work, name=f"stepfunctions {arn}")
        self._running[arn] = task

        def done(finished: asyncio.Task[None]) -> None:
            if self._running.get(arn) is finished:
                del self._running[arn]

        task.add_done_callback(done)

    def _launch(self, execution: Execution) -> None:
        running = self._running.get(execution.arn)
        if running is not None and not running.done():
            return  # one run of an execution at a time (resumed and redriven at once)
        self._spawn(execution.arn, self._standard(execution))

    async def _standard(self, execution: Execution) -> None:
        pause = RETRY_FIRST
        for _ in range(10**9):  # until it ends, or is cancelled
            try:
                if not await self._map_run_open(execution):
                    # A child of a Map Run that closed (its parent stopped, its
                    # tolerance was passed) while it was starting or the server was
                    # down: it is aborted, not run.
                    await self._close_stopped(execution, None, None)
                    return
                definition = await self._definition(execution)
                journal = await SqlJournal.open(
                    self._store, execution.arn, self._clock, self._writer
                )
                host = ServiceHost(
                    journal,
                    self._tasks,
                    self._tokens,
                    self._clock,
                    self._time_scale,
                    StoreMapRuns(self._store, self),
                )
                outcome = await run_execution(definition, self._info(execution), host)
                closed = self._closed_as(execution, outcome)
                await self._store.finish_execution(closed, RUNNING, [], self._clock.now())
                self._signal(execution.arn)
                return
            except asyncio.CancelledError:
                raise
            except (LookupError, ValueError) as problem:
                # No retry mends these (its definition is gone; a record it cannot
                # write, a definition it cannot read): it fails, instead of retrying
                # for ever.
                log.exception("Step Functions execution %s cannot run", execution.arn)
                await self._fail(execution, str(problem))
                return
            except Exception:
                log.exception(
                    "Step Functions execution %s stopped; it resumes from its journal in %.0f s",
                    execution.arn,
                    pause,
                )
            await self._clock.sleep(pause)
            pause = min(pause * 2, RETRY_CAP)

    async def _express(self, execution: Execution, definition: Mapping[str, Any]) -> None:
        try:
            outcome = await run_execution(definition, self._info(execution), self._memory_host())
        except asyncio.CancelledError:
            raise
        except Exception as problem:
            log.exception("Step Functions express execution %s failed", execution.arn)
            cause = f"The execution cannot run: {problem}"
            outcome = Outcome(FAILED, error=RUNTIME_ERROR, cause=cause)
        if execution.arn in self._awaited:
            self._express_ends[execution.arn] = self._closed_as(execution, outcome)
            self._signal(execution.arn)

    def _memory_host(self) -> ServiceHost:
        """An EXPRESS execution's host: this service's, on a journal in memory (Express
        workflows have no callbacks or activities, so the store's token board is never
        asked; its draws are random: ``States.UUID`` differs from run to run, which a
        seeded ``MemoryHost`` would not)."""
        journal = memory.MemoryJournal(self._clock)
        return ServiceHost(journal, self._tasks, self._tokens, self._clock, self._time_scale)

    async def _fail(self, execution: Execution, why: str) -> None:
        """Close ``execution`` FAILED (``States.Runtime``) with its ExecutionFailed event."""
        now = self._clock.now()
        cause = f"The execution cannot run: {why}"
        records = await self._store.load_journal(execution.arn)
        last = max((r.id for r in records if r.id is not None), default=0)
        closed = dataclasses.replace(
            execution, status=FAILED, stop=now, error=RUNTIME_ERROR, cause=cause
        )
        failed = NewRecord(
            f"x:cannot@{execution.redrive_count}",
            "ExecutionFailed",
            {"error": RUNTIME_ERROR, "cause": cause},
            previous_id=last,
        )
        await self._store.finish_execution(closed, RUNNING, [failed], now)
        await self._store.close_tokens(execution.arn, now)
        self._signal(execution.arn)

    @staticmethod
    def _ended_as(
        execution: Execution, kind: str, details: Mapping[str, Any], now: float
    ) -> Execution:
        """The execution closed as its journal's last event says it ended."""
        return dataclasses.replace(
            execution,
            status=_ENDINGS[kind],
            stop=now,
            output=details.get("output") if kind == "ExecutionSucceeded" else None,
            error=details.get("error"),
            cause=details.get("cause"),
        )

    def _signal(self, arn: str) -> None:
        found = self._closed.pop(arn, None)
        if found is not None:
            found.set()

    # --- what a run needs ------------------------------------------------------------------

    async def _last_event(self, arn: str) -> int:
        """The id of the execution's last history event: what an event the service adds
        (``ExecutionAborted``, ``ExecutionRedriven``) follows, as AWS's do."""
        records = await self._store.load_journal(arn)
        return max((r.id for r in records if r.id is not None), default=0)

    async def _definition(self, execution: Execution) -> Mapping[str, Any]:
        if execution.map_run_arn is not None:
            run = await self._store.map_run(execution.map_run_arn)
            if run is None or not run.definition:
                raise LookupError(f"the Map Run {execution.map_run_arn} is gone")
            child: Mapping[str, Any] = json.loads(run.definition)
            return child
        core = self._sfn.core
        revision = None
        if execution.version_arn is not None:
            version = core.versions.get(execution.version_arn)
            revision = version.revision if version is not None else None
        if revision is None:
            revision = await self._store.revision(execution.machine_arn, execution.revision_key)
        if revision is None:
            raise LookupError(f"the definition {execution.arn} runs is gone")
        parsed: Mapping[str, Any] = json.loads(revision.definition)
        return parsed

    def _info(self, execution: Execution) -> ExecutionInfo:
        account = self._sfn.core.account
        return ExecutionInfo(
            arn=execution.arn,
            name=execution.name,
            state_machine_arn=execution.machine_arn,
            state_machine_name=execution.machine_arn.rsplit(":", 1)[-1],
            role_arn=execution.role_arn,
            start_time=execution.start,
            input=json.loads(execution.input),
            redrive_count=execution.redrive_count,
            type=execution.type,
            version_arn=execution.version_arn,
            alias_arn=execution.alias_arn,
            region=account.region,
            account=account.account_id,
            partition=account.partition,
            trace_header=execution.trace_header,
        )

    def _closed_as(self, execution: Execution, outcome: Outcome) -> Execution:
        return dataclasses.replace(
            execution,
            status=outcome.status,
            stop=self._clock.now(),
            output=outcome.output,
            error=outcome.error,
            cause=outcome.cause,
        )


def _map_redrive_token(child: MapChild) -> str:
    """What a child redriven with its parent's ``generation``-th redrive records."""
    return f"altus-map-run:{child.generation}"


def _iso(when: float | None) -> str | None:
    if when is None:
        return None
    stamp = datetime.datetime.fromtimestamp(when, datetime.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _child_outcome(execution: Execution) -> ChildOutcome:
    """How a child ended, with what a ResultWriter writes of it: DescribeExecution's
    members with AWS's capitalised names (dates in ISO 8601: the form of AWS's written
    results is not documented beyond its field names)."""
    written: dict[str, Any] = {
        "ExecutionArn": execution.arn,
        "Input": execution.input,
        "InputDetails": {"Included": True},
        "Name": execution.name,
    }
    if execution.output is not None:
        written["Output"] = execution.output
        written["OutputDetails"] = {"Included": True}
    if execution.error is not None:
        written["Error"] = execution.error
    if execution.cause is not None:
        written["Cause"] = execution.cause
    succeeded = execution.status == SUCCEEDED
    written["RedriveCount"] = execution.redrive_count
    written["RedriveStatus"] = "NOT_REDRIVABLE" if succeeded else "REDRIVABLE_BY_MAP_RUN"
    if succeeded:
        written["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
    written["StartDate"] = _iso(execution.start)
    written["StateMachineArn"] = execution.machine_arn
    written["Status"] = execution.status
    if execution.stop is not None:
        written["StopDate"] = _iso(execution.stop)
    return ChildOutcome(
        arn=execution.arn,
        status=execution.status,
        output=execution.output,
        error=execution.error,
        cause=execution.cause,
        described=written,
    )


class Children:
    """``integrations.ports.ChildExecutions``: nested executions, started and waited for
    by the runner."""

    def __init__(self) -> None:
        self.runner: Runner | None = None

    async def start(
        self,
        state_machine_arn: str,
        name: str | None,
        input: str,
        parent_execution_arn: str,
        role_arn: str,
        *,
        repeat: bool = False,
        wait: bool = False,
    ) -> tuple[str, float]:
        assert self.runner is not None
        return await self.runner.start_child(
            state_machine_arn,
            name,
            input,
            parent_execution_arn,
            role_arn,
            repeat=repeat,
            wait=wait,
        )

    async def wait(self, execution_arn: str) -> Mapping[str, Any]:
        assert self.runner is not None
        return await self.runner.wait_child(execution_arn)
