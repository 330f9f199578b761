"""An execution environment: one sandbox, its Runtime API endpoint, its log stream.

It runs one invocation at a time. ``start`` is the INIT phase (spawn the runtime, wait
for its first ``/next``); ``invoke`` is one INVOKE phase (deliver the event, wait for the
result, the process's death or the deadline, whichever is first), and
``invoke_streaming`` the same phase for a caller that takes the response as the runtime
streams it (the deadline and the process's death then end the stream). Output of the sandbox
is split into log lines and attributed to the phase it was written in; the platform
lines (START, END, REPORT ...) frame it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from altus.arns import Account
from altus.control.model import FunctionConfig
from altus.engine.results import (
    KEPT_STREAM_BYTES,
    LINE_OVERHEAD,
    InvokeInput,
    PhaseResult,
    Usage,
    log_size,
)
from altus.engine.streaming import StreamingPhase
from altus.observe import report
from altus.observe.logs import LogEvent, LogSink
from altus.runtime_api.endpoint import (
    MAX_RESPONSE_BYTES,
    Invocation,
    RuntimeEndpoint,
    RuntimeOutcome,
)
from altus.runtime_api.server import serve
from altus.runtime_api.stream import MAX_STREAM_BYTES, TRUNCATED, ResponseStream, StreamEnd
from altus.runtimes.registry import RUNTIME_DIR, Runtimes
from altus.sandbox.base import EntrypointError, Sandbox, SandboxBackend, SandboxSpec
from altus.store.code import CodeStore

#: Output kept per phase; a function printing more is truncated (and told so in its log).
LOG_CAP_BYTES = 4 * 1024 * 1024
#: CloudWatch's largest event; a longer line is split.
MAX_LINE_BYTES = 256 * 1024

TIMED_OUT = "Sandbox.Timedout"
EXITED = "Runtime.ExitError"
OUT_OF_MEMORY = "Runtime.OutOfMemory"
INVALID_ENTRYPOINT = "Runtime.InvalidEntrypoint"
#: How long a runtime whose stream broke off is given to be seen exiting.
_EXIT_GRACE = 0.5
#: Errors a runtime reports just before it exits (Node's, for an uncaught exception or
#: an unhandled rejection): its environment is not offered again, or the next invoke
#: would meet the exit instead of a fresh environment.
_LAST_WORDS = frozenset({"Runtime.UncaughtException", "Runtime.UnhandledPromiseRejection"})

_SIGNAL_NAMES = {
    signal.SIGKILL: "killed",
    signal.SIGABRT: "aborted",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction",
    signal.SIGINT: "interrupt",
    signal.SIGHUP: "hangup",
    signal.SIGPIPE: "broken pipe",
    signal.SIGQUIT: "quit",
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGXFSZ: "file size limit exceeded",
}


#: What a function gets to call services with, as its execution role, given its
#: configuration and the uid its environment runs as (None where environments have none
#: of their own): environment variables (temporary credentials, the endpoint) and for how
#: many seconds they work (None: for ever).
Access = Callable[[FunctionConfig, int | None], tuple[dict[str, str], float | None]]

#: An environment is retired this long before its credentials expire, so that no invoke
#: (15 minutes at most) runs with credentials that end under it.
CREDENTIALS_MARGIN = 20 * 60.0
#: Granted variables a function's own configuration may set otherwise (Lambda reserves
#: neither).
OVERRIDABLE = frozenset(
    {"AWS_ENDPOINT_URL", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "AWS_XRAY_DAEMON_ADDRESS"}
)


@dataclass(frozen=True, slots=True)
class EnvironmentSettings:
    """What environments need from the server's settings."""

    account: Account
    sandboxes_dir: Path
    init_timeout: float
    access: Access | None = None


def exit_description(status: int) -> str:
    if status < 0:
        return f"signal: {_SIGNAL_NAMES.get(signal.Signals(-status), str(-status))}"
    return f"exit status {status}"


