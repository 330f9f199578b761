"""Which sandbox backend a server runs, as its settings ask: chosen once at start, where
``auto`` has to try the linux backend (a trial sandbox) before it knows.

Opening the linux backend waits on the kernel (a zygote's start, a trial sandbox set up
and torn down), so ``altus up`` begins it on a thread of its own (``opening``) before it
imports the rest of the server, and the two overlap; the platform takes the backend
once it is open.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading

from altus.runtimes.sdk import SDK_ROOT, sdk_dir
from altus.sandbox.backends.linux import LinuxBackend
from altus.sandbox.backends.process import ProcessBackend
from altus.sandbox.base import SandboxBackend, SandboxError
from altus.settings import Settings

log = logging.getLogger(__name__)


def choose_backend(settings: Settings) -> SandboxBackend:
    """The sandbox backend the settings ask for (blocking). ``auto`` takes ``linux``
    where this machine can isolate (root, namespaces, cgroups: checked by running one
    trial sandbox) and otherwise ``process``, saying why once."""
    if settings.sandbox == "process":
        return ProcessBackend()
    sdk = sdk_dir(settings.data_dir)
    sdk.mkdir(parents=True, exist_ok=True)  # bound into every zygote's template now
    linux = LinuxBackend(
        settings.data_dir / "linux",
        uid_base=settings.sandbox_uid_base,
        prestart=settings.sandbox_prestart,
        zygotes=settings.sandbox_zygotes,
        network=settings.sandbox_network,
        function_zygotes=settings.sandbox_function_zygotes,
        function_zygote_idle=settings.sandbox_function_zygote_idle_seconds,
        shared=[(sdk, SDK_ROOT)],
    )
    try:
        linux.open(settings.node_binary)
    except (SandboxError, OSError) as error:
        if settings.sandbox == "linux":
            raise SandboxError(f"the linux sandbox cannot run here: {error}") from None
        log.warning(
            "sandbox: using the process backend (no isolation between functions): %s", error
        )
        return ProcessBackend()
    return linux


def opening(settings: Settings) -> concurrent.futures.Future[SandboxBackend]:
    """``choose_backend`` on a thread of its own: the backend, or its error, once open.

    The thread never ends: the launcher zygote it starts watches for its parent's death
    (``PR_SET_PDEATHSIG``), and Linux counts the *thread* that forked a process as its
    parent, so the thread's end would read as the server's and the zygote would kill every
    environment. It sleeps until the process exits."""
    future: concurrent.futures.Future[SandboxBackend] = concurrent.futures.Future()

    def choose() -> None:
        try:
            future.set_result(choose_backend(settings))
        except BaseException as error:  # handed to whoever takes the backend
            future.set_exception(error)
        threading.Event().wait()

    threading.Thread(target=choose, name="altus-sandbox-open", daemon=True).start()
    return future


def discard(future: concurrent.futures.Future[SandboxBackend]) -> None:
    """Close a backend that was opened for a server that did not start (blocking)."""
    try:
        backend = future.result()
    except BaseException:
        return
    backend.close()
