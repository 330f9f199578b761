"""Throttling: token buckets and buckets by key."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from altus.gateway.deployed import Throttle
from altus.gateway.throttle import Throttles, TokenBucket


def test_bucket_burst_then_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.5)  # one token back after half a second at 2/s
    assert not bucket.take(0.5)
    assert [bucket.take(10.0) for _ in range(4)] == [True, True, True, False]  # capped at burst


def test_bucket_clock_going_back_adds_nothing() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, now=5.0)
    assert bucket.take(5.0)
    assert not bucket.take(4.0)


@given(
    rate=st.floats(min_value=0.0, max_value=100.0),
    burst=st.integers(min_value=0, max_value=50),
    steps=st.lists(st.floats(min_value=0.0, max_value=2.0), max_size=60),
)
def test_bucket_never_exceeds_burst_plus_refill(
    rate: float, burst: int, steps: list[float]
) -> None:
    bucket = TokenBucket(rate, burst, 0.0)
    now, taken = 0.0, 0
    for step in steps:
        now += step
        taken += bucket.take(now)
    assert taken <= burst + rate * now + 1e-6


def test_unlimited_throttle_allows_all_and_keeps_nothing() -> None:
    throttles = Throttles()
    assert all(throttles.allow("k", Throttle(), 0.0) for _ in range(100))
    assert len(throttles) == 0


def test_buckets_by_key() -> None:
    throttles = Throttles()
    limit = Throttle(rate=1.0, burst=1)
    assert throttles.allow("a", limit, 0.0)
    assert not throttles.allow("a", limit, 0.0)
    assert throttles.allow("b", limit, 0.0)  # another key has its own bucket
    assert throttles.allow("a", Throttle(rate=1.0, burst=2), 0.0)  # a changed limit: anew


def test_rate_without_burst() -> None:
    throttles = Throttles()
    limit = Throttle(rate=2.0)
    assert [throttles.allow("k", limit, 0.0) for _ in range(3)] == [True, True, False]


def test_bounded_dropping_least_recently_used() -> None:
    throttles = Throttles(cap=3)
    limit = Throttle(rate=0.0, burst=1)
    for key in ("a", "b", "c"):
        assert throttles.allow(key, limit, 0.0)
    assert not throttles.allow("a", limit, 0.0)  # "a" is now the most recent
    assert throttles.allow("d", limit, 0.0)  # drops "b"
    assert len(throttles) == 3
    assert throttles.allow("b", limit, 0.0)  # "b" starts again, full
    assert not throttles.allow("a", limit, 0.0)  # "a" was kept
