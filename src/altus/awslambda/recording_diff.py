"""How a replay differs from the invocation it replays: unified diffs of the two results
and of the two logs, the logs normalised so that only real differences show.

Normalised away in a log: each invocation's request id and trace id, ISO-8601 times,
the REPORT line's durations and memory figures, and the platform's cold-start lines
(``INIT_START``, ``INIT_REPORT``, REPORT's ``Init Duration``): whether an environment
was warm is the platform's business, not the function's. What a function prints is
compared as it is (apart from those ids and times), its own random values included.

A diff's cost grows with the product of the two sides' lengths (difflib's matcher):
sides that are equal are not diffed at all, sides over ``MAX_DIFF_LINES`` lines or
``MAX_DIFF_CHARS`` characters are answered by their sizes and hashes alone, and a diff
is cut after ``MAX_OUTPUT_LINES`` lines. ``compare`` is still seconds of CPU at worst:
callers on an event loop run it on a thread.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass

from altus.awslambda.recording_store import Recording

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_INIT_DURATION = re.compile(r"\s*Init Duration: [\d.]+ ms")
_DURATION = re.compile(r"\b(Billed Duration|Duration): [\d.]+ ms")
_MEMORY = re.compile(r"\b(Memory Size|Max Memory Used): \d+ MB")
_ROOT = re.compile(r"Root=([0-9a-fA-F-]+)")
_COLD_LINES = ("INIT_START", "INIT_REPORT")
#: The most lines, and characters, a side may have to be diffed line by line (measured:
#: two sides of 4,000 lines that differ on every other line take about 0.8 s).
MAX_DIFF_LINES = 4000
MAX_DIFF_CHARS = 1024 * 1024
#: The most lines of one diff answered.
MAX_OUTPUT_LINES = 2000


@dataclass(frozen=True, slots=True)
class Comparison:
    same: bool
    result_diff: list[str]
    log_diff: list[str]


def normalise_log(lines: tuple[str, ...] | list[str], request_id: str, trace_id: str) -> list[str]:
    """The log lines of one invocation with what differs between any two runs replaced
    by placeholders (a message of several lines is split into them)."""
    root = _ROOT.search(trace_id)
    ids = [(request_id, "<request-id>")]
    if trace_id:
        ids.append((trace_id, "<trace-id>"))
    if root is not None:
        ids.append((root.group(1), "<trace-root>"))
    normalised = []
    for message in lines:
        if message.startswith(_COLD_LINES):
            continue
        for line in message.rstrip("\n").split("\n"):
            for found, placeholder in ids:
                if found:
                    line = line.replace(found, placeholder)
            line = _TIME.sub("<time>", line)
            if line.startswith("REPORT "):
                line = _INIT_DURATION.sub("", line)
                line = _DURATION.sub(r"\1: <ms>", line)
                line = _MEMORY.sub(r"\1: <mb>", line)
            normalised.append(line)
    return normalised


def _diff(before: list[str], after: list[str]) -> list[str]:
    if before == after:
        return []
    if too_large(before) or too_large(after):
        return [
            "--- original",
            "+++ replay",
            "@@ differ (too large to diff) @@",
            f"-{_described(before)}",
            f"+{_described(after)}",
        ]
    lines = difflib.unified_diff(before, after, "original", "replay", lineterm="")
    diff: list[str] = []
    for line in lines:
        if len(diff) == MAX_OUTPUT_LINES:
            diff.append(f"@@ diff cut after {MAX_OUTPUT_LINES} lines @@")
            break
        diff.append(line)
    return diff


def too_large(lines: list[str]) -> bool:
    """Whether a side is beyond what is diffed line by line."""
    return len(lines) > MAX_DIFF_LINES or sum(map(len, lines)) > MAX_DIFF_CHARS


def _described(lines: list[str]) -> str:
    text = "\n".join(lines).encode("utf-8", "replace")
    digest = hashlib.sha256(text).hexdigest()
    return f"{len(lines)} lines, {len(text)} bytes, sha256 {digest}"


def result_diff(original: bytes, replay: bytes) -> list[str]:
    """Unified diff lines of two results; JSON compared pretty-printed when both parse."""
    if original == replay:
        return []
    try:
        before = json.loads(original)
        after = json.loads(replay)
    except ValueError:
        return _diff(
            original.decode("utf-8", "replace").split("\n"),
            replay.decode("utf-8", "replace").split("\n"),
        )
    return _diff(
        json.dumps(before, indent=2, sort_keys=True).split("\n"),
        json.dumps(after, indent=2, sort_keys=True).split("\n"),
    )


def _bytes(size: int | None) -> str:
    return "nothing (not streamed)" if size is None else f"{size} bytes"


def compare(original: Recording, replay: Recording) -> Comparison:
    """The same when the results, function errors and normalised logs are. A streamed
    response is compared as far as both were kept, and by its size."""
    results = result_diff(original.result, replay.result)
    if (original.streamed_bytes, replay.streamed_bytes) != (None, None):
        sizes = original.streamed_bytes, replay.streamed_bytes
        if not results and sizes[0] != sizes[1]:
            results = [
                "--- original",
                "+++ replay",
                f"-streamed {_bytes(sizes[0])}",
                f"+streamed {_bytes(sizes[1])}",
            ]
    if original.function_error != replay.function_error or original.error_type != replay.error_type:
        results = results or [
            "--- original",
            "+++ replay",
            f"-FunctionError: {original.function_error} ({original.error_type})",
            f"+FunctionError: {replay.function_error} ({replay.error_type})",
        ]
    logs = _diff(
        normalise_log(original.log, original.request_id, original.trace_id),
        normalise_log(replay.log, replay.request_id, replay.trace_id),
    )
    return Comparison(not results and not logs, results, logs)
