"""Recorded invocations, the pure parts: how a replay's log and result are compared
(``altus.awslambda.recording_diff``), the plan of a retention pass
(``recording_retention``), and what a finished invocation becomes (``recording``)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

from altus.awslambda import recording_retention as retention
from altus.awslambda.recording import capture, qualifier_of
from altus.awslambda.recording_diff import (
    MAX_DIFF_LINES,
    MAX_OUTPUT_LINES,
    compare,
    normalise_log,
    result_diff,
)
from altus.awslambda.recording_store import ROW_OVERHEAD, Oldest, Recording
from altus.engine.results import InvokeInput, InvokeResult, Usage
from altus.observe.logs import LogEvent

A = "11111111-1111-1111-1111-111111111111"
B = "22222222-2222-2222-2222-222222222222"
TRACE_A = "Root=1-6b150cf6-d4fedf369573c14d2fad3f0c;Parent=adf1970377fa6e51;Sampled=0"
TRACE_B = "Root=1-6b150cf7-443b45466f71888cf3721423;Parent=6bb7e35952b94f5c;Sampled=0"


def log_of(request_id: str, *printed: str, cold: bool = False, ms: str = "0.57") -> tuple[str, ...]:
    init = ("INIT_START Runtime Version: python3.12.altus\tRuntime Version ARN: x",) if cold else ()
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {ms} ms\tBilled Duration: 14 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 31 MB"
    )
    if cold:
        report += "\tInit Duration: 13.24 ms"
    return (
        *init,
        f"START RequestId: {request_id} Version: $LATEST",
        *printed,
        f"END RequestId: {request_id}",
        report,
    )


def recording(request_id: str = A, trace: str = TRACE_A, **changes: object) -> Recording:
    made = Recording(
        request_id=request_id,
        function="f",
        qualifier="$LATEST",
        executed_version="$LATEST",
        started=1_700_000_000.0,
        event=b'{"x": 1}',
        client_context=None,
        trace_id=trace,
        result=b'{"a": 1, "b": [1, 2]}',
        content_type="application/json",
        function_error=None,
        error_type=None,
        duration_ms=0.5,
        billed_ms=1,
        memory_size_mb=128,
        max_memory_used_mb=31,
        init_duration_ms=None,
        log=log_of(request_id, "hello"),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


# --- normalising logs ---------------------------------------------------------------------------


def test_ids_times_durations_and_memory_are_normalised() -> None:
    printed = f"[INFO]\t2026-12-06T07:21:26.957Z\t{A}\ttrace {TRACE_A}"
    lines = normalise_log(log_of(A, printed, ms="3.10"), A, TRACE_A)
    assert lines == [
        "START RequestId: <request-id> Version: $LATEST",
        "[INFO]\t<time>\t<request-id>\ttrace <trace-id>",
        "END RequestId: <request-id>",
        "REPORT RequestId: <request-id>\tDuration: <ms>\tBilled Duration: <ms>\t"
        "Memory Size: <mb>\tMax Memory Used: <mb>",
    ]


def test_cold_start_lines_are_not_a_difference() -> None:
    cold = normalise_log(log_of(A, "hello", cold=True), A, TRACE_A)
    warm = normalise_log(log_of(B, "hello"), B, TRACE_B)
    assert cold == warm


def test_a_trace_root_printed_alone_is_normalised() -> None:
    assert normalise_log(("root 1-6b150cf6-d4fedf369573c14d2fad3f0c",), A, TRACE_A) == [
        "root <trace-root>"
    ]


def test_a_message_of_several_lines_is_compared_line_by_line() -> None:
    assert normalise_log(("Traceback:\n  line 1\n",), A, "") == ["Traceback:", "  line 1"]


def test_what_a_function_prints_differently_is_a_difference() -> None:
    compared = compare(
        recording(log=log_of(A, "count 1")),
        recording(B, TRACE_B, log=log_of(B, "count 2")),
    )
    assert not compared.same
    assert compared.result_diff == []
    assert "-count 1" in compared.log_diff and "+count 2" in compared.log_diff


# --- comparing results --------------------------------------------------------------------------


def test_equal_runs_are_the_same() -> None:
    compared = compare(recording(), recording(B, TRACE_B, duration_ms=9.0))
    assert compared.same and compared.result_diff == [] and compared.log_diff == []


def test_json_results_are_compared_pretty_printed_with_keys_sorted() -> None:
    assert result_diff(b'{"b": 1, "a": 2}', b'{"a":2,"b":1}') == []
    diff = result_diff(b'{"a": 1, "b": 2}', b'{"a": 1, "b": 3}')
    assert diff[:2] == ["--- original", "+++ replay"]
    assert '-  "b": 2' in diff and '+  "b": 3' in diff


def test_results_that_are_not_both_json_are_compared_as_text() -> None:
    diff = result_diff(b"plain\ntext", b'{"a": 1}')
    assert "-plain" in diff and '+{"a": 1}' in diff
    assert result_diff(b"\xff\xfe", b"\xff\xfe") == []


def test_a_function_error_alone_is_a_difference() -> None:
    compared = compare(recording(), recording(B, TRACE_B, function_error="Unhandled"))
    assert not compared.same
    assert any("Unhandled" in line for line in compared.result_diff)


# --- retention planning -------------------------------------------------------------------------


def test_age_cutoff() -> None:
    assert retention.age_cutoff(1000.0, 60.0) == 940.0


def test_nothing_to_free_within_the_cap() -> None:
    assert retention.bytes_to_free(100, 100) == 0
    assert retention.bytes_to_free(0, 100) == 0


def test_over_the_cap_frees_down_to_the_low_water_mark() -> None:
    assert retention.bytes_to_free(101, 100) == 101 - int(100 * retention.LOW_WATER)


def rows(*started: float, size: int = 10) -> list[Oldest]:
    return [Oldest(seq, size, at) for seq, at in enumerate(started, start=1)]


def test_a_pass_deletes_the_oldest_rows_that_started_before_the_cutoff() -> None:
    plan = retention.plan(rows(1.0, 2.0, 5.0, 3.0), cutoff=4.0, total=40, cap=100)
    assert plan == retention.Plan(through=2, rows=2, freed=20)
    assert not plan.more


def test_a_row_that_arrived_late_waits_for_the_rows_before_it() -> None:
    # Row 3 started late (5.0); row 4 started early but finished after it.
    plan = retention.plan(rows(5.0, 1.0), cutoff=4.0, total=20, cap=100)
    assert plan.through is None and plan.rows == 0


def test_over_the_cap_the_oldest_go_whatever_their_age() -> None:
    plan = retention.plan(rows(10.0, 11.0, 12.0, 13.0), cutoff=0.0, total=120, cap=100)
    # 120 bytes stored, 90 kept: the two oldest (20 bytes) would not do, three do.
    assert plan == retention.Plan(through=3, rows=3, freed=30)


def test_age_and_size_together_take_the_longer_run() -> None:
    plan = retention.plan(rows(1.0, 2.0, 12.0, 13.0), cutoff=3.0, total=105, cap=100)
    assert plan.through == 2  # the aged two free 20 bytes, more than the 15 needed
    plan = retention.plan(rows(1.0, 12.0, 13.0), cutoff=3.0, total=125, cap=100)
    assert plan.through == 3


def test_nothing_to_do() -> None:
    assert retention.plan([], cutoff=10.0, total=0, cap=100).through is None
    assert retention.plan(rows(20.0), cutoff=10.0, total=10, cap=100).rows == 0


def test_a_pass_is_bounded_and_asks_for_another() -> None:
    many = rows(*([1.0] * (retention.PASS_ROWS + 5)))
    plan = retention.plan(many, cutoff=2.0, total=0, cap=100)
    assert plan.rows == retention.PASS_ROWS and plan.through == retention.PASS_ROWS
    assert plan.more


# --- capturing ----------------------------------------------------------------------------------


def test_the_qualifier_comes_from_the_arn_invoked() -> None:
    arn = "arn:aws:lambda:us-east-1:000000000000:function:f"
    assert qualifier_of(arn) == "$LATEST"
    assert qualifier_of(arn + ":live") == "live"
    assert qualifier_of(arn + ":3") == "3"


def test_a_finished_invocation_becomes_a_recording() -> None:
    given = InvokeInput(
        request_id=A,
        payload=b'{"x": 1}',
        invoked_arn="arn:aws:lambda:us-east-1:000000000000:function:f:live",
        client_context='{"custom": {}}',
        trace_id=TRACE_A,
        started=1_700_000_000.5,
    )
    result = InvokeResult(
        request_id=A,
        payload=b'{"ok": true}',
        executed_version="2",
        function_error=None,
        error_type=None,
        log_tail=None,
        content_type="application/json",
        usage=Usage(1.5, 2, 256, 40, init_duration_ms=12.0),
        log=[LogEvent(1, "START"), LogEvent(2, "END")],
    )
    made = capture("f", given, result)
    assert (made.qualifier, made.executed_version, made.started) == ("live", "2", 1_700_000_000.5)
    assert (made.billed_ms, made.memory_size_mb, made.init_duration_ms) == (2, 256, 12.0)
    assert made.log == ("START", "END")
    assert made.size == 8 + 12 + 14 + 6 + 4 + ROW_OVERHEAD


def test_an_invocation_whose_environment_failed_has_no_usage() -> None:
    given = InvokeInput(request_id=A, payload=b"{}", invoked_arn="arn:aws:lambda:r:1:function:f")
    result = InvokeResult(A, b"{}", "$LATEST", "Unhandled", "Runtime.ExitError", None)
    made = capture("f", given, result)
    assert made.duration_ms is None and made.memory_size_mb is None
    assert made.function_error == "Unhandled"


# --- large diffs --------------------------------------------------------------------------------


def test_equal_sides_are_not_diffed() -> None:
    big = b"[" + b",".join(b'{"id": %d}' % i for i in range(50_000)) + b"]"
    assert result_diff(big, big) == []


def test_sides_too_large_to_diff_are_told_by_size_and_hash() -> None:
    # 0.6 MB of JSON that differs on every other line: line by line, minutes of CPU.
    before = json.dumps([{"id": i, "at": uuid.uuid4().hex} for i in range(10_000)]).encode()
    after = json.dumps([{"id": i, "at": uuid.uuid4().hex} for i in range(10_000)]).encode()
    diff = result_diff(before, after)
    assert diff[:3] == ["--- original", "+++ replay", "@@ differ (too large to diff) @@"]
    assert diff[3].startswith("-40002 lines, ") and "sha256 " in diff[3]
    assert len(diff) == 5
    logs = compare(
        recording(log=tuple(f"took {uuid.uuid4()}" for _ in range(MAX_DIFF_LINES + 1))),
        recording(log=tuple(f"took {uuid.uuid4()}" for _ in range(MAX_DIFF_LINES + 1))),
    ).log_diff
    assert logs[2] == "@@ differ (too large to diff) @@"


def test_a_long_diff_is_cut() -> None:
    before = "\n".join(f"a {i}" for i in range(3000)).encode()
    after = "\n".join(f"b {i}" for i in range(3000)).encode()
    diff = result_diff(before, after)
    assert len(diff) == MAX_OUTPUT_LINES + 1
    assert diff[-1] == f"@@ diff cut after {MAX_OUTPUT_LINES} lines @@"


def test_a_streamed_result_is_compared_by_what_was_kept_and_its_size() -> None:
    streamed = recording(result=b"first;second", streamed_bytes=12)
    assert compare(streamed, recording(B, TRACE_B, result=b"first;second", streamed_bytes=12)).same
    longer = compare(streamed, recording(B, TRACE_B, result=b"first;second", streamed_bytes=99))
    assert longer.result_diff[2:] == ["-streamed 12 bytes", "+streamed 99 bytes"]


def test_a_streamed_response_is_recorded_with_its_size() -> None:
    given = InvokeInput(request_id=A, payload=b"{}", invoked_arn="arn:aws:lambda:r:1:function:f")
    streamed = InvokeResult(A, b"first;", "$LATEST", None, None, None, streamed_bytes=12)
    made = capture("f", given, streamed)
    assert (made.result, made.streamed_bytes) == (b"first;", 12)
    plain = capture("f", given, InvokeResult(A, b"{}", "$LATEST", None, None, None))
    assert plain.streamed_bytes is None
