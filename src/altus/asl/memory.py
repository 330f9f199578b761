"""The host in memory: a journal, a board of task tokens and a runner of scripted tasks, on
a clock. EXPRESS executions run on it (their history is not kept past the run, so nothing
needs a store), and so do the interpreter's tests, on a ``FakeClock``: ``MemoryHost``
knows every moment it or its token board waits for (``deadlines``), so a test moves the
clock straight to the next one instead of guessing.

Nothing here is durable: a ``MemoryJournal`` lives as long as its object. Tests that
"restart" an execution keep the journal and run the interpreter again on it."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from altus.asl.host import (
    MAP_RUN_RUNNING,
    ChildOutcome,
    ExecutionInfo,
    Failed,
    Heartbeat,
    Journal,
    MapChild,
    MapRunBoard,
    MapRunCounts,
    MapRunSettings,
    MapRunStart,
    NewRecord,
    Record,
    Started,
    Succeeded,
    TaskProgress,
    TaskRequest,
    TaskRunner,
    TokenBoard,
    TokenEvent,
    TokenOpening,
    resolve_previous,
)
from altus.clock import Clock


class MemoryJournal:
    """``host.Journal`` in a list. ``fail_after`` (tests) makes every append after that
    many raise ``OSError`` without writing, as a store that went away does: the run stops
    there, and running it again on this journal resumes it."""

    def __init__(self, clock: Clock, *, fail_after: int | None = None) -> None:
        self._clock = clock
        self._records: list[Record] = []
        self._by_key: dict[str, Record] = {}
        self._last_id = 0
        self.fail_after = fail_after
        self.appends = 0

    def find(self, key: str) -> Record | None:
        return self._by_key.get(key)

    async def append(self, records: Sequence[NewRecord]) -> list[Record]:
        if self.fail_after is not None and self.appends >= self.fail_after:
            raise OSError("the journal is closed (test)")
        keys = [new.key for new in records]
        if len(set(keys)) != len(keys) or any(key in self._by_key for key in keys):
            raise ValueError(f"a key is recorded already: {keys}")
        self.appends += 1
        now = self._clock.now()
        written = []
        for new in records:
            event_id = None
            if new.public:
                self._last_id += 1
                event_id = self._last_id
            previous = resolve_previous(new, self._last_id - (1 if new.public else 0))
            record = Record(new.key, new.type, new.details, now, event_id, previous)
            self._records.append(record)
            self._by_key[new.key] = record
            written.append(record)
        return written

    def events(self) -> list[Record]:
        """The history: the public records in id order."""
        return [record for record in self._records if record.id is not None]

    def records(self) -> list[Record]:
        return list(self._records)


class TokenClosed(Exception):
    """SendTask* on a token that is not open (AWS's ``TaskTimedOut``/``InvalidToken``)."""


@dataclass
class _Token:
    opening: TokenOpening
    #: Started and Heartbeat events not taken by ``next`` yet.
    events: deque[TokenEvent] = field(default_factory=deque)
    #: The answer (SendTaskSuccess/Failure): kept, as a store keeps it, so that a run
    #: resumed after its record was lost gets it again.
    answer: Succeeded | Failed | None = None
    closed: bool = False
    #: The worker that took the activity task (GetActivityTask), if one did.
    taken: Started | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryTokenBoard:
    """``host.TokenBoard`` in a dict, with the API side (``succeed``, ``fail``,
    ``heartbeat``, ``take`` for GetActivityTask) that SendTask* calls.

    As a durable board must: a token opened again (a resumed run) hands out again the
    worker's ``Started`` if a worker took the task, and the answer as long as there is
    one, so that the run records what its lost records said."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tokens: dict[str, _Token] = {}
        #: The ``until`` of every ``next`` waiting now (``MemoryHost.deadlines``).
        self.waiting: dict[int, float] = {}

    async def open(self, token: str, opening: TokenOpening) -> None:
        entry = self._tokens.get(token)
        if entry is None:
            self._tokens[token] = _Token(opening)
        elif entry.taken is not None:
            entry.events.append(entry.taken)

    async def next(self, token: str, until: float | None) -> TokenEvent | None:
        entry = self._tokens.get(token)
        if entry is None:
            raise KeyError(token)
        while True:
            if entry.events:
                return entry.events.popleft()
            if entry.answer is not None:
                return entry.answer
            if entry.closed:
                return None
            timeout = None if until is None else until - self._clock.now()
            if timeout is not None and timeout <= 0:
                return None
            entry.changed.clear()
            marker = id(entry.changed)
            if until is not None:
                self.waiting[marker] = until
            try:
                await self._clock.wait(entry.changed, timeout)
            finally:
                self.waiting.pop(marker, None)

    async def close(self, token: str) -> None:
        entry = self._tokens.get(token)
        if entry is not None and not entry.closed:
            entry.closed = True
            entry.changed.set()

    # --- the API side ----------------------------------------------------------------

    def is_open(self, token: str) -> bool:
        entry = self._tokens.get(token)
        return entry is not None and not entry.closed and entry.answer is None

    def opening(self, token: str) -> TokenOpening:
        return self._tokens[token].opening

    def open_tokens(self) -> list[str]:
        return [token for token in self._tokens if self.is_open(token)]

    def _entry(self, token: str) -> _Token:
        entry = self._tokens.get(token)
        if entry is None or entry.closed or entry.answer is not None:
            raise TokenClosed(token)
        return entry

    def succeed(self, token: str, output: Any) -> None:
        entry = self._entry(token)
        entry.answer = Succeeded(output)
        entry.changed.set()

    def fail(self, token: str, error: str, cause: str) -> None:
        entry = self._entry(token)
        entry.answer = Failed(error, cause)
        entry.changed.set()

    def heartbeat(self, token: str) -> None:
        entry = self._entry(token)
        entry.events.append(Heartbeat())
        entry.changed.set()

    def take(self, activity_arn: str, worker_name: str | None = None) -> tuple[str, str] | None:
        """GetActivityTask: the token and input of a task of ``activity_arn`` not taken yet."""
        for token, entry in self._tokens.items():
            opening = entry.opening
            if opening.activity_arn == activity_arn and entry.taken is None and self.is_open(token):
                entry.taken = Started(worker_name)
                entry.events.append(entry.taken)
                entry.changed.set()
                return token, opening.input or "{}"
        return None


@dataclass(frozen=True, slots=True)
class MemoryMapRun:
    """A Map Run as ``MemoryMapRuns`` keeps it."""

    start: MapRunStart
    status: str
    settings: MapRunSettings
    items: MapRunCounts
    executions: MapRunCounts
    stop: float | None = None
    redrive_count: int = 0


#: Runs a child execution of a Map Run to its end: the child, what it runs, and the
#: child's own ``ExecutionInfo``.
ChildRunner = Callable[[MapChild, Mapping[str, Any], ExecutionInfo], Awaitable[ChildOutcome]]


class MemoryMapRuns:
    """``host.MapRunBoard`` in a dict (tests): ``runs`` by ARN; ``update`` is
    UpdateMapRun's side; ``children`` how each child ended, by ARN, run by ``runner``
    (the test's: typically ``run_execution`` on a ``MemoryHost`` of its own)."""

    def __init__(self, runner: ChildRunner | None = None) -> None:
        self.runs: dict[str, MemoryMapRun] = {}
        self.reports = 0
        self.children: dict[str, ChildOutcome] = {}
        self.aborted: list[str] = []
        self.aborted_runs: list[str] = []
        self._runner = runner

    async def start(self, run: MapRunStart) -> tuple[str, MapRunSettings]:
        found = self.runs.get(run.arn)
        if found is None:
            found = MemoryMapRun(run, MAP_RUN_RUNNING, run.settings, run.items, run.executions)
            self.runs[run.arn] = found
        return found.status, found.settings

    async def report(
        self,
        arn: str,
        items: MapRunCounts,
        executions: MapRunCounts,
        *,
        status: str | None = None,
        stop: float | None = None,
    ) -> MapRunSettings:
        found = self.runs[arn]
        self.reports += 1
        if found.status == MAP_RUN_RUNNING:
            found = dataclasses.replace(
                found, items=items, executions=executions, status=status or found.status, stop=stop
            )
            self.runs[arn] = found
        return found.settings

    async def redrive(self, arn: str, redrive_count: int, when: float) -> MapRunSettings:
        found = self.runs[arn]
        if found.redrive_count < redrive_count:
            found = dataclasses.replace(
                found, status=MAP_RUN_RUNNING, stop=None, redrive_count=redrive_count
            )
            self.runs[arn] = found
        return found.settings

    async def run_child(self, child: MapChild) -> ChildOutcome:
        run = self.runs[child.map_run_arn]
        parent = child.parent
        machine = f"{parent.state_machine_arn}/{run.start.label}"
        prefix = parent.arn.rsplit(":", 2)[0]
        arn = f"{prefix}:{parent.state_machine_name}/{run.start.label}:{child.name}"
        ended = self.children.get(arn)
        if ended is not None and (ended.status == "SUCCEEDED" or child.generation == 0):
            return ended
        if self._runner is None:
            raise RuntimeError("MemoryMapRuns was given no runner of child executions")
        info = dataclasses.replace(
            parent,
            arn=arn,
            name=child.name,
            state_machine_arn=machine,
            start_time=parent.start_time,
            input=child.input,
            redrive_count=0,
            type=child.type,
        )
        outcome = await self._runner(child, run.start.definition, info)
        self.children[arn] = outcome
        return outcome

    async def abort_children(self, map_run_arn: str) -> None:
        self.aborted_runs.append(map_run_arn)

    async def abort_child(self, child: MapChild) -> None:
        self.aborted.append(child.name)

    def update(self, arn: str, settings: MapRunSettings) -> None:
        self.runs[arn] = dataclasses.replace(self.runs[arn], settings=settings)


Handler = Callable[[TaskRequest, TaskProgress], Awaitable[Any]]


class ScriptedTasks:
    """``host.TaskRunner`` that answers each resource ARN with a handler (tests): the
    handler gets the request and the progress, returns the result or raises
    ``StatesError``. Every request is kept in ``calls``."""

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.calls: list[TaskRequest] = []

    def on(self, arn: str, handler: Handler) -> None:
        self.handlers[arn] = handler

    async def run(self, request: TaskRequest, progress: TaskProgress) -> Any:
        self.calls.append(request)
        handler = self.handlers.get(request.resource.arn)
        if handler is None:
            raise LookupError(f"no handler for {request.resource.arn}")
        return await handler(request, progress)


class MemoryHost:
    """``host.Host`` on a clock, with a seeded source of tokens and draws (a test's run is
    the same each time)."""

    def __init__(
        self,
        clock: Clock,
        *,
        tasks: TaskRunner | None = None,
        journal: MemoryJournal | None = None,
        tokens: MemoryTokenBoard | None = None,
        time_scale: float = 1.0,
        seed: int = 0,
        map_runs: MapRunBoard | None = None,
    ) -> None:
        self.clock = clock
        self.map_runs: MapRunBoard | None = map_runs
        #: The journal and the token board as themselves (what tests look at and answer).
        self.log = journal or MemoryJournal(clock)
        self.board = tokens or MemoryTokenBoard(clock)
        self.journal: Journal = self.log
        self.tokens: TokenBoard = self.board
        self.tasks: TaskRunner = tasks if tasks is not None else ScriptedTasks()
        self.time_scale = time_scale
        self._random = random.Random(seed)
        self._sleeping: dict[int, float] = {}

    def now(self) -> float:
        return self.clock.now()

    async def sleep_until(self, when: float) -> None:
        marker = object()
        self._sleeping[id(marker)] = when
        try:
            while (left := when - self.clock.now()) > 0:
                await self.clock.sleep(left)
        finally:
            self._sleeping.pop(id(marker), None)
        await asyncio.sleep(0)

    def new_token(self) -> str:
        return uuid.UUID(int=self._random.getrandbits(128), version=4).hex

    def draw(self) -> float:
        return self._random.random()

    def deadlines(self) -> list[float]:
        """Every moment something waits for now: sleeps and token waits."""
        return sorted([*self._sleeping.values(), *self.board.waiting.values()])
