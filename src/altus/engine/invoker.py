"""The synchronous invocation path: resolve -> admit -> environment -> run -> record.

``invoke`` answers with the whole response; ``invoke_stream`` with the response as it is
produced (InvokeWithResponseStream, function URLs in RESPONSE_STREAM mode), holding the
environment and the concurrency slot until it ends.

Nothing here touches the store: the function's snapshot comes from the control
service's memory, so a warm invoke is dictionary lookups, one write to the runtime's
socket and one read back.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from altus import ids
from altus.control.arns import FunctionRef
from altus.control.functions import FunctionService
from altus.control.model import FunctionConfig
from altus.engine.concurrency import Concurrency, Slot
from altus.engine.environment import ExecutionEnvironment
from altus.engine.errors import TooManyRequests
from altus.engine.hooks import Hooks
from altus.engine.pool import PROVISIONED, Environments
from altus.engine.results import InvokeInput, InvokeResult, PhaseResult
from altus.engine.streaming import StreamedInvocation, StreamingPhase
from altus.observe import trace_header
from altus.observe.logs import LogEvent

#: X-Amz-Log-Result carries at most the last 4 KB of the invocation's log.
LOG_TAIL_BYTES = 4096


@dataclass(slots=True)
class InvokeRequest:
    ref: FunctionRef
    payload: bytes
    client_context: str | None = None  # decoded JSON text of X-Amz-Client-Context
    want_log: bool = False
    request_id: str | None = None
    #: The caller's X-Ray trace header (``Root=...;Parent=...;Sampled=...``): the
    #: invocation joins that trace; None starts a new one.
    trace_id: str | None = None


class Invoker:
    def __init__(
        self,
        functions: FunctionService,
        pool: Environments,
        concurrency: Concurrency,
        hooks: Hooks | None = None,
    ) -> None:
        self._functions = functions
        self._pool = pool
        self.concurrency = concurrency
        self.hooks = hooks or Hooks()

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        """Run the function once. Raises control errors (not found ...) and
        TooManyRequests; a function that fails is a result, not an exception."""
        config, invoked_arn = await self._functions.resolve_invoke(request.ref)
        request_id = request.request_id or ids.request_id()
        slot = self._admit(config, request_id)
        try:
            given = _input(request, request_id, invoked_arn, config.tracing_mode)
            env, failure = await self._environment(config, request_id)
            if failure is not None:
                return self._finished(
                    config, given, _result(request_id, config.version, failure, request.want_log)
                )
            try:
                outcome = await env.invoke(given)
            except BaseException:
                self._pool.release(env, reusable=False)
                raise
            self._pool.release(env, outcome.reusable)
            return self._finished(
                config, given, _result(request_id, config.version, outcome, request.want_log)
            )
        finally:
            slot.release()

    async def invoke_stream(self, request: InvokeRequest) -> StreamedInvocation:
        """Run the function once for a caller that reads the response as it is produced.
        Returns once the response begins; raises what ``invoke`` raises, before that."""
        config, invoked_arn = await self._functions.resolve_invoke(request.ref)
        request_id = request.request_id or ids.request_id()
        version, want_log = config.version, request.want_log
        given = _input(request, request_id, invoked_arn, config.tracing_mode)

        def describe(phase: PhaseResult) -> InvokeResult:
            return self._finished(config, given, _result(request_id, version, phase, want_log))

        slot = self._admit(config, request_id)
        try:
            env, failure = await self._environment(config, request_id)
            if failure is not None:
                slot.release()
                return StreamedInvocation(
                    request_id,
                    version,
                    StreamingPhase.whole(failure),
                    release=_nothing,
                    describe=describe,
                )
            try:
                phase = await env.invoke_streaming(given)
            except BaseException:
                self._pool.release(env, reusable=False)
                raise
        except BaseException:
            slot.release()
            raise
        return StreamedInvocation(
            request_id, version, phase, release=self._releaser(env, slot.release), describe=describe
        )

    async def _environment(
        self, config: FunctionConfig, request_id: str
    ) -> tuple[ExecutionEnvironment, PhaseResult | None]:
        """A warm environment of ``config``, or a new one (busy either way); with the
        failure of its INIT when a new one could not start (it is then gone)."""
        env = self._pool.take_idle(config.env_key)
        if env is not None:
            if env.init_type == PROVISIONED:
                self.hooks.served_provisioned(config, request_id)
            return env, None
        try:
            started = await self._pool.start_new(config, request_id)
        except TooManyRequests as error:  # no room for another environment
            self.hooks.throttled(config.name, error.reason)
            raise
        self.hooks.cold_started(config, request_id, started[1] is not None)
        return started

    def _admit(self, config: FunctionConfig, request_id: str) -> Slot:
        try:
            slot = self.concurrency.admit(config.name)
        except TooManyRequests as error:
            self.hooks.throttled(config.name, error.reason)
            raise
        self.hooks.admitted(config, request_id)
        return slot

    def _finished(
        self, config: FunctionConfig, given: InvokeInput, result: InvokeResult
    ) -> InvokeResult:
        self.hooks.finished(config, given, result)
        return result

    def _releaser(
        self, env: ExecutionEnvironment, release_slot: Callable[[], None]
    ) -> Callable[[bool], None]:
        def release(reusable: bool) -> None:
            try:
                self._pool.release(env, reusable)
            finally:
                release_slot()

        return release


def _input(
    request: InvokeRequest, request_id: str, invoked_arn: str, tracing_mode: str
) -> InvokeInput:
    if request.trace_id is None and tracing_mode != "Active":
        # The warm path when nothing is traced: a new, unsampled trace's header, made
        # in one f-string (the same as for_function's answer, without its objects).
        return InvokeInput(
            request_id=request_id,
            payload=request.payload,
            invoked_arn=invoked_arn,
            client_context=request.client_context,
            trace_id=trace_header.unsampled(),
        )
    # The caller's trace joined as the function's TracingConfig says (trace_header.py).
    tracing = trace_header.for_function(request.trace_id, tracing_mode)
    return InvokeInput(
        request_id=request_id,
        payload=request.payload,
        invoked_arn=invoked_arn,
        client_context=request.client_context,
        trace_id=tracing.header,
        tracing=tracing,
    )


def _nothing(reusable: bool) -> None:
    """Nothing to give back: the environment failed its INIT and is gone."""


def _result(request_id: str, version: str, phase: PhaseResult, want_log: bool) -> InvokeResult:
    return InvokeResult(
        request_id=request_id,
        payload=phase.payload,
        executed_version=version,
        function_error="Unhandled" if phase.failed else None,
        error_type=phase.error_type,
        log_tail=log_tail(phase.log) if want_log else None,
        content_type=phase.content_type,
        usage=phase.usage,
        log=phase.log,
        log_bytes=phase.log_bytes,
        streamed_bytes=phase.streamed_bytes,
    )


def log_tail(events: list[LogEvent]) -> str:
    text = "".join(event.message + "\n" for event in events).encode()
    tail = text[-LOG_TAIL_BYTES:]
    # Never split a UTF-8 character: clients decode the tail as text.
    tail = tail.decode("utf-8", "ignore").encode()
    return base64.b64encode(tail).decode()
