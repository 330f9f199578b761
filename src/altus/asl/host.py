"""What the interpreter needs from the world, and nothing else: the journal it writes
every step to before acting on it, the clock, the runner of tasks (service integrations,
functions) and the board of task tokens (callbacks and activities). The Step Functions
service implements them on its store and its integrations; ``memory`` has the in-memory
ones for tests and for EXPRESS executions.

Durability is the journal's: an execution that resumes after a restart is run again from
its start against the journal it had, and every step whose record is there is taken from
it instead of being done again (``Journal.find``). Keys make that exact: each record's key
says where in the execution it was made (the frame of a branch or iteration, the n-th
state entered in it, the attempt), so that the same run reaches the same keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from altus.asl.resources import Resource

# --- the journal ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record to append. ``public`` records are history events (they get the next
    event id and show in GetExecutionHistory); the others are Altus's own (a Wait's wake
    time, a random draw, a task's token) and get no id."""

    key: str
    #: A history event type (``TaskStateEntered``) or, for a record of Altus's own, its
    #: kind (``~wake``, ``~draw``).
    type: str
    #: The event's details (what goes in its ``<type>EventDetails`` member, JSON-shaped,
    #: inputs and outputs as JSON text as AWS shows them), or the record's value.
    details: Mapping[str, Any]
    public: bool = True
    #: ``previousEventId``: the event this one follows (0: none; ``PREVIOUS_IN_APPEND``:
    #: the public record just before it in the same append, whose id is not known yet).
    previous_id: int = 0


#: ``NewRecord.previous_id`` of an event that follows the one appended just before it
#: (a state's Exited event and the next state's Entered, written together).
PREVIOUS_IN_APPEND = -1


def resolve_previous(new: NewRecord, last_id: int) -> int:
    """``new``'s previous event id, given the id of the public record appended just
    before it (for ``PREVIOUS_IN_APPEND``)."""
    return last_id if new.previous_id == PREVIOUS_IN_APPEND else new.previous_id


@dataclass(frozen=True, slots=True)
class Record:
    key: str
    type: str
    details: Mapping[str, Any]
    #: Epoch seconds (the journal's clock when it was appended).
    timestamp: float
    #: The history event id (1, 2, ...), None for a record of Altus's own.
    id: int | None
    previous_id: int = 0


class Journal(Protocol):
    def find(self, key: str) -> Record | None:
        """The record appended under ``key`` (in this run or one before a restart), else
        None. No I/O: the journal is loaded before the execution resumes."""
        ...

    async def append(self, records: Sequence[NewRecord]) -> list[Record]:
        """Append ``records`` durably and all together (none if it raises), in order:
        the public ones get the next event ids (a ``PREVIOUS_IN_APPEND`` previous id
        becomes the id of the public record before it). Returns them as recorded. A key already
        recorded is a bug of the caller (``ValueError``). Raises ``OSError`` (or the
        store's error) when the store cannot write: the execution stops there and
        resumes from its journal when the server next starts."""
        ...


# --- the execution ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExecutionInfo:
    """What ``$$`` (``$states.context``) tells of the execution, and what integrations
    need to act on its behalf."""

    arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    role_arn: str
    #: Epoch seconds.
    start_time: float
    #: The execution's input (a JSON value).
    input: Any
    redrive_count: int = 0
    #: ``STANDARD`` or ``EXPRESS``.
    type: str = "STANDARD"
    #: The state machine version or alias the execution was started through, if any.
    version_arn: str | None = None
    alias_arn: str | None = None
    region: str = "us-east-1"
    account: str = "000000000000"
    partition: str = "aws"
    trace_header: str | None = None


# --- tasks ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskRequest:
    resource: Resource
    #: The evaluated ``Parameters`` / ``Arguments`` (a JSON value; None when absent: then
    #: the state's effective input is the payload, as AWS sends it).
    parameters: Any
    execution: ExecutionInfo
    state_name: str
    #: The task token, for ``.waitForTaskToken`` (already in ``parameters`` where the
    #: definition put ``$$.Task.Token`` there).
    token: str | None = None
    #: Seconds the task may take (already scaled), None for no limit of its own.
    timeout: float | None = None
    #: The state's evaluated ``Credentials`` (``{"RoleArn": ...}``), if any: the role the
    #: call is made as, instead of the execution's.
    credentials: Mapping[str, Any] | None = None
    #: What an earlier run of this same attempt recorded with ``TaskProgress.submitted``
    #: before a restart (a ``.sync`` task resumes waiting for the job it submitted).
    submitted: Any = None
    #: Whether this attempt had started (``TaskStarted`` recorded) before a restart: its
    #: outcome was lost, and the call may or may not have been made.
    resumed: bool = False
    #: What names this attempt within its execution (its journal key): the same when
    #: the attempt is run again after a restart, different for every other attempt (a
    #: runner derives idempotent names from it).
    key: str = ""


