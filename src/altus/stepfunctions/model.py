"""Step Functions' records, as frozen data, and the changes a plan is made of.

Configuration (state machines, their revisions and versions, aliases, activities) is
small and read on every call: the component keeps it in memory, mirroring the store, and
changes it by plans (``Change``) written all-or-nothing before memory follows.
Executions, their journals and task tokens are many and written by the runtime as
they run: they live in the store alone, read when asked for.

Times are epoch seconds (floats). Configurations members keep the API's shapes
(``loggingConfiguration`` as the member it came in), JSON-ready.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from altus.asl.host import MapRunCounts, MapRunSettings

STANDARD = "STANDARD"
EXPRESS = "EXPRESS"

ACTIVE = "ACTIVE"
DELETING = "DELETING"

RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"
ABORTED = "ABORTED"
PENDING_REDRIVE = "PENDING_REDRIVE"
#: The statuses an execution ends in.
CLOSED = frozenset({SUCCEEDED, FAILED, TIMED_OUT, ABORTED})

#: What a state machine is run as: its definition and the settings that go with it. A
#: revision is one of these as an update left it; a version is one frozen.
Tags = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Revision:
    """One revision of a state machine: what an execution started from it runs.
    ``revision_id`` is None for the revision the machine was created with (AWS shows
    no revisionId until the first update that changes something)."""

    machine_arn: str
    revision_id: str | None
    definition: str
    role_arn: str
    logging: Mapping[str, Any]
    tracing: Mapping[str, Any]
    encryption: Mapping[str, Any] | None
    #: When this revision was made (the creation or the update).
    updated: float

    @property
    def key(self) -> str:
        """The revision's key in the store ("" for the first)."""
        return self.revision_id or ""


@dataclass(frozen=True, slots=True)
class StateMachine:
    arn: str
    name: str
    type: str
    created: float
    #: Its current revision.
    revision: Revision
    status: str = ACTIVE
    tags: Tags = ()
    #: What CreateStateMachine was called with besides the revision, for its
    #: idempotency check (AWS: name, definition, type, logging, tracing, encryption,
    #: publish and versionDescription decide; roleArn and tags do not).
    created_publish: bool = False
    created_description: str | None = None
    #: The number the next published version gets (numbers are never reused).
    next_version: int = 1


@dataclass(frozen=True, slots=True)
class Version:
    arn: str
    machine_arn: str
    number: int
    revision: Revision
    created: float
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Alias:
    arn: str
    machine_arn: str
    name: str
    #: ``(version ARN, weight)``, one or two, weights summing to 100.
    routing: tuple[tuple[str, int], ...]
    created: float
    updated: float
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Activity:
    arn: str
    name: str
    created: float
    tags: Tags = ()
    encryption: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Execution:
    """An execution as DescribeExecution shows it (and what the runtime needs to run
    it: the machine's revision or version it runs)."""

    arn: str
    machine_arn: str
    name: str
    type: str
    status: str
    #: JSON text, as given (``{}`` when none was).
    input: str
    start: float
    role_arn: str
    #: The revision it runs (``Revision.key``), and the version and alias it was
    #: started through, if any.
    revision_key: str = ""
    version_arn: str | None = None
    alias_arn: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stop: float | None = None
    trace_header: str | None = None
    map_run_arn: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    #: The clientToken of the redrive that last restarted it (a repeat is idempotent).
    redrive_token: str | None = None

    @property
    def closed(self) -> bool:
        return self.status in CLOSED


@dataclass(frozen=True, slots=True)
class ExecutionFilter:
    """Which executions ListExecutions wants (every field given must match)."""

    machine_arn: str | None = None
    version_arn: str | None = None
    alias_arn: str | None = None
    map_run_arn: str | None = None
    status: str | None = None
    #: True: only redriven ones; False: only those never redriven.
    redriven: bool | None = None


# --- task tokens -----------------------------------------------------------------------------

OPEN = "open"
STARTED = "started"
ANSWERED_SUCCESS = "succeeded"
ANSWERED_FAILURE = "failed"
TOKEN_CLOSED = "closed"
#: A token SendTask* may still answer or beat for.
ANSWERABLE = frozenset({OPEN, STARTED})


@dataclass(frozen=True, slots=True)
class TaskToken:
    """A task token: a callback's (no activity) or an activity task's.

    ``status``: ``open`` (waiting; an activity task not yet taken), ``started`` (a
    worker took it: GetActivityTask), ``succeeded`` / ``failed`` (answered: ``answer``
    holds the output, or ``{"error", "cause"}``), ``closed`` (the runtime is done with
    it: answered and consumed, timed out, or its execution stopped)."""

    token: str
    execution_arn: str
    created: float
    updated: float
    activity_arn: str | None = None
    #: The activity's input (JSON text).
    input: str | None = None
    heartbeat: float | None = None
    status: str = OPEN
    #: JSON text: SendTaskSuccess's output, or ``{"error": ..., "cause": ...}``.
    answer: str | None = None
    worker: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


# --- plans -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutMachine:
    """The machine, and its current revision (kept as a revision of its own too)."""

    machine: StateMachine


@dataclass(frozen=True, slots=True)
class DropMachine:
    """The machine, its revisions, versions and aliases (not its executions)."""

    arn: str


@dataclass(frozen=True, slots=True)
class PutVersion:
    version: Version


@dataclass(frozen=True, slots=True)
class DropVersion:
    arn: str


@dataclass(frozen=True, slots=True)
class PutAlias:
    alias: Alias


@dataclass(frozen=True, slots=True)
class DropAlias:
    arn: str


@dataclass(frozen=True, slots=True)
class PutActivity:
    activity: Activity


@dataclass(frozen=True, slots=True)
class DropActivity:
    arn: str


Change = (
    PutMachine
    | DropMachine
    | PutVersion
    | DropVersion
    | PutAlias
    | DropAlias
    | PutActivity
    | DropActivity
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    machines: list[StateMachine] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MapRun:
    """A distributed Map state's run (DescribeMapRun): written by the execution as it
    goes (``altus.asl.host.MapRunBoard``), its settings changed by UpdateMapRun."""

    arn: str
    execution_arn: str
    status: str
    start: float
    settings: MapRunSettings
    items: MapRunCounts
    executions: MapRunCounts
    stop: float | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    #: What its child executions run (the item processor as a definition, JSON text)
    #: and the Map state's label.
    definition: str = ""
    label: str = ""
