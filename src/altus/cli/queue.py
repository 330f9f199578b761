"""``altus queue``: the asynchronous queue of a running server, for operators.

``stats`` (per function: received, succeeded, failed, retried, throttled, dropped,
queued, oldest age, parked), ``events`` (what waits, and why), ``parked`` (destination
and dead-letter records that could not reach their target), ``replay`` and ``discard``
(of parked records).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any

from altus.cli.client import AltusClient

ClientCommand = Callable[[str, str], argparse.ArgumentParser]


def add_commands(client_command: ClientCommand) -> None:
    queue = client_command("queue", "inspect the asynchronous queue; replay parked records")
    actions = queue.add_subparsers(dest="action", metavar="ACTION", required=True)

    stats = actions.add_parser("stats", help="counters, depth and oldest age per function")
    stats.set_defaults(func=_stats)
    events = actions.add_parser("events", help="events waiting for a run or a retry")
    events.add_argument("--function", help="only this function's")
    events.set_defaults(func=_events)
    parked = actions.add_parser(
        "parked",
        help="records parked after failing to reach their destination or dead-letter queue",
    )
    parked.add_argument("--json", action="store_true", help="print whole records as JSON")
    parked.set_defaults(func=_parked)
    replay = actions.add_parser("replay", help="send parked records again")
    replay.add_argument("ids", nargs="*", metavar="ID")
    replay.add_argument("--all", action="store_true", help="every parked record")
    replay.set_defaults(func=_replay)
    discard = actions.add_parser("discard", help="forget parked records")
    discard.add_argument("ids", nargs="+", metavar="ID")
    discard.set_defaults(func=_discard)
    for action in (stats, events, parked, replay, discard):
        # Also after the action; SUPPRESS keeps `queue --endpoint X action` working.
        action.add_argument(
            "--endpoint", default=argparse.SUPPRESS, help="the Altus API (as for `queue`)"
        )


def _client(args: argparse.Namespace) -> AltusClient:
    return AltusClient(args.endpoint)


def _stats(args: argparse.Namespace) -> int:
    body = _client(args).request("GET", "/_altus/async/stats").json()
    rows = [
        (
            "FUNCTION",
            "RECEIVED",
            "SUCCEEDED",
            "FAILED",
            "RETRIED",
            "THROTTLED",
            "DROPPED",
            "QUEUED",
            "OLDEST",
            "PARKED",
        )
    ]
    for name, f in body["Functions"].items():
        rows.append(
            (
                name,
                *(
                    str(f.get(k, 0))
                    for k in (
                        "received",
                        "succeeded",
                        "failed",
                        "retried",
                        "throttled",
                        "dropped",
                        "queued",
                    )
                ),
                f"{f.get('oldest_age_seconds', 0)} s",
                str(f.get("parked", 0)),
            )
        )
    _table(rows)
    print(f"queued {body['Queued']}, parked {body['Parked']}")
    return 0


def _events(args: argparse.Namespace) -> int:
    params = {"FunctionName": args.function} if args.function else None
    body = _client(args).request("GET", "/_altus/async/events", params=params).json()
    rows = [("REQUEST ID", "FUNCTION", "QUALIFIER", "AGE", "FAILED RUNS", "LAST ERROR")]
    for e in body["Events"]:
        rows.append(
            (
                e["RequestId"],
                e["FunctionName"],
                e["Qualifier"],
                f"{e['AgeSeconds']} s",
                str(e["FailedRuns"]),
                e["LastError"] or "-",
            )
        )
    _table(rows)
    print(f"{body['Total']} queued")
    return 0


def _parked(args: argparse.Namespace) -> int:
    body = _client(args).request("GET", "/_altus/async/parked").json()
    if args.json:
        print(json.dumps(body["Records"], indent=2))
        return 0
    rows = [("ID", "FUNCTION", "KIND", "TARGET", "TRIES", "LAST ERROR")]
    for r in body["Records"]:
        rows.append(
            (
                r["Id"],
                r["FunctionName"],
                r["Kind"],
                r["Target"],
                str(r["Attempts"]),
                (r["LastError"] or "-")[:80],
            )
        )
    _table(rows)
    print(f"{body['Total']} parked")
    return 0


def _replay(args: argparse.Namespace) -> int:
    if not args.all and not args.ids:
        raise ValueError("name the records to replay, or --all")
    request: dict[str, Any] = {"All": True} if args.all else {"Ids": args.ids}
    body = _client(args).request("POST", "/_altus/async/parked/replay", json_body=request).json()
    print(f"replaying {len(body['Replayed'])} record(s)")
    return 0


def _discard(args: argparse.Namespace) -> int:
    body = (
        _client(args)
        .request("POST", "/_altus/async/parked/discard", json_body={"Ids": args.ids})
        .json()
    )
    print(f"discarded {len(body['Discarded'])} record(s)")
    return 0


def _table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
