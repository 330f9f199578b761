"""``GET /_altus/cost``: what the functions cost so far, and projected for a month (what
``altus cost`` and the console show).

``since`` and ``until`` are ISO 8601 times (UTC unless they say otherwise), epoch
seconds, or ages (``30m``, ``24h``, ``7d``, ``2w``: that long before now); ``since``
defaults to ``7d``, ``until`` to now. ``by`` is ``function`` (the default) or ``day``
(UTC). Usage is kept per hour, so a window counts every hour it overlaps. The meter's
usage not yet written is written first, so the answer includes the invocations just
made.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from altus.awslambda.component import Lambda
from altus.control.errors import InvalidParameterValue
from altus.observe.billing import HOUR, Cost, Report, month_start, projected, report
from altus.prices import PriceTable

BY = ("function", "day")
_AGE = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
#: Epoch seconds past any date a window can name (the year 9999).
_LAST = 253_402_300_800


def routes(lam: Lambda) -> list[BaseRoute]:
    async def cost(request: Request) -> Response:
        now = lam.clock.now()
        params = request.query_params
        since = parse_time(params.get("since") or "7d", now, "since")
        until = parse_time(params["until"], now, "until") if params.get("until") else now
        by = params.get("by") or "function"
        if by not in BY:
            raise InvalidParameterValue(f"by must be one of {', '.join(BY)}, not {by!r}")
        if since >= until:
            raise InvalidParameterValue("since must be before until")
        await lam.meter.flush()
        rows = await lam.usage.usage(month_start(since), int(-(-until // HOUR)) * HOUR)
        found = report(lam.settings.prices, rows, since, until, by, now)
        return JSONResponse(document(found, lam.settings.prices))

    return [Route("/_altus/cost", cost, methods=["GET"])]


def parse_time(text: str, now: float, name: str) -> float:
    """Epoch seconds of an ISO time, an epoch number, or an age before ``now``."""
    found = _parse_time(text.strip(), now)
    if found is None or not 0 <= found < _LAST:
        raise InvalidParameterValue(
            f"{name} must be an ISO 8601 time, epoch seconds or an age such as 7d or 24h, "
            f"not {text!r}"
        )
    return found


def _parse_time(text: str, now: float) -> float | None:
    age = _AGE.fullmatch(text)
    if age is not None:
        return now - float(age.group(1)) * _SECONDS[age.group(2)]
    try:
        epoch = float(text)
    except ValueError:
        pass
    else:
        return epoch if math.isfinite(epoch) else None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cost(cost: Cost) -> dict[str, float]:
    return {
        "Requests": _money(cost.requests),
        "Duration": _money(cost.duration),
        "Ephemeral": _money(cost.ephemeral),
        "Provisioned": _money(cost.provisioned),
        "Total": _money(cost.total),
    }


def _money(value: float) -> float:
    # Single invocations cost millionths of a cent: kept to 1e-10 USD.
    return round(value, 10)


def document(found: Report, prices: PriceTable) -> dict[str, Any]:
    """The answer, exactly as the console and the CLI read it."""
    items = [
        {
            "Key": key,
            "Requests": totals.requests,
            "GBSeconds": round(totals.gb_seconds, 6),
            "EphemeralGBSeconds": round(totals.ephemeral_gb_seconds, 6),
            "ProvisionedGBSeconds": round(totals.provisioned_gb_seconds, 6),
            "Cost": _cost(totals.cost),
            "ProjectedMonthly": _money(projected(totals.cost.total, found.hours[key])),
        }
        for key, totals in found.items.items()
    ]
    return {
        "Currency": prices.currency,
        "Prices": {"Date": prices.date, "Region": prices.region},
        "Since": iso(found.since),
        "Until": iso(found.until),
        "By": found.by,
        "Items": items,
        "Total": _cost(found.total.cost),
        "ProjectedMonthly": _money(projected(found.total.cost.total, found.window_hours)),
    }
