"""The pure rules of event source mappings: what Create and Update accept (Lambda's
messages), and how a ReportBatchItemFailures response is read."""

from __future__ import annotations

from typing import Any

import pytest

from altus.control.errors import InvalidParameterValue
from altus.events.invoking import failed_items
from altus.events.mapping import EventSourceMapping
from altus.events.validation import SourceFacts, plan_create, plan_update, settled

QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"
STREAM = "arn:aws:kinesis:us-east-1:000000000000:stream/s"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"
SQS = SourceFacts("sqs", visibility_timeout=30)
FIFO = SourceFacts("sqs", fifo=True, visibility_timeout=30)
KINESIS = SourceFacts("kinesis")


def create(source: SourceFacts, timeout: int = 3, **input: Any) -> EventSourceMapping:
    arn = STREAM if source.kind == "kinesis" else QUEUE
    return plan_create(
        {"EventSourceArn": arn, "FunctionName": "f", **input},
        uuid="u",
        function_arn=FUNCTION,
        source=source,
        function_timeout=timeout,
        now=1.0,
    )


def refused(source: SourceFacts, timeout: int = 3, **input: Any) -> str:
    with pytest.raises(InvalidParameterValue) as raised:
        create(source, timeout, **input)
    return raised.value.message


def test_defaults_per_source() -> None:
    queue = create(SQS)
    assert (queue.batch_size, queue.window, queue.enabled, queue.state) == (10, 0, True, "Creating")
    assert queue.state_reason == "USER_INITIATED"
    stream = create(KINESIS, StartingPosition="LATEST")
    assert (stream.batch_size, stream.maximum_retries, stream.maximum_record_age) == (100, -1, -1)
    assert stream.state_reason == "User action"
    api = stream.to_api(_account())
    assert api["DestinationConfig"] == {"OnFailure": {}}
    assert api["ParallelizationFactor"] == 1 and api["TumblingWindowInSeconds"] == 0
    assert "StartingPosition" not in queue.to_api(_account())


def _account() -> Any:
    from altus.arns import Account

    return Account(region="us-east-1", account_id="000000000000")


@pytest.mark.parametrize(
    ("source", "timeout", "input", "message"),
    [
        (
            SQS,
            3,
            {"BatchSize": 11},
            "Maximum batch window in seconds must be greater than 0 if maximum batch size "
            "is greater than 10",
        ),
        (
            SQS,
            60,
            {},
            "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds",
        ),
        (
            SQS,
            3,
            {"StartingPosition": "LATEST"},
            "StartingPosition is not valid for SQS event sources.",
        ),
        (
            SQS,
            3,
            {"MaximumRetryAttempts": 3},
            "Unsupported MaximumRetryAttempts parameter for given event source mapping type.",
        ),
        (
            SQS,
            3,
            {"Topics": ["t"]},
            "Unsupported Topics parameter for given event source mapping type.",
        ),
        (
            FIFO,
            3,
            {"BatchSize": 11, "MaximumBatchingWindowInSeconds": 1},
            "Batch size for FIFO queues must be between 1 and 10 (inclusive).",
        ),
        (
            FIFO,
            3,
            {"MaximumBatchingWindowInSeconds": 1},
            "Batching window is not supported for FIFO queues.",
        ),
        (
            KINESIS,
            3,
            {},
            "1 validation error detected: Value null at 'startingPosition' "
            "failed to satisfy constraint: Member must not be null.",
        ),
        (
            KINESIS,
            3,
            {"StartingPosition": "AT_TIMESTAMP"},
            "StartingPositionTimestamp must be provided when StartingPosition is AT_TIMESTAMP.",
        ),
        (
            KINESIS,
            3,
            {"StartingPosition": "LATEST", "MaximumRecordAgeInSeconds": 30},
            "MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.",
        ),
        (
            KINESIS,
            3,
            {"StartingPosition": "LATEST", "ScalingConfig": {"MaximumConcurrency": 5}},
            "Unsupported ScalingConfig parameter for given event source mapping type.",
        ),
        (
            KINESIS,
            3,
            {
                "StartingPosition": "LATEST",
                "DestinationConfig": {"OnSuccess": {"Destination": QUEUE}},
            },
            "Unsupported DestinationConfig parameter for given event source mapping type.",
        ),
        (
            SQS,
            3,
            {"FilterCriteria": {"Filters": [{"Pattern": "[1]"}]}},
            "Invalid filter pattern definition.",
        ),
        (
            SQS,
            3,
            {"FilterCriteria": {"Filters": [{"Pattern": "{}"}] * 6}},
            "The number of filters (6) exceeds the limit of 5.",
        ),
    ],
)
def test_refusals(source: SourceFacts, timeout: int, input: dict[str, Any], message: str) -> None:
    assert refused(source, timeout, **input) == message


