"""``altus.stepfunctions.integrations``' naming of failures (the AWS SDK for Java v1 forms
of the optimized integrations and the v2 forms of the AWS SDK integrations, with the
texts recorded on AWS), the wire shapes AWS adds (``SdkHttpMetadata``, dates), and how
parameters and answers cross botocore."""

from __future__ import annotations

import asyncio
import datetime
import io
from typing import Any

import pytest

from altus.api.model import service_model
from altus.api.selfcalls import BotocoreCalls, decode, encode
from altus.identity.keys import AccessKey, SessionCredentials
from altus.stepfunctions.integrations.lambdas import function_failure, qualified
from altus.stepfunctions.integrations.naming import (
    AWS_SDK_SERVICES,
    not_recognized,
    optimized_failure,
    sdk_failure,
    unreachable,
)
from altus.stepfunctions.integrations.ports import SdkUnreachable
from altus.stepfunctions.integrations.wire import as_text, compact, http_metadata, iso_date

# --- naming -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "code", "status", "message", "error", "cause"),
    [
        # Recorded on AWS (LocalStack's snapshots of Step Functions on AWS, 2023).
        (
            "lambda",
            "ResourceNotFoundException",
            404,
            "Function not found: arn:aws:lambda:us-east-1:111111111111:function:nope",
            "Lambda.ResourceNotFoundException",
            "Function not found: arn:aws:lambda:us-east-1:111111111111:function:nope "
            "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; "
            "Request ID: rid; Proxy: null)",
        ),
        (
            "sqs",
            "MissingParameter",
            400,
            "The request must contain the parameter MessageBody.",
            "SQS.AmazonSQSException",
            "The request must contain the parameter MessageBody. (Service: AmazonSQS; "
            "Status Code: 400; Error Code: MissingParameter; Request ID: rid; Proxy: null)",
        ),
        # A code the model declares by its query-era name.
        (
            "sqs",
            "AWS.SimpleQueueService.NonExistentQueue",
            400,
            "The specified queue does not exist.",
            "SQS.QueueDoesNotExistException",
            "The specified queue does not exist. (Service: AmazonSQS; Status Code: 400; "
            "Error Code: AWS.SimpleQueueService.NonExistentQueue; Request ID: rid; Proxy: null)",
        ),
        (
            "lambda",
            "TooManyRequestsException",
            429,
            "Rate Exceeded.",
            "Lambda.TooManyRequestsException",
            "Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: "
            "TooManyRequestsException; Request ID: rid; Proxy: null)",
        ),
        # Lambda's model declares no AccessDeniedException: the SDK's generic class.
        (
            "lambda",
            "AccessDeniedException",
            403,
            "denied",
            "Lambda.AWSLambdaException",
            "denied (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; "
            "Request ID: rid; Proxy: null)",
        ),
        (
            "sns",
            "NotFound",
            404,
            "Topic does not exist",
            "SNS.NotFoundException",
            "Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; "
            "Request ID: rid; Proxy: null)",
        ),
        (
            "stepfunctions",
            "StateMachineDoesNotExist",
            400,
            "State Machine Does Not Exist: 'arn'",
            "StepFunctions.StateMachineDoesNotExistException",
            "State Machine Does Not Exist: 'arn' (Service: AWSStepFunctions; Status Code: 400; "
            "Error Code: StateMachineDoesNotExist; Request ID: rid; Proxy: null)",
        ),
    ],
)
def test_optimized_integrations_name_failures_as_the_java_v1_sdk(
    service: str, code: str, status: int, message: str, error: str, cause: str
) -> None:
    failure = optimized_failure(service, code, message, status, "rid")
    assert (failure.error, failure.cause) == (error, cause)


@pytest.mark.parametrize(
    ("sdk_id", "code", "status", "message", "extended", "error", "cause"),
    [
        # Recorded on AWS.
        (
            "s3",
            "NoSuchBucket",
            404,
            "The specified bucket does not exist",
            "ext",
            "S3.NoSuchBucketException",
            "The specified bucket does not exist (Service: S3, Status Code: 404, "
            "Request ID: rid, Extended Request ID: ext)",
        ),
        (
            "secretsmanager",
            "ValidationException",
            400,
            "Invalid name.",
            None,
            "SecretsManager.SecretsManagerException",
            "Invalid name. (Service: SecretsManager, Status Code: 400, Request ID: rid)",
        ),
        (
            "dynamodb",
            "ValidationException",
            400,
            "1 validation error detected",
            None,
            "DynamoDb.DynamoDbException",
            "1 validation error detected (Service: DynamoDb, Status Code: 400, Request ID: rid)",
        ),
        (
            "sfn",
            "InvalidToken",
            400,
            "Invalid Token: 'Invalid token'",
            None,
            "Sfn.InvalidTokenException",
            "Invalid Token: 'Invalid token' (Service: Sfn, Status Code: 400, Request ID: rid)",
        ),
        (
            "sqs",
            "AWS.SimpleQueueService.NonExistentQueue",
            400,
            "The specified queue does not exist.",
            None,
            "Sqs.QueueDoesNotExistException",
            "The specified queue does not exist. (Service: Sqs, Status Code: 400, Request ID: rid)",
        ),
    ],
)
def test_aws_sdk_integrations_name_failures_as_the_java_v2_sdk(
    sdk_id: str,
    code: str,
    status: int,
    message: str,
    extended: str | None,
    error: str,
    cause: str,
) -> None:
    failure = sdk_failure(AWS_SDK_SERVICES[sdk_id], code, message, status, "rid", extended)
    assert (failure.error, failure.cause) == (error, cause)


