"""Where the interpreter is in an execution, and how that becomes journal keys.

A ``Frame`` is one run of a list of states: the execution's top level, one branch of a
Parallel, one iteration of a Map. Its key says where it sits (``""``, ``/2@0#0.r0.b1``)
and its states are numbered as they are entered (``<frame>/<n>``), so that running the
execution again from its start reaches the same keys: every record found under a key is
taken as done (``Frame.find``) instead of being done again.

A redrive runs the execution again with ``redrive_count`` n: a state entered in an
earlier run that exited keeps its records; one that did not (the failed state, the
Parallel or Map around it) is entered again under keys with generation n
(``<frame>/<k>@<n>``). Parallel branches and Map iterations keep the keys of the run
they were started in, so the ones that succeeded are replayed, not run again.

``previousEventId``: each frame follows its own chain (its cursor, the id of its last
event); a Parallel or Map keeps a ``Tally`` of the ids of the events inside it, which is
what AWS's events after the branches point to."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from altus.asl import context as asl_context
from altus.asl.errors import StatesError
from altus.asl.host import ExecutionInfo, Host, NewRecord, Record
from altus.asl.interpreter.failures import prefixed

JSONPATH = "JSONPath"
JSONATA = "JSONata"

#: Cancelling an execution's task with this message suspends it (the server stops; the
#: execution resumes from its journal later): its task tokens stay open. Any other
#: cancellation (StopExecution) closes them.
SUSPEND = "altus.asl.suspend"


class HostChance:
    """Randomness for ``States.MathRandom``, ``States.UUID``, ``$random``, ``$uuid``: the
    host's draws. They need no record of their own: a state's evaluated data is recorded
    before anything outside sees it (``TaskScheduled`` keeps the parameters a resumed
    task is sent again), and a state that exited is not evaluated again."""

    def __init__(self, host: Host) -> None:
        self._host = host

    def random(self) -> float:
        return self._host.draw()

    def uuid(self) -> str:
        bits = int(self._host.draw() * (1 << 53)) << 75 | int(self._host.draw() * (1 << 53)) << 22
        return str(uuid.UUID(int=bits, version=4))


@dataclass(frozen=True, slots=True)
class Exit:
    """How a state leaves: its output, the next state (None: the frame ends), the
    variables it assigns, and the event its Exited event follows (None: the frame's
    last)."""

    output: Any
    next: str | None
    assign: Mapping[str, Any] = field(default_factory=dict)
    previous_id: int | None = None


class Tally:
    """The latest event ids inside a Parallel or Map: ``state`` of the states' events,
    ``any`` also of the iterations' own (``MapIterationSucceeded``)."""

    def __init__(self, start: int, parent: Tally | None) -> None:
        self.state = start
        self.any = start
        self.parent = parent
        #: Set when a failed branch or iteration halts the others: the id of its last
        #: event, which the others' aborted events follow.
        self.abort_after: int | None = None

    def aborted_after(self) -> int | None:
        """The id the aborted events inside this Parallel or Map follow (the nearest
        halted one's), None: none halted."""
        tally: Tally | None = self
        while tally is not None:
            if tally.abort_after is not None:
                return tally.abort_after
            tally = tally.parent
        return None

    def saw(self, event_id: int, *, bookkeeping: bool = False) -> None:
        if not bookkeeping:
            self.state = max(self.state, event_id)
        self.any = max(self.any, event_id)
        if self.parent is not None:
            self.parent.saw(event_id)


StateHandler = Callable[["Visit"], Awaitable[Exit]]


class Run:
    """The execution being run: its host, its definition, its redrive generation."""

    def __init__(
        self,
        definition: Mapping[str, Any],
        info: ExecutionInfo,
        host: Host,
        handlers: Mapping[str, StateHandler],
    ) -> None:
        self.definition = definition
        self.info = info
        self.host = host
        self.handlers = handlers
        self.generation = info.redrive_count
        self.chance = HostChance(host)
        #: Set when the run stops to resume later (a journal write failed, SUSPEND):
        #: what is cancelled then leaves its task tokens open.
        self.suspending = False

    @property
    def scale(self) -> float:
        return self.host.time_scale

    def find(self, key: str) -> Record | None:
        return self.host.journal.find(key)

    async def append(self, records: Sequence[NewRecord]) -> list[Record]:
        try:
            return await self.host.journal.append(records)
        except Exception:
            # The store failed: the run stops here and resumes from its journal, so its
            # tokens stay open. (A cancellation is not that: it says why in its message,
            # SUSPEND or a stop, and a stop closes them.)
            self.suspending = True
            raise

    async def note(self, key: str, kind: str, details: Mapping[str, Any]) -> Record:
        """A record of Altus's own under ``key``: the one recorded, or this one."""
        found = self.find(key)
        if found is not None:
            return found
        return (await self.append([NewRecord(key, kind, details, public=False)]))[0]

    def generation_of(self, base: str) -> int:
        """The generation whose keys a state entered at ``base`` uses: the earliest that
        exited, else this run's (see the module docstring)."""
        for generation in range(self.generation):
            if self.find(f"{base}@{generation}:exit") is not None:
                return generation
        return self.generation


