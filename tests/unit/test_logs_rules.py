"""CloudWatch Logs' rules Altus applies itself: the retention periods (checked against
botocore's model, which lists them only in its documentation) and PutLogEvents' batch
rules."""

from __future__ import annotations

import re

import botocore.session
import pytest

from altus.logs.errors import InvalidParameter
from altus.logs.ingest import plan_batch
from altus.logs.retention import ALLOWED_DAYS, DAY_MS, check_days
from altus.observe.logs import LogEvent

NOW = 1_700_000_000_000
HOUR_MS = 3_600_000


def test_the_retention_periods_are_the_models() -> None:
    model = botocore.session.get_session().get_service_model("logs")
    documented = model.shape_for("Days").documentation
    listed = re.search(r"Possible values are: ([\d, and]+)\.", documented)
    assert listed is not None
    assert tuple(int(d) for d in re.findall(r"\d+", listed.group(1))) == ALLOWED_DAYS


def test_a_period_not_allowed_is_refused_in_corals_words() -> None:
    assert check_days(365) == 365
    with pytest.raises(InvalidParameter) as refused:
        check_days(0)
    assert refused.value.message.startswith(
        "1 validation error detected: Value '0' at 'retentionInDays' failed to satisfy "
        "constraint: Member must satisfy enum value set: [1, 3, 5, "
    )


def events(*offsets: int) -> list[dict[str, object]]:
    return [{"timestamp": NOW + o, "message": f"m{i}"} for i, o in enumerate(offsets)]


def test_a_good_batch_is_kept_whole() -> None:
    batch = plan_batch(events(-1000, 0, 0), NOW, None)
    assert batch.accepted == [LogEvent(NOW - 1000, "m0"), LogEvent(NOW, "m1"), LogEvent(NOW, "m2")]
    assert batch.rejected == {}


def test_events_out_of_bounds_are_left_out_by_index() -> None:
    batch = plan_batch(events(-15 * DAY_MS, -2 * DAY_MS, 0, 3 * HOUR_MS), NOW, 1)
    assert [e.message for e in batch.accepted] == ["m2"]
    assert batch.rejected == {
        "tooOldLogEventEndIndex": 1,
        "expiredLogEventEndIndex": 2,
        "tooNewLogEventStartIndex": 3,
    }
    nothing = plan_batch(events(3 * HOUR_MS), NOW, None)
    assert nothing.accepted == [] and nothing.rejected == {"tooNewLogEventStartIndex": 0}


def test_the_span_counts_only_the_events_kept() -> None:
    # 30 hours apart, but the older one is rejected: the kept ones span no time.
    batch = plan_batch(events(-15 * DAY_MS, 0), NOW, None)
    assert [e.message for e in batch.accepted] == ["m1"]
    with pytest.raises(InvalidParameter, match="cannot span more than 24 hours"):
        plan_batch(events(-24 * HOUR_MS - 1, 0), NOW, None)
    assert len(plan_batch(events(-24 * HOUR_MS, 0), NOW, None).accepted) == 2


def test_order_and_size_refuse_the_batch() -> None:
    with pytest.raises(InvalidParameter, match="must be in chronological order"):
        plan_batch(events(0, -1), NOW, None)
    largest = [{"timestamp": NOW, "message": "é" * ((1_048_576 - 26) // 2)}]
    assert len(plan_batch(largest, NOW, None).accepted) == 1
    with pytest.raises(InvalidParameter, match=r"^Upload too large: 1048577 bytes"):
        plan_batch([{"timestamp": NOW, "message": "x" * (1_048_576 - 25)}], NOW, None)
