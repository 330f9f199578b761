"""Errors of the invocation path that prevent a function from running at all.

(A function that runs and fails is not an error here: it is an ``InvokeResult`` with a
function error, answered with HTTP 200 as Lambda does.)
"""

from __future__ import annotations

from altus.errors import AltusError, UserError


class EngineError(AltusError):
    """Root of the engine's family."""


class TooManyRequests(UserError, EngineError):
    """Concurrency exhausted: 429 with a ``Reason`` and a ``Retry-After``."""

    code = "TooManyRequestsException"
    status = 429

    def __init__(self, message: str, reason: str, retry_after: int = 1) -> None:
        # retryAfterSeconds is the model's member sent as the Retry-After header.
        super().__init__(message, Reason=reason, retryAfterSeconds=str(retry_after))
        self.reason = reason


class RequestTooLarge(UserError, EngineError):
    code = "RequestTooLargeException"
    status = 413
