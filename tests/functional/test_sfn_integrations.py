"""Step Functions' task integrations against a real in-process server: functions run in
the in-process sandbox, messages reach real queues and topics, and the AWS SDK
integrations call Altus's own API, all through ``Integrations.run`` as the interpreter
calls it (the service that will own it is built separately)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from altus.asl.errors import StatesError
from altus.asl.host import ExecutionInfo, TaskRequest
from altus.asl.resources import parse_resource
from altus.packaging import zip_files
from altus.platform import Platform
from altus.stepfunctions.integrations import BotocoreCalls, Integrations
from altus.testing import Harness, wait_until
from tests.functional.guarded import Guarded, guarded

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/altus-testing"
MACHINE = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:machine"
EXECUTION = ExecutionInfo(
    arn=f"arn:aws:states:us-east-1:{ACCOUNT}:execution:machine:run-1",
    name="run-1",
    state_machine_arn=MACHINE,
    state_machine_name="machine",
    role_arn=ROLE,
    start_time=1_700_000_000.0,
    input={},
)
#: Recorded on AWS: the ETag of an object put by aws-sdk:s3:putObject with the Body
#: "text data" (what was stored is the JSON text, quotes included).
QUOTED_TEXT_DATA_ETAG = '"2b5df3712557f503a9977a8ea893b2c9"'


class Progress:
    def __init__(self) -> None:
        self.outputs: list[Any] = []

    async def submitted(self, output: Any) -> None:
        self.outputs.append(output)


class Runner:
    """Integrations built on a harness's platform, as the service will build them."""

    def __init__(self, harness: Harness, execution: ExecutionInfo = EXECUTION) -> None:
        self.harness = harness
        self.execution = execution

        async def build(platform: Platform) -> Integrations:
            lam = platform.component("lambda")
            calls = BotocoreCalls(harness.url, "us-east-1", platform.identity, lam.clock.now)
            return Integrations(functions=lam, calls=calls, children=None, now=lam.clock.now)

        self.integrations = harness.call(build)

    def run(self, arn: str, parameters: Any = None, **request: Any) -> Any:
        resource = parse_resource(arn)
        assert resource is not None, arn
        task = TaskRequest(resource, parameters, self.execution, "State", **request)

        async def work(platform: Platform) -> Any:
            return await self.integrations.run(task, Progress())

        return self.harness.call(work)

    def fails(self, arn: str, parameters: Any = None) -> StatesError:
        with pytest.raises(StatesError) as failed:
            self.run(arn, parameters)
        return failed.value


@pytest.fixture(scope="module")
def altus() -> Iterator[Runner]:
    with Harness() as harness:
        runner = Runner(harness)
        try:
            yield runner
        finally:
            runner.integrations.close()


def function(runner: Runner, name: str, handler: Any, **config: Any) -> str:
    created: str = runner.harness.create_function(name, handler, **config)["FunctionArn"]
    return created


def boom(event: Any, context: Any) -> Any:
    raise ValueError(f"no: {event}")


# --- functions ------------------------------------------------------------------------------


def test_a_function_arn_runs_the_function_with_the_input(altus: Runner) -> None:
    arn = function(altus, "echo", lambda event, context: {"got": event})
    assert altus.run(arn, {"a": [1, "x"]}) == {"got": {"a": [1, "x"]}}
    assert altus.run(arn + ":$LATEST", "text") == {"got": "text"}


def test_a_failing_function_fails_the_task_with_its_error(altus: Runner) -> None:
    arn = function(altus, "boom", boom)
    legacy = altus.fails(arn, {"n": 1})
    assert legacy.error == "ValueError"
    written = json.loads(legacy.cause)
    assert written["errorType"] == "ValueError"
    assert written["errorMessage"] == "no: {'n': 1}"
    optimized = altus.fails("arn:aws:states:::lambda:invoke", {"FunctionName": "boom"})
    assert optimized.error == "ValueError"
    # lambda:invoke re-serialises the error compactly.
    compacted = json.dumps(json.loads(optimized.cause), separators=(",", ":"), ensure_ascii=False)
    assert optimized.cause == compacted


def test_lambda_invoke_answers_invokes_response(altus: Runner) -> None:
    function(altus, "doubler", lambda event, context: {"twice": event["n"] * 2})
    result = altus.run(
        "arn:aws:states:::lambda:invoke", {"FunctionName": "doubler", "Payload": {"n": 21}}
    )
    assert result["Payload"] == {"twice": 42}
    assert result["StatusCode"] == 200
    assert result["ExecutedVersion"] == "$LATEST"
    headers = result["SdkHttpMetadata"]["HttpHeaders"]
    assert headers["x-amzn-RequestId"] == result["SdkResponseMetadata"]["RequestId"]
    assert headers["Content-Length"] == str(len(b'{"twice": 42}'))
    # A string payload is the payload's text itself.
    echo = altus.run(
        "arn:aws:states:::lambda:invoke", {"FunctionName": "doubler", "Payload": '{"n": 2}'}
    )
    assert echo["Payload"] == {"twice": 4}


