"""Concurrency accounting: invocations in flight, against the account's limit and the
functions' reservations.

As on Lambda, a function with reserved concurrency runs in a pool of its own of that
size (0: it does not run at all), and every other function shares what the reservations
leave of the account limit. An invoke that finds its pool full is throttled (429) with
the reason Lambda gives. Everything here runs on the event loop thread.
"""

from __future__ import annotations

from altus.engine.errors import TooManyRequests

RESERVED_EXCEEDED = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_EXCEEDED = "ConcurrentInvocationLimitExceeded"


class Slot:
    """One admitted invocation; ``release`` gives its place back (once)."""

    __slots__ = ("_function", "_owner", "_reserved")

    def __init__(self, owner: Concurrency, function: str, reserved: bool) -> None:
        self._owner: Concurrency | None = owner
        self._function = function
        self._reserved = reserved

    def release(self) -> None:
        owner, self._owner = self._owner, None
        if owner is not None:
            owner._leave(self._function, self._reserved)


class Concurrency:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._reserved: dict[str, int] = {}
        self._in_pool: dict[str, int] = {}  # reserved functions' invokes in their pools
        self._running: dict[str, int] = {}  # every function's invokes in flight
        self._unreserved_in_flight = 0
        self.in_flight = 0

    # --- reservations (set by the control layer's changes) -------------------------------

    def reserve(self, function: str, reservation: int | None) -> None:
        """Give ``function`` a pool of its own (None: back to the shared one). Invokes in
        flight finish in the pool they were admitted to."""
        if reservation is None:
            self._reserved.pop(function, None)
        else:
            self._reserved[function] = reservation

    def reservation(self, function: str) -> int | None:
        return self._reserved.get(function)

    @property
    def unreserved(self) -> int:
        """The shared pool's size: what the reservations leave of the account limit."""
        return max(self.limit - sum(self._reserved.values()), 0)

    @property
    def unreserved_in_flight(self) -> int:
        """Invokes in flight in the shared pool (Lambda's UnreservedConcurrentExecutions)."""
        return self._unreserved_in_flight

    def running(self, function: str) -> int:
        """``function``'s invocations in flight (Lambda's ConcurrentExecutions)."""
        return self._running.get(function, 0)

    def has_room(self, function: str) -> bool:
        """Whether an invoke of ``function`` would be admitted now (pollers ask before
        they take a batch they could not run)."""
        reservation = self._reserved.get(function)
        if reservation is not None:
            return self._in_pool.get(function, 0) < reservation
        return self._unreserved_in_flight < self.unreserved

    # --- admission -----------------------------------------------------------------------

    def admit(self, function: str) -> Slot:
        """A place for one invoke of ``function``, or TooManyRequests."""
        reservation = self._reserved.get(function)
        if reservation is not None:
            in_pool = self._in_pool.get(function, 0)
            if in_pool >= reservation:
                raise TooManyRequests("Rate Exceeded.", RESERVED_EXCEEDED)
            self._in_pool[function] = in_pool + 1
        else:
            if self._unreserved_in_flight >= self.unreserved:
                raise TooManyRequests("Rate Exceeded.", ACCOUNT_EXCEEDED)
            self._unreserved_in_flight += 1
        self._running[function] = self._running.get(function, 0) + 1
        self.in_flight += 1
        return Slot(self, function, reservation is not None)

    def _leave(self, function: str, reserved: bool) -> None:
        self.in_flight -= 1
        _decrement(self._running, function)
        if reserved:
            _decrement(self._in_pool, function)
        else:
            self._unreserved_in_flight -= 1


def _decrement(counts: dict[str, int], function: str) -> None:
    left = counts.get(function, 1) - 1
    if left > 0:
        counts[function] = left
    else:
        counts.pop(function, None)
