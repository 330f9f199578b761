"""Names and ARNs of Step Functions' resources.

A name (state machine, execution, activity) is 1-80 characters (the model checks the
length) and, as AWS documents for each of them, must not contain white space, brackets
``< > { } [ ]``, wildcards ``? *``, the characters ``" # % \\ ^ | ~ ` $ & , ; : /`` or
control characters (U+0000-001F, U+007F-009F): ``InvalidName``.

ARNs (``arn:<partition>:states:<region>:<account>:<type>:<rest>``):

- ``stateMachine:<name>``, a version ``stateMachine:<name>:<n>``, an alias
  ``stateMachine:<name>:<alias>`` (an alias name always has a letter, ``_``, ``-`` or
  ``.``: the model's pattern, so a qualifier of digits alone is a version);
- ``execution:<machine>:<name>`` (STANDARD), ``express:<machine>:<name>:<uuid>``;
- ``activity:<name>``; ``mapRun:<machine>/<label>:<uuid>``.

Anything not of that prefix is ``InvalidArn`` with AWS's text (``Invalid ARN prefix``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from altus.stepfunctions.errors import invalid_arn, invalid_name

_FORBIDDEN = set(' <>{}[]?*"#%\\^|~`$&,;:/')
_PREFIX = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):states:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
)

STATE_MACHINE = "stateMachine"
EXECUTION = "execution"
EXPRESS = "express"
ACTIVITY = "activity"
MAP_RUN = "mapRun"


def valid_name(name: str) -> bool:
    for char in name:
        code = ord(char)
        if char in _FORBIDDEN or char.isspace() or code <= 0x1F or 0x7F <= code <= 0x9F:
            return False
    return bool(name)


def check_name(name: str) -> str:
    """``name``, or InvalidName (AWS's text)."""
    if not valid_name(name):
        raise invalid_name(name)
    return name


@dataclass(frozen=True, slots=True)
class StatesArn:
    """An ARN of Step Functions, taken apart. ``machine`` is the state machine's name for
    the kinds under one (state machines, executions, map runs); ``name`` the resource's
    own (an execution's, an activity's); ``qualifier`` a version number or alias name."""

    arn: str
    partition: str
    region: str
    account: str
    kind: str
    machine: str = ""
    name: str = ""
    qualifier: str = ""

    @property
    def is_version(self) -> bool:
        return self.kind == STATE_MACHINE and self.qualifier.isdigit()

    @property
    def is_alias(self) -> bool:
        return self.kind == STATE_MACHINE and bool(self.qualifier) and not self.is_version

    @property
    def base(self) -> str:
        """A state machine's unqualified ARN (of a version's or alias's too)."""
        return (
            f"arn:{self.partition}:states:{self.region}:{self.account}:"
            f"{STATE_MACHINE}:{self.machine}"
        )


def parse(arn: str) -> StatesArn:
    """``arn`` taken apart, or InvalidArn (``Invalid ARN prefix: <arn>``) for anything
    that is not an ARN of Step Functions of a known kind and shape."""
    found = _PREFIX.match(arn)
    if found is None:
        raise invalid_arn(arn)
    kind, _, rest = arn[found.end() :].partition(":")
    parts = rest.split(":")
    head = (arn, found["partition"], found["region"], found["account"], kind)
    if kind == STATE_MACHINE and 1 <= len(parts) <= 2 and all(parts):
        return StatesArn(*head, machine=parts[0], qualifier=parts[1] if len(parts) == 2 else "")
    if kind == EXECUTION and len(parts) == 2 and all(parts):
        return StatesArn(*head, machine=parts[0], name=parts[1])
    if kind == EXPRESS and len(parts) == 3 and all(parts):
        return StatesArn(*head, machine=parts[0], name=parts[1], qualifier=parts[2])
    if kind == ACTIVITY and len(parts) == 1 and parts[0]:
        return StatesArn(*head, name=parts[0])
    if kind == MAP_RUN and len(parts) == 2 and "/" in parts[0]:
        machine, _, label = parts[0].partition("/")
        return StatesArn(*head, machine=machine, name=label, qualifier=parts[1])
    raise invalid_arn(arn)
