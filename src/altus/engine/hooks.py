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
from altus.engine.results import InvokeInput, InvokeResult

log = logging.getLogger(__name__)


class InvocationHook:
    def admitted(self, config: FunctionConfig, request_id: str) -> None:
        """An invocation got its concurrency slot and is about to run."""

    def throttled(self, function: str, reason: str) -> None:
        """An invocation was refused a slot (``reason``: Lambda's throttle reason)."""

    def cold_started(self, config: FunctionConfig, request_id: str, failed: bool) -> None:
        """A new environment was started for an invocation (``failed``: its INIT)."""

    def finished(self, config: FunctionConfig, given: InvokeInput, result: InvokeResult) -> None:
        """An invocation ended (a function error is a result too): ``given`` is what the
        function was given, ``result`` what came of it (``result.usage``: what it used)."""

    def event_ended(self, function: str, event_id: str, condition: str) -> None:
        """An asynchronous event ended: ``Success``, ``RetriesExhausted``,
        ``EventAgeExceeded``, or dropped (its function is gone)."""

    def served_provisioned(self, config: FunctionConfig, request_id: str) -> None:
        """An invocation got a provisioned-concurrency environment (called before it
        runs; an invocation of a version with provisioned concurrency that does not get
        one is a spillover)."""

    def event_received(self, function: str, qualifier: str | None) -> None:
        """An asynchronous event was queued durably."""

    def event_started(self, function: str, qualifier: str | None, age_ms: int) -> None:
        """An asynchronous event is about to be run (again), ``age_ms`` after it was
        queued."""

    def delivery_failed(self, function: str, kind: str) -> None:
        """A record of a function's (``kind``: ``OnSuccess``, ``OnFailure`` or
        ``DeadLetter``) failed to reach its destination or dead-letter queue once."""

    def iterator_age(self, function: str, qualifier: str | None, age_ms: int) -> None:
        """A stream's mapping sends a batch whose last record arrived ``age_ms`` ago."""


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

    def finished(self, config: FunctionConfig, given: InvokeInput, result: InvokeResult) -> None:
        for hook in self._hooks:
            try:
                hook.finished(config, given, result)
            except Exception:
                log.exception("the %s hook failed at a result", type(hook).__name__)

    def event_ended(self, function: str, event_id: str, condition: str) -> None:
        for hook in self._hooks:
            try:
                hook.event_ended(function, event_id, condition)
            except Exception:
                log.exception("the %s hook failed at an event's end", type(hook).__name__)

    def served_provisioned(self, config: FunctionConfig, request_id: str) -> None:
        for hook in self._hooks:
            try:
                hook.served_provisioned(config, request_id)
            except Exception:
                log.exception("the %s hook failed at a provisioned run", type(hook).__name__)

    def event_received(self, function: str, qualifier: str | None) -> None:
        for hook in self._hooks:
            try:
                hook.event_received(function, qualifier)
            except Exception:
                log.exception("the %s hook failed at an event received", type(hook).__name__)

    def event_started(self, function: str, qualifier: str | None, age_ms: int) -> None:
        for hook in self._hooks:
            try:
                hook.event_started(function, qualifier, age_ms)
            except Exception:
                log.exception("the %s hook failed at an event's run", type(hook).__name__)

    def delivery_failed(self, function: str, kind: str) -> None:
        for hook in self._hooks:
            try:
                hook.delivery_failed(function, kind)
            except Exception:
                log.exception("the %s hook failed at a delivery failure", type(hook).__name__)

    def iterator_age(self, function: str, qualifier: str | None, age_ms: int) -> None:
        for hook in self._hooks:
            try:
                hook.iterator_age(function, qualifier, age_ms)
            except Exception:
                log.exception("the %s hook failed at an iterator age", type(hook).__name__)
