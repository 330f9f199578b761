"""The uids of execution environments, and which of them may be handed out again.

Every environment runs as a uid of its own (from ``uid_base``), and its Runtime API
answers only sockets of that uid, so a uid must never be given to an environment while
something of another function may still run as it. For an environment of a runtime
zygote that is simple: its uid is in use from ``allocate`` to ``release`` (the sandbox is
gone then, its cgroup killed).

A function zygote makes it harder. Its *unit* (the zygote and every process descended
from it, all of them the function's code) owns the user namespaces its environments'
uids are mapped into, and its keepers run as the zygote's uid: a process of the unit may
hold any uid the unit was ever given, after the environment that had it is gone. Such a
uid is *tainted* (``taint``): once released it is reused only by the same zygote's later
environments while the zygote lives, stays out of use (quarantined) once it is closed,
and goes back to the shared pool only when the unit is ``drained``: the zygote closed
and every cgroup of the unit removed with nothing left in it (``FunctionZygote``
counts them and calls ``on_drained``). A unit that never drains (a cgroup that could not
be emptied) keeps its uids out of use for good: fewer uids, never a shared one.

Pure bookkeeping on the event loop: no I/O, no clock.
"""

from __future__ import annotations

from altus.sandbox.backends.linux.zygotes import FunctionZygote
from altus.sandbox.base import SandboxError


class Uids:
    """``count`` uids from ``base``. Each is, at any time, never handed out yet, in use,
    free in the shared pool, free for one function zygote's later environments
    (``FunctionZygote.free_uids``), or quarantined with a closed function zygote."""

    def __init__(self, base: int, count: int) -> None:
        self._base = base
        self._count = count
        self._free: list[int] = []
        self._next = 0
        self._used: set[int] = set()
        #: uid -> the function zygote whose environment it was mapped into.
        self._owners: dict[int, FunctionZygote] = {}

    def allocate(self, zygote: FunctionZygote | None = None) -> int:
        """A uid for a new environment (or function zygote), in use until ``release``.
        For an environment that will fork from ``zygote``, one of the uids its earlier
        environments had when there is one (it is that unit's already); else one from
        the shared pool, else one never handed out. Never a uid in use, nor one tainted
        by a unit other than ``zygote``'s. Raises SandboxError when none is left."""
        if zygote is not None and zygote.free_uids and not zygote.closed:
            uid = zygote.free_uids.pop()
        elif self._free:
            uid = self._free.pop()
        elif self._next < self._count:
            uid = self._base + self._next
            self._next += 1
        else:
            raise SandboxError("no free sandbox uid left")
        self._used.add(uid)
        return uid

    def release(self, uid: int) -> None:
        """A uid an environment is done with (one not in use is ignored). One that was
        mapped into a function zygote's environment stays with that zygote's unit (which
        owns the environment's user namespace, so a process of its making may hold the
        uid still: another function's Runtime API must never answer it): reused by its
        later environments, and back in the shared pool once the unit is drained."""
        if uid not in self._used:
            return
        self._used.discard(uid)
        owner = self._owners.get(uid)
        if owner is None:
            self._free.append(uid)
        elif not owner.closed:
            owner.free_uids.append(uid)
        # else: quarantined with its closed zygote until the unit drains

    def taint(self, uid: int, zygote: FunctionZygote) -> None:
        """``uid`` is ``zygote``'s own or is being mapped into an environment it forked:
        it belongs to that unit from now on, until the unit is ``drained``."""
        self._owners[uid] = zygote
        zygote.uids.add(uid)

    def drained(self, zygote: FunctionZygote) -> None:
        """Nothing of a function zygote's unit is left: its uids are anyone's again
        (those still in use, once released). Its own uid, in use since it started, is
        released with them."""
        self._used.discard(zygote.uid)  # its own, held since it started
        for uid in zygote.uids:
            if self._owners.get(uid) is zygote:
                del self._owners[uid]
            if uid not in self._used:
                self._free.append(uid)
        zygote.uids.clear()
        zygote.free_uids.clear()