def test_a_missing_function_is_lambdas_resource_not_found(altus: Runner) -> None:
    failure = altus.fails("arn:aws:states:::lambda:invoke", {"FunctionName": "nowhere"})
    assert failure.error == "Lambda.ResourceNotFoundException"
    assert re.fullmatch(
        rf"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nowhere "
        r"\(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; "
        r"Request ID: [0-9a-f-]{36}; Proxy: null\)",
        failure.cause,
    )


def test_a_function_that_times_out(altus: Runner) -> None:
    function(altus, "sleeper", lambda event, context: time.sleep(3), Timeout=1)
    failure = altus.fails("arn:aws:states:::lambda:invoke", {"FunctionName": "sleeper"})
    assert failure.error == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in json.loads(failure.cause)["errorMessage"]


def test_an_event_invoke_and_a_log_tail_go_through_lambdas_api(altus: Runner) -> None:
    seen: list[Any] = []
    function(altus, "later", lambda event, context: seen.append(event))
    result = altus.run(
        "arn:aws:states:::lambda:invoke",
        {"FunctionName": "later", "InvocationType": "Event", "Payload": {"k": 1}},
    )
    assert (result["StatusCode"], result["Payload"]) == (202, "")
    wait_until(lambda: seen == [{"k": 1}])
    tailed = altus.run(
        "arn:aws:states:::lambda:invoke", {"FunctionName": "later", "LogType": "Tail"}
    )
    assert "START RequestId: " in base64.b64decode(tailed["LogResult"]).decode()
    assert tailed["Payload"] is None


# --- SQS, SNS, EventBridge ---------------------------------------------------------------------


def test_send_message_reaches_the_queue(altus: Runner) -> None:
    sqs = altus.harness.client("sqs")
    url = sqs.create_queue(QueueName="work")["QueueUrl"]
    result = altus.run(
        "arn:aws:states:::sqs:sendMessage",
        {"QueueUrl": url, "MessageBody": {"order": 7, "token": "t-1"}},
    )
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    assert message["Body"] == '{"order":7,"token":"t-1"}'
    assert message["MessageId"] == result["MessageId"]
    assert result["MD5OfMessageBody"] == hashlib.md5(message["Body"].encode()).hexdigest()
    assert result["SdkHttpMetadata"]["HttpStatusCode"] == 200
    missing = altus.fails(
        "arn:aws:states:::sqs:sendMessage", {"QueueUrl": url + "-gone", "MessageBody": "m"}
    )
    assert missing.error == "SQS.QueueDoesNotExistException"
    assert "(Service: AmazonSQS; Status Code: 400; Error Code: " in missing.cause


def test_publish_reaches_the_topics_subscribers(altus: Runner) -> None:
    sns, sqs = altus.harness.client("sns"), altus.harness.client("sqs")
    topic = sns.create_topic(Name="news")["TopicArn"]
    url = sqs.create_queue(QueueName="news-reader")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    result = altus.run("arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": {"m": 1}})
    assert result["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"] == "text/xml"

    def delivered() -> list[Any]:
        found: list[Any] = sqs.receive_message(QueueUrl=url).get("Messages", [])
        return found

    (message,) = wait_until(delivered)
    assert message["Body"] == '{"m":1}'
    assert (
        altus.fails(
            "arn:aws:states:::sns:publish", {"TopicArn": topic + "-gone", "Message": "m"}
        ).error
        == "SNS.NotFoundException"
    )


def test_put_events_adds_the_executions_arns(altus: Runner) -> None:
    events, sqs = altus.harness.client("events"), altus.harness.client("sqs")
    url = sqs.create_queue(QueueName="bus-reader")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="from-steps", EventPattern='{"source": ["steps.test"]}')
    events.put_targets(Rule="from-steps", Targets=[{"Id": "q", "Arn": queue_arn}])
    result = altus.run(
        "arn:aws:states:::events:putEvents",
        {"Entries": [{"Source": "steps.test", "DetailType": "done", "Detail": {"ok": True}}]},
    )
    assert result["FailedEntryCount"] == 0
    assert [set(entry) for entry in result["Entries"]] == [{"EventId"}]

    def delivered() -> list[Any]:
        found: list[Any] = sqs.receive_message(QueueUrl=url).get("Messages", [])
        return found

    (message,) = wait_until(delivered)
    event = json.loads(message["Body"])
    assert event["detail"] == {"ok": True}
    assert event["resources"] == [EXECUTION.arn, MACHINE]


# --- S3 and the AWS SDK integrations ---------------------------------------------------------


