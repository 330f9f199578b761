"""The Scheduler's records, as frozen data, and the changes a plan is made of.

A schedule keeps its configuration as the members the API took (``config``, JSON-ready:
dates as epoch milliseconds) and its firing state: ``due_ms``, the next occurrence's
scheduled time, and ``fire_ms``, when it fires (``due_ms`` plus the flexible window's
delay, drawn once per occurrence and stored, so a restart keeps it). Both None: nothing
more to fire (a past ``at()``, an end date passed, a disabled schedule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_GROUP = "default"


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    created_ms: int
    modified_ms: int
    tags: tuple[tuple[str, str], ...] = ()
    #: The ClientToken of the call that made it (a repeat with it is not a conflict).
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    group: str
    name: str
    config: Mapping[str, Any]
    created_ms: int
    modified_ms: int
    #: What a rate counts from: the StartDate, else when the schedule was last written.
    anchor_ms: int
    due_ms: int | None = None
    fire_ms: int | None = None
    token: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.name)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One occurrence on its way to the schedule's target (a snapshot of the target as
    it was when the occurrence fired: a later update does not change it)."""

    seq: int
    schedule_arn: str
    target: Mapping[str, Any]
    scheduled_ms: int
    execution_id: str
    #: When it was meant to fire: the scheduled time plus the flexible delay (later
    #: than that only when caught up after a restart); MaximumEventAgeInSeconds counts
    #: from it.
    fired_ms: int
    #: When its next attempt is due.
    due_ms: int
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class PutGroup:
    group: Group


@dataclass(frozen=True, slots=True)
class DropGroup:
    """The group and every schedule in it (not their deliveries under way)."""

    name: str


@dataclass(frozen=True, slots=True)
class PutSchedule:
    schedule: Schedule


@dataclass(frozen=True, slots=True)
class DropSchedule:
    group: str
    name: str


@dataclass(frozen=True, slots=True)
class PutDelivery:
    delivery: Delivery


@dataclass(frozen=True, slots=True)
class DropDelivery:
    seq: int


Change = PutGroup | DropGroup | PutSchedule | DropSchedule | PutDelivery | DropDelivery


@dataclass(frozen=True, slots=True)
class Snapshot:
    groups: list[Group] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