class TaskProgress(Protocol):
    async def submitted(self, output: Any) -> None:
        """Record ``TaskSubmitted`` with ``output`` (a JSON value: the submitting call's
        response), durably, before returning. ``.sync`` runners call it once the job is
        submitted, before they wait for it."""
        ...


class TaskRunner(Protocol):
    async def run(self, request: TaskRequest, progress: TaskProgress) -> Any:
        """Run the task: the function's result (legacy function ARN), the integration's
        result (request-response, or the job's for ``.sync``), or the submitting call's
        response (``.waitForTaskToken``: the interpreter then waits for the token). Raises
        ``StatesError`` with AWS's error name and cause (``Lambda.ServiceException``,
        ``States.TaskFailed``, ``S3.NoSuchBucketException``, a function's ``errorType``).
        Cancelled when the task times out or the execution stops."""
        ...


# --- task tokens ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Started:
    """An activity worker took the task (GetActivityTask)."""

    worker_name: str | None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """SendTaskHeartbeat."""


@dataclass(frozen=True, slots=True)
class Succeeded:
    """SendTaskSuccess: the output, parsed."""

    output: Any


@dataclass(frozen=True, slots=True)
class Failed:
    """SendTaskFailure."""

    error: str
    cause: str


TokenEvent = Started | Heartbeat | Succeeded | Failed


@dataclass(frozen=True, slots=True)
class TokenOpening:
    """What a token is opened with: the activity (its ARN, the input its worker gets) or
    none (a callback), and the heartbeat the sender is held to."""

    execution_arn: str
    activity_arn: str | None = None
    #: The activity's input, JSON text.
    input: str | None = None
    heartbeat: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class TokenBoard(Protocol):
    async def open(self, token: str, opening: TokenOpening) -> None:
        """Make ``token`` answerable (SendTask*) durably; for an activity, also make the
        task available to GetActivityTask. Opening a token already open (a resumed
        execution) leaves it as it is, with whatever answer it already has."""
        ...

    async def next(self, token: str, until: float | None) -> TokenEvent | None:
        """The next event of ``token`` (an answer already given, even before a restart,
        comes at once), or None once the clock passes ``until`` (epoch seconds; None:
        no limit). After ``Succeeded`` or ``Failed`` the token is closed."""
        ...

    async def close(self, token: str) -> None:
        """Close ``token`` without an answer (the task timed out, was retried under a new
        token, or the execution stopped): SendTask* then says ``TaskTimedOut``."""
        ...


# --- map runs --------------------------------------------------------------------------------

#: A Map Run's statuses (DescribeMapRun's ``status``).
MAP_RUN_RUNNING = "RUNNING"
MAP_RUN_SUCCEEDED = "SUCCEEDED"
MAP_RUN_FAILED = "FAILED"
MAP_RUN_ABORTED = "ABORTED"


@dataclass(frozen=True, slots=True)
class MapRunCounts:
    """DescribeMapRun's ``itemCounts`` / ``executionCounts``: how many are in each
    status. ``results_written``: how many have a result (succeeded or failed)."""

    pending: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    timed_out: int = 0
    aborted: int = 0
    total: int = 0
    results_written: int = 0


@dataclass(frozen=True, slots=True)
class MapRunSettings:
    """What UpdateMapRun changes while the Map Run runs. A tolerance of None was not
    set (DescribeMapRun shows 0 then); ``max_concurrency`` 0 sets no limit."""

    max_concurrency: int = 0
    tolerated_failure_percentage: float | None = None
    tolerated_failure_count: int | None = None


@dataclass(frozen=True, slots=True)
class MapRunStart:
    """A distributed Map's run as it starts: its ARN (the one ``MapRunStarted``
    records), the execution it is part of, its settings and its item and iteration
    totals (all pending)."""

    arn: str
    execution_arn: str
    start: float
    settings: MapRunSettings
    items: MapRunCounts
    executions: MapRunCounts
    #: What each child execution runs: the ``ItemProcessor`` as a state machine
    #: definition (``StartAt``, ``States``, its query language).
    definition: Mapping[str, Any] = field(default_factory=dict)
    #: The Map state's label (``Label``, else its name): the children's state machine
    #: is ``<state machine>/<label>``.
    label: str = ""