def test_window_and_timeout_allowances() -> None:
    assert create(SQS, BatchSize=100, MaximumBatchingWindowInSeconds=1).batch_size == 100
    # Streams take big batches without a window.
    assert create(KINESIS, StartingPosition="TRIM_HORIZON", BatchSize=500).batch_size == 500
    assert create(SQS, 30).window == 0  # equal timeouts are fine


def test_update_states_and_clearing() -> None:
    mapping = create(
        SQS,
        FilterCriteria={"Filters": [{"Pattern": '{"body": ["x"]}'}]},
        ScalingConfig={"MaximumConcurrency": 4},
    ).replace(state="Enabled")
    assert mapping.filters and mapping.maximum_concurrency == 4

    def update(**input: Any) -> EventSourceMapping:
        return plan_update(
            mapping, input, function_arn=None, source=SQS, function_timeout=3, now=2.0
        )

    cleared = update(FilterCriteria={}, ScalingConfig={})
    assert cleared.filters == () and cleared.maximum_concurrency is None
    assert cleared.state == "Updating" and cleared.last_modified == 2.0
    assert update(Enabled=False).state == "Disabling"
    assert settled(update(Enabled=False)) == "Disabled"
    assert update(BatchSize=5).filters == mapping.filters  # untouched members stay
    with pytest.raises(InvalidParameterValue):
        update(BatchSize=50)


def test_stream_starting_position_is_fixed() -> None:
    mapping = create(KINESIS, StartingPosition="LATEST").replace(state="Enabled")
    with pytest.raises(InvalidParameterValue):
        plan_update(
            mapping,
            {"StartingPosition": "TRIM_HORIZON"},
            function_arn=None,
            source=KINESIS,
            function_timeout=3,
            now=2.0,
        )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"", []),
        (b"null", []),
        (b"{}", []),
        (b'{"batchItemFailures": []}', []),
        (b'{"batchItemFailures": null}', []),
        (b'{"batchItemFailures": [{"itemIdentifier": "b"}]}', ["b"]),
        (b'{"batchItemFailures": [{"itemIdentifier": "c"}, {"itemIdentifier": "a"}]}', ["a", "c"]),
        (b"not json", None),
        (b'"a string"', None),
        (b'{"batchItemFailures": "b"}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": null}]}', None),
        (b'{"batchItemFailures": [{"id": "b"}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": "zzz"}]}', None),
    ],
)
def test_reading_partial_batch_responses(payload: bytes, expected: list[str] | None) -> None:
    assert failed_items(payload, ["a", "b", "c"]) == expected


def test_a_broker_mapping_batches_for_half_a_second_until_given_a_window() -> None:
    from altus.brokers import registry

    redis = SourceFacts("redis", broker=registry.by_kind("redis"))
    input = {
        "FunctionName": "f",
        "SelfManagedEventSource": {"Endpoints": {"REDIS_URL": ["redis://127.0.0.1:6379"]}},
        "Topics": ["orders"],
        "StartingPosition": "LATEST",
    }
    made = plan_create(
        input, uuid="u", function_arn=FUNCTION, source=redis, function_timeout=3, now=1.0
    )
    assert made.batching_window == 0.5
    assert made.to_api(_account())["MaximumBatchingWindowInSeconds"] == 0
    unrelated = plan_update(
        made, {"BatchSize": 10}, function_arn=None, source=redis, function_timeout=3, now=2.0
    )
    assert unrelated.batching_window == 0.5
    # Once given, even 0, the window is what was given: the default cannot come back.
    given = plan_update(
        made,
        {"MaximumBatchingWindowInSeconds": 0},
        function_arn=None,
        source=redis,
        function_timeout=3,
        now=2.0,
    )
    assert given.batching_window == 0.0
    assert EventSourceMapping.from_json(given.to_json()).batching_window == 0.0
    # Queues and streams keep Lambda's default of none.
    assert create(SQS).batching_window == 0.0
