"""Lambda's CloudWatch metrics (the ``AWS/Lambda`` namespace), and the metrics functions
write into their logs in the embedded metric format.

An invocation hook and a ``MetricSource``: on the invocation path it only adds to a few
numbers in memory, per (function, ARN as invoked, executed version, second); the
expansion into the series Lambda publishes, and the parsing of EMF log lines (which the
hot path only spots and keeps), happen in ``drain``, off the path.

Each invocation is published, as on Lambda, under the dimension sets
- none (the account: every function of the region),
- ``FunctionName``,
- ``FunctionName`` + ``Resource`` (``name:qualifier``) when a version or alias was
  invoked,
- ``FunctionName`` + ``Resource`` + ``ExecutedVersion`` when an alias was invoked (which
  version of a weighted alias ran).

An invocation of a transient version (``altus tune``'s) is published under the first two
only: the transient version is no version or alias a user can name.

Counts (Invocations, Errors, Throttles ...) are one datum per event (Errors is 0 for an
invocation that succeeded, so its Average is the error rate). ConcurrentExecutions is
the most in flight between two drains (timestamped at the drain: the invocation path
reads no clock for it), per function and in all; ProvisionedConcurrentExecutions the
most provisioned environments busy, seen as each invocation on one ends.

EMF log lines are kept between drains within ``MAX_PENDING_EMF`` lines and
``MAX_PENDING_EMF_CHARS`` characters (what is over is dropped, counted in
``emf_dropped`` and logged at the next drain), and a drain parses them for at most
``EMF_SLICE_SECONDS`` (at least one line): the rest waits for the next drain, so a flood
of them never holds the event loop for long.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from altus.control.arns import LATEST, is_version
from altus.control.functions import TRANSIENT_PREFIX
from altus.control.model import FunctionConfig
from altus.engine.concurrency import Concurrency
from altus.engine.hooks import InvocationHook
from altus.engine.results import InvokeInput, InvokeResult
from altus.observe import emf
from altus.observe.metrics import Aggregate, Dimensions, SeriesKey, Statistics

log = logging.getLogger(__name__)

NAMESPACE = "AWS/Lambda"
COUNT, MILLISECONDS, NONE = "Count", "Milliseconds", "None"
#: EMF log lines kept between drains at most, and their characters at most (more are
#: dropped: a flood of them must not grow memory without bound).
MAX_PENDING_EMF = 10_000
MAX_PENDING_EMF_CHARS = 4 * 1024 * 1024
#: How long one drain may spend parsing EMF lines (the rest waits for the next drain):
#: a document costs about 0.1 to 1 microsecond a character to parse.
EMF_SLICE_SECONDS = 0.025

#: (function, qualifier) -> the provisioned concurrency configured for it (0: none).
ProvisionedLookup = Callable[[str, str], int]

_DEAD_LETTER = "DeadLetter"


@dataclass(slots=True)
class _Cell:
    """One (function, invoked ARN, executed version, second)'s invocations."""

    invocations: int = 0
    errors: int = 0
    provisioned: int = 0
    #: Kept as they come (an append); bucketed at the drain.
    durations: list[float] = field(default_factory=list)


