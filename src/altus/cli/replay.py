"""``altus replay`` and ``altus recordings``: recorded invocations of a running server.

``altus recordings [--function F] [--limit N]`` lists recent invocations, newest first
(their request ids are what ``replay`` takes). ``altus replay <request-id> [--qualifier
Q] [--json]`` invokes the function again with the recorded event and client context (at
the qualifier originally invoked, the version that ran when that was an alias, or ``Q``),
prints the replay's result, the diff of the
two results and the diff of the two logs (normalised: ``docs/recording.md``), and exits
as diff(1) does: 0 when the replay is the same, 1 when it differs, 2 when it could not
be made.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from altus.cli.client import AltusClient, CliError

ClientCommand = Callable[[str, str], argparse.ArgumentParser]

#: Exit statuses, as diff(1)'s.
SAME, DIFFERENT, TROUBLE = 0, 1, 2


def add_commands(client_command: ClientCommand) -> None:
    replay = client_command(
        "replay", "invoke a recorded invocation again and show how the result and log differ"
    )
    replay.add_argument("request_id", metavar="REQUEST_ID")
    replay.add_argument(
        "--qualifier",
        help="a version or alias to replay at (default: the one invoked; for an alias, "
        "the version it ran then)",
    )
    replay.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    replay.set_defaults(func=_replay)

    listing = client_command("recordings", "list recorded invocations, newest first")
    listing.add_argument("--function", help="only this function's")
    listing.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    listing.set_defaults(func=_recordings)


def _replay(args: argparse.Namespace) -> int:
    body = {"Qualifier": args.qualifier} if args.qualifier else {}
    try:
        answer: dict[str, Any] = (
            AltusClient(args.endpoint)
            .request(
                "POST",
                f"/_altus/recordings/{quote(args.request_id, safe='')}/replay",
                json_body=body,
            )
            .json()
        )
        same = bool(answer["Same"])
        text = json.dumps(answer, indent=2) if args.json else describe(answer)
    except CliError as error:
        print(f"altus: error: {error}", file=sys.stderr)
        return TROUBLE
    except Exception as error:  # an answer not as expected: no replay to speak of
        print(f"altus: error: unexpected answer from the server: {error!r}", file=sys.stderr)
        return TROUBLE
    print(text)
    return SAME if same else DIFFERENT


def describe(answer: dict[str, Any]) -> str:
    """A replay's answer as a person reads it."""
    original, replay = answer["Original"], answer["Replay"]
    lines = [
        f"replayed {original['RequestId']} as {replay['RequestId']} "
        f"({replay['FunctionName']}:{replay['Qualifier']}, version {replay['ExecutedVersion']})",
        "",
        "result:",
        replay.get("Result", replay.get("ResultBase64", "")) + _error(replay),
        "",
    ]
    if answer["ResultDiff"]:
        lines += ["result diff:", *answer["ResultDiff"], ""]
    else:
        lines += ["result: same", ""]
    if answer["LogDiff"]:
        lines += ["log diff:", *answer["LogDiff"], ""]
    else:
        lines += ["log: same", ""]
    lines.append("same" if answer["Same"] else "different")
    return "\n".join(lines)


def _error(recording: dict[str, Any]) -> str:
    if not recording.get("FunctionError"):
        return ""
    return f"\nfunction error: {recording['FunctionError']} ({recording.get('ErrorType')})"


def _recordings(args: argparse.Namespace) -> int:
    params = {"Limit": str(args.limit)}
    if args.function:
        params["FunctionName"] = args.function
    body = AltusClient(args.endpoint).request("GET", "/_altus/recordings", params=params).json()
    rows = [("REQUEST ID", "FUNCTION", "QUALIFIER", "VERSION", "STARTED", "DURATION", "ERROR")]
    for r in body["Recordings"]:
        duration = r["DurationMs"]
        rows.append(
            (
                r["RequestId"],
                r["FunctionName"],
                r["Qualifier"],
                r["ExecutedVersion"],
                r["Started"],
                f"{duration:.2f} ms" if duration is not None else "-",
                r["ErrorType"] or r["FunctionError"] or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0
