"""Ordered hooks on the invocation path: what metrics, authorisation, tracing, billing
and recording plug into, without edits to the invoker.

A hook overrides the points it needs (the base class's are no-ops). ``Hooks`` calls
every hook's point in the order the hooks were given, on the event loop, between the
steps of an invocation; a hook must not block, and one that raises is logged and skipped
(an invocation never fails because of one). With no hooks, each point is a loop over an
empty tuple: the warm path pays nothing measurable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from altus.control.model import FunctionConfig
from altus.engine.results import InvokeResult

log = logging.getLogger(__name__)


class InvocationHook:
    def admitted(self, config: FunctionConfig, request_id: str) -> None:
        """An invocation got its concurrency slot and is about to run."""

    def throttled(self, function: str, reason: str) -> None:
        """An invocation was refused a slot (``reason``: Lambda's throttle reason)."""

    def cold_started(self, config: FunctionConfig, request_id: str, failed: bool) -> None:
        """A new environment was started for an invocation (``failed``: its INIT)."""

    def finished(self, config: FunctionConfig, result: InvokeResult) -> None:
        """An invocation ended (a function error is a result too)."""

    def event_ended(self, function: str, event_id: str, condition: str) -> None:
        """An asynchronous event ended: ``Success``, ``RetriesExhausted``,
        ``EventAgeExceeded``, or dropped (its function is gone)."""


class Hooks:
    """The hooks of one invoker, called in order."""

    def __init__(self, hooks: Sequence[InvocationHook] = ()) -> None:
        self._hooks = tuple(hooks)

    def admitted(self, config: FunctionConfig, request_id: str) -> None:
        for hook in self._hooks:
            try:
                hook.admitted(config, request_id)
            except Exception:
                log.exception("the %s hook failed at admit", type(hook).__name__)

    def throttled(self, function: str, reason: str) -> None:
        for hook in self._hooks:
            try:
                hook.throttled(function, reason)
            except Exception:
                log.exception("the %s hook failed at a throttle", type(hook).__name__)

    def cold_started(self, config: FunctionConfig, request_id: str, failed: bool) -> None:
        for hook in self._hooks:
            try:
                hook.cold_started(config, request_id, failed)
            except Exception:
                log.exception("the %s hook failed at a cold start", type(hook).__name__)

    def finished(self, config: FunctionConfig, result: InvokeResult) -> None:
        for hook in self._hooks:
            try:
                hook.finished(config, result)
            except Exception:
                log.exception("the %s hook failed at a result", type(hook).__name__)

    def event_ended(self, function: str, event_id: str, condition: str) -> None:
        for hook in self._hooks:
            try:
                hook.event_ended(function, event_id, condition)
            except Exception:
                log.exception("the %s hook failed at an event's end", type(hook).__name__)
