"""The one error of schedule expressions: what the calling service answers."""

from __future__ import annotations

#: EventBridge PutRule's ValidationException text for any bad ScheduleExpression
#: (AWS's own wording, seen in SDK and Terraform error reports).
EVENTS_MESSAGE = "Parameter ScheduleExpression is not valid."


def scheduler_message(text: str) -> str:
    """Scheduler's ValidationException text. AWS's wording as users report it is
    ``Invalid Schedule Expression <expression>``; the trailing period follows LocalStack's
    copy of it (AWS's exact punctuation is not documented)."""
    return f"Invalid Schedule Expression {text}."


class ScheduleError(ValueError):
    """A schedule expression (or its time zone) that the service refuses. ``message`` is
    the user-facing text AWS gives for the kind of expression that was parsed."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        #: Why, for logs and tests (never shown to clients: AWS gives no reason).
        self.reason = reason


def refuse(text: str, kind: str, reason: str) -> ScheduleError:
    """The error for ``text`` as the service of ``kind`` words it."""
    message = EVENTS_MESSAGE if kind == "events" else scheduler_message(text)
    return ScheduleError(message, reason)
