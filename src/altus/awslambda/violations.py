"""How Lambda words what its model refuses: every broken constraint in one
``ValidationException`` (``1 validation error detected: Value '64' at 'memorySize'
failed to satisfy constraint: Member must have value greater than or equal to 128``),
and a member of the wrong type, or a body that is not JSON, as
``InvalidRequestContentException`` (``Could not parse request body into json: ...``)."""

from __future__ import annotations

from altus.api.validate import Problem, Unreadable, coral_message
from altus.control.errors import InvalidRequestContent, ValidationFailed
from altus.errors import AltusError


class LambdaViolations:
    def invalid(self, problems: list[Problem]) -> AltusError:
        return ValidationFailed(coral_message(problems))

    def unreadable(self, error: Unreadable) -> AltusError:
        if not error.path:
            return InvalidRequestContent(
                f"Could not parse request body into json: {error.expected}"
            )
        if error.expected.startswith("a member of the model"):
            return InvalidRequestContent(
                f"Could not parse request body into json: unrecognized field {error.member!r}"
            )
        return InvalidRequestContent(
            "Could not parse request body into json: Could not "
            f"parse '{error.path}': expected {error.expected}"
        )
