"""The context object (``$$`` in JSONPath, ``$states.context`` in JSONata) and the sources
of chance the data flow draws on (``States.UUID``, ``States.MathRandom``, ``$uuid()``,
``$random()``).

Chance is a parameter, never a global: the interpreter records every draw in its journal
before using it, so that an execution resumed after a restart takes the same branch it
took before; tests pass a fixed ``Chance`` to get exact outputs."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from altus.asl.host import ExecutionInfo


class Chance(Protocol):
    def random(self) -> float:
        """A number in [0, 1)."""
        ...

    def uuid(self) -> str:
        """A version 4 UUID as text (``"0b6f3c4e-..."``, lower case, with hyphens)."""
        ...


class _SystemChance:
    def random(self) -> float:
        return random.random()

    def uuid(self) -> str:
        return str(uuid.uuid4())


#: The process's own randomness (``random`` and ``uuid4``).
SYSTEM: Chance = _SystemChance()


def iso_time(epoch_seconds: float) -> str:
    """The time as Step Functions writes it in the context object
    (``$$.Execution.StartTime``, ``$$.State.EnteredTime``): UTC, millisecond precision,
    always three digits and a ``Z`` (``"2023-11-21T06:27:31.545Z"``)."""
    millis = round(epoch_seconds * 1000)
    moment = datetime.fromtimestamp(millis // 1000, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis % 1000:03d}Z"


def context_object(
    info: ExecutionInfo,
    *,
    state_name: str,
    entered_time: float,
    retry_count: int | None,
    token: str | None = None,
    map_item: tuple[int, Any] | None = None,
) -> dict[str, Any]:
    """The context object of a state as it runs.

    Members and order as AWS records them (``Execution{Id, Input, StartTime, Name,
    RoleArn, RedriveCount}``, ``StateMachine{Id, Name}``, ``State{Name, EnteredTime,
    RetryCount}``); ``RetryCount`` only where a ``Retry`` can apply (``retry_count`` not
    None: Task, Parallel, Map; AWS's recorded ``$$`` of a Pass state has none);
    ``Task{Token}`` only for a task that waits for a token, and
    ``Map{Item{Index, Value}}`` only inside a Map iteration (its ``ItemSelector``)."""
    context: dict[str, Any] = {
        "Execution": {
            "Id": info.arn,
            "Input": info.input,
            "StartTime": iso_time(info.start_time),
            "Name": info.name,
            "RoleArn": info.role_arn,
            "RedriveCount": info.redrive_count,
        },
        "StateMachine": {"Id": info.state_machine_arn, "Name": info.state_machine_name},
        "State": {"Name": state_name, "EnteredTime": iso_time(entered_time)},
    }
    if retry_count is not None:
        context["State"]["RetryCount"] = retry_count
    if token is not None:
        context["Task"] = {"Token": token}
    if map_item is not None:
        index, value = map_item
        context["Map"] = {"Item": {"Index": index, "Value": value}}
    return context
