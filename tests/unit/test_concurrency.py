"""Concurrency accounting with reservations (pure)."""

import pytest

from altus.engine.concurrency import ACCOUNT_EXCEEDED, RESERVED_EXCEEDED, Concurrency
from altus.engine.errors import TooManyRequests


def reason(concurrency: Concurrency, function: str) -> str:
    with pytest.raises(TooManyRequests) as throttled:
        concurrency.admit(function)
    return throttled.value.reason


def test_reserved_functions_have_pools_of_their_own():
    concurrency = Concurrency(limit=4)
    concurrency.reserve("r", 2)
    assert concurrency.unreserved == 2
    held = [concurrency.admit("r"), concurrency.admit("r")]
    assert reason(concurrency, "r") == RESERVED_EXCEEDED
    shared = [concurrency.admit("a"), concurrency.admit("b")]
    assert reason(concurrency, "c") == ACCOUNT_EXCEEDED
    held[0].release()
    held[0].release()  # once only
    assert concurrency.running("r") == 1
    concurrency.admit("r")
    for slot in shared:
        slot.release()
    assert concurrency.in_flight == 2


def test_zero_disables_and_changes_keep_slots_in_their_pool():
    concurrency = Concurrency(limit=3)
    concurrency.reserve("f", 0)
    assert reason(concurrency, "f") == RESERVED_EXCEEDED
    concurrency.reserve("f", None)
    slot = concurrency.admit("f")  # from the shared pool
    concurrency.reserve("f", 1)
    assert concurrency.admit("f") is not None  # the reserved pool is still empty
    slot.release()  # goes back to the shared pool, not the reservation
    assert concurrency.running("f") == 1 and concurrency.in_flight == 1