def test_every_aws_sdk_service_is_one_botocore_knows() -> None:
    for service in AWS_SDK_SERVICES.values():
        assert service_model(service.botocore).operation_names


def test_a_failure_without_a_request_id_gets_one() -> None:
    failure = optimized_failure("sqs", "X", "m", 400, "")
    assert "Request ID: ;" not in failure.cause


def test_unreachable_and_unrecognised_resources() -> None:
    gone = unreachable("SQS", "connection refused")
    assert (gone.error, gone.cause) == (
        "SQS.SdkClientException",
        "Unable to execute HTTP request: connection refused",
    )
    unknown = not_recognized("arn:aws:states:::ecs:runTask.sync")
    assert unknown.error == "States.Runtime"
    assert unknown.cause.startswith(
        "The resource provided arn:aws:states:::ecs:runTask.sync is not recognized."
    )


# --- function errors ---------------------------------------------------------------------

RUNTIME_ERROR = (
    b'{"errorMessage": "Some exception was raised.", "errorType": "Exception", '
    b'"requestId": "r1", "stackTrace": ["  File \\"/var/task/handler.py\\", line 2"]}'
)


def test_a_function_error_keeps_the_runtimes_text_in_the_legacy_form() -> None:
    failure = function_failure(RUNTIME_ERROR, compact_cause=False)
    assert failure.error == "Exception"
    assert failure.cause == RUNTIME_ERROR.decode()


def test_a_function_error_is_compacted_by_lambda_invoke() -> None:
    failure = function_failure(RUNTIME_ERROR, compact_cause=True)
    assert failure.error == "Exception"
    assert failure.cause == (
        '{"errorMessage":"Some exception was raised.","errorType":"Exception",'
        '"requestId":"r1","stackTrace":["  File \\"/var/task/handler.py\\", line 2"]}'
    )


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        # Altus reports a timeout and an out-of-memory kill with Lambda's own types.
        (
            b'{"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out"}',
            "Sandbox.Timedout",
        ),
        (b'{"errorType": "Runtime.OutOfMemory", "errorMessage": "killed"}', "Runtime.OutOfMemory"),
        # Untyped payloads (older runtimes' timeouts) are Lambda.Unknown.
        (b'{"errorMessage": "Task timed out after 3.00 seconds"}', "Lambda.Unknown"),
        (b"not json", "Lambda.Unknown"),
        (b'"just a string"', "Lambda.Unknown"),
    ],
)
def test_function_error_types(payload: bytes, error: str) -> None:
    assert function_failure(payload, compact_cause=True).error == error


def test_lambda_unknown_is_worded_as_aws_words_it() -> None:
    payload = b'{"errorMessage":"Task timed out after 902.11 seconds"}'
    assert function_failure(payload, compact_cause=True).cause == (
        "The cause could not be determined because Lambda did not return an error type. "
        'Returned payload: {"errorMessage":"Task timed out after 902.11 seconds"}'
    )


@pytest.mark.parametrize(
    ("name", "qualifier", "target"),
    [
        ("f", "prod", "f:prod"),
        ("f:1", "prod", "f:1"),
        (
            "arn:aws:lambda:us-east-1:000000000000:function:f",
            "2",
            "arn:aws:lambda:us-east-1:000000000000:function:f:2",
        ),
        (
            "arn:aws:lambda:us-east-1:000000000000:function:f:3",
            "2",
            "arn:aws:lambda:us-east-1:000000000000:function:f:3",
        ),
        ("000000000000:function:f", "live", "000000000000:function:f:live"),
    ],
)
def test_a_qualifier_is_added_unless_the_name_has_one(
    name: str, qualifier: str, target: str
) -> None:
    assert qualified(name, qualifier) == target


# --- wire shapes ---------------------------------------------------------------------------


