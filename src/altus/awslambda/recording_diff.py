"""How a replay differs from the invocation it replays: unified diffs of the two results
and of the two logs, the logs normalised so that only real differences show.

Normalised away in a log: each invocation's request id and trace id, ISO-8601 times,
the REPORT line's durations and memory figures, and the platform's cold-start lines
(``INIT_START``, ``INIT_REPORT``, REPORT's ``Init Duration``): whether an environment
was warm is the platform's business, not the function's. What a function prints is
compared as it is (apart from those ids and times), its own random values included.
"""

from __future__ import annotations

import difflib
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
    return list(difflib.unified_diff(before, after, "original", "replay", lineterm=""))


def result_diff(original: bytes, replay: bytes) -> list[str]:
    """Unified diff lines of two results; JSON compared pretty-printed when both parse."""
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


def compare(original: Recording, replay: Recording) -> Comparison:
    """The same when the results, function errors and normalised logs are."""
    results = result_diff(original.result, replay.result)
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
