"""Power tuning's data and arithmetic (pure): a tuning job, what each memory size
measured, and the three best sizes.

The rules, as ``docs/tune.md`` states them:

- P50/P95 are nearest-rank percentiles of the INVOKE durations of a size's successful
  measured runs (the warm-up run is left out: its cold start is reported on its own, as
  ``InitDurationMs``).
- CostPerMillion is the mean of each successful run's on-demand price
  (``altus.prices.invocation_cost``: request + billed duration at that memory +
  ephemeral storage past 512 MB), times a million.
- ``Errors`` counts the failed measured runs (never more than ``Runs``); a failed
  warm-up is reported apart, as ``WarmUpFailed``. A size with any failed invocation (the
  warm-up included) is *failing*: it is reported, but never a best size.
- Cost: the lowest CostPerMillion. Speed: the lowest P50 (the median a caller waits;
  P95 is shown beside it). Balanced: the lowest ``0.5 * cost / max cost + 0.5 * p50 /
  max p50`` over the sizes that did not fail: AWS Lambda Power Tuning's "balanced"
  strategy with its default ``balancedWeight`` of 0.5 (it normalises each by its
  maximum too). Ties go to the smaller memory size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

RUNNING, SUCCEEDED, FAILED = "RUNNING", "SUCCEEDED", "FAILED"

#: Power Tuning's default weight of cost against time in its balanced strategy.
BALANCED_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class SizeResult:
    """What one memory size measured."""

    memory_size: int
    runs: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    average_billed_ms: float | None
    init_duration_ms: float | None
    cost_per_million: float | None
    warm_up_failed: bool = False

    @property
    def failing(self) -> bool:
        return (
            self.errors > 0
            or self.warm_up_failed
            or self.p50_ms is None
            or self.cost_per_million is None
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "MemorySize": self.memory_size,
            "Runs": self.runs,
            "Errors": self.errors,
            "P50Ms": self.p50_ms,
            "P95Ms": self.p95_ms,
            "AverageBilledMs": self.average_billed_ms,
            "InitDurationMs": self.init_duration_ms,
            "CostPerMillion": self.cost_per_million,
            "WarmUpFailed": self.warm_up_failed,
        }

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> SizeResult:
        return cls(
            memory_size=int(data["MemorySize"]),
            runs=int(data["Runs"]),
            errors=int(data["Errors"]),
            p50_ms=data.get("P50Ms"),
            p95_ms=data.get("P95Ms"),
            average_billed_ms=data.get("AverageBilledMs"),
            init_duration_ms=data.get("InitDurationMs"),
            cost_per_million=data.get("CostPerMillion"),
            warm_up_failed=bool(data.get("WarmUpFailed", False)),
        )


@dataclass(frozen=True, slots=True)
class Best:
    cost: int | None = None
    speed: int | None = None
    balanced: int | None = None

    def to_api(self) -> dict[str, Any]:
        return {"Cost": self.cost, "Speed": self.speed, "Balanced": self.balanced}


@dataclass(frozen=True, slots=True)
class Tuning:
    """One tuning job, as stored and as ``GET /_altus/tunings/{id}`` shows it."""

    tuning_id: str
    function: str
    qualifier: str
    memory_sizes: tuple[int, ...]
    payload: str
    runs: int
    parallel: bool
    status: str
    started: float
    ended: float | None = None
    error: str | None = None
    results: tuple[SizeResult, ...] = ()
    best: Best = field(default_factory=Best)

    def replace(self, **changes: Any) -> Tuning:
        return replace(self, **changes)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "TuningId": self.tuning_id,
            "FunctionName": self.function,
            "Qualifier": self.qualifier,
            "Status": self.status,
            "Started": iso(self.started),
            "MemorySizes": list(self.memory_sizes),
            "Runs": self.runs,
            "Best": self.best.to_api(),
        }
        if self.ended is not None:
            out["Ended"] = iso(self.ended)
        if self.error:
            out["Error"] = self.error
        return out

    def to_api(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "Parallel": self.parallel,
            "Results": [r.to_api() for r in self.results],
        }

    # --- persistence -------------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        return {
            "memory_sizes": list(self.memory_sizes),
            "payload": self.payload,
            "runs": self.runs,
            "parallel": self.parallel,
            "error": self.error,
            "results": [r.to_api() for r in self.results],
            "best": self.best.to_api(),
        }

    @classmethod
    def from_record(
        cls,
        tuning_id: str,
        function: str,
        qualifier: str,
        status: str,
        started: float,
        ended: float | None,
        data: dict[str, Any],
    ) -> Tuning:
        best = data.get("best") or {}
        return cls(
            tuning_id=tuning_id,
            function=function,
            qualifier=qualifier,
            memory_sizes=tuple(data["memory_sizes"]),
            payload=data["payload"],
            runs=data["runs"],
            parallel=data["parallel"],
            status=status,
            started=started,
            ended=ended,
            error=data.get("error"),
            results=tuple(SizeResult.from_api(r) for r in data.get("results") or ()),
            best=Best(best.get("Cost"), best.get("Speed"), best.get("Balanced")),
        )


def iso(seconds: float) -> str:
    """A time in ISO 8601, UTC, to the millisecond: ``2026-12-06T07:18:48.120Z``."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``fraction`` of
    the values at or below it. ``values`` must not be empty."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarise(
    memory_size: int,
    runs: int,
    errors: int,
    durations_ms: Sequence[float],
    billed_ms: Sequence[int],
    costs: Sequence[float],
    init_duration_ms: float | None,
    warm_up_failed: bool = False,
) -> SizeResult:
    """A size's result from its successful runs' durations, billed durations and
    per-invocation costs (one each per successful run), its count of failed runs, and
    whether its warm-up failed."""
    if not durations_ms:
        return SizeResult(
            memory_size, runs, errors, None, None, None, init_duration_ms, None, warm_up_failed
        )
    return SizeResult(
        memory_size=memory_size,
        runs=runs,
        errors=errors,
        p50_ms=round(percentile(durations_ms, 0.50), 3),
        p95_ms=round(percentile(durations_ms, 0.95), 3),
        average_billed_ms=round(sum(billed_ms) / len(billed_ms), 3),
        init_duration_ms=init_duration_ms,
        cost_per_million=round(sum(costs) / len(costs) * 1e6, 6),
        warm_up_failed=warm_up_failed,
    )


def best_sizes(results: Sequence[SizeResult], weight: float = BALANCED_WEIGHT) -> Best:
    """The best memory sizes for cost, for speed, and balanced (the module's rules);
    None where every size failed."""
    good = [r for r in results if not r.failing]
    if not good:
        return Best()

    def cost(r: SizeResult) -> float:
        assert r.cost_per_million is not None
        return r.cost_per_million

    def p50(r: SizeResult) -> float:
        assert r.p50_ms is not None
        return r.p50_ms

    max_cost = max(cost(r) for r in good) or 1.0
    max_p50 = max(p50(r) for r in good) or 1.0

    def balanced(r: SizeResult) -> float:
        return weight * cost(r) / max_cost + (1 - weight) * p50(r) / max_p50

    return Best(
        cost=min(good, key=lambda r: (cost(r), p50(r), r.memory_size)).memory_size,
        speed=min(good, key=lambda r: (p50(r), cost(r), r.memory_size)).memory_size,
        balanced=min(good, key=lambda r: (balanced(r), r.memory_size)).memory_size,
    )
