"""What the queues accept: names, queue attributes, messages, batch entries."""

import json

import pytest

from altus.queues import attributes, messages
from altus.queues.errors import (
    BatchEntryIdsNotDistinct,
    EmptyBatchRequest,
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidBatchEntryId,
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
    TooManyEntriesInBatchRequest,
)


def test_queue_names():
    assert attributes.check_name("a-b_c", fifo=False) == "a-b_c"
    assert attributes.check_name("x" * 75 + ".fifo", fifo=True)
    for name, fifo in (
        ("a.b", False),
        ("x" * 81, False),
        ("plain", True),
        ("x" * 76 + ".fifo", True),
        ("", False),
    ):
        with pytest.raises(InvalidParameterValue):
            attributes.check_name(name, fifo)


def test_create_defaults_and_ranges():
    standard = attributes.for_create("q", {})
    assert standard["VisibilityTimeout"] == "30" and "FifoQueue" not in standard
    fifo = attributes.for_create("q.fifo", {"FifoQueue": "true"})
    assert fifo["ContentBasedDeduplication"] == "false"
    assert fifo["DeduplicationScope"] == "queue"
    for bad in (
        {"VisibilityTimeout": "43201"},
        {"DelaySeconds": "-1"},
        {"MessageRetentionPeriod": "59"},
        {"MaximumMessageSize": "abc"},
        {"ReceiveMessageWaitTimeSeconds": "21"},
        {"Policy": "not json"},
    ):
        with pytest.raises(InvalidAttributeValue):
            attributes.for_create("q", bad)
    with pytest.raises(InvalidAttributeName):
        attributes.for_create("q", {"ContentBasedDeduplication": "true"})
    with pytest.raises(InvalidAttributeName):
        attributes.for_create("q", {"Nonsense": "1"})


def test_set_keeps_the_type_and_removes_with_empty_values():
    current = attributes.for_create(
        "q",
        {
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:d",
                    "maxReceiveCount": 3,
                }
            )
        },
    )
    assert json.loads(current["RedrivePolicy"])["maxReceiveCount"] == 3
    assert "RedrivePolicy" not in attributes.for_set(current, {"RedrivePolicy": ""}, fifo=False)
    with pytest.raises(InvalidAttributeName):
        attributes.for_set(current, {"FifoQueue": "true"}, fifo=False)
    fifo = attributes.for_create("q.fifo", {"FifoQueue": "true"})
    with pytest.raises(InvalidAttributeValue):
        attributes.for_set(fifo, {"FifoQueue": "false"}, fifo=True)


@pytest.mark.parametrize(
    "policy",
    [
        "not json",
        "[]",
        '{"maxReceiveCount": 1}',
        '{"deadLetterTargetArn": "a"}',
        '{"deadLetterTargetArn": "a", "maxReceiveCount": 1001}',
        '{"deadLetterTargetArn": "a", "maxReceiveCount": 1, "extra": 1}',
    ],
)
def test_redrive_policies_refused(policy):
    with pytest.raises(InvalidParameterValue):
        attributes.parse_redrive(policy)


def test_message_bodies_and_attributes():
    assert messages.check_body("tab\tok ✓ \U0001f600") == "tab\tok ✓ \U0001f600"
    with pytest.raises(MissingParameter):
        messages.check_body("")
    with pytest.raises(InvalidMessageContents):
        messages.check_body("bell \x07")
    with pytest.raises(InvalidMessageContents):
        messages.check_body("\ufffe")
    ok = messages.check_attributes({"n": {"DataType": "Number", "StringValue": "-1.5e10"}})
    assert ok == {"n": {"DataType": "Number", "StringValue": "-1.5e10"}}
    for bad in (
        {"n": {"DataType": "Number", "StringValue": "1e200"}},
        {"n": {"DataType": "Number", "StringValue": "1" * 39}},
        {".n": {"DataType": "String", "StringValue": "v"}},
        {"a..b": {"DataType": "String", "StringValue": "v"}},
        {"amazon.x": {"DataType": "String", "StringValue": "v"}},
        {"b": {"DataType": "Binary", "BinaryValue": "!!"}},
        {"s": {"DataType": "String", "StringValue": ""}},
        {"s": {"StringValue": "v"}},
    ):
        with pytest.raises(InvalidParameterValue):
            messages.check_attributes(bad)


def test_message_size_counts_attributes():
    attrs = {"ab": {"DataType": "String", "StringValue": "xyz"}}
    assert messages.size_of("12345", attrs) == 5 + 2 + 6 + 3


def test_batch_entries():
    with pytest.raises(EmptyBatchRequest):
        messages.check_entries([], "E")
    with pytest.raises(TooManyEntriesInBatchRequest):
        messages.check_entries([{"Id": str(i)} for i in range(11)], "E")
    with pytest.raises(BatchEntryIdsNotDistinct):
        messages.check_entries([{"Id": "a"}, {"Id": "a"}], "E")
    with pytest.raises(InvalidBatchEntryId):
        messages.check_entries([{"Id": "a b"}], "E")
    with pytest.raises(MissingParameter):
        messages.check_entries([{}], "E")