class LambdaMetrics(InvocationHook):
    def __init__(
        self,
        concurrency: Concurrency,
        provisioned: ProvisionedLookup,
        clock: Callable[[], float] = time.time,
        emf_slice_seconds: float = EMF_SLICE_SECONDS,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._concurrency = concurrency
        self._provisioned_of = provisioned
        self._now = clock
        self._cells: dict[tuple[str, str, str, int], _Cell] = {}
        #: (metric, function, qualifier, second) -> a count or a distribution.
        self._counts: dict[tuple[str, str, str | None, int], float] = {}
        self._stats: dict[tuple[str, str, str | None, int], Statistics] = {}
        #: (metric, function or "", qualifier, second) -> the largest value seen.
        self._peaks: dict[tuple[str, str, str | None, int], float] = {}
        #: The most invocations in flight since the last drain: per function, in all,
        #: and in the unreserved pool.
        self._most: dict[str, int] = {}
        self._most_total = 0
        self._most_unreserved = 0
        #: Invocations in flight on a provisioned environment: request id -> (function,
        #: version) and how many of its provisioned environments were busy then.
        self._on_provisioned: dict[str, tuple[tuple[str, str], int]] = {}
        self._provisioned_running: dict[tuple[str, str], int] = {}
        self._emf: deque[str] = deque()
        self._emf_chars = 0
        self._emf_slice = emf_slice_seconds
        self._timer = timer
        #: EMF lines dropped over the pending bounds: since the start, and since the
        #: last drain (logged there).
        self.emf_dropped = 0
        self._emf_dropped_since = 0

    # --- the invocation path: a few additions ----------------------------------------------

    def admitted(self, config: FunctionConfig, request_id: str) -> None:
        # The most in flight since the last drain (published at the drain's second).
        name = config.name
        concurrency = self._concurrency
        running = concurrency.running(name)
        if running > self._most.get(name, 0):
            self._most[name] = running
        if concurrency.in_flight > self._most_total:
            self._most_total = concurrency.in_flight
        if concurrency.unreserved_in_flight > self._most_unreserved:
            self._most_unreserved = concurrency.unreserved_in_flight

    def served_provisioned(self, config: FunctionConfig, request_id: str) -> None:
        # Counted by version; the Resource (the ARN it was invoked by) is known at its end.
        key = (config.name, config.version)
        busy = self._provisioned_running[key] = self._provisioned_running.get(key, 0) + 1
        self._on_provisioned[request_id] = (key, busy)

    def finished(self, config: FunctionConfig, given: InvokeInput, result: InvokeResult) -> None:
        name = config.name
        second = int(self._now())
        arn = given.invoked_arn
        if config.version.startswith(TRANSIENT_PREFIX):
            arn = ""  # no Resource nor ExecutedVersion: the account and function only
        key = (name, arn, config.version, second)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = _Cell()
        cell.invocations += 1
        if result.function_error is not None:
            cell.errors += 1
        usage = result.usage
        if usage is not None:
            cell.durations.append(usage.duration_ms)
        if self._on_provisioned:
            served = self._on_provisioned.pop(given.request_id, None)
            if served is not None:
                cell.provisioned += 1
                version_key, busy = served
                self._provisioned_running[version_key] -= 1
                self._peak(
                    "ProvisionedConcurrentExecutions",
                    name,
                    _qualifier(given.invoked_arn),
                    second,
                    busy,
                )
        for event in result.log:
            message = event.message
            if emf.MARKER in message:
                chars = self._emf_chars + len(message)
                if chars <= MAX_PENDING_EMF_CHARS and len(self._emf) < MAX_PENDING_EMF:
                    self._emf.append(message)
                    self._emf_chars = chars
                else:
                    self.emf_dropped += 1
                    self._emf_dropped_since += 1

    def throttled(self, function: str, reason: str) -> None:
        self._count("Throttles", function, None)

    def event_received(self, function: str, qualifier: str | None) -> None:
        self._count("AsyncEventsReceived", function, qualifier)

    def event_started(self, function: str, qualifier: str | None, age_ms: int) -> None:
        self._distribution("AsyncEventAge", function, qualifier, age_ms)

    def event_ended(self, function: str, event_id: str, condition: str) -> None:
        if condition != "Success":
            self._count("AsyncEventsDropped", function, None)

    def delivery_failed(self, function: str, kind: str) -> None:
        metric = "DeadLetterErrors" if kind == _DEAD_LETTER else "DestinationDeliveryFailures"
        self._count(metric, function, None)

    def iterator_age(self, function: str, qualifier: str | None, age_ms: int) -> None:
        self._distribution("IteratorAge", function, qualifier, age_ms)

    def _count(self, metric: str, function: str, qualifier: str | None) -> None:
        key = (metric, function, qualifier, int(self._now()))
        self._counts[key] = self._counts.get(key, 0.0) + 1

    def _distribution(
        self, metric: str, function: str, qualifier: str | None, value: float
    ) -> None:
        key = (metric, function, qualifier, int(self._now()))
        found = self._stats.get(key)
        if found is None:
            found = self._stats[key] = Statistics()
        found.add(value)

    def _peak(
        self, metric: str, function: str, qualifier: str | None, second: int, value: float
    ) -> None:
        key = (metric, function, qualifier, second)
        if value > self._peaks.get(key, 0.0):
            self._peaks[key] = value

    # --- off the path: the series ----------------------------------------------------------

    def drain(self) -> Iterable[Aggregate]:
        cells, self._cells = self._cells, {}
        counts, self._counts = self._counts, {}
        stats, self._stats = self._stats, {}
        second = int(self._now())
        most, self._most = self._most, {}
        for name, running in most.items():
            self._peak("ConcurrentExecutions", name, None, second, running)
        self._peak("ConcurrentExecutions", "", None, second, self._most_total)
        self._peak("UnreservedConcurrentExecutions", "", None, second, self._most_unreserved)
        # Still running: they count in the next interval too.
        self._most = {name: busy for name in most if (busy := self._concurrency.running(name))}
        self._most_total = self._concurrency.in_flight
        self._most_unreserved = self._concurrency.unreserved_in_flight
        if self._concurrency.in_flight == 0:
            # Nothing runs: forget counts an invocation cut short (never finished) left.
            self._on_provisioned.clear()
            self._provisioned_running.clear()
        peaks, self._peaks = self._peaks, {}
        out = _Series()
        for (name, arn, version, at), cell in cells.items():
            qualifier = _qualifier(arn)
            sets = _sets(name, qualifier, version)
            out.count("Invocations", sets, at, cell.invocations)
            out.count("Errors", sets, at, cell.errors, of=cell.invocations)
            if cell.durations:
                durations = Statistics()
                # Durations repeat (hundredths of a millisecond): each value once.
                for value, times in Counter(cell.durations).items():
                    durations.add(value, times)
                out.merge("Duration", sets, at, durations, MILLISECONDS)
            if qualifier is not None and self._provisioned_of(name, qualifier) > 0:
                resource = sets[:3]
                out.count("ProvisionedConcurrencyInvocations", resource, at, cell.provisioned)
                out.count(
                    "ProvisionedConcurrencySpilloverInvocations",
                    resource,
                    at,
                    cell.invocations - cell.provisioned,
                )
        for (metric, name, qualifier, at), n in counts.items():
            out.count(metric, _sets(name, qualifier, None), at, n)
        for (metric, name, qualifier, at), values in stats.items():
            out.merge(metric, _sets(name, qualifier, None), at, values, MILLISECONDS)
        for (metric, name, qualifier, at), value in peaks.items():
            if not name:
                out.merge(metric, [()], at, _one(value), COUNT)
                continue
            sets = _sets(name, qualifier, None)[1:]
            out.merge(metric, sets, at, _one(value), COUNT)
            if metric == "ProvisionedConcurrentExecutions" and qualifier is not None:
                requested = self._provisioned_of(name, qualifier)
                if requested > 0:
                    out.merge(
                        "ProvisionedConcurrencyUtilization",
                        sets[1:],
                        at,
                        _one(min(value / requested, 1.0)),
                        NONE,
                    )
        yield from self._parse_emf()
        yield from out.aggregates()

    def _parse_emf(self) -> Iterable[Aggregate]:
        """Parse pending EMF lines for at most the slice's time (one line at least)."""
        if self._emf_dropped_since:
            log.warning(
                "%d EMF log line(s) dropped: more were pending than %d lines or %d characters",
                self._emf_dropped_since,
                MAX_PENDING_EMF,
                MAX_PENDING_EMF_CHARS,
            )
            self._emf_dropped_since = 0
        pending = self._emf
        if not pending:
            return []
        now = self._now()
        found: list[Aggregate] = []
        deadline = self._timer() + self._emf_slice
        while pending:
            message = pending.popleft()
            self._emf_chars -= len(message)
            found.extend(emf.parse(message, now))
            if self._timer() >= deadline:
                break
        return found


class _Series:
    """Aggregates being built, by series and second."""

    def __init__(self) -> None:
        self._found: dict[tuple[SeriesKey, int], Aggregate] = {}

    def _of(self, name: str, dims: Dimensions, at: int, unit: str) -> Statistics:
        key = SeriesKey(NAMESPACE, name, dims, unit)
        found = self._found.get((key, at))
        if found is None:
            found = self._found[(key, at)] = Aggregate(key, at, Statistics())
        return found.values

    def count(
        self, name: str, sets: list[Dimensions], at: int, n: float, of: float | None = None
    ) -> None:
        """``n`` events (a datum of 1 each), and ``of - n`` zeros where the metric is a
        rate (Errors)."""
        zeros = (of - n) if of is not None else 0
        if n <= 0 and zeros <= 0:
            return
        for dims in sets:
            values = self._of(name, dims, at, COUNT)
            if n > 0:
                values.add(1.0, n)
            if zeros > 0:
                values.add(0.0, zeros)

    def merge(
        self, name: str, sets: list[Dimensions], at: int, values: Statistics, unit: str
    ) -> None:
        for dims in sets:
            self._of(name, dims, at, unit).merge(values)

    def aggregates(self) -> Iterable[Aggregate]:
        return self._found.values()


def _one(value: float) -> Statistics:
    values = Statistics()
    values.add(value)
    return values


def _qualifier(arn: str) -> str | None:
    """The qualifier of a function ARN (``...:function:name:qualifier``), if any."""
    parts = arn.split(":", 7)
    return parts[7] if len(parts) == 8 and parts[7] else None


def _sets(name: str, qualifier: str | None, version: str | None) -> list[Dimensions]:
    """The dimension sets an event of ``name`` (invoked as ``qualifier``, run as
    ``version``) is published under: the account, the function, its Resource and, for an
    alias, the version the alias ran."""
    sets: list[Dimensions] = [(), (("FunctionName", name),)]
    if qualifier is not None:
        resource = f"{name}:{qualifier}"
        sets.append((("FunctionName", name), ("Resource", resource)))
        if version is not None and qualifier != LATEST and not is_version(qualifier):
            sets.append(
                (("ExecutedVersion", version), ("FunctionName", name), ("Resource", resource))
            )
    return sets
