"""A sandbox backend that runs Python callables in this process, through the real Runtime
API: for tests of functions and of the platform that need no process of their own.

Each environment is a thread speaking the Runtime API (2018-06-01) to its environment's
endpoint exactly as a runtime client does: ``GET .../invocation/next``, the handler, then
``POST .../response`` or ``.../error``. Everything around it (the warm pool, timeouts,
START / END / REPORT lines, concurrency, the Invoke API) is the real platform's.

The handler is the callable registered for the function's name (``handlers``), or else
imported from the function's own code (``module.function`` of its ``Handler``, loaded
under a name of its own per environment). What a handler prints is the environment's
output (its log), as in a sandbox. Nothing is isolated: a test's handler can reach
anything the test can.
"""

from __future__ import annotations

import asyncio
import http.client
import importlib.util
import io
import json
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from altus.sandbox.base import EntrypointError, OutputSink, SandboxSpec

Handler = Callable[[Any, Any], Any]
_API = "/2018-06-01/runtime"


class _Output(io.TextIOBase):
    """``sys.stdout`` while environments run: what a thread of an environment writes goes
    to that environment's output, anything else where it always went."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.sinks: dict[int, Callable[[str], None]] = {}

    def write(self, text: str) -> int:
        sink = self.sinks.get(threading.get_ident())
        if sink is None:
            return int(self.real.write(text))
        sink(text)
        return len(text)

    def flush(self) -> None:
        self.real.flush()


_output_lock = threading.Lock()
_output: _Output | None = None


def _route_output(sink: Callable[[str], None]) -> None:
    global _output
    with _output_lock:
        if _output is None or sys.stdout is not _output:
            _output = _Output(sys.stdout)
            sys.stdout = _output
        _output.sinks[threading.get_ident()] = sink


def _unroute_output() -> None:
    with _output_lock:
        if _output is not None:
            _output.sinks.pop(threading.get_ident(), None)


class Context:
    """The context object a Python handler gets (the attributes Lambda's has)."""

    def __init__(self, env: Mapping[str, str], headers: Mapping[str, str]) -> None:
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.aws_request_id = headers.get("lambda-runtime-aws-request-id", "")
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn", "")
        self._deadline_ms = int(headers.get("lambda-runtime-deadline-ms", "0") or 0)
        context = headers.get("lambda-runtime-client-context")
        self.client_context = json.loads(context) if context else None
        self.identity = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


class InProcessSandbox:
    def __init__(self, spec: SandboxSpec, handler: Handler, on_output: OutputSink) -> None:
        self.sandbox_id = spec.sandbox_id
        self._spec = spec
        self._handler = handler
        self._on_output = on_output
        self._loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._stopping = threading.Event()
        self._connection: http.client.HTTPConnection | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"altus-fn-{spec.sandbox_id}", daemon=True
        )
        self._thread.start()

    @property
    def pid(self) -> int:
        return os.getpid()

    @property
    def exited(self) -> asyncio.Future[int]:
        return self._exited

    def drain_output(self) -> None:
        """Output is delivered as it is written."""

    def max_memory_mb(self) -> int:
        return 0  # the test process's memory is not the function's to report

    def out_of_memory(self) -> bool:
        return False

    def freeze(self) -> None:
        """A thread waiting for its next invocation needs no freezing."""

    def thaw(self) -> bool:
        return not self._stopping.is_set()

    def kill(self) -> None:
        self._stopping.set()
        connection = self._connection
        if connection is not None and connection.sock is not None:
            # Ends a GET .../next that waits for an invocation that will not come.
            connection.sock.shutdown(socket.SHUT_RDWR)

    async def destroy(self) -> None:
        self.kill()
        await asyncio.wait({self._exited}, timeout=5)

    # --- the runtime client, on the environment's thread ---------------------------------

    def _emit(self, text: str) -> None:
        data = text.encode()
        self._loop.call_soon_threadsafe(self._on_output, data)

    def _run(self) -> None:
        status = 0
        _route_output(self._emit)
        host, _, port = self._spec.env["AWS_LAMBDA_RUNTIME_API"].rpartition(":")
        try:
            self._connection = http.client.HTTPConnection(host, int(port), timeout=None)
            while not self._stopping.is_set():
                self._connection.request("GET", f"{_API}/invocation/next")
                answer = self._connection.getresponse()
                body = answer.read()
                if answer.status != 200:
                    break
                headers = {k.lower(): v for k, v in answer.getheaders()}
                self._invoke(headers, body)
        except (OSError, http.client.HTTPException):
            status = 0 if self._stopping.is_set() else 1
        finally:
            _unroute_output()
            if self._connection is not None:
                self._connection.close()
            self._loop.call_soon_threadsafe(self._finish, status)

    def _invoke(self, headers: Mapping[str, str], body: bytes) -> None:
        assert self._connection is not None
        request_id = headers["lambda-runtime-aws-request-id"]
        try:
            event = json.loads(body) if body else None
            result = self._handler(event, Context(self._spec.env, headers))
            payload = json.dumps(result).encode()
            path, extra = f"{_API}/invocation/{request_id}/response", {}
        except Exception as error:
            name = type(error).__name__
            payload = json.dumps(
                {
                    "errorMessage": str(error),
                    "errorType": name,
                    # From the handler's own frame on: this runtime client's is not its.
                    "stackTrace": traceback.format_tb(
                        error.__traceback__.tb_next if error.__traceback__ else None
                    ),
                }
            ).encode()
            path = f"{_API}/invocation/{request_id}/error"
            extra = {"Lambda-Runtime-Function-Error-Type": f"Unhandled.{name}"}
        self._connection.request(
            "POST", path, payload, {"Content-Type": "application/json", **extra}
        )
        self._connection.getresponse().read()

    def _finish(self, status: int) -> None:
        if not self._exited.done():
            self._exited.set_result(status)


class InProcessBackend:
    """``handlers``: function name -> the callable its invocations run."""

    name = "inprocess"

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self.handlers: dict[str, Handler] = dict(handlers or {})

    def allocate_uid(self, zygote_key: str | None = None) -> None:
        return None

    def zygotes(self) -> list[dict[str, object]]:
        return []

    async def shutdown(self) -> None:
        """Environments are threads the engine destroys itself."""

    def close(self) -> None:
        """Nothing of its own to stop."""

    async def create(self, spec: SandboxSpec, on_output: OutputSink) -> InProcessSandbox:
        handler = self.handlers.get(spec.env.get("AWS_LAMBDA_FUNCTION_NAME", ""))
        if handler is None:
            handler = _import_handler(spec)
        return InProcessSandbox(spec, handler, on_output)

    def recover(self, sandboxes_dir: Path) -> int:
        return 0


def _import_handler(spec: SandboxSpec) -> Handler:
    """``module.function`` of the function's Handler, from its code, under a module name
    of this environment's own (two functions' ``app`` modules never collide)."""
    module_name, _, attribute = spec.env.get("_HANDLER", "").rpartition(".")
    path = spec.task_root.joinpath(*module_name.split(".")).with_suffix(".py")
    if not module_name or not path.is_file():
        raise EntrypointError(f"no handler {spec.env.get('_HANDLER')!r} in the function's code")
    loaded = importlib.util.spec_from_file_location(f"altus_fn_{spec.sandbox_id}", path)
    if loaded is None or loaded.loader is None:
        raise EntrypointError(f"cannot load {path}")
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    handler: Handler = getattr(module, attribute)
    return handler
