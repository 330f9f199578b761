"""Activation: readying a function's new code in the background.

CreateFunction answers ``Pending`` and an update ``InProgress`` at once; the code is
unpacked, its layers merged into one ``/opt`` and both prepared for the runtime (Python:
compiled to bytecode) here, off the event loop, and then ``finish`` records the outcome
(``Active`` / ``Successful``, or ``Failed`` with a reason). One activation runs per
function: a newer one replaces it, and ``settled`` follows the replacement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from altus.control.model import FunctionConfig
from altus.store.code import CodeStore

log = logging.getLogger(__name__)

#: How long an invoke or an update waits for a Pending function's code to be ready.
SETTLE_TIMEOUT = 120.0

Prepare = Callable[[FunctionConfig, Path], None]
#: Records an activation's outcome: the configuration it readied and, if it failed, why.
Finish = Callable[[FunctionConfig, str | None], Awaitable[None]]


class Activations:
    def __init__(self, code: CodeStore, prepare: Prepare | None, finish: Finish) -> None:
        self._code = code
        self._prepare = prepare
        self._finish = finish
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, pending: FunctionConfig) -> None:
        """Ready ``pending`` (a function's new $LATEST), replacing a running activation."""
        self.cancel(pending.name)
        task = asyncio.get_running_loop().create_task(self._run(pending))
        self._tasks[pending.name] = task

    def cancel(self, name: str) -> None:
        task = self._tasks.pop(name, None)
        if task is not None and not task.done():
            task.cancel()

    async def settled(self, name: str) -> None:
        """Wait (bounded) until no activation of ``name`` runs, following replacements."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_TIMEOUT
        while (task := self._tasks.get(name)) is not None and not task.done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            await asyncio.wait({task}, timeout=remaining)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _run(self, pending: FunctionConfig) -> None:
        try:
            await self._ready(pending)
            failure = None
        except Exception as error:  # unpacking a package we accepted: disk, permissions
            # The details (host paths among them) go to the operator's log, not the API.
            log.exception("preparing the code of %s failed: %s", pending.name, error)
            failure = "Altus could not prepare the function's code package."
        await self._finish(pending, failure)

    async def _ready(self, pending: FunctionConfig) -> None:
        tree = await asyncio.to_thread(self._code.unpacked, pending.code.digest)
        if self._prepare is not None:
            await asyncio.to_thread(self._prepare, pending, tree)
        if pending.layers:
            # Its /opt is merged (and its Python compiled) now, not at a cold start.
            digests = [layer.code.digest for layer in pending.layers]
            opt = await asyncio.to_thread(self._code.layers_tree, digests)
            if self._prepare is not None:
                await asyncio.to_thread(self._prepare, pending, opt)
