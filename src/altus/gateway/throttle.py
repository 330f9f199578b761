"""Throttling: token buckets (a steady rate and a burst), kept per key (a stage, a route,
an API key's usage plan) and bounded in number. Pure: time is passed in."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from altus.gateway.deployed import Throttle

#: How many buckets are kept; past this, the least recently used is dropped (it starts
#: full again if its key comes back, which only ever errs toward letting requests in).
MAX_BUCKETS = 10_000


class TokenBucket:
    """``burst`` tokens at most, refilled at ``rate`` per second; a request takes one."""

    __slots__ = ("_burst", "_rate", "_tokens", "_updated")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self._rate = max(rate, 0.0)
        self._burst = max(burst, 0)
        self._tokens = float(self._burst)
        self._updated = now

    def take(self, now: float) -> bool:
        """Whether a request may go now (and, if so, its token is taken)."""
        if now > self._updated:
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class Throttles:
    """Token buckets by key, made on first use."""

    def __init__(self, cap: int = MAX_BUCKETS) -> None:
        self._cap = cap
        self._buckets: OrderedDict[Hashable, tuple[Throttle, TokenBucket]] = OrderedDict()

    def allow(self, key: Hashable, throttle: Throttle, now: float) -> bool:
        """Whether a request under ``key`` may go; True where ``throttle`` sets no limit.
        A changed throttle for a key starts a new bucket."""
        if throttle.rate is None and throttle.burst is None:
            return True
        kept = self._buckets.get(key)
        if kept is None or kept[0] != throttle:
            rate = throttle.rate if throttle.rate is not None else float("inf")
            # A rate without a burst lets through one request at a time at that rate.
            burst = throttle.burst if throttle.burst is not None else max(1, int(rate))
            kept = (throttle, TokenBucket(rate, burst, now))
            self._buckets[key] = kept
            while len(self._buckets) > self._cap:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return kept[1].take(now)

    def __len__(self) -> int:
        return len(self._buckets)
