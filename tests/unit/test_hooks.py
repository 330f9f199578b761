"""Invocation hooks: called in order, each point only where overridden, and a failing
hook never fails the invocation."""

from __future__ import annotations

from altus.control.model import FunctionConfig
from altus.engine.hooks import Hooks, InvocationHook
from altus.engine.results import InvokeInput, InvokeResult
from altus.store.code import CodeRef

CONFIG = FunctionConfig(
    name="f",
    version="$LATEST",
    role="r",
    code=CodeRef(digest="ab" * 32, sha256="x", size=1),
    runtime="python3.12",
    handler="a.b",
)
RESULT = InvokeResult(
    request_id="r",
    payload=b"{}",
    executed_version="$LATEST",
    function_error=None,
    error_type=None,
    log_tail=None,
)
GIVEN = InvokeInput(request_id="r", payload=b"{}", invoked_arn="arn:aws:lambda:::function:f")


class Recorder(InvocationHook):
    def __init__(self, name: str, seen: list[str]) -> None:
        self.name = name
        self.seen = seen

    def admitted(self, config: FunctionConfig, request_id: str) -> None:
        self.seen.append(f"{self.name}:admitted:{request_id}")

    def finished(self, config: FunctionConfig, given: InvokeInput, result: InvokeResult) -> None:
        self.seen.append(f"{self.name}:finished")


class Broken(InvocationHook):
    def admitted(self, config: FunctionConfig, request_id: str) -> None:
        raise RuntimeError("a bug in a hook")


def test_hooks_run_in_order_and_a_failing_one_is_skipped(caplog) -> None:
    seen: list[str] = []
    hooks = Hooks([Recorder("first", seen), Broken(), Recorder("second", seen)])
    hooks.admitted(CONFIG, "r1")
    hooks.throttled("f", "ReservedFunctionConcurrentInvocationLimitExceeded")  # no-ops
    hooks.finished(CONFIG, GIVEN, RESULT)
    hooks.event_received("f", None)  # the points added since: no-ops unless overridden
    hooks.event_started("f", "live", 10)
    hooks.served_provisioned(CONFIG, "r1")
    hooks.delivery_failed("f", "DeadLetter")
    hooks.iterator_age("f", None, 5)
    assert seen == ["first:admitted:r1", "second:admitted:r1", "first:finished", "second:finished"]
    assert "the Broken hook failed at admit" in caplog.text


def test_no_hooks_is_nothing_to_call() -> None:
    hooks = Hooks()
    hooks.admitted(CONFIG, "r")
    hooks.cold_started(CONFIG, "r", failed=False)
    hooks.event_ended("f", "e", "Success")
