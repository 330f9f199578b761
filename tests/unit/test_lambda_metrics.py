"""Lambda's CloudWatch metrics and its metering, as the invocation hooks see invocations:
what the hot path keeps, and what a drain or a flush makes of it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest

from altus.awslambda import lambda_metrics
from altus.awslambda.lambda_metrics import LambdaMetrics
from altus.awslambda.metering import Meter
from altus.control.model import FunctionConfig
from altus.engine.concurrency import Concurrency
from altus.engine.results import InvokeInput, InvokeResult, Usage
from altus.observe.billing import HOUR, UsageRow
from altus.observe.logs import LogEvent
from altus.observe.metrics import Aggregate
from altus.store.code import CodeRef

NOW = 1_700_000_000.0
ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def config(version: str = "$LATEST", **changes: Any) -> FunctionConfig:
    return FunctionConfig(
        name="f",
        version=version,
        role="r",
        code=CodeRef(digest="ab" * 32, sha256="q80=", size=10),
        runtime="python3.12",
        handler="a.b",
        **changes,
    )


def result(
    duration: float | None = 10.0, error: bool = False, log: Sequence[str] = ()
) -> InvokeResult:
    usage = Usage(duration or 0, int(duration or 0) + 1, 128, 30) if duration else None
    return InvokeResult(
        request_id="r",
        payload=b"",
        executed_version="1",
        function_error="Unhandled" if error else None,
        error_type="E" if error else None,
        log_tail=None,
        usage=usage,
        log=[LogEvent(0, m) for m in log],
    )


def run(
    hook: Any,
    cfg: FunctionConfig,
    arn: str = ARN,
    request_id: str = "r1",
    provisioned: bool = False,
    **outcome: Any,
) -> None:
    hook.admitted(cfg, request_id)
    if provisioned:
        hook.served_provisioned(cfg, request_id)
    hook.finished(cfg, InvokeInput(request_id, b"{}", arn), result(**outcome))


def series(aggregates: Sequence[Aggregate]) -> dict[tuple[str, tuple[tuple[str, str], ...]], Any]:
    out: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
    for a in aggregates:
        key = (a.key.name, a.key.dimensions)
        assert key not in out, key
        out[key] = a
    return out


def test_invocations_are_published_by_function_resource_executed_version_and_account() -> None:
    clock = Clock()
    concurrency = Concurrency(10)
    metrics = LambdaMetrics(concurrency, lambda name, q: 0, clock)
    slot = concurrency.admit("f")  # as the invoker takes one for each, one at a time
    run(metrics, config("2"), ARN + ":live", duration=20.0)
    run(metrics, config("3"), ARN + ":live", error=True, duration=40.0)
    run(metrics, config("3"), ARN + ":3", duration=30.0)
    run(metrics, config(), ARN, duration=None)
    slot.release()
    found = series(list(metrics.drain()))
    fn = (("FunctionName", "f"),)
    live = (*fn, ("Resource", "f:live"))
    assert found[("Invocations", ())].values.total == 4
    assert found[("Invocations", fn)].values.total == 4
    assert found[("Invocations", live)].values.total == 2
    assert found[("Invocations", (("ExecutedVersion", "3"), *live))].values.total == 1
    assert found[("Invocations", (*fn, ("Resource", "f:3")))].values.total == 1
    # A version invoked by its number has no ExecutedVersion series.
    assert not any(
        dims and dims[0] == ("ExecutedVersion", "3") and ("Resource", "f:3") in dims
        for _, dims in found
    )
    errors = found[("Errors", fn)]
    assert (errors.values.count, errors.values.total) == (4, 1)
    duration = found[("Duration", live)]
    assert duration.key.unit == "Milliseconds"
    assert duration.values.count == 2
    assert duration.values.percentile(50) == pytest.approx(20, rel=0.02)
    assert found[("Invocations", fn)].second == int(NOW)
    assert found[("ConcurrentExecutions", fn)].values.maximum == 1
    assert list(metrics.drain()) == []


def test_concurrent_executions_are_the_most_in_flight() -> None:
    concurrency = Concurrency(10)
    metrics = LambdaMetrics(concurrency, lambda name, q: 0, Clock())
    slots = [concurrency.admit("f") for _ in range(3)]
    for i in range(3):
        metrics.admitted(config(), f"r{i}")
    for i, slot in enumerate(slots):
        metrics.finished(config(), InvokeInput(f"r{i}", b"", ARN), result())
        slot.release()
    found = series(list(metrics.drain()))
    assert found[("ConcurrentExecutions", (("FunctionName", "f"),))].values.maximum == 3
    assert found[("ConcurrentExecutions", ())].values.maximum == 3
    assert found[("UnreservedConcurrentExecutions", ())].values.maximum == 3


def test_provisioned_concurrency_invocations_spillover_and_utilization() -> None:
    metrics = LambdaMetrics(Concurrency(10), lambda name, q: 2 if q == "live" else 0, Clock())
    run(metrics, config("1"), ARN + ":live", "a", provisioned=True)
    run(metrics, config("1"), ARN + ":live", "b")
    found = series(list(metrics.drain()))
    live = (("FunctionName", "f"), ("Resource", "f:live"))
    assert found[("ProvisionedConcurrencyInvocations", live)].values.total == 1
    assert found[("ProvisionedConcurrencySpilloverInvocations", live)].values.total == 1
    assert found[("ProvisionedConcurrentExecutions", live)].values.maximum == 1
    assert found[("ProvisionedConcurrencyUtilization", live)].values.maximum == 0.5


def test_async_stream_and_delivery_metrics() -> None:
    metrics = LambdaMetrics(Concurrency(10), lambda name, q: 0, Clock())
    metrics.event_received("f", None)
    metrics.event_received("f", "live")
    metrics.event_started("f", None, 250)
    metrics.event_ended("f", "e1", "Success")
    metrics.event_ended("f", "e2", "RetriesExhausted")
    metrics.delivery_failed("f", "DeadLetter")
    metrics.delivery_failed("f", "OnFailure")
    metrics.iterator_age("f", None, 1500)
    metrics.throttled("f", "ReservedFunctionConcurrentInvocationLimitExceeded")
    found = series(list(metrics.drain()))
    fn = (("FunctionName", "f"),)
    assert found[("AsyncEventsReceived", fn)].values.total == 2
    assert found[("AsyncEventsReceived", (*fn, ("Resource", "f:live")))].values.total == 1
    assert found[("AsyncEventAge", fn)].values.maximum == 250
    assert found[("AsyncEventsDropped", fn)].values.total == 1
    assert found[("DeadLetterErrors", fn)].values.total == 1
    assert found[("DestinationDeliveryFailures", fn)].values.total == 1
    assert found[("IteratorAge", ())].values.maximum == 1500
    assert found[("Throttles", fn)].values.total == 1


def test_emf_log_lines_are_parsed_at_drain() -> None:
    metrics = LambdaMetrics(Concurrency(10), lambda name, q: 0, Clock())
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": int(NOW * 1000),
                "CloudWatchMetrics": [
                    {"Namespace": "App", "Dimensions": [[]], "Metrics": [{"Name": "Orders"}]}
                ],
            },
            "Orders": 2,
        }
    )
    run(metrics, config(), log=["START RequestId: r1", line, "END RequestId: r1"])
    found = [a for a in metrics.drain() if a.key.namespace == "App"]
    assert [(a.key.name, a.values.total) for a in found] == [("Orders", 2)]


def emf_line(orders: int = 2, padding: int = 0) -> str:
    return json.dumps(
        {
            "_aws": {
                "Timestamp": int(NOW * 1000),
                "CloudWatchMetrics": [
                    {"Namespace": "App", "Dimensions": [[]], "Metrics": [{"Name": "Orders"}]}
                ],
            },
            "Orders": orders,
            "padding": "x" * padding,
        }
    )


def test_pending_emf_is_bounded_by_characters_and_the_excess_counted() -> None:
    metrics = LambdaMetrics(Concurrency(10), lambda name, q: 0, Clock())
    big = emf_line(padding=200 * 1024)
    lines = lambda_metrics.MAX_PENDING_EMF_CHARS // len(big)
    for i in range(lines + 3):
        run(metrics, config(), request_id=f"r{i}", log=[big])
    assert metrics.emf_dropped == 3
    # Parsed documents are kept no longer; room is made for more.
    found = [a for a in metrics.drain() if a.key.namespace == "App"]
    assert sum(a.values.count for a in found) == lines
    run(metrics, config(), log=[big])
    assert metrics.emf_dropped == 3


def test_a_drain_parses_emf_for_a_bounded_slice_and_leaves_the_rest() -> None:
    ticks = iter(range(1_000_000))
    metrics = LambdaMetrics(
        Concurrency(10), lambda name, q: 0, Clock(), emf_slice_seconds=2, timer=lambda: next(ticks)
    )
    # Each parse takes one tick of the timer here: a slice of two ticks parses two lines.
    run(metrics, config(), log=[emf_line(n) for n in (1, 2, 3, 4, 5)])
    drained = []
    for _ in range(3):
        drained.append(sorted(a.values.total for a in metrics.drain() if a.key.namespace == "App"))
    assert drained == [[1, 2], [3, 4], [5]]


def test_transient_versions_are_published_under_the_account_and_function_only() -> None:
    concurrency = Concurrency(10)
    metrics = LambdaMetrics(concurrency, lambda name, q: 0, Clock())
    slot = concurrency.admit("f")
    transient = "$TRANSIENT.abc.512"
    run(metrics, config(transient), f"{ARN}:{transient}", duration=5.0)
    slot.release()
    found = series(list(metrics.drain()))
    for _, dims in found:
        names = dict(dims)
        assert "Resource" not in names and "ExecutedVersion" not in names, dims
    assert found[("Invocations", ())].values.total == 1
    assert found[("Invocations", (("FunctionName", "f"),))].values.total == 1


def test_concurrent_executions_ignore_an_invocation_that_raised_instead_of_ending() -> None:
    concurrency = Concurrency(10)
    concurrency.reserve("f", 5)
    metrics = LambdaMetrics(concurrency, lambda name, q: 0, Clock())
    other = concurrency.admit("g")  # in flight throughout: nothing looks idle
    lost = concurrency.admit("f")
    metrics.admitted(config(), "lost")
    lost.release()  # its environment raised: the hooks never hear it end
    list(metrics.drain())
    slot = concurrency.admit("f")
    run(metrics, config(), request_id="r2")
    slot.release()
    other.release()
    found = series(list(metrics.drain()))
    assert found[("ConcurrentExecutions", (("FunctionName", "f"),))].values.maximum == 1


class MemoryUsage:
    def __init__(self) -> None:
        self.rows: list[UsageRow] = []
        self.fail = False

    async def add(self, rows: Sequence[UsageRow]) -> None:
        if self.fail:
            raise RuntimeError("down")
        self.rows += rows

    async def usage(self, since_hour: int, until: int, function: str | None = None) -> Any:
        return self.rows


@pytest.mark.anyio
async def test_the_meter_sums_per_configuration_and_hour_and_keeps_a_failed_write() -> None:
    clock = Clock()
    store = MemoryUsage()
    provisioned: list[tuple[FunctionConfig, int]] = []
    meter = Meter(store, lambda: provisioned, 5.0, clock)
    big = config("1", memory_size=2048, ephemeral_storage=1536, architectures=("arm64",))
    run(meter, big, duration=99.2)
    run(meter, big, duration=0.5)
    run(meter, big, "r3", provisioned=True, duration=10.0)
    run(meter, config(), duration=None)  # its INIT failed: a request, no duration
    store.fail = True
    with pytest.raises(RuntimeError):
        await meter.flush()
    store.fail = False
    provisioned.append((big, 3))
    clock.now += 60
    await meter.flush()
    rows = {(r.function, r.version, r.provisioned, r.hour): r for r in store.rows}
    hour = int(NOW // HOUR) * HOUR
    on_demand = rows[("f", "1", False, hour)]
    assert (on_demand.requests, on_demand.billed_ms) == (2, 101)
    assert on_demand.gb_seconds == pytest.approx(0.101 * 2)
    assert on_demand.ephemeral_gb_seconds == pytest.approx(0.101 * 1)
    assert on_demand.architecture == "arm64"
    served = rows[("f", "1", True, hour)]
    assert served.requests == 1
    assert served.provisioned_gb_seconds == pytest.approx(3 * 2 * 60)
    assert rows[("f", "$LATEST", False, hour)].billed_ms == 0
    store.rows.clear()
    await meter.flush()
    assert store.rows == []  # nothing new, and nothing written twice


class SlowUsage(MemoryUsage):
    """A store whose write commits only when let go (as a write on a thread would go on
    after the coroutine awaiting it was cancelled)."""

    def __init__(self) -> None:
        super().__init__()
        self.go = asyncio.Event()

    async def add(self, rows: Sequence[UsageRow]) -> None:
        # Cancelling the caller does not stop the write (a thread's work goes on).
        await asyncio.shield(asyncio.ensure_future(self._commit(rows)))

    async def _commit(self, rows: Sequence[UsageRow]) -> None:
        await self.go.wait()
        await super().add(rows)


@pytest.mark.anyio
async def test_a_flush_cancelled_while_it_writes_writes_once() -> None:
    store = SlowUsage()
    meter = Meter(store, lambda: [], 5.0, Clock())
    run(meter, config("1"), duration=10.0)
    flushing = asyncio.get_running_loop().create_task(meter.flush())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    flushing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await flushing
    store.go.set()
    await meter.close()  # the final flush waits for the write, and has nothing more
    assert [(r.requests, r.billed_ms) for r in store.rows] == [(1, 11)]


@pytest.mark.anyio
async def test_a_failed_write_of_a_cancelled_flush_is_kept_for_the_next() -> None:
    store = SlowUsage()
    store.fail = True
    meter = Meter(store, lambda: [], 5.0, Clock())
    run(meter, config("1"), duration=10.0)
    flushing = asyncio.get_running_loop().create_task(meter.flush())
    await asyncio.sleep(0)
    flushing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await flushing
    store.go.set()
    for _ in range(10):  # the write goes on, and fails
        await asyncio.sleep(0)
    assert store.rows == []
    store.fail = False
    await meter.flush()
    assert [(r.requests, r.billed_ms) for r in store.rows] == [(1, 11)]


@pytest.mark.anyio
async def test_provisioned_concurrency_is_split_at_the_hours_it_spans() -> None:
    clock = Clock()
    clock.now = 10 * HOUR - 30
    store = MemoryUsage()
    provisioned = [(config("1", memory_size=1024), 2)]
    meter = Meter(store, lambda: provisioned, 5.0, clock)
    clock.now += 90  # 30 s in the hour before, 60 s in the next
    await meter.flush()
    found = {r.hour: r.provisioned_gb_seconds for r in store.rows}
    assert found == {9 * HOUR: pytest.approx(2 * 30), 10 * HOUR: pytest.approx(2 * 60)}


@pytest.mark.anyio
async def test_tuning_invocations_are_metered_under_the_function_as_tuning() -> None:
    store = MemoryUsage()
    meter = Meter(store, lambda: [], 5.0, Clock())
    run(meter, config("$TRANSIENT.abc.512", memory_size=512), duration=10.0)
    await meter.flush()
    [found] = store.rows
    assert (found.function, found.version, found.memory_mb) == ("f", "$TUNING", 512)
    assert found.requests == 1
