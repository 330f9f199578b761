"""Checking definitions: ``altus.asl.validation`` seen from the service.

``check`` is what CreateStateMachine and UpdateStateMachine refuse: the validator's
``DefinitionError`` carries AWS's whole ``InvalidDefinition`` message (``Invalid State
Machine Definition: '<CODE: message at location>, ...'``), which is raised as it is.
``diagnose`` is what ValidateStateMachineDefinition reports. Both know the machine's type:
an EXPRESS machine has rules of its own (no activities, no ``.sync`` or
``.waitForTaskToken``).
"""

from __future__ import annotations

from altus.asl import validation
from altus.asl.definition import DefinitionError
from altus.asl.diagnostics import Diagnostic
from altus.stepfunctions.errors import InvalidDefinition, invalid_definition

_FRAME = "Invalid State Machine Definition: "


def check(text: str, machine_type: str) -> None:
    """Raise InvalidDefinition (AWS's text) unless ``text`` is a valid definition of a
    machine of ``machine_type``."""
    try:
        validation.check(text, machine_type=machine_type)
    except DefinitionError as error:
        message = error.message
        if message.startswith(_FRAME):
            raise InvalidDefinition(message) from None
        raise invalid_definition(message) from None


def diagnose(
    text: str, machine_type: str, severity: str, limit: int
) -> tuple[list[Diagnostic], bool]:
    """Up to ``limit`` diagnostics of ``text`` (errors first; ``severity`` ``ERROR``
    leaves warnings out), and whether more were left out."""
    return validation.diagnose(
        text, max_results=limit, severity=severity, machine_type=machine_type
    )


def has_errors(text: str, machine_type: str) -> bool:
    """Whether ``text`` has an error (ValidateStateMachineDefinition's ``result``)."""
    return any(d.is_error for d in validation.validate(text, machine_type=machine_type)[1])
