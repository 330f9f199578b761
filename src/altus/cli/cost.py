"""``altus cost``: what a running server's functions cost so far and would cost in a
month at the same rate (``GET /_altus/cost``; docs/cost.md), per function or per day."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any

from altus.cli.client import AltusClient

ClientCommand = Callable[[str, str], argparse.ArgumentParser]


def add_commands(client_command: ClientCommand) -> None:
    cost = client_command("cost", "what the functions cost so far, and projected per month")
    cost.add_argument(
        "--since", default="7d", help="an ISO time or an age: 24h, 7d, 2w (default 7d)"
    )
    cost.add_argument("--until", help="an ISO time or an age (default now)")
    cost.add_argument(
        "--by", choices=("function", "day"), default="function", help="one row per ..."
    )
    cost.add_argument("--json", action="store_true", help="print the server's answer as JSON")
    cost.set_defaults(func=_cost)


def _cost(args: argparse.Namespace) -> int:
    params = {"since": args.since, "by": args.by}
    if args.until:
        params["until"] = args.until
    body = AltusClient(args.endpoint).request("GET", "/_altus/cost", params=params).json()
    if args.json:
        print(json.dumps(body, indent=2))
        return 0
    print(render(body))
    return 0


def render(body: dict[str, Any]) -> str:
    """The answer as a table, its totals and the monthly projection."""
    heading = "FUNCTION" if body["By"] == "function" else "DAY"
    rows: list[Sequence[str]] = [
        (heading, "REQUESTS", "GB-S", "REQUESTS $", "DURATION $", "OTHER $", "TOTAL $", "MONTH $")
    ]
    for item in body["Items"]:
        cost = item["Cost"]
        rows.append(
            (
                item["Key"],
                str(item["Requests"]),
                f"{item['GBSeconds']:.3f}",
                _usd(cost["Requests"]),
                _usd(cost["Duration"]),
                _usd(cost["Ephemeral"] + cost["Provisioned"]),
                _usd(cost["Total"]),
                _usd(item["ProjectedMonthly"]),
            )
        )
    total = body["Total"]
    rows.append(
        (
            "TOTAL",
            str(sum(item["Requests"] for item in body["Items"])),
            f"{sum(item['GBSeconds'] for item in body['Items']):.3f}",
            _usd(total["Requests"]),
            _usd(total["Duration"]),
            _usd(total["Ephemeral"] + total["Provisioned"]),
            _usd(total["Total"]),
            _usd(body["ProjectedMonthly"]),
        )
    )
    prices = body["Prices"]
    lines = [
        f"{body['Since']} to {body['Until']} ({body['Currency']}; {prices['Region']} prices "
        f"of {prices['Date']}, before the free tier)",
        *_table(rows),
        f"total {_usd(total['Total'])} {body['Currency']}; "
        f"projected {_usd(body['ProjectedMonthly'])} {body['Currency']} a month",
    ]
    return "\n".join(lines)


def _usd(value: float) -> str:
    # Small amounts are the rule here (an invocation costs a millionth of a dollar).
    if value == 0:
        return "0"
    if abs(value) >= 0.01:
        return f"{value:.2f}"
    return f"{value:.8f}".rstrip("0")


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(width) if i else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