def error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def _now_ms() -> int:
    return int(time.time() * 1000)


class ExecutionEnvironment:
    """One environment of one function version and configuration."""

    def __init__(
        self,
        config: FunctionConfig,
        *,
        backend: SandboxBackend,
        runtimes: Runtimes,
        code: CodeStore,
        logs: LogSink,
        settings: EnvironmentSettings,
        init_type: str = "on-demand",
    ) -> None:
        self.id = uuid.uuid4().hex
        self.config = config
        self.key = config.env_key
        self.group = config.effective_log_group
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        self.stream = f"{day}/[{config.version}]{self.id}"
        self.init_type = init_type
        self.busy = False
        self.dead = False
        self.last_used = time.monotonic()
        #: When it must be retired (``time.monotonic()``), its credentials being about to
        #: expire; None: never for that reason.
        self.retire_by: float | None = None
        #: The pending freeze of an idle environment (see ``pool.FREEZE_AFTER``).
        self.freezing: asyncio.TimerHandle | None = None
        #: The INIT phase's duration, reported (and billed) with the first invoke.
        self.init_duration_ms: float | None = None
        #: Called once when the sandbox's process exits on its own.
        self.on_exit: Callable[[ExecutionEnvironment], None] | None = None
        self._backend = backend
        self._runtimes = runtimes
        self._code = code
        self._logs = logs
        self._settings = settings
        self._sandbox: Sandbox | None = None
        self._endpoint: RuntimeEndpoint | None = None
        self._server: asyncio.Server | None = None
        self._partial = bytearray()
        self._phase: list[LogEvent] | None = None
        self._phase_bytes = 0
        self._truncated = False
        self._init_log: list[LogEvent] = []

    # --- INIT ------------------------------------------------------------------------------

    async def start(self, request_id: str | None) -> PhaseResult | None:
        """Run the INIT phase. Returns None when the runtime is ready, else the failure
        to answer the triggering invoke with (the environment is then dead)."""
        config = self.config
        # The runtime's SDK, if its install is under way: not part of the INIT phase.
        await self._runtimes.settled(config.runtime or "")
        started = time.perf_counter()
        self._begin_phase()
        self._emit(
            f"INIT_START Runtime Version: {config.runtime}.altus\tRuntime Version ARN: "
            f"arn:aws:lambda:{self._settings.account.region}::runtime:altus-"
            f"{config.runtime}"
        )
        prefix = f"RequestId: {request_id} " if request_id else ""
        endpoint = RuntimeEndpoint()
        self._endpoint = endpoint
        self._server = await serve(endpoint)
        task_root = self._code.root / config.code.digest
        if not task_root.is_dir():
            task_root = await asyncio.to_thread(self._code.unpacked, config.code.digest)
        opt_root: Path | None = None
        if config.layers:
            opt_root = await asyncio.to_thread(
                self._code.layers_tree, [layer.code.digest for layer in config.layers]
            )
        try:
            launch = self._runtimes.launch(config.runtime or "", task_root, opt_root)
            argv = list(launch.argv)
            wrapper = config.environment.get("AWS_LAMBDA_EXEC_WRAPPER")
            if wrapper:
                argv.insert(0, wrapper)
            # Where environments have uids of their own, the Runtime API answers only
            # sockets of this environment's uid.
            uid = self._backend.allocate_uid(config.env_key)
            endpoint.allowed_uid = uid
            spec = SandboxSpec(
                sandbox_id=self.id,
                argv=argv,
                env=self._variables(
                    launch.env, launch.execution_env, endpoint.address, task_root, uid
                ),
                task_root=task_root,
                work_dir=self._settings.sandboxes_dir / self.id,
                memory_mb=config.memory_size,
                ephemeral_storage_mb=config.ephemeral_storage,
                python=None if wrapper else launch.python,
                uid=uid,
                zygote_key=config.env_key,
                opt_root=opt_root,
            )
            self._sandbox = await self._backend.create(spec, self._on_output)
        except (FileNotFoundError, EntrypointError) as error:
            return await self._init_failed(
                started, INVALID_ENTRYPOINT, f"{prefix}Error: {error}".strip()
            )
        sandbox = self._sandbox
        waiting: set[asyncio.Future[Any]] = {endpoint.ready, sandbox.exited}
        done, _ = await asyncio.wait(
            waiting,
            timeout=self._settings.init_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if endpoint.ready in done:
            init_error = endpoint.ready.result()
            if init_error is None:
                self.init_duration_ms = (time.perf_counter() - started) * 1000
                self._init_log = self._end_phase()
                self._logs.append(self.group, self.stream, self._init_log)
                if self.init_type != "on-demand":
                    # Initialised ahead of any invoke: its INIT is nobody's cold start,
                    # so no invoke reports it (as on Lambda).
                    self._init_log, self.init_duration_ms = [], None
                sandbox.exited.add_done_callback(self._exited_on_its_own)
                return None
            return await self._init_failed(
                started, init_error.error_type or "Runtime.Unknown", None, init_error.payload
            )
        if sandbox.exited in done:
            description = exit_description(sandbox.exited.result())
            error_type = OUT_OF_MEMORY if sandbox.out_of_memory() else EXITED
            return await self._init_failed(
                started, error_type, f"{prefix}Error: Runtime exited with error: {description}"
            )
        return await self._init_failed(
            started,
            TIMED_OUT,
            f"{prefix}Error: Task timed out after {self._settings.init_timeout:.2f} seconds",
            status="timeout",
        )

    async def _init_failed(
        self,
        started: float,
        error_type: str,
        message: str | None,
        payload: bytes | None = None,
        status: str = "error",
    ) -> PhaseResult:
        if self._sandbox is not None:
            self._sandbox.kill()
            await asyncio.wait({self._sandbox.exited}, timeout=1)
            self._sandbox.drain_output()
        self._flush_partial()
        duration = (time.perf_counter() - started) * 1000
        if message is not None:
            self._emit(message)
            self._emit(error_type)
        self._emit(report.init_report_line(duration, status, error_type))
        self.init_duration_ms = duration
        log = self._end_phase()
        self._logs.append(self.group, self.stream, log)
        await self.destroy()
        body = payload if payload is not None else error_payload(error_type, message or "")
        return PhaseResult(body, error_type, log, reusable=False)

    def _variables(
        self,
        runtime_env: dict[str, str],
        execution_env: str | None,
        address: str,
        task_root: Path,
        uid: int | None,
    ) -> dict[str, str]:
        config = self.config
        account = self._settings.account
        variables = {"LANG": "en_US.UTF-8", "TZ": ":UTC", **runtime_env}
        variables.update(config.environment)
        variables.update(
            {
                "_HANDLER": config.handler or "",
                "AWS_REGION": account.region,
                "AWS_DEFAULT_REGION": account.region,
                "AWS_LAMBDA_FUNCTION_NAME": config.name,
                "AWS_LAMBDA_FUNCTION_VERSION": config.version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
                "AWS_LAMBDA_LOG_GROUP_NAME": self.group,
                "AWS_LAMBDA_LOG_STREAM_NAME": self.stream,
                "AWS_LAMBDA_RUNTIME_API": address,
                "AWS_LAMBDA_INITIALIZATION_TYPE": self.init_type,
                "LAMBDA_TASK_ROOT": str(task_root),
                "LAMBDA_RUNTIME_DIR": str(RUNTIME_DIR),
            }
        )
        variables.setdefault("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR")
        if self._settings.access is not None:
            # The role's credentials and where the services are: the SDK needs nothing
            # else to call them. The credentials' names are reserved; an endpoint or an
            # extension port the function sets itself (not reserved on Lambda) wins.
            granted, lifetime = self._settings.access(config, uid)
            for name, value in granted.items():
                if name in OVERRIDABLE:
                    variables.setdefault(name, value)
                else:
                    variables[name] = value
            if lifetime is not None:
                self.retire_by = time.monotonic() + lifetime - CREDENTIALS_MARGIN
        if execution_env:
            variables["AWS_EXECUTION_ENV"] = execution_env
        if config.log_format == "JSON":
            variables["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            if config.application_log_level:
                variables["AWS_LAMBDA_LOG_LEVEL"] = config.application_log_level
        return variables

    # --- INVOKE ----------------------------------------------------------------------------

    async def invoke(self, request: InvokeInput) -> PhaseResult:
        """Run one invocation for a caller that waits for the whole response; never raises
        for anything the function does. A response the runtime streams is collected, up
        to the 6 MB a buffered response may have."""
        flight = self._deliver(request, MAX_RESPONSE_BYTES)
        try:
            outcome = await flight.future
            if outcome.stream is not None:
                outcome = await self._collected(outcome.stream)
        finally:
            flight.stop()
        return self._complete(flight, outcome)

    async def invoke_streaming(self, request: InvokeInput) -> StreamingPhase:
        """Run one invocation for a caller that takes the response as it is produced
        (up to Lambda's 200 MB). Returns once the response begins; the phase is then read
        to its end and finished (``StreamingPhase``). A response the runtime posts whole
        (a function that does not stream) comes back already finished."""
        flight = self._deliver(request, MAX_STREAM_BYTES)
        try:
            outcome = await flight.future
        except BaseException:
            flight.stop()
            raise
        stream = outcome.stream
        if stream is None:
            flight.stop()
            return StreamingPhase.whole(self._complete(flight, outcome))

        async def finish() -> PhaseResult:
            try:
                end = await stream.ended
                streamed = await self._ended(end)
            finally:
                flight.stop()
            result = self._complete(flight, streamed)
            if result.error_type is None:
                result.payload, result.streamed_bytes = phase.kept(), stream.size
            return result

        phase = _KeepingPhase(stream, finish)
        return phase

    def _deliver(self, request: InvokeInput, response_limit: int) -> _Flight:
        """Start the INVOKE phase: the START line, the event to the runtime, and the
        deadline and the process's death watched for."""
        sandbox, endpoint = self._sandbox, self._endpoint
        assert sandbox is not None and endpoint is not None and not self.dead
        config = self.config
        cold_log, self._init_log = self._init_log, []
        self._begin_phase()
        self._emit(report.start_line(request.request_id, config.version))
        invocation = Invocation(
            request_id=request.request_id,
            payload=request.payload,
            deadline_ms=_now_ms() + config.timeout * 1000,
            invoked_arn=request.invoked_arn,
            trace_id=request.trace_id,
            client_context=request.client_context,
            response_limit=response_limit,
        )
        flight = _Flight(request, invocation, cold_log, sandbox)
        endpoint.deliver(invocation)
        flight.watch(config.timeout)
        return flight

    async def _collected(self, stream: ResponseStream) -> RuntimeOutcome:
        """A streamed response read whole, for a buffered caller."""
        chunks: list[bytes] = []
        while True:
            got = await stream.read()
            if not got:
                break
            chunks.extend(got)
        end = await self._ended(stream.ended.result())
        if end.error_type is not None:
            return end
        return RuntimeOutcome(b"".join(chunks), content_type=stream.content_type)

    async def _ended(self, end: StreamEnd) -> RuntimeOutcome:
        """How a streamed response ended, as an outcome. A runtime that crashes mid-stream
        drops its connection a moment before the platform sees it exit; a short wait
        reports the crash (``Runtime.ExitError`` with its exit status) rather than the
        truncated response it caused."""
        if end.error_type == TRUNCATED and self._sandbox is not None:
            exited = self._sandbox.exited
            await asyncio.wait({exited}, timeout=_EXIT_GRACE)
            if exited.done():
                return RuntimeOutcome(b"", EXITED)
        return RuntimeOutcome(end.error_body, end.error_type)

    def _complete(self, flight: _Flight, outcome: RuntimeOutcome) -> PhaseResult:
        """End the INVOKE phase: what the caller gets, the END and REPORT lines, and
        whether the environment may serve again."""
        sandbox, endpoint = self._sandbox, self._endpoint
        assert sandbox is not None and endpoint is not None
        request, config = flight.request, self.config
        duration = (time.perf_counter() - flight.started) * 1000
        sandbox.drain_output()
        self._flush_partial()

        status: str | None = None
        error_type = outcome.error_type
        payload = outcome.payload
        reusable = True
        if error_type == TIMED_OUT:
            endpoint.abandon()
            self._emit(report.timeout_line(request.request_id, config.timeout))
            payload = error_payload(
                TIMED_OUT,
                f"RequestId: {request.request_id} Error: Task timed out after "
                f"{config.timeout:.2f} seconds",
            )
            status, reusable = "timeout", False
        elif error_type == EXITED:
            endpoint.abandon()
            message = (
                f"RequestId: {request.request_id} Error: Runtime exited with error: "
                f"{exit_description(sandbox.exited.result())}"
            )
            if sandbox.out_of_memory():
                error_type = OUT_OF_MEMORY
            self._emit(message)
            self._emit(error_type)
            payload = error_payload(error_type, message)
            status, reusable = "error", False
        elif error_type in _LAST_WORDS:
            reusable = False
        elif error_type == TRUNCATED:
            # The runtime broke off its response without exiting: do not trust it again.
            endpoint.abandon()
            self._emit(f"RequestId: {request.request_id} Error: {error_type}")
            status, reusable = "error", False
        memory = sandbox.max_memory_mb()
        init = self.init_duration_ms
        self.init_duration_ms = None
        self._emit(report.end_line(request.request_id))
        figures = report.Report(
            request_id=request.request_id,
            duration_ms=duration,
            memory_size_mb=config.memory_size,
            max_memory_used_mb=memory,
            init_duration_ms=init,
            status=status,
            error_type=error_type if status == "error" else None,
        )
        self._emit(figures.line())
        log = self._end_phase()
        log_bytes = self._phase_bytes + LINE_OVERHEAD * len(log)
        self._logs.append(self.group, self.stream, log)
        if not reusable:
            self.dead = True
        cold = flight.cold_log
        return PhaseResult(
            payload,
            error_type,
            cold + log if cold else log,
            reusable,
            outcome.content_type if error_type is None else None,
            Usage(duration, figures.billed_ms, config.memory_size, memory, init),
            log_bytes + log_size(cold) if cold else log_bytes,
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def freeze(self) -> None:
        if self._sandbox is not None:
            self._sandbox.freeze()

    def thaw(self) -> bool:
        """Resume; False (and the environment is marked dead) if it cannot serve."""
        if self._sandbox is None or not self._sandbox.thaw():
            self.dead = True
            return False
        return True

    def _exited_on_its_own(self, exited: asyncio.Future[int]) -> None:
        if not self.dead:
            self.dead = True
            if self.on_exit is not None:
                self.on_exit(self)

    async def destroy(self) -> None:
        """Kill the sandbox and close the endpoint. Idempotent."""
        self.dead = True
        sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            sandbox.exited.remove_done_callback(self._exited_on_its_own)
            await sandbox.destroy()
            sandbox.drain_output()
        if self._partial:
            self._flush_partial()
        server, self._server = self._server, None
        if server is not None:
            server.close()

    # --- output ------------------------------------------------------------------------------

    def _on_output(self, chunk: bytes) -> None:
        if self._phase is not None and self._truncated:
            return  # past the cap: a flood of output costs a read, nothing more
        partial = self._partial
        partial += chunk
        if b"\n" not in chunk and len(partial) < MAX_LINE_BYTES:
            return
        lines = partial.split(b"\n")
        rest = lines.pop()
        for line in lines:
            self._line(line)
        while len(rest) >= MAX_LINE_BYTES:
            self._line(rest[:MAX_LINE_BYTES])
            rest = rest[MAX_LINE_BYTES:]
        self._partial = bytearray(rest)

    def _flush_partial(self) -> None:
        if self._partial:
            self._line(bytes(self._partial))
            self._partial = bytearray()

    def _line(self, raw: bytes | bytearray) -> None:
        text = raw.decode("utf-8", "replace").rstrip("\r")
        phase = self._phase
        if phase is None:
            # Written between invocations (a background thread): log it on its own.
            self._logs.append(self.group, self.stream, [LogEvent(_now_ms(), text)])
            return
        self._phase_bytes += len(raw)
        if self._phase_bytes > LOG_CAP_BYTES:
            if not self._truncated:
                self._truncated = True
                self._partial = bytearray()
                phase.append(
                    LogEvent(
                        _now_ms(),
                        f"[altus] output truncated: more than "
                        f"{LOG_CAP_BYTES // (1024 * 1024)} MB "
                        "in one invocation",
                    )
                )
            return
        phase.append(LogEvent(_now_ms(), text))

    def _emit(self, text: str) -> None:
        """A platform line (not counted against the output cap)."""
        if self._phase is not None:
            self._phase.append(LogEvent(_now_ms(), text))

    def _begin_phase(self) -> None:
        self._phase = []
        self._phase_bytes = 0
        self._truncated = False

    def _end_phase(self) -> list[LogEvent]:
        phase, self._phase = self._phase or [], None
        return phase


class _KeepingPhase(StreamingPhase):
    """A streamed phase that keeps the first ``KEPT_STREAM_BYTES`` its reader takes, for
    its result (what the recorder records of a streamed response): references to the
    chunks, no copy until the phase ends."""

    def __init__(
        self, stream: ResponseStream, finish: Callable[[], Awaitable[PhaseResult]]
    ) -> None:
        super().__init__(stream, finish)
        self._kept: list[bytes] = []
        self._kept_bytes = 0

    async def read(self) -> list[bytes]:
        chunks = await super().read()
        for chunk in chunks:
            room = KEPT_STREAM_BYTES - self._kept_bytes
            if room <= 0:
                break
            self._kept.append(chunk[:room] if len(chunk) > room else chunk)
            self._kept_bytes += min(len(chunk), room)
        return chunks

    def kept(self) -> bytes:
        """What was kept of the response, as the phase's payload."""
        kept, self._kept = self._kept, []
        return b"".join(kept)


class _Flight:
    """One invocation in flight: what it was asked, when it started, and the watch on
    its deadline and on the process's death, either of which ends it early (its outcome,
    or its stream once the runtime streams)."""

    __slots__ = (
        "_sandbox",
        "_timer",
        "cold_log",
        "future",
        "invocation",
        "request",
        "started",
    )

    def __init__(
        self,
        request: InvokeInput,
        invocation: Invocation,
        cold_log: list[LogEvent],
        sandbox: Sandbox,
    ) -> None:
        self.request = request
        self.invocation = invocation
        self.future = invocation.future
        self.cold_log = cold_log
        self._sandbox = sandbox
        self._timer: asyncio.TimerHandle | None = None
        self.started = time.perf_counter()

    def watch(self, timeout: float) -> None:
        self._timer = asyncio.get_running_loop().call_later(timeout, self._end, TIMED_OUT)
        self._sandbox.exited.add_done_callback(self._exited)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._sandbox.exited.remove_done_callback(self._exited)

    def _exited(self, exited: asyncio.Future[int]) -> None:
        self._end(EXITED)

    def _end(self, error_type: str) -> None:
        stream = self.invocation.stream
        if stream is not None:
            stream.abort(error_type)
        elif not self.future.done():
            self.future.set_result(RuntimeOutcome(b"", error_type))
