"""How long and how much of the recorded invocations are kept: the plan of one retention
pass, as pure functions (the recorder applies it, ``recording.py``).

A pass looks at the oldest rows (by arrival, at most ``PASS_ROWS`` of them) and deletes
the run of them, oldest first, that either started before the age cutoff or is needed
to bring the stored bytes from over the size cap down to the low-water mark (a little
below the cap, so a busy server does not run a pass after every burst). A pass is short
however far behind retention is; the recorder runs passes back to back while one hits
its bound.

Rows arrive in the order invocations finish: one that ran long may sit after rows that
started later, and goes when the rows before it have (at most its duration late).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from altus.awslambda.recording_store import Oldest

#: The most rows one pass deletes.
PASS_ROWS = 1000
#: Over the cap, the oldest rows go until what is left is this share of it.
LOW_WATER = 0.9


@dataclass(frozen=True, slots=True)
class Plan:
    """What one pass deletes: every row up to ``through`` (None: nothing)."""

    through: int | None
    rows: int
    freed: int

    @property
    def more(self) -> bool:
        """Whether another pass should follow at once: this one hit its bound."""
        return self.rows >= PASS_ROWS


def age_cutoff(now: float, retention_seconds: float) -> float:
    """The earliest start time (epoch seconds) retention still keeps at ``now``."""
    return now - retention_seconds


def bytes_to_free(total: int, cap: int) -> int:
    """How many bytes to delete: none while ``total`` is within ``cap``; once over it,
    enough to come down to the low-water mark."""
    if total <= cap:
        return 0
    return total - int(cap * LOW_WATER)


def plan(oldest: Sequence[Oldest], *, cutoff: float, total: int, cap: int) -> Plan:
    """The pass over ``oldest`` (the oldest rows, oldest first) at ``cutoff``, with
    ``total`` bytes stored under a cap of ``cap``."""
    need = bytes_to_free(total, cap)
    rows = freed = 0
    for row in oldest[:PASS_ROWS]:
        if row.started >= cutoff and freed >= need:
            break
        rows += 1
        freed += row.size
    return Plan(oldest[rows - 1].seq if rows else None, rows, freed)
