"""What running a function produces: a phase's result inside an environment, and an
invocation's as the caller sees it. Plain data, imported by every module of the path."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from altus.observe.logs import LogEvent
from altus.observe.trace_header import FunctionTrace

#: What a streamed response keeps of itself for its phase's result (the recorder's).
KEPT_STREAM_BYTES = 1024 * 1024
#: What each log line costs in memory besides its text (its event, its string object).
LINE_OVERHEAD = 128


def log_size(log: list[LogEvent]) -> int:
    """What ``log`` holds in memory, in bytes (its text, and ``LINE_OVERHEAD`` a line)."""
    return sum(len(event.message) for event in log) + LINE_OVERHEAD * len(log)


@dataclass(slots=True)
class InvokeInput:
    """One invocation as it is delivered to the function."""

    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: str | None = None
    #: The X-Ray trace header the function sees (``_X_AMZN_TRACE_ID``).
    trace_id: str = ""
    #: When the invocation was admitted (epoch seconds).
    started: float = field(default_factory=time.time)
    #: Its place in its X-Ray trace (the platform's segment ids when it is sampled).
    tracing: FunctionTrace | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """What an INVOKE phase used, as its REPORT line says and Lambda bills it."""

    duration_ms: float
    #: Rounded up to 1 ms; includes the INIT phase's duration on a cold start.
    billed_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None


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
    #: What the phase used (None for a phase that never ran: its INIT failed).
    usage: Usage | None = None
    #: What ``log`` holds in bytes (``log_size``), counted by the environment as the
    #: lines came: whoever keeps an invocation's log a while bounds its memory with it.
    log_bytes: int = 0
    #: A streamed response's whole size; its ``payload`` is then the first
    #: ``KEPT_STREAM_BYTES`` of it. None: the response was not streamed.
    streamed_bytes: int | None = None

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
    #: What the invocation used (None when its environment failed to start).
    usage: Usage | None = None
    #: The invocation's log lines (START to REPORT, with a cold start's INIT lines).
    log: list[LogEvent] = field(default_factory=list)
    #: As ``PhaseResult``'s.
    log_bytes: int = 0
    streamed_bytes: int | None = None
