"""What running a function produces: a phase's result inside an environment, and an
invocation's as the caller sees it. Plain data, imported by every module of the path."""

from __future__ import annotations

from dataclasses import dataclass, field

from altus.observe.logs import LogEvent


@dataclass(slots=True)
class PhaseResult:
    """What an INIT or INVOKE phase produced."""

    payload: bytes
    error_type: str | None  # None: success; else the function error to report
    log: list[LogEvent] = field(default_factory=list)
    #: False when the environment must not serve again (timed out, died, failed init).
    reusable: bool = True
    #: The Content-Type of a successful response, as the runtime posted or streamed it.
    content_type: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_type is not None


@dataclass(slots=True)
class InvokeResult:
    request_id: str
    payload: bytes
    executed_version: str
    #: Lambda's X-Amz-Function-Error ("Unhandled") or None on success.
    function_error: str | None
    error_type: str | None
    log_tail: str | None  # base64, when asked for
    #: The Content-Type the function answered with (a runtime's own, or a stream's).
    content_type: str | None = None
