"""The decisions of asynchronous invocation (pure) and the due queue they schedule with."""

import asyncio
import json
import time

from altus.engine.async_policy import (
    EVENT_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    SUCCESS,
    End,
    Outcome,
    Policy,
    Retry,
    dead_letter_attributes,
    decide,
    destination_record,
    qualified_arn,
)
from altus.engine.due import DueQueue

FAILED = Outcome(200, "$LATEST", "Unhandled", b'{"errorMessage": "boom", "errorType": "E"}')
THROTTLED = Outcome(429, error_type="TooManyRequestsException", message="Rate Exceeded.")


def test_policy_defaults_and_scale():
    assert Policy.of(None, 1.0) == Policy(2, 21_600_000, None, None)
    policy = Policy.of(
        {
            "MaximumRetryAttempts": 0,
            "MaximumEventAgeInSeconds": 60,
            "DestinationConfig": {"OnFailure": {"Destination": "arn:x"}, "OnSuccess": {}},
        },
        0.5,
    )
    assert policy == Policy(0, 30_000, None, "arn:x")


def test_function_errors_wait_one_then_two_minutes_then_end():
    policy = Policy()
    assert decide(FAILED, age_ms=0, failed_runs=1, backoffs=0, policy=policy, scale=1) == Retry(
        60_000
    )
    assert decide(FAILED, age_ms=0, failed_runs=2, backoffs=0, policy=policy, scale=1) == Retry(
        120_000
    )
    assert decide(FAILED, age_ms=0, failed_runs=3, backoffs=0, policy=policy, scale=1) == End(
        RETRIES_EXHAUSTED
    )
    assert decide(
        FAILED, age_ms=0, failed_runs=1, backoffs=0, policy=Policy(max_retries=0), scale=1
    ) == End(RETRIES_EXHAUSTED)
    assert decide(FAILED, age_ms=0, failed_runs=1, backoffs=0, policy=policy, scale=0.01) == Retry(
        600
    )


def test_a_retry_past_the_maximum_age_ends_the_event():
    policy = Policy(max_age_ms=90_000)
    assert decide(
        FAILED, age_ms=10_000, failed_runs=1, backoffs=0, policy=policy, scale=1
    ) == Retry(60_000)
    assert decide(FAILED, age_ms=40_000, failed_runs=1, backoffs=0, policy=policy, scale=1) == End(
        EVENT_AGE_EXCEEDED
    )


def test_throttles_back_off_exponentially_to_five_minutes():
    delays = [
        decide(THROTTLED, age_ms=0, failed_runs=0, backoffs=n, policy=Policy(), scale=1)
        for n in range(12)
    ]
    assert delays[:4] == [Retry(1000), Retry(2000), Retry(4000), Retry(8000)]
    assert delays[-1] == Retry(300_000)
    assert decide(
        THROTTLED, age_ms=21_599_500, failed_runs=0, backoffs=0, policy=Policy(), scale=1
    ) == End(EVENT_AGE_EXCEEDED)
    assert decide(
        Outcome(200, "1"), age_ms=0, failed_runs=0, backoffs=5, policy=Policy(), scale=1
    ) == End(SUCCESS)


def test_destination_record_has_lambdas_shape():
    record = destination_record(
        request_id="r-1",
        function_arn=qualified_arn("arn:aws:lambda:r:1:function:f", None),
        condition=RETRIES_EXHAUSTED,
        invoke_count=3,
        request_payload=b'{"a": 1}',
        outcome=FAILED,
        executed_version="$LATEST",
        at_ms=1_573_755_365_568,
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2019-11-14T18:16:05.568Z",
        "requestContext": {
            "requestId": "r-1",
            "functionArn": "arn:aws:lambda:r:1:function:f:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"a": 1},
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {"errorMessage": "boom", "errorType": "E"},
    }
    ok = destination_record(
        request_id="r",
        function_arn="arn:f:live",
        condition=SUCCESS,
        invoke_count=1,
        request_payload=b"[]",
        outcome=Outcome(200, "4", None, b"null"),
        executed_version="4",
    )
    assert ok["responseContext"] == {"statusCode": 200, "executedVersion": "4"}
    assert ok["responsePayload"] is None
    json.dumps(ok)  # serialisable as it is sent


def test_dead_letter_attributes_carry_the_first_kilobyte_of_the_error():
    long = Outcome(200, "$LATEST", "Unhandled", json.dumps({"errorMessage": "é" * 2000}).encode())
    attributes = dead_letter_attributes("r-9", long)
    assert attributes["RequestID"] == {"DataType": "String", "StringValue": "r-9"}
    assert attributes["ErrorCode"] == {"DataType": "Number", "StringValue": "200"}
    message = attributes["ErrorMessage"]["StringValue"]
    assert len(message.encode()) <= 1024 and set(message) == {"é"}
    assert dead_letter_attributes("r", THROTTLED)["ErrorCode"]["StringValue"] == "429"
    assert dead_letter_attributes("r", Outcome(200, "1", "Unhandled", b""))["ErrorMessage"][
        "StringValue"
    ]  # never empty: SQS refuses empty attributes


def test_due_queue_hands_out_items_when_due_in_order():
    async def scenario() -> list[str]:
        due: DueQueue[str] = DueQueue()
        now = int(time.time() * 1000)
        due.push(now + 80, "later")
        due.push(now - 5, "first")
        due.push(now - 5, "second")
        got = [await due.get(), await due.get()]
        waiter = asyncio.ensure_future(due.get())
        await asyncio.sleep(0)
        due.push(now - 1, "pushed while waiting")
        got.append(await waiter)
        got.append(await due.get())
        return got

    assert asyncio.run(scenario()) == ["first", "second", "pushed while waiting", "later"]
