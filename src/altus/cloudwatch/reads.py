"""A metric's values by period, read from the rollups (``rollups.reads`` picks which:
none past the query's end, none a resolution no longer keeps), and the page tokens of
the reading operations."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from altus.cloudwatch.errors import InvalidNextToken
from altus.cloudwatch.rollups import reads, round_start
from altus.cloudwatch.store import MetricStore
from altus.observe.metrics import Dimensions, Statistics


@dataclass(frozen=True, slots=True)
class Span:
    """A query's periods: from ``start`` (rounded as CloudWatch rounds it) to ``end``."""

    start: int
    end: int
    period: int

    @classmethod
    def of(cls, start: datetime.datetime, end: datetime.datetime, period: int, now: int) -> Span:
        first = round_start(math.floor(start.timestamp()), period, now)
        return cls(first, math.ceil(end.timestamp()), period)

    @property
    def count(self) -> int:
        """How many periods it holds (the last may be partial)."""
        return max(0, -(-(self.end - self.start) // self.period))

    def window(self, second: int) -> int:
        return self.start + (second - self.start) // self.period * self.period


def dimensions_of(given: Any) -> Dimensions:
    return tuple(sorted((str(d["Name"]), str(d["Value"])) for d in given or ()))


async def periods(
    store: MetricStore,
    namespace: str,
    name: str,
    dimensions: Dimensions,
    unit: str | None,
    span: Span,
    now: int,
    *,
    percentiles: bool,
    by_unit: bool,
) -> dict[tuple[int, str], Statistics]:
    """(period start, unit) -> the values of the metric in that period; the units merged
    (unit "") unless ``by_unit``. Periods without values are left out."""
    points = []
    for resolution, low, high in reads(span.period, span.start, span.end, now):
        points += await store.points(
            namespace, name, dimensions, unit, resolution, low, high, percentiles
        )
    found: dict[tuple[int, str], Statistics] = {}
    for point in points:
        key = (span.window(point.bucket), point.unit if by_unit else "")
        into = found.get(key)
        if into is None:
            # The point's own values (read for this query alone): a period of one
            # bucket, the usual case, costs no copy.
            found[key] = point.values
        else:
            into.merge(point.values)
    return found


def moment(second: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(second, datetime.UTC)


# --- page tokens ---------------------------------------------------------------------------

BAD_TOKEN = "The NextToken is not valid: pass the NextToken of the previous page unchanged."


def fingerprint(request: Any) -> str:
    """What ties a token to the request it was made for (the same request, next page)."""
    text = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_token(position: Any, request: Any) -> str:
    text = json.dumps({"at": position, "for": fingerprint(request)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def read_token(token: str, request: Any) -> Any:
    """The position a token of ``make_token`` holds; InvalidNextToken for any other (or
    one made for another request)."""
    try:
        found = json.loads(base64.urlsafe_b64decode(token.encode()))
        if not isinstance(found, dict) or found.get("for") != fingerprint(request):
            raise ValueError("not this request's token")
        return found["at"]
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise InvalidNextToken(BAD_TOKEN) from None