@dataclass(frozen=True, slots=True)
class MapChild:
    """One item (or batch) of a Map Run, run as a child execution of its own (with its
    own history, as AWS runs them). ``name`` is fixed by the Map Run and the index, so
    asking again (a resumed parent) reaches the same child."""

    map_run_arn: str
    index: int
    name: str
    #: The child's input (the item or batch, selected).
    input: Any
    #: ``STANDARD`` or ``EXPRESS`` (``ProcessorConfig.ExecutionType``).
    type: str
    #: The parent execution.
    parent: ExecutionInfo
    #: The parent's redrive generation that asks: a child that failed, timed out or was
    #: aborted in an earlier generation is redriven (a Map Run redriven with its
    #: parent), one that succeeded is taken as it ended.
    generation: int = 0


@dataclass(frozen=True, slots=True)
class ChildOutcome:
    """How a child execution ended: its ARN, status (``SUCCEEDED``, ``FAILED``,
    ``TIMED_OUT``, ``ABORTED``), output (JSON text) or error and cause, and what a
    ``ResultWriter`` writes of it (DescribeExecution's members, as AWS writes them)."""

    arn: str
    status: str
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    described: Mapping[str, Any] = field(default_factory=dict)


class MapRunBoard(Protocol):
    """Where a distributed Map reports its Map Run (DescribeMapRun, ListMapRuns) and
    reads the settings UpdateMapRun changed."""

    async def start(self, run: MapRunStart) -> tuple[str, MapRunSettings]:
        """Record ``run`` (RUNNING) durably unless its ARN is recorded already (a
        resumed execution): the status and settings recorded, the given ones if new."""
        ...

    async def report(
        self,
        arn: str,
        items: MapRunCounts,
        executions: MapRunCounts,
        *,
        status: str | None = None,
        stop: float | None = None,
    ) -> MapRunSettings:
        """Record the counts (and, closing it, the status and stop date) of a RUNNING
        Map Run; a closed one is left as it is. Returns its settings as recorded now
        (UpdateMapRun may have changed them). Counts may be reported in batches: only
        the last report before the close must be exact."""
        ...

    async def redrive(self, arn: str, redrive_count: int, when: float) -> MapRunSettings:
        """Open the closed Map Run ``arn`` again (RUNNING, its counts to be reported
        anew) as its ``redrive_count``-th redrive, at ``when``: its parent was redriven.
        Done already for that count (a resumed parent), it is left as it is. Returns its
        settings."""
        ...

    async def run_child(self, child: MapChild) -> ChildOutcome:
        """Run ``child`` to its end and say how it ended: started (durably, before
        anything runs) unless a child of its name exists, whose end is then waited
        for or taken. A STANDARD child survives a restart on its own; an EXPRESS one is
        not kept (asked again after a restart, it runs again). Cancelled, it stops
        waiting and leaves the child as it is."""
        ...

    async def abort_children(self, map_run_arn: str) -> None:
        """Abort every child of the Map Run still running: it closed FAILED or ABORTED
        (a child whose start was landing as it closed included). Best effort."""
        ...

    async def abort_child(self, child: MapChild) -> None:
        """Stop ``child`` (ABORTED) if it is running: its parent stopped, or its Map Run
        failed. Best effort: failures are logged, not raised."""
        ...


# --- the host ----------------------------------------------------------------------------


class Host(Protocol):
    journal: Journal
    tasks: TaskRunner
    tokens: TokenBoard

    def now(self) -> float:
        """Epoch seconds."""
        ...

    async def sleep_until(self, when: float) -> None:
        """Return at ``when`` (epoch seconds), at once if it has passed."""
        ...

    #: What durations (Wait seconds, retry intervals, timeouts, heartbeats) are
    #: multiplied by: 1.0 but in tests, which make an hour's Wait take a second.
    time_scale: float

    def new_token(self) -> str:
        """A fresh task token (random; the interpreter records it before using it)."""
        ...

    def draw(self) -> float:
        """A random number in [0, 1) (the interpreter records it before using it)."""
        ...

    #: Where distributed Maps report their Map Runs; None where nobody asks for them
    #: (EXPRESS executions, the interpreter's tests).
    map_runs: MapRunBoard | None
