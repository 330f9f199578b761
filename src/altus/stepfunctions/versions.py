"""Publishing a state machine's current revision as a version, planned as data.

Numbers count up from 1 per machine and are never reused (a deleted version's number
stays taken). Publishing is idempotent per revision: when the newest version was
published from the current revision, that version is the answer and nothing is
written. A machine has at most 1,000 versions (AWS's quota).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from altus.stepfunctions.errors import ServiceQuotaExceeded
from altus.stepfunctions.model import PutMachine, PutVersion, StateMachine, Version
from altus.stepfunctions.state import Core

MAX_VERSIONS = 1000


def publish(
    core: Core, machine: StateMachine, description: str | None, now: float
) -> tuple[Version, StateMachine, list[Any]]:
    """The version publishing ``machine``'s current revision gives, the machine after
    (its next number moved on), and the plan that writes both (empty: the newest
    version already is this revision's)."""
    versions = core.versions_of(machine.arn)
    newest = max(versions, key=lambda v: v.number, default=None)
    if newest is not None and newest.revision.key == machine.revision.key:
        return newest, machine, []
    if len(versions) >= MAX_VERSIONS:
        # AWS's wording was not found.
        raise ServiceQuotaExceeded(
            f"A state machine may have at most {MAX_VERSIONS} versions: '{machine.arn}'"
        )
    number = machine.next_version
    version = Version(
        arn=f"{machine.arn}:{number}",
        machine_arn=machine.arn,
        number=number,
        revision=machine.revision,
        created=now,
        description=description,
    )
    moved = dataclasses.replace(machine, next_version=number + 1)
    return version, moved, [PutMachine(moved), PutVersion(version)]