@dataclass(eq=False)
class Frame:
    run: Run
    key: str
    states: Mapping[str, Any]
    start_at: str
    language: str
    variables: dict[str, Any]
    cursor: int = 0
    tally: Tally | None = None
    #: ``$$.Map.Item`` in an iteration: its index and value.
    map_item: tuple[int, Any] | None = None
    #: False in a distributed Map's iterations: their records are Altus's own (AWS keeps
    #: them in child executions' histories, not the parent's).
    public: bool = True

    def saw(self, record: Record, *, bookkeeping: bool = False) -> Record:
        if record.id is not None:
            if not bookkeeping:
                self.cursor = record.id
            if self.tally is not None:
                self.tally.saw(record.id, bookkeeping=bookkeeping)
        return record

    def find(self, key: str, *, bookkeeping: bool = False) -> Record | None:
        found = self.run.find(key)
        return None if found is None else self.saw(found, bookkeeping=bookkeeping)

    async def event(
        self,
        key: str,
        type_: str,
        details: Mapping[str, Any],
        *,
        previous_id: int | None = None,
        extra: Sequence[NewRecord] = (),
        bookkeeping: bool = False,
    ) -> Record:
        """The history event under ``key``: the one recorded, or this one appended (with
        ``extra`` records of Altus's own, all together)."""
        found = self.find(key, bookkeeping=bookkeeping)
        if found is not None:
            return found
        previous = self.cursor if previous_id is None else previous_id
        new = NewRecord(key, type_, details, public=self.public, previous_id=previous)
        written = await self.run.append([new, *extra])
        return self.saw(written[0], bookkeeping=bookkeeping)

    def child(
        self,
        key: str,
        definition: Mapping[str, Any],
        *,
        cursor: int,
        tally: Tally,
        map_item: tuple[int, Any] | None = None,
        public: bool = True,
    ) -> Frame:
        """A branch or iteration: it sees this frame's variables (a copy: what it
        assigns stays in it)."""
        return Frame(
            self.run,
            key,
            definition["States"],
            definition["StartAt"],
            definition.get("QueryLanguage", self.language),
            dict(self.variables),
            cursor,
            tally,
            map_item,
            public and self.public,
        )


@dataclass(eq=False)
class Visit:
    """One state entered in a frame."""

    frame: Frame
    key: str
    name: str
    state: Mapping[str, Any]
    input: Any
    entered: Record

    @property
    def run(self) -> Run:
        return self.frame.run

    @property
    def language(self) -> str:
        return str(self.state.get("QueryLanguage", self.frame.language))

    @property
    def entered_id(self) -> int:
        return self.entered.id or 0

    @property
    def variables(self) -> Mapping[str, Any]:
        return self.frame.variables

    def context(
        self, *, retry_count: int | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The context object; ``retry_count`` None (states without Retry) leaves out
        ``State.RetryCount``, as AWS does."""
        return asl_context.context_object(
            self.run.info,
            state_name=self.name,
            entered_time=self.entered.timestamp,
            retry_count=retry_count,
            token=token,
            map_item=self.frame.map_item,
        )

    def error(self, error: StatesError) -> StatesError:
        """``error`` from working on this state's data, with AWS's prefix."""
        return prefixed(error, self.name, self.entered_id)

    async def event(
        self,
        suffix: str,
        type_: str,
        details: Mapping[str, Any],
        *,
        previous_id: int | None = None,
        extra: Sequence[NewRecord] = (),
    ) -> Record:
        return await self.frame.event(
            f"{self.key}{suffix}", type_, details, previous_id=previous_id, extra=extra
        )

    def find(self, suffix: str) -> Record | None:
        return self.frame.find(f"{self.key}{suffix}")

    async def note(self, suffix: str, kind: str, details: Mapping[str, Any]) -> Record:
        return await self.run.note(f"{self.key}{suffix}", kind, details)