def test_http_metadata_lists_headers_as_received_and_as_one_value_by_name() -> None:
    metadata = http_metadata(
        [("x-amzn-RequestId", "r"), ("Content-Length", "2"), ("Date", "d")], 200
    )
    assert metadata == {
        "AllHttpHeaders": {"x-amzn-RequestId": ["r"], "Content-Length": ["2"], "Date": ["d"]},
        "HttpHeaders": {"Content-Length": "2", "Date": "d", "x-amzn-RequestId": "r"},
        "HttpStatusCode": 200,
    }
    assert list(metadata["HttpHeaders"]) == ["Content-Length", "Date", "x-amzn-RequestId"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_738_633_790.099, "2025-02-04T01:49:50.099Z"),
        (0.0, "1970-01-01T00:00:00.000Z"),
        (
            datetime.datetime(
                2025, 2, 4, 2, 49, 50, 99000, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
            ),
            "2025-02-04T01:49:50.099Z",
        ),
    ],
)
def test_dates_are_iso_text_in_utc_with_milliseconds(value: Any, text: str) -> None:
    assert iso_date(value) == text


def test_text_members() -> None:
    assert as_text("as is") == "as is"
    assert as_text({"k": [1, "é"]}) == '{"k":[1,"é"]}'
    assert compact(None) == "null"


# --- crossing botocore ---------------------------------------------------------------------


def _input(service: str, operation: str) -> Any:
    return service_model(service).operation_model(operation).input_shape


@pytest.mark.parametrize(
    ("body", "sent"),
    [
        # Recorded on AWS: an S3 object put through aws-sdk:s3:putObject holds the
        # body's JSON text, a string's quotes included.
        ("text data", b'"text data"'),
        ({"Dict": "Value"}, b'{"Dict":"Value"}'),
        (["List", "Data"], b'["List","Data"]'),
        (False, b"false"),
        (0, b"0"),
        (b"raw", b"raw"),
    ],
)
def test_blob_members_are_sent_as_json_text(body: Any, sent: bytes) -> None:
    encoded = encode(_input("s3", "PutObject"), {"Bucket": "b", "Key": "k", "Body": body})
    assert encoded == {"Bucket": "b", "Key": "k", "Body": sent}


def test_nested_blobs_are_found() -> None:
    records = [{"Data": {"n": 1}, "PartitionKey": "p"}, {"Data": b"raw", "PartitionKey": "q"}]
    encoded = encode(_input("kinesis", "PutRecords"), {"Records": records, "StreamName": "s"})
    assert encoded == {
        "Records": [
            {"Data": b'{"n":1}', "PartitionKey": "p"},
            {"Data": b"raw", "PartitionKey": "q"},
        ],
        "StreamName": "s",
    }


def test_answers_become_json_values() -> None:
    answer = decode(
        {
            "When": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
            "Blob": b"text",
            "Binary": b"\xff\x00",
            "Body": io.BytesIO(b"streamed"),
            "List": [{"At": datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)}],
            "Number": 3,
        }
    )
    assert answer == {
        "When": "2024-01-02T03:04:05.000Z",
        "Blob": "text",
        "Binary": "/wA=",
        "Body": "streamed",
        "List": [{"At": "2024-01-02T00:00:00.000Z"}],
        "Number": 3,
    }


class Sessions:
    def __init__(self) -> None:
        self.made: list[tuple[str, str, float]] = []
        self.now = 1000.0

    def session(self, role_arn: str, session_name: str, seconds: float) -> SessionCredentials:
        self.made.append((role_arn, session_name, seconds))
        key = AccessKey(f"ASIA{len(self.made):016d}", "secret", role_arn, 0)
        return SessionCredentials(key, f"token{len(self.made)}", self.now + seconds)


def test_a_roles_session_is_kept_until_it_nears_its_end() -> None:
    sessions = Sessions()
    calls = BotocoreCalls("http://127.0.0.1:1", "us-east-1", sessions, lambda: sessions.now)
    try:
        first = calls._session("arn:aws:iam::000000000000:role/r")
        assert calls._session("arn:aws:iam::000000000000:role/r") is first
        assert sessions.made == [("arn:aws:iam::000000000000:role/r", "StepFunctions", 3600.0)]
        sessions.now += 3500.0  # within five minutes of its end
        assert calls._session("arn:aws:iam::000000000000:role/r") is not first
        assert len(sessions.made) == 2
    finally:
        calls.close()


def test_without_an_endpoint_every_call_is_unanswered() -> None:
    calls = BotocoreCalls(None, "us-east-1", Sessions(), lambda: 0.0)
    try:
        with pytest.raises(SdkUnreachable):
            asyncio.run(calls.call("sqs", "ListQueues", {}, "arn:aws:iam::000000000000:role/r"))
        assert calls.known("s3", "ListObjectsV2")
        assert not calls.known("s3", "Frobnicate")
        assert not calls.known("no-such-service", "ListThings")
    finally:
        calls.close()


def test_a_closed_caller_answers_nothing() -> None:
    calls = BotocoreCalls("http://127.0.0.1:1", "us-east-1", Sessions(), lambda: 0.0)
    calls.close()
    with pytest.raises(SdkUnreachable):
        asyncio.run(calls.call("sqs", "ListQueues", {}, "arn:aws:iam::000000000000:role/r"))
