"""The Runtime API as one execution environment sees it: a small state machine.

Each environment gets its own endpoint (its own listening port, see ``server``), so a
runtime can only ever receive the events of the environment it runs in. The engine calls
``deliver``; the runtime's HTTP requests arrive as ``on_next`` / ``on_response`` /
``on_error`` / ``on_init_error``, and for a streamed response ``on_stream`` then
``end_stream``. Everything runs on the event loop thread; the handoff from a public
Invoke to the runtime's parked ``/next`` is a direct write, no task switch.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from altus.runtime_api.stream import ResponseStream, StreamEnd, error_document

#: Largest response a runtime may post: 6 MiB plus 100 bytes of JSON framing, as Lambda.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
#: The only value of Lambda-Runtime-Function-Response-Mode a runtime may send.
STREAMING = "streaming"
INVALID_MODE = "Runtime.InvalidResponseModeHeader"


@dataclass(slots=True)
class Invocation:
    """One event on its way to a runtime, and the future its outcome arrives on."""

    request_id: str
    payload: bytes
    deadline_ms: int
    invoked_arn: str
    trace_id: str = ""
    client_context: str | None = None
    cognito_identity: str | None = None
    #: The most a streamed response may carry: 6 MiB + 100 bytes when the caller waits
    #: for the whole response (Invoke), Lambda's streaming limit for a streaming caller.
    response_limit: int = MAX_RESPONSE_BYTES
    future: asyncio.Future[RuntimeOutcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    #: Set (with the future resolved) once the runtime starts streaming its response.
    stream: ResponseStream | None = None

    def next_headers(self) -> list[tuple[str, str]]:
        headers = [
            ("Lambda-Runtime-Aws-Request-Id", self.request_id),
            ("Lambda-Runtime-Deadline-Ms", str(self.deadline_ms)),
            ("Lambda-Runtime-Invoked-Function-Arn", self.invoked_arn),
            ("Content-Type", "application/json"),
        ]
        if self.trace_id:
            headers.append(("Lambda-Runtime-Trace-Id", self.trace_id))
        if self.client_context:
            headers.append(("Lambda-Runtime-Client-Context", self.client_context))
        if self.cognito_identity:
            headers.append(("Lambda-Runtime-Cognito-Identity", self.cognito_identity))
        return headers


@dataclass(frozen=True, slots=True)
class RuntimeOutcome:
    """What the runtime posted for an invocation: a result, or an error document."""

    payload: bytes
    error_type: str | None = None  # set when the runtime posted to /error
    #: The Content-Type the runtime posted its response with.
    content_type: str | None = None
    #: The response being streamed (``payload`` is then empty): read it to its end.
    stream: ResponseStream | None = None

    @property
    def failed(self) -> bool:
        return self.error_type is not None


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer to the runtime."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


#: Writes the answer to a parked ``/next``.
NextResponder = Callable[[Reply], None]

ACCEPTED = Reply(202, b'{"status":"OK"}', (("Content-Type", "application/json"),))


def _error_reply(status: int, error_type: str, message: str) -> Reply:
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    return Reply(status, body, (("Content-Type", "application/json"),))


class RuntimeEndpoint:
    """State of one environment's Runtime API."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        #: Resolves with None when the runtime first asks for an event (init done), or
        #: with the init error it posted.
        self.ready: asyncio.Future[RuntimeOutcome | None] = loop.create_future()
        self._parked: NextResponder | None = None
        self._waiting: Invocation | None = None
        self._current: Invocation | None = None
        self.address = ""
        #: The only uid whose sockets may use this endpoint (None: any).
        self.allowed_uid: int | None = None

    # --- engine side ---------------------------------------------------------------------

    def deliver(self, invocation: Invocation) -> asyncio.Future[RuntimeOutcome]:
        """Hand an event to the runtime (now if it is waiting, else at its next /next)."""
        if self._waiting is not None or self._current is not None:
            raise RuntimeError("environment is busy: one invocation at a time")
        if self._parked is not None:
            responder, self._parked = self._parked, None
            self._send(responder, invocation)
        else:
            self._waiting = invocation
        return invocation.future

    def abandon(self) -> None:
        """Forget the in-flight invocation (the environment is being torn down)."""
        self._waiting = None
        self._current = None

    # --- runtime side (called by the HTTP server) ----------------------------------------

    def on_next(self, responder: NextResponder) -> None:
        if not self.ready.done():
            self.ready.set_result(None)
        if self._waiting is not None:
            invocation, self._waiting = self._waiting, None
            self._send(responder, invocation)
        else:
            self._parked = responder

    def on_disconnect(self, responder: NextResponder) -> None:
        if self._parked is responder:
            self._parked = None

    def on_response(
        self, request_id: str, body: bytes, oversized: bool, content_type: str | None = None
    ) -> Reply:
        invocation, reply = self._take(request_id)
        if invocation is None:
            return reply
        if oversized:
            message = (
                f"Response payload size exceeded maximum allowed payload size "
                f"({MAX_RESPONSE_BYTES} bytes)."
            )
            error = json.dumps(
                {"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}
            ).encode()
            _resolve(invocation, RuntimeOutcome(error, "Function.ResponseSizeTooLarge"))
            return _error_reply(413, "RequestEntityTooLarge", message)
        _resolve(invocation, RuntimeOutcome(body, content_type=content_type))
        return ACCEPTED

    def on_stream(
        self,
        request_id: str,
        content_type: str | None,
        pause: Callable[[], None],
        resume: Callable[[], None],
    ) -> ResponseStream | Reply:
        """The runtime starts a streamed response (``Lambda-Runtime-Function-Response-Mode:
        streaming``): the stream its body goes into, or the refusal to answer once the
        body has been read (another request id, nothing in flight)."""
        invocation, reply = self._take(request_id)
        if invocation is None:
            return reply
        stream = ResponseStream(
            content_type or "application/octet-stream", invocation.response_limit, pause, resume
        )
        invocation.stream = stream
        _resolve(invocation, RuntimeOutcome(b"", content_type=stream.content_type, stream=stream))
        return stream

    @staticmethod
    def end_stream(stream: ResponseStream, end: StreamEnd) -> Reply:
        """The streamed body is complete: end the stream, and answer the runtime."""
        stream.finish(end)
        if stream.oversized:
            return _error_reply(
                413,
                "RequestEntityTooLarge",
                f"Exceeded maximum allowed payload size ({stream.limit} bytes).",
            )
        return ACCEPTED

    def on_invalid_mode(self, request_id: str, mode: str) -> Reply:
        """A response mode other than ``streaming``: the invocation fails with
        ``Runtime.InvalidResponseModeHeader``, as on Lambda."""
        invocation, reply = self._take(request_id)
        if invocation is None:
            return reply
        message = f"Invalid Lambda-Runtime-Function-Response-Mode: {mode!r}"
        _resolve(invocation, RuntimeOutcome(error_document(INVALID_MODE, message), INVALID_MODE))
        return _error_reply(400, "InvalidFunctionResponseMode", "Invalid function response mode")

    def on_error(self, request_id: str, body: bytes, error_type: str | None) -> Reply:
        invocation, reply = self._take(request_id)
        if invocation is None:
            return reply
        _resolve(
            invocation, RuntimeOutcome(_error_document(body, error_type), error_type or "Unhandled")
        )
        return ACCEPTED

    def on_init_error(self, body: bytes, error_type: str | None) -> Reply:
        if self.ready.done():
            return _error_reply(
                403,
                "InvalidStateTransition",
                "State transition from Ready to InitError failed for runtime.",
            )
        self.ready.set_result(
            RuntimeOutcome(_error_document(body, error_type), error_type or "Runtime.Unknown")
        )
        return ACCEPTED

    # --- internals -------------------------------------------------------------------------

    def _send(self, responder: NextResponder, invocation: Invocation) -> None:
        self._current = invocation
        responder(Reply(200, invocation.payload, tuple(invocation.next_headers())))

    def _take(self, request_id: str) -> tuple[Invocation | None, Reply]:
        current = self._current
        if current is None:
            return None, _error_reply(
                403, "InvalidStateTransition", "No invocation is in progress."
            )
        if current.request_id != request_id:
            return None, _error_reply(400, "InvalidRequestID", "Invalid request ID")
        self._current = None
        return current, ACCEPTED


def _resolve(invocation: Invocation, outcome: RuntimeOutcome) -> None:
    if not invocation.future.done():
        invocation.future.set_result(outcome)


def _error_document(body: bytes, error_type: str | None) -> bytes:
    """The runtime's error JSON, or one made from its header when the body is not JSON."""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return body
    return json.dumps(
        {"errorMessage": body.decode("utf-8", "replace"), "errorType": error_type or "Unhandled"}
    ).encode()
