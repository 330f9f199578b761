"""What the engine writes function logs to: a sink of ``LogEvent`` per group and stream.

The Logs service (``altus.logs``) keeps them and serves them through the CloudWatch Logs
API; the engine only needs this much of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LogEvent:
    timestamp: int  # ms since the epoch
    message: str


class LogSink(Protocol):
    def append(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        """Queue events for writing, on the event loop's thread; returns at once (never
        a disk write on the invoke path)."""
        ...
