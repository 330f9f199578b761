"""What validation finds in a state machine definition, in the shape
ValidateStateMachineDefinition returns (``severity``, ``code``, ``message``, ``location``)
and the text CreateStateMachine / UpdateStateMachine put in ``InvalidDefinition``.

AWS joins every error of a definition into one message, each as ``CODE: message at
location``, the whole quoted: ``Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET:
Missing 'Next' target: pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State
"pass2" is not reachable. at /States/pass2'`` (recorded against AWS). A diagnostic without
a location (``MISSING_END_STATE``) renders ``at null``, as AWS's does.

Locations are AWS's JSON pointers: object members by name, unescaped (``/States/a/b`` is
the state ``a/b``), array items as ``[i]`` on their member (``/States/C/Choices[0]/Next``,
``/States/P/Branches[0]/States/W``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ERROR = "ERROR"
WARNING = "WARNING"

# Error codes (AWS's list, API_ValidateStateMachineDefinitionDiagnostic).
INVALID_JSON_DESCRIPTION = "INVALID_JSON_DESCRIPTION"
SCHEMA_VALIDATION_FAILED = "SCHEMA_VALIDATION_FAILED"
INVALID_RESOURCE = "INVALID_RESOURCE"
MISSING_END_STATE = "MISSING_END_STATE"
DUPLICATE_STATE_NAME = "DUPLICATE_STATE_NAME"
INVALID_STATE_NAME = "INVALID_STATE_NAME"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
# JSONata expressions (recorded against AWS, not in the API reference's list).
INVALID_JSONATA_EXPRESSION = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA_EXPRESSION = "UNSUPPORTED_JSONATA_EXPRESSION"

# Warning codes.
#: A field whose value looks like a path or an intrinsic function but whose name does not
#: end with ``.$``: the value is taken literally.
NO_DOLLAR = "NO_DOLLAR"
#: A field whose value looks like a path but whose name does not end with ``Path``.
NO_PATH = "NO_PATH"
#: A path in a Pass state's ``Result``, which is never evaluated.
PASS_RESULT_IS_STATIC = "PASS_RESULT_IS_STATIC"

_PREFIX = "Invalid State Machine Definition: "


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str
    code: str
    message: str
    #: A JSON pointer into the definition (``/States/X/Resource``), None where AWS gives
    #: none (a workflow with no terminal state, JSON that does not parse at all).
    location: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def render(self) -> str:
        """``CODE: message at location``, one item of AWS's InvalidDefinition message."""
        location = "null" if self.location is None else self.location
        return f"{self.code}: {self.message} at {location}"


def invalid_definition_message(diagnostics: Iterable[Diagnostic]) -> str:
    """The message of CreateStateMachine's ``InvalidDefinition``: every error, in order."""
    errors = [diagnostic.render() for diagnostic in diagnostics if diagnostic.is_error]
    return f"{_PREFIX}'{', '.join(errors)}'"
