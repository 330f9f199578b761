"""The platform's own log lines: START, END, REPORT, INIT_REPORT and timeouts.

Billing follows Lambda since 1 Aug 2025: durations are rounded up to the next 1 ms, and
on a cold start of an on-demand function the INIT phase is billed too, so Billed Duration
includes Init Duration.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


def iso_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


@dataclass(frozen=True, slots=True)
class Report:
    request_id: str
    duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None
    status: str | None = None  # "timeout", "error" when the invoke did not complete
    error_type: str | None = None

    @property
    def billed_ms(self) -> int:
        billed = self.duration_ms + (self.init_duration_ms or 0.0)
        return max(1, math.ceil(billed))

    def line(self) -> str:
        fields = [
            f"REPORT RequestId: {self.request_id}",
            f"Duration: {self.duration_ms:.2f} ms",
            f"Billed Duration: {self.billed_ms} ms",
            f"Memory Size: {self.memory_size_mb} MB",
            f"Max Memory Used: {self.max_memory_used_mb} MB",
        ]
        if self.init_duration_ms is not None:
            fields.append(f"Init Duration: {self.init_duration_ms:.2f} ms")
        if self.status:
            fields.append(f"Status: {self.status}")
        if self.error_type:
            fields.append(f"Error Type: {self.error_type}")
        return "\t".join(fields)


def init_report_line(duration_ms: float, status: str, error_type: str | None) -> str:
    line = f"INIT_REPORT Init Duration: {duration_ms:.2f} ms\tPhase: init\tStatus: {status}"
    if error_type:
        line += f"\tError Type: {error_type}"
    return line


def timeout_line(request_id: str, seconds: float) -> str:
    return f"{iso_now()} {request_id} Task timed out after {seconds:.2f} seconds"
