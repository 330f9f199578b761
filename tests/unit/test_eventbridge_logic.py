"""EventBridge's pure parts: what a target receives (Input, InputPath, input
transformers and their quoting rules), PutEvents sizes and entry checks, the retry
schedule, and how hand-off failures are classified."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from altus.eventbridge import entries, retries, transform
from altus.events.handoff import HandOffFailed, error_category, permanent
from altus.identity.errors import AccessDenied

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "e1",
    "detail-type": "Order",
    "source": "shop",
    "account": "000000000000",
    "time": "2024-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"id": 7, "name": "pen", "tags": ["a", "b"], "nested": {"x-y": 1}},
}
RULE = "arn:aws:events:us-east-1:000000000000:rule/shop-orders"


def given(target: dict[str, Any]) -> str | None:
    return transform.target_input(target, EVENT, json.dumps(EVENT), RULE, "2024-01-01T00:00:00Z")


def test_the_whole_event_a_constant_or_a_path() -> None:
    assert given({}) is None
    assert given({"Input": '{"a": 1}'}) == '{"a": 1}'
    assert given({"InputPath": "$.detail.tags[1]"}) == '"b"'
    assert given({"InputPath": "$.detail.nested.x-y"}) == "1"
    assert given({"InputPath": "$.detail.missing"}) == "null"
    assert given({"InputPath": "$"}) == json.dumps(EVENT, separators=(",", ":"))


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{"n": <id>, "s": <name>}', '{"n": 7, "s": "pen"}'),
        ('{"text": "<name> #<id>"}', '{"text": "pen #7"}'),
        ('"a <name> order"', '"a pen order"'),
        ("<name> is <id>", "pen is 7"),
        ('{"tags": <tags>}', '{"tags": ["a","b"]}'),
        ('{"none": <gone>, "in": "<gone>"}', '{"none": null, "in": ""}'),
        ('{"rule": "<aws.events.rule-name>"}', '{"rule": "shop-orders"}'),
        ('{"at": "<aws.events.event.ingestion-time>"}', '{"at": "2024-01-01T00:00:00Z"}'),
        ('{"esc": "say \\"<name>\\""}', '{"esc": "say \\"pen\\""}'),
        ("<unknown> stays", "<unknown> stays"),
    ],
)
def test_templates(template: str, expected: str) -> None:
    paths = {"id": "$.detail.id", "name": "$.detail.name", "tags": "$.detail.tags", "gone": "$.x"}
    result = given({"InputTransformer": {"InputPathsMap": paths, "InputTemplate": template}})
    assert result == expected


def test_the_whole_event_and_the_event_without_detail() -> None:
    result = given(
        {
            "InputTransformer": {
                "InputTemplate": '{"e": <aws.events.event>, "j": <aws.events.event.json>}'
            }
        }
    )
    assert result is not None
    parsed = json.loads(result)
    assert "detail" not in parsed["e"] and parsed["e"]["id"] == "e1"
    assert parsed["j"] == EVENT


def test_paths_are_checked() -> None:
    assert transform.check_path("$.detail.a[0]['b c']")
    assert not transform.check_path("detail.a")
    assert not transform.check_path("$..a")


def test_sizes_count_as_eventbridge_documents() -> None:
    entry = {
        "Time": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        "Source": "ü",
        "DetailType": "ab",
        "Detail": "{}",
        "Resources": ["r1", "r22"],
    }
    assert entries.entry_size(entry) == 14 + 2 + 2 + 2 + 2 + 3
    assert entries.entry_size({"Source": "a"}) == 1
    assert entries.request_size([entry, {"Source": "a"}]) == 26


def test_entries_are_checked() -> None:
    assert entries.check_entry({"Source": "a", "DetailType": "t", "Detail": '{"a": 1}'}) == (
        {"a": 1},
        None,
    )
    _, problem = entries.check_entry({"Source": "a", "Detail": "{}"})
    assert problem is not None and problem.code == "InvalidArgument"
    assert "DetailType is a required argument" in problem.message
    _, problem = entries.check_entry({"Source": "a", "DetailType": "t", "Detail": "1"})
    assert problem == entries.EntryError("MalformedDetail", "Detail is malformed.")
    assert entries.check_event(json.dumps(EVENT)) is not None
    assert entries.check_event(json.dumps({**EVENT, "time": 5})) is None
    assert entries.check_event("[]") is None


def test_back_off_doubles_to_a_ceiling_with_jitter_in_its_upper_half() -> None:
    assert retries.backoff(1, lambda: 0.0) == 0.5
    assert retries.backoff(1, lambda: 1.0) == 1.0
    assert retries.backoff(4, lambda: 0.0) == 4.0
    assert retries.backoff(40, lambda: 1.0) == retries.MAX_DELAY_S
    assert all(retries.backoff(n) <= retries.MAX_DELAY_S for n in range(1, 200))


def test_the_policy_ends_retries_by_count_or_by_age() -> None:
    fixed = lambda: 0.0  # noqa: E731
    assert retries.next_attempt(1, 1000, 0, 185, 86400, fixed).due_ms == 1500
    assert retries.next_attempt(3, 0, 0, 2, 86400, fixed) == retries.Next(
        None, retries.RETRIES_SPENT
    )
    assert retries.next_attempt(1, 59_900, 0, 185, 60, fixed) == retries.Next(None, retries.TOO_OLD)


def test_hand_off_failures_are_classified() -> None:
    denied = AccessDenied("no")
    assert permanent(denied)
    failure = HandOffFailed(denied.code, "no", permanent=True)
    assert error_category(failure) == "NO_PERMISSIONS"
    assert error_category(HandOffFailed("ResourceNotFoundException", "", permanent=True)) == (
        "NO_RESOURCE"
    )
    assert error_category(HandOffFailed("QueueDoesNotExist", "", permanent=True)) == "NO_RESOURCE"
    assert error_category(HandOffFailed("TooManyRequestsException", "", permanent=False)) == (
        "THROTTLING"
    )
    assert error_category(HandOffFailed("InternalException", "", permanent=False)) == (
        "INTERNAL_ERROR"
    )