def test_sdk_integrations_call_any_operation(altus: Runner) -> None:
    sdk = "arn:aws:states:::aws-sdk:"
    altus.run(sdk + "s3:createBucket", {"Bucket": "steps-bucket"})
    put = altus.run(
        sdk + "s3:putObject", {"Bucket": "steps-bucket", "Key": "k", "Body": "text data"}
    )
    assert put["ETag"] == QUOTED_TEXT_DATA_ETAG
    got = altus.run(sdk + "s3:getObject", {"Bucket": "steps-bucket", "Key": "k"})
    assert got["Body"] == '"text data"'
    assert got["ContentLength"] == 11
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", got["LastModified"])
    assert "ResponseMetadata" not in got and "SdkHttpMetadata" not in got
    altus.run(sdk + "secretsmanager:createSecret", {"Name": "db", "SecretString": "s3cret"})
    secret = altus.run(sdk + "secretsmanager:getSecretValue", {"SecretId": "db"})
    assert secret["SecretString"] == "s3cret"


def test_sdk_integration_failures(altus: Runner) -> None:
    sdk = "arn:aws:states:::aws-sdk:"
    missing = altus.fails(sdk + "s3:listObjects", {"Bucket": "no-such-bucket"})
    assert missing.error == "S3.NoSuchBucketException"
    assert re.fullmatch(
        r"The specified bucket does not exist \(Service: S3, Status Code: 404, "
        r"Request ID: \S+, Extended Request ID: \S+\)",
        missing.cause,
    )
    invalid = altus.fails(sdk + "secretsmanager:createSecret", {"Name": "Invalid Name"})
    assert invalid.error == "SecretsManager.SecretsManagerException"
    assert re.fullmatch(
        r"Invalid name\..* \(Service: SecretsManager, Status Code: 400, Request ID: \S+\)",
        invalid.cause,
    )
    queue = altus.fails(sdk + "sqs:getQueueUrl", {"QueueName": "not-there"})
    assert queue.error == "Sqs.QueueDoesNotExistException"


def test_the_distributed_maps_reads_and_writes(altus: Runner) -> None:
    s3 = altus.harness.client("s3")
    s3.create_bucket(Bucket="map-items")
    for index in range(3):
        s3.put_object(Bucket="map-items", Key=f"in/{index}.json", Body=b"[1]")
    items = altus.run("arn:aws:states:::s3:listObjectsV2", {"Bucket": "map-items", "Prefix": "in/"})
    assert [item["Key"] for item in items] == ["in/0.json", "in/1.json", "in/2.json"]
    assert {item["Size"] for item in items} == {3}
    assert all(isinstance(item["LastModified"], int) for item in items)
    assert (
        altus.run("arn:aws:states:::s3:getObject", {"Bucket": "map-items", "Key": "in/1.json"})
        == "[1]"
    )
    altus.run(
        "arn:aws:states:::s3:putObject",
        {"Bucket": "map-items", "Key": "out/manifest.json", "Body": '{"written": true}'},
    )
    body = s3.get_object(Bucket="map-items", Key="out/manifest.json")["Body"].read()
    assert body == b'{"written": true}'
    gone = altus.fails("arn:aws:states:::s3:getObject", {"Bucket": "map-items", "Key": "nope"})
    assert gone.error == "S3.NoSuchKeyException"


# --- as the role, where requests are authorised ---------------------------------------------------


def _role(server: Guarded, name: str, service: str, statements: list[dict[str, Any]]) -> str:
    iam = server.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    if statements:
        iam.put_role_policy(
            RoleName=name,
            PolicyName="p",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
    return arn


def test_calls_are_made_as_the_executions_role(tmp_path: Path) -> None:
    with guarded(tmp_path) as server:
        lam = server.client("lambda")
        assert server.harness.backend is not None
        server.harness.backend.handlers["guarded"] = lambda event, context: "ran"
        lam.create_function(
            FunctionName="guarded",
            Runtime="python3.12",
            Handler="handler.handler",
            Role=_role(server, "runs-functions", "lambda.amazonaws.com", []),
            Code={"ZipFile": zip_files({"handler.py": "def handler(e, c):\n    return 1\n"})},
        )
        lam.get_waiter("function_active_v2").wait(
            FunctionName="guarded", WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
        )
        function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:guarded"
        allowed = _role(
            server,
            "allowed",
            "states.amazonaws.com",
            [
                {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function_arn},
                {"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"},
            ],
        )
        bare = _role(server, "bare", "states.amazonaws.com", [])

        runner = Runner(server.harness, dataclasses.replace(EXECUTION, role_arn=allowed))
        try:
            assert runner.run(function_arn, {}) == "ran"
            assert runner.run("arn:aws:states:::aws-sdk:sqs:listQueues", {}) == {}
        finally:
            runner.integrations.close()

        runner = Runner(server.harness, dataclasses.replace(EXECUTION, role_arn=bare))
        try:
            refused = runner.fails(function_arn, {})
            assert refused.error == "Lambda.AWSLambdaException"
            assert "Error Code: AccessDeniedException" in refused.cause
            assert "assumed-role/bare/" in refused.cause
            listing = runner.fails("arn:aws:states:::aws-sdk:sqs:listQueues", {})
            assert listing.error == "Sqs.SqsException"
            assert "assumed-role/bare/" in listing.cause
        finally:
            runner.integrations.close()
