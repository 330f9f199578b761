"""Pricing metered usage: requests, tiered duration per month and architecture,
ephemeral storage, provisioned concurrency, the projection of a month, the grouping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from altus.observe.billing import (
    HOUR,
    UsageRow,
    gb_seconds,
    month_start,
    price_rows,
    projected,
    report,
    tiered,
)
from altus.prices import PriceTable, invocation_cost

PRICES = PriceTable()
JAN = int(datetime(2026, 1, 10, 12, tzinfo=UTC).timestamp())


def row(**changes: Any) -> UsageRow:
    fields: dict[str, Any] = {
        "hour": JAN,
        "function": "f",
        "version": "$LATEST",
        "architecture": "x86_64",
        "memory_mb": 1024,
        "ephemeral_mb": 512,
        "provisioned": False,
        "requests": 1_000_000,
        "billed_ms": 1_000_000_000,
        "gb_seconds": 1_000_000.0,
    }
    fields.update(changes)
    return UsageRow(**fields)


def test_published_defaults() -> None:
    assert PRICES.requests_per_million == 0.20
    assert PRICES.duration["x86_64"].tiers[0] == (6e9, 0.0000166667)
    assert PRICES.duration["arm64"].tiers[1] == (18.75e9, 0.0000120001)


def test_requests_and_first_tier_duration() -> None:
    [(_, cost)] = price_rows(PRICES, [row()])
    assert cost.requests == pytest.approx(0.20)
    assert cost.duration == pytest.approx(1_000_000 * 0.0000166667)
    assert cost.total == pytest.approx(0.20 + 16.6667)


def test_one_invocation_costs_what_invocation_cost_says() -> None:
    one = row(requests=1, billed_ms=120, gb_seconds=gb_seconds(120, 1024))
    [(_, cost)] = price_rows(PRICES, [one])
    assert cost.total == pytest.approx(invocation_cost(PRICES, "x86_64", 1024, 120))


def test_tiers_split_an_amount_across_their_boundary() -> None:
    cost = tiered(PRICES, "x86_64", 5e9, 2e9)
    assert cost == pytest.approx(1e9 * 0.0000166667 + 1e9 * 0.0000150000)
    assert tiered(PRICES, "x86_64", 20e9, 1.0) == pytest.approx(0.0000133334)
    assert tiered(PRICES, "arm64", 7e9, 1e9) == pytest.approx(
        0.5e9 * 0.0000133334 + 0.5e9 * 0.0000120001
    )


def test_tiers_count_per_month_and_architecture_in_hour_order() -> None:
    feb = int(datetime(2026, 2, 1, tzinfo=UTC).timestamp())
    rows = [
        row(hour=JAN + HOUR, gb_seconds=1e9),
        row(hour=JAN, gb_seconds=5.5e9),
        row(hour=JAN + 2 * HOUR, gb_seconds=1e9, architecture="arm64"),
        row(hour=feb, gb_seconds=1e9),
    ]
    costs = {(r.hour, r.architecture): c.duration for r, c in price_rows(PRICES, rows)}
    # The second hour's GB-seconds straddle x86's 6 billion; Arm's count apart; a new
    # month starts again at the first tier.
    assert costs[(JAN + HOUR, "x86_64")] == pytest.approx(
        0.5e9 * 0.0000166667 + 0.5e9 * 0.0000150000
    )
    assert costs[(JAN + 2 * HOUR, "arm64")] == pytest.approx(1e9 * 0.0000133334)
    assert costs[(feb, "x86_64")] == pytest.approx(1e9 * 0.0000166667)


def test_ephemeral_storage_and_provisioned_concurrency() -> None:
    served = row(
        provisioned=True,
        gb_seconds=100.0,
        ephemeral_gb_seconds=50.0,
        provisioned_gb_seconds=3600.0,
        requests=10,
    )
    [(_, cost)] = price_rows(PRICES, [served])
    assert cost.duration == pytest.approx(100 * 0.0000097222)
    assert cost.ephemeral == pytest.approx(50 * 0.0000000309)
    assert cost.provisioned == pytest.approx(3600 * 0.0000041667)
    arm = row(provisioned=True, architecture="arm64", gb_seconds=0.0, provisioned_gb_seconds=1.0)
    [(_, cost)] = price_rows(PRICES, [arm])
    assert cost.provisioned == pytest.approx(0.0000033334)


def test_an_unknown_architecture_is_priced_as_x86() -> None:
    [(_, cost)] = price_rows(PRICES, [row(architecture="riscv", gb_seconds=1.0)])
    assert cost.duration == pytest.approx(0.0000166667)


def test_projection_is_the_rate_over_the_window_for_730_hours() -> None:
    assert projected(1.0, 24) == pytest.approx(730 / 24)
    assert projected(1.0, 0) == 0.0


def test_report_by_function_and_by_day() -> None:
    since = JAN - 24 * HOUR
    until = JAN + 24 * HOUR
    rows = [
        row(hour=month_start(JAN), function="early", gb_seconds=6e9),  # before the window
        row(hour=JAN, function="a", gb_seconds=10.0, requests=5),
        row(hour=JAN + HOUR, function="b", gb_seconds=20.0, requests=7),
        row(hour=JAN - 20 * HOUR, function="a", gb_seconds=1.0, requests=1),
    ]
    by_function = report(PRICES, rows, since, until, "function", now=until)
    assert list(by_function.items) == ["a", "b"]
    assert by_function.items["a"].requests == 6
    # "early" used the first tier up: what the window used is in the second.
    assert by_function.items["b"].cost.duration == pytest.approx(20 * 0.0000150000)
    assert by_function.window_hours == 48
    by_day = report(PRICES, rows, since, until, "day", now=JAN)
    assert list(by_day.items) == ["2026-01-09", "2026-01-10"]
    # The day in progress stands for the hours of it that have passed.
    assert by_day.hours["2026-01-10"] == 12
    assert by_day.total.requests == 13


def test_the_projection_is_over_the_whole_hours_the_rows_cover() -> None:
    # A window of one minute in the middle of an hour: its row holds the whole hour's
    # usage so far, so the rate is over the 30 minutes of the hour that have passed,
    # not over the minute (which would project 30 times too much).
    now = JAN + 1800
    rows = [row(hour=JAN, requests=1_000_000, gb_seconds=0.0)]
    found = report(PRICES, rows, now - 60, now, "function", now=now)
    assert found.window_hours == 0.5
    assert found.hours["f"] == 0.5
    by_day = report(PRICES, rows, now - 60, now, "day", now=now)
    assert by_day.hours["2026-01-10"] == 0.5
    # A window ended in the past counts up to the end of its last hour.
    past = report(PRICES, rows, JAN + 600, JAN + 660, "function", now=JAN + 10 * HOUR)
    assert past.window_hours == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", 1_000_000.0 - 7 * 86400),
        ("24h", 1_000_000.0 - 86400),
        ("30m", 1_000_000.0 - 1800),
        ("1700000000", 1_700_000_000.0),
        ("2026-01-10T12:00:00Z", float(JAN)),
        ("2026-01-10T12:00:00", float(JAN)),
        ("2026-01-10T13:00:00+01:00", float(JAN)),
    ],
)
def test_times_the_cost_route_takes(text: str, expected: float) -> None:
    from altus.awslambda.cost import parse_time

    assert parse_time(text, 1_000_000.0, "since") == expected


@pytest.mark.parametrize("text", ["yesterday", "nan", "inf", "-5", "9999999999w", "7x"])
def test_times_the_cost_route_refuses(text: str) -> None:
    from altus.awslambda.cost import parse_time
    from altus.control.errors import InvalidParameterValue

    with pytest.raises(InvalidParameterValue):
        parse_time(text, 1_000_000.0, "since")


def test_an_override_of_one_architecture_keeps_the_others_defaults() -> None:
    prices = PriceTable.model_validate(
        {
            "duration": {"x86_64": {"tiers": [[None, 0.00001]]}},
            "provisioned_gb_second": {"x86_64": 0.000001},
        }
    )
    assert prices.duration["x86_64"].tiers == ((None, 0.00001),)
    assert prices.duration["arm64"] == PRICES.duration["arm64"]
    assert prices.provisioned_gb_second["arm64"] == PRICES.provisioned_gb_second["arm64"]
    arm = invocation_cost(prices, "arm64", 1024, 1000)
    assert arm == pytest.approx(0.2e-6 + PRICES.duration["arm64"].first())
    # An architecture no table names is charged as x86_64, the same everywhere.
    assert invocation_cost(prices, "riscv", 1024, 1000) == pytest.approx(0.2e-6 + 0.00001)
    assert tiered(prices, "riscv", 0, 1) == pytest.approx(0.00001)


def test_an_open_end_may_be_written_inf_as_toml_must() -> None:
    prices = PriceTable.model_validate(
        {"duration": {"arm64": {"tiers": [[1e9, 0.2], [float("inf"), 0.1]]}}}
    )
    assert prices.duration["arm64"].tiers == ((1e9, 0.2), (None, 0.1))


@pytest.mark.parametrize(
    "tiers",
    [
        [],
        [[6e9, 0.1]],
        [[None, 0.1], [None, 0.2]],
        [[6e9, 0.1], [5e9, 0.2], [None, 0.3]],
        [[0, 0.1], [None, 0.2]],
        [[None, -0.1]],
    ],
)
def test_malformed_duration_tiers_are_refused(tiers: list[Any]) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        PriceTable.model_validate({"duration": {"arm64": {"tiers": tiers}}})
