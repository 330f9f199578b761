"""Counters of asynchronous invocation, per function, since the server started."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass


@dataclass(slots=True)
class FunctionCounters:
    received: int = 0  # Event invokes accepted
    succeeded: int = 0  # ended in success
    failed: int = 0  # ended in failure handling (retries exhausted, too old)
    retried: int = 0  # function errors given another run
    throttled: int = 0  # attempts throttled (429) or failed by the platform
    dropped: int = 0  # ended with nowhere to go: no destination, no DLQ, or no function
    records_sent: int = 0  # destination and dead-letter records delivered
    records_parked: int = 0  # records parked after failing to reach their target


class AsyncStats:
    def __init__(self) -> None:
        self._by_function: defaultdict[str, FunctionCounters] = defaultdict(FunctionCounters)

    def of(self, function: str) -> FunctionCounters:
        return self._by_function[function]

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {name: asdict(c) for name, c in sorted(self._by_function.items())}
