"""Platform log lines and the log tail."""

import base64

from altus.engine.invoker import log_tail
from altus.logs.filters import compile_filter
from altus.observe.logs import LogEvent
from altus.observe.report import Report, init_report_line


def test_report_line_format_and_billing():
    line = Report("r1", 12.341, 128, 40).line()
    assert line == (
        "REPORT RequestId: r1\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 40 MB"
    )
    cold = Report("r2", 1.2, 256, 50, init_duration_ms=80.5).line()
    assert cold.endswith("\tInit Duration: 80.50 ms")
    assert "Billed Duration: 82 ms" in cold
    assert Report("r3", 0.01, 128, 1).billed_ms == 1
    timeout = Report("r4", 3000.4, 128, 9, status="timeout").line()
    assert timeout.endswith("\tStatus: timeout")
    crashed = Report("r5", 5, 128, 9, status="error", error_type="Runtime.ExitError").line()
    assert crashed.endswith("\tStatus: error\tError Type: Runtime.ExitError")


def test_init_report():
    assert init_report_line(10.0, "error", "Runtime.ImportModuleError") == (
        "INIT_REPORT Init Duration: 10.00 ms\tPhase: init\tStatus: error\t"
        "Error Type: Runtime.ImportModuleError"
    )


def test_log_tail_is_last_4kb_on_a_character_boundary():
    events = [LogEvent(0, "é" * 3000)]
    tail = base64.b64decode(log_tail(events))
    assert len(tail) <= 4096
    tail.decode("utf-8")  # no split character
    assert base64.b64decode(log_tail([LogEvent(0, "a"), LogEvent(1, "b")])) == b"a\nb\n"


def test_filter_patterns():
    assert compile_filter("") is None
    match = compile_filter('ERROR "bad thing" -ignored')
    assert match is not None
    assert match.search("ERROR: a bad thing happened")
    assert not match.search("ERROR: a bad thing, ignored")
    assert not match.search("a bad thing")
    either = compile_filter("?timeout ?killed")
    assert either is not None
    assert either.search("Task timed out: timeout") and either.search("signal: killed")
    assert not either.search("fine")
