"""The payload quota: a state's input or output, a task's result, a token's answer are at
most 262,144 bytes of UTF-8 JSON text. Past it a state fails with
``States.DataLimitExceeded``, which nothing catches (a task's oversized result is the
exception: it fails the task with that error, and the recorded histories show a Catch
handling it)."""

from __future__ import annotations

from altus.asl import errors
from altus.asl.errors import StatesError

MAX_PAYLOAD_BYTES = 262_144


def too_large(value_text: str) -> bool:
    return len(value_text) > MAX_PAYLOAD_BYTES // 4 and (
        len(value_text.encode("utf-8")) > MAX_PAYLOAD_BYTES
    )


def exceeded(what: str) -> StatesError:
    """The failure AWS reports for ``what`` (a state's name, a resource) going past the
    quota."""
    return StatesError(
        errors.DATA_LIMIT_EXCEEDED,
        f"The state/task '{what}' returned a result with a size exceeding the maximum "
        "number of bytes service limit.",
    )
