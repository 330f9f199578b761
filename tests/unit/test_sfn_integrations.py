"""``altus.stepfunctions.integrations.Integrations``: what each Task resource runs, the
results in AWS's shapes, failures in AWS's names, and a restart's lost attempts, with
stand-ins for the Lambda component, Altus's API and the Step Functions service."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from altus.asl.errors import StatesError
from altus.asl.host import ExecutionInfo, TaskRequest
from altus.asl.resources import parse_resource
from altus.errors import AltusError, UserError
from altus.stepfunctions.integrations import (
    Integrations,
    SdkFailure,
    SdkResponse,
    SdkUnreachable,
)

ROLE = "arn:aws:iam::000000000000:role/machine"
OTHER_ROLE = "arn:aws:iam::000000000000:role/other"
MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:sm"
EXECUTION = ExecutionInfo(
    arn="arn:aws:states:us-east-1:000000000000:execution:sm:e1",
    name="e1",
    state_machine_arn=MACHINE,
    state_machine_name="sm",
    role_arn=ROLE,
    start_time=1_700_000_000.0,
    input={},
)
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"
NOW = 1_700_000_000.0


@dataclass
class Answer:
    payload: bytes
    function_error: str | None = None
    request_id: str = "req-1"
    executed_version: str = "$LATEST"


class Functions:
    """The Lambda component: answers by function name, or refuses."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answers: dict[str, Answer] = {}
        self.refusal: AltusError | None = None

    def call_as_service(
        self,
        service: str,
        source_arn: str,
        source_account: str,
        arn: str,
        payload: bytes,
        *,
        role: str | None = None,
        trace: str | None = None,
    ) -> Awaitable[Answer]:
        self.calls.append(
            {
                "service": service,
                "source": source_arn,
                "account": source_account,
                "arn": arn,
                "payload": payload,
                "role": role,
            }
        )
        if self.refusal is not None:
            raise self.refusal  # refused before anything is awaited, as the component may

        async def answer() -> Answer:
            return self.answers.get(arn.rsplit(":function:", 1)[-1], Answer(payload))

        return answer()


class Calls:
    """Altus's API: answers by (service, operation), in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any], str]] = []
        self.answers: dict[tuple[str, str], list[SdkResponse | Exception]] = {}

    def known(self, service: str, operation: str) -> bool:
        return operation[:1].isupper() and operation != "Frobnicate"

    def answer(self, service: str, operation: str, *answers: SdkResponse | Exception) -> None:
        self.answers.setdefault((service, operation), []).extend(answers)

    async def call(
        self, service: str, operation: str, params: Mapping[str, Any], role_arn: str
    ) -> SdkResponse:
        self.calls.append((service, operation, dict(params), role_arn))
        queued = self.answers.get((service, operation)) or [SdkResponse({}, 200, "rid")]
        found = queued.pop(0) if len(queued) > 1 else queued[0]
        if isinstance(found, Exception):
            raise found
        return found


class Children:
    def __init__(self) -> None:
        self.started: list[tuple[Any, ...]] = []
        self.waited: list[str] = []
        self.description: dict[str, Any] = {}
        self.refusal: AltusError | None = None
        self.repeats: list[tuple[bool, bool]] = []

    async def start(
        self,
        state_machine_arn: str,
        name: str | None,
        input: str,
        parent: str,
        role: str,
        *,
        repeat: bool = False,
        wait: bool = False,
    ) -> tuple[str, float]:
        if self.refusal is not None:
            raise self.refusal
        self.started.append((state_machine_arn, name, input, parent, role))
        self.repeats.append((repeat, wait))
        return f"{state_machine_arn.replace('stateMachine', 'execution')}:{name or 'gen'}", NOW

    async def wait(self, execution_arn: str) -> Mapping[str, Any]:
        self.waited.append(execution_arn)
        return {"executionArn": execution_arn, **self.description}


class Progress:
    def __init__(self) -> None:
        self.submitted_outputs: list[Any] = []

    async def submitted(self, output: Any) -> None:
        self.submitted_outputs.append(output)


class NotFound(UserError):
    code = "ResourceNotFoundException"
    status = 404


class Throttled(UserError):
    code = "TooManyRequestsException"
    status = 429


class NoMachine(UserError):
    code = "StateMachineDoesNotExist"


class Rig:
    def __init__(self, *, children: bool = True) -> None:
        self.functions = Functions()
        self.calls = Calls()
        self.children = Children()
        self.progress = Progress()
        self.integrations = Integrations(
            functions=self.functions,
            calls=self.calls,
            children=self.children if children else None,
            now=lambda: NOW,
        )

    def run(self, arn: str, parameters: Any = None, **request: Any) -> Any:
        resource = parse_resource(arn)
        assert resource is not None, arn
        task = TaskRequest(resource, parameters, EXECUTION, "State", **request)
        return asyncio.run(self.integrations.run(task, self.progress))

    def fails(self, arn: str, parameters: Any = None, **request: Any) -> StatesError:
        with pytest.raises(StatesError) as failed:
            self.run(arn, parameters, **request)
        return failed.value


INVOKE = "arn:aws:states:::lambda:invoke"

# --- the legacy function ARN ---------------------------------------------------------------


def test_a_function_arn_invokes_it_as_the_executions_role_with_the_input() -> None:
    rig = Rig()
    rig.functions.answers["f"] = Answer(b'{"done": true}')
    assert rig.run(FUNCTION, {"n": 1}) == {"done": True}
    (call,) = rig.functions.calls
    assert call == {
        "service": "states.amazonaws.com",
        "source": MACHINE,
        "account": "000000000000",
        "arn": FUNCTION,
        "payload": b'{"n":1}',
        "role": ROLE,
    }


def test_the_states_credentials_choose_the_role() -> None:
    rig = Rig()
    rig.run(FUNCTION, {}, credentials={"RoleArn": OTHER_ROLE})
    assert rig.functions.calls[0]["role"] == OTHER_ROLE


def test_a_failing_function_fails_the_task_with_its_error_as_written() -> None:
    rig = Rig()
    payload = b'{"errorMessage": "no", "errorType": "ValueError", "stackTrace": []}'
    rig.functions.answers["f"] = Answer(payload, function_error="Unhandled")
    failure = rig.fails(FUNCTION, {})
    assert (failure.error, failure.cause) == ("ValueError", payload.decode())


@pytest.mark.parametrize(
    ("refusal", "error"),
    [
        (NotFound("Function not found: " + FUNCTION), "Lambda.ResourceNotFoundException"),
        (Throttled("Rate Exceeded."), "Lambda.TooManyRequestsException"),
    ],
)
def test_lambdas_refusals_are_named_as_aws_names_them(refusal: AltusError, error: str) -> None:
    rig = Rig()
    rig.functions.refusal = refusal
    failure = rig.fails(FUNCTION, {})
    assert failure.error == error
    assert failure.cause.startswith(f"{refusal.message} (Service: AWSLambda; Status Code: ")


def test_a_fault_of_lambdas_is_a_service_exception() -> None:
    rig = Rig()
    rig.functions.refusal = RuntimeError("broken")  # type: ignore[assignment]
    assert rig.fails(FUNCTION, {}).error == "Lambda.ServiceException"


# --- lambda:invoke -------------------------------------------------------------------------


def test_invoke_answers_invokes_response_with_the_payload_parsed() -> None:
    rig = Rig()
    rig.functions.answers["f"] = Answer(b'{"ok": 1}', request_id="r-9", executed_version="3")
    result = rig.run(INVOKE, {"FunctionName": "f", "Payload": {"in": [1]}})
    assert rig.functions.calls[0]["payload"] == b'{"in":[1]}'
    assert result["ExecutedVersion"] == "3"
    assert result["Payload"] == {"ok": 1}
    assert result["StatusCode"] == 200
    assert result["SdkResponseMetadata"] == {"RequestId": "r-9"}
    metadata = result["SdkHttpMetadata"]
    assert metadata["HttpStatusCode"] == 200
    # AWS's header set, in AWS's order (recorded on AWS).
    assert list(metadata["AllHttpHeaders"]) == [
        "X-Amz-Executed-Version",
        "x-amzn-Remapped-Content-Length",
        "Connection",
        "x-amzn-RequestId",
        "Content-Length",
        "Date",
        "X-Amzn-Trace-Id",
        "Content-Type",
    ]
    assert metadata["HttpHeaders"]["Content-Length"] == str(len(b'{"ok": 1}'))
    assert metadata["HttpHeaders"]["x-amzn-RequestId"] == "r-9"
    assert metadata["HttpHeaders"]["Date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert list(result) == [
        "ExecutedVersion",
        "Payload",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
        "StatusCode",
    ]


@pytest.mark.parametrize(
    ("payload", "sent"),
    [
        # A string is the payload's text itself (recorded on AWS: "\"HelloWorld\"" reaches
        # the function as the JSON string "HelloWorld").
        ('"HelloWorld"', b'"HelloWorld"'),
        ("null", b"null"),
        ({"k": "v"}, b'{"k":"v"}'),
        ([1, 2], b"[1,2]"),
        (0, b"0"),
        (None, b"{}"),
    ],
)
def test_invokes_payload_parameter(payload: Any, sent: bytes) -> None:
    rig = Rig()
    rig.run(INVOKE, {"FunctionName": "f", "Payload": payload})
    assert rig.functions.calls[0]["payload"] == sent


def test_an_output_that_is_not_json_is_its_text() -> None:
    rig = Rig()
    rig.functions.answers["f"] = Answer(b"plain words")
    assert rig.run(INVOKE, {"FunctionName": "f"})["Payload"] == "plain words"


def test_invoke_qualifies_the_function() -> None:
    rig = Rig()
    rig.run(INVOKE, {"FunctionName": "f", "Qualifier": "prod"})
    assert rig.functions.calls[0]["arn"] == "f:prod"


def test_invokes_function_error_is_compacted() -> None:
    rig = Rig()
    rig.functions.answers["f"] = Answer(
        b'{"errorMessage": "no", "errorType": "Oops", "stackTrace": []}', function_error="Unhandled"
    )
    failure = rig.fails(INVOKE, {"FunctionName": "f"})
    assert (failure.error, failure.cause) == (
        "Oops",
        '{"errorMessage":"no","errorType":"Oops","stackTrace":[]}',
    )


def test_invoke_needs_a_function_name() -> None:
    assert Rig().fails(INVOKE, {"Payload": {}}).error == "Lambda.InvalidParameterValueException"


def test_an_event_invoke_is_a_call_of_lambdas_api() -> None:
    rig = Rig()
    rig.calls.answer("lambda", "Invoke", SdkResponse({"StatusCode": 202, "Payload": ""}, 202, "r"))
    result = rig.run(INVOKE, {"FunctionName": "f", "InvocationType": "Event", "Payload": {"a": 1}})
    assert rig.functions.calls == []
    ((service, operation, params, role),) = rig.calls.calls
    assert (service, operation, role) == ("lambda", "Invoke", ROLE)
    assert params == {"FunctionName": "f", "InvocationType": "Event", "Payload": b'{"a":1}'}
    assert result["StatusCode"] == 202
    assert result["Payload"] == ""
    assert result["SdkHttpMetadata"]["HttpStatusCode"] == 202
    assert "ExecutedVersion" not in result


def test_a_tail_of_the_log_is_answered_through_lambdas_api() -> None:
    rig = Rig()
    answer = {
        "StatusCode": 200,
        "Payload": '{"r":1}',
        "ExecutedVersion": "$LATEST",
        "LogResult": "TE9H",
    }
    rig.calls.answer("lambda", "Invoke", SdkResponse(answer, 200, "r"))
    result = rig.run(INVOKE, {"FunctionName": "f", "LogType": "Tail"})
    assert result["LogResult"] == "TE9H"
    assert result["Payload"] == {"r": 1}
    assert result["SdkHttpMetadata"]["HttpHeaders"]["X-Amz-Log-Result"] == "TE9H"


def test_a_function_error_through_lambdas_api() -> None:
    rig = Rig()
    answer = {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "Payload": '{"errorType": "E", "errorMessage": "m"}',
    }
    rig.calls.answer("lambda", "Invoke", SdkResponse(answer, 200, "r"))
    failure = rig.fails(INVOKE, {"FunctionName": "f", "ClientContext": "e30="})
    assert (failure.error, failure.cause) == ("E", '{"errorType":"E","errorMessage":"m"}')


def test_lambdas_api_refusing_an_event_invoke() -> None:
    rig = Rig()
    rig.calls.answer(
        "lambda",
        "Invoke",
        SdkFailure("ResourceNotFoundException", "Function not found: x", 404, "r"),
    )
    failure = rig.fails(INVOKE, {"FunctionName": "x", "InvocationType": "Event"})
    assert failure.error == "Lambda.ResourceNotFoundException"
    assert failure.cause == (
        "Function not found: x (Service: AWSLambda; Status Code: 404; Error Code: "
        "ResourceNotFoundException; Request ID: r; Proxy: null)"
    )


# --- SQS, SNS, EventBridge -----------------------------------------------------------------

SENT = {"MD5OfMessageBody": "0" * 32, "MessageId": "1" * 36}


def test_send_message_stringifies_an_object_body_and_adds_aws_metadata() -> None:
    rig = Rig()
    rig.calls.answer("sqs", "SendMessage", SdkResponse(dict(SENT), 200, "rid", {"date": "D"}))
    result = rig.run(
        "arn:aws:states:::sqs:sendMessage",
        {"QueueUrl": "http://q", "MessageBody": {"task": "$$.Task.Token"}, "DelaySeconds": None},
    )
    ((_, operation, params, role),) = rig.calls.calls
    assert (operation, role) == ("SendMessage", ROLE)
    assert params == {"QueueUrl": "http://q", "MessageBody": '{"task":"$$.Task.Token"}'}
    assert result["MessageId"] == "1" * 36
    assert result["SdkResponseMetadata"] == {"RequestId": "rid"}
    # Recorded on AWS: this answer is 106 bytes of JSON.
    assert result["SdkHttpMetadata"] == {
        "AllHttpHeaders": {
            "x-amzn-RequestId": ["rid"],
            "connection": ["keep-alive"],
            "Content-Length": ["106"],
            "Date": ["D"],
            "Content-Type": ["application/x-amz-json-1.0"],
        },
        "HttpHeaders": {
            "connection": "keep-alive",
            "Content-Length": "106",
            "Content-Type": "application/x-amz-json-1.0",
            "Date": "D",
            "x-amzn-RequestId": "rid",
        },
        "HttpStatusCode": 200,
    }


def test_sqs_refusals_and_silence() -> None:
    rig = Rig()
    rig.calls.answer(
        "sqs",
        "SendMessage",
        SdkFailure("AWS.SimpleQueueService.NonExistentQueue", "gone", 400, "r"),
        SdkUnreachable("connection refused"),
    )
    arn = "arn:aws:states:::sqs:sendMessage"
    assert rig.fails(arn, {"QueueUrl": "q", "MessageBody": "m"}).error == (
        "SQS.QueueDoesNotExistException"
    )
    silent = rig.fails(arn, {"QueueUrl": "q", "MessageBody": "m"})
    assert (silent.error, silent.cause) == (
        "SQS.SdkClientException",
        "Unable to execute HTTP request: connection refused",
    )


def test_publish_stringifies_an_object_message() -> None:
    rig = Rig()
    headers = {"content-length": "294", "date": "D"}
    rig.calls.answer("sns", "Publish", SdkResponse({"MessageId": "m1"}, 200, "rid", headers))
    result = rig.run(
        "arn:aws:states:::sns:publish", {"TopicArn": "t", "Message": {"Message": "Hi"}}
    )
    assert rig.calls.calls[0][2] == {"TopicArn": "t", "Message": '{"Message":"Hi"}'}
    assert result["MessageId"] == "m1"
    assert result["SdkHttpMetadata"]["AllHttpHeaders"] == {
        "x-amzn-RequestId": ["rid"],
        "Content-Length": ["294"],
        "Date": ["D"],
        "Content-Type": ["text/xml"],
    }


def test_put_events_adds_the_executions_arns_to_each_entry() -> None:
    rig = Rig()
    answer = {"FailedEntryCount": 0, "Entries": [{"EventId": "e1"}, {"EventId": "e2"}]}
    rig.calls.answer("events", "PutEvents", SdkResponse(answer, 200, "rid"))
    result = rig.run(
        "arn:aws:states:::events:putEvents",
        {"Entries": [{"Detail": {"a": 1}, "Resources": ["r1"]}, {"Detail": "{}"}]},
    )
    assert result == answer  # no SdkHttpMetadata for EventBridge
    assert rig.calls.calls[0][2]["Entries"] == [
        {"Detail": '{"a":1}', "Resources": ["r1", EXECUTION.arn, MACHINE]},
        {"Detail": "{}", "Resources": [EXECUTION.arn, MACHINE]},
    ]


def test_a_failed_entry_fails_the_task() -> None:
    rig = Rig()
    answer = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "X", "ErrorMessage": "no"}]}
    rig.calls.answer("events", "PutEvents", SdkResponse(answer, 200, "rid"))
    failure = rig.fails("arn:aws:states:::events:putEvents", {"Entries": [{}]})
    assert (failure.error, json.loads(failure.cause)) == ("EventBridge.FailedEntry", answer)


# --- S3 for the distributed Map ------------------------------------------------------------


def test_get_object_answers_the_text() -> None:
    rig = Rig()
    rig.calls.answer("s3", "GetObject", SdkResponse({"Body": "a,b\n1,2\n", "ETag": "e"}, 200, "r"))
    assert rig.run("arn:aws:states:::s3:getObject", {"Bucket": "b", "Key": "k"}) == "a,b\n1,2\n"


def test_list_objects_reads_every_page_as_items() -> None:
    rig = Rig()
    first = {
        "IsTruncated": True,
        "NextContinuationToken": "t2",
        "Contents": [
            {"Key": "a", "ETag": '"e"', "Size": 1, "LastModified": "2022-11-17T15:44:41.000Z"}
        ],
    }
    second = {
        "IsTruncated": False,
        "Contents": [{"Key": "b", "ETag": '"f"', "Size": 2, "StorageClass": "GLACIER"}],
    }
    rig.calls.answer(
        "s3", "ListObjectsV2", SdkResponse(first, 200, "r"), SdkResponse(second, 200, "r")
    )
    items = rig.run("arn:aws:states:::s3:listObjectsV2", {"Bucket": "b", "Prefix": "p/"})
    assert items == [
        {
            "Etag": '"e"',
            "Key": "a",
            "LastModified": 1668699881,
            "Size": 1,
            "StorageClass": "STANDARD",
        },
        {"Etag": '"f"', "Key": "b", "LastModified": None, "Size": 2, "StorageClass": "GLACIER"},
    ]
    assert [call[2].get("ContinuationToken") for call in rig.calls.calls] == [None, "t2"]


def test_put_object_writes_text_as_it_is() -> None:
    rig = Rig()
    rig.run("arn:aws:states:::s3:putObject", {"Bucket": "b", "Key": "k", "Body": "[1,2]"})
    assert rig.calls.calls[0][2]["Body"] == b"[1,2]"


def test_s3_failures_are_named_as_optimized_integrations_name_them() -> None:
    rig = Rig()
    rig.calls.answer(
        "s3", "GetObject", SdkFailure("NoSuchKey", "The specified key does not exist.", 404, "r")
    )
    assert rig.fails("arn:aws:states:::s3:getObject", {"Bucket": "b", "Key": "k"}).error == (
        "S3.NoSuchKeyException"
    )


# --- states:startExecution -----------------------------------------------------------------

START = "arn:aws:states:::states:startExecution"
CHILD = "arn:aws:states:us-east-1:000000000000:stateMachine:child"
CHILD_RUN = "arn:aws:states:us-east-1:000000000000:execution:child:run"


def test_start_execution_answers_its_arn_and_start() -> None:
    rig = Rig()
    result = rig.run(START, {"StateMachineArn": CHILD, "Name": "run", "Input": {"k": 1}})
    assert rig.children.started == [(CHILD, "run", '{"k":1}', EXECUTION.arn, ROLE)]
    assert result["ExecutionArn"] == CHILD_RUN
    assert result["StartDate"] == "2023-11-14T22:13:20.000Z"
    assert result["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"] == "application/x-amz-json-1.0"
    assert rig.children.waited == []
    assert rig.progress.submitted_outputs == []


def test_start_execution_input_defaults_and_text() -> None:
    rig = Rig()
    rig.run(START, {"StateMachineArn": CHILD})
    rig.run(START, {"StateMachineArn": CHILD, "Input": '{"as":"is"}'})
    assert [started[1:3] for started in rig.children.started] == [
        (None, "{}"),
        (None, '{"as":"is"}'),
    ]


def _finished(status: str = "SUCCEEDED", **more: Any) -> dict[str, Any]:
    return {
        "stateMachineArn": CHILD,
        "name": "run",
        "status": status,
        "startDate": NOW,
        "stopDate": NOW + 1.5,
        "input": '{"k":1}',
        "inputDetails": {"included": True},
        **more,
    }


def test_sync_records_the_start_then_answers_the_childs_description() -> None:
    rig = Rig()
    rig.children.description = _finished(output='{"r":2}', outputDetails={"included": True})
    result = rig.run(START + ".sync", {"StateMachineArn": CHILD, "Name": "run"})
    (submitted,) = rig.progress.submitted_outputs
    assert submitted["ExecutionArn"] == CHILD_RUN
    assert rig.children.waited == [CHILD_RUN]
    assert result == {
        "ExecutionArn": CHILD_RUN,
        "StateMachineArn": CHILD,
        "Name": "run",
        "Status": "SUCCEEDED",
        "StartDate": "2023-11-14T22:13:20.000Z",
        "StopDate": "2023-11-14T22:13:21.500Z",
        "Input": '{"k":1}',
        "InputDetails": {"Included": True},
        "Output": '{"r":2}',
        "OutputDetails": {"Included": True},
    }


def test_sync2_parses_the_output() -> None:
    rig = Rig()
    rig.children.description = _finished(output='{"r":2}')
    assert rig.run(START + ".sync:2", {"StateMachineArn": CHILD})["Output"] == {"r": 2}


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "ABORTED"])
def test_a_child_that_did_not_succeed_fails_the_task(status: str) -> None:
    rig = Rig()
    rig.children.description = _finished(status, error="Boom", cause="it broke")
    failure = rig.fails(START + ".sync", {"StateMachineArn": CHILD, "Name": "run"})
    assert failure.error == "States.TaskFailed"
    described = json.loads(failure.cause)
    assert (described["Status"], described["Error"], described["Cause"]) == (
        status,
        "Boom",
        "it broke",
    )


def test_a_resumed_sync_task_waits_for_the_child_it_had_started() -> None:
    rig = Rig()
    rig.children.description = _finished(output="{}")
    submitted = {"ExecutionArn": CHILD_RUN, "StartDate": "2023-11-14T22:13:20.000Z"}
    result = rig.run(START + ".sync", {"StateMachineArn": CHILD}, submitted=submitted, resumed=True)
    assert rig.children.started == []
    assert rig.progress.submitted_outputs == []
    assert result["Status"] == "SUCCEEDED"


def test_a_refused_start() -> None:
    rig = Rig()
    rig.children.refusal = NoMachine(f"State Machine Does Not Exist: '{CHILD}'")
    failure = rig.fails(START + ".sync", {"StateMachineArn": CHILD})
    assert failure.error == "StepFunctions.StateMachineDoesNotExistException"
    assert (
        "(Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist;"
        in (failure.cause)
    )


def test_without_child_executions_start_execution_is_not_offered() -> None:
    assert Rig(children=False).fails(START, {"StateMachineArn": CHILD}).error == "States.Runtime"


# --- AWS SDK integrations ------------------------------------------------------------------


def test_an_sdk_integration_calls_the_operation_and_answers_its_members() -> None:
    rig = Rig()
    rig.calls.answer("s3", "ListObjectsV2", SdkResponse({"Contents": [], "KeyCount": 0}, 200, "r"))
    result = rig.run("arn:aws:states:::aws-sdk:s3:listObjectsV2", {"Bucket": "b"})
    assert result == {"Contents": [], "KeyCount": 0}
    assert rig.calls.calls == [("s3", "ListObjectsV2", {"Bucket": "b"}, ROLE)]


@pytest.mark.parametrize(
    ("arn", "service", "operation"),
    [
        ("arn:aws:states:::aws-sdk:sfn:startExecution", "stepfunctions", "StartExecution"),
        ("arn:aws:states:::aws-sdk:eventbridge:putEvents", "events", "PutEvents"),
        ("arn:aws:states:::aws-sdk:cloudwatchlogs:createLogGroup", "logs", "CreateLogGroup"),
        (
            "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue",
            "secretsmanager",
            "GetSecretValue",
        ),
        ("arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken", "sqs", "SendMessage"),
    ],
)
def test_sdk_service_ids_name_botocores_services(arn: str, service: str, operation: str) -> None:
    rig = Rig()
    rig.run(arn, {})
    assert rig.calls.calls[0][:2] == (service, operation)


def test_sdk_failures() -> None:
    rig = Rig()
    rig.calls.answer(
        "s3",
        "ListObjects",
        SdkFailure("NoSuchBucket", "The specified bucket does not exist", 404, "r", "x"),
    )
    failure = rig.fails("arn:aws:states:::aws-sdk:s3:listObjects", {"Bucket": "b"})
    assert failure.error == "S3.NoSuchBucketException"
    assert failure.cause.endswith(
        "(Service: S3, Status Code: 404, Request ID: r, Extended Request ID: x)"
    )
    rig.calls.answer("sqs", "ListQueues", SdkUnreachable("refused"))
    assert rig.fails("arn:aws:states:::aws-sdk:sqs:listQueues").error == "Sqs.SdkClientException"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:states:::aws-sdk:sqs:frobnicate",  # no such operation
        "arn:aws:states:::aws-sdk:nosuchservice:listThings",
        "arn:aws:states:::aws-sdk:s3:listBuckets.sync",  # the SDK integrations have no .sync
        "arn:aws:states:::sqs:sendMessage.sync",
        "arn:aws:states:::lambda:invoke.sync",
        "arn:aws:states:::ecs:runTask.sync",
        "arn:aws:states:::s3:getObject.waitForTaskToken",
        "arn:aws:states:us-east-1:000000000000:activity:a",  # the interpreter's own
    ],
)
def test_resources_no_integration_serves_fail_the_execution(arn: str) -> None:
    failure = Rig().fails(arn, {})
    assert failure.error == "States.Runtime"
    assert f"The resource provided {arn} is not recognized." in failure.cause


# --- restarts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "error"),
    [
        (FUNCTION, "Lambda.ServiceException"),
        (INVOKE, "Lambda.ServiceException"),
        ("arn:aws:states:::sqs:sendMessage", "SQS.SdkClientException"),
        ("arn:aws:states:::sns:publish", "SNS.SdkClientException"),
        ("arn:aws:states:::events:putEvents", "EventBridge.SdkClientException"),
        ("arn:aws:states:::aws-sdk:dynamodb:getItem", "DynamoDb.SdkClientException"),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "SQS.SdkClientException"),
    ],
)
def test_an_attempt_lost_in_a_restart_is_not_made_again(arn: str, error: str) -> None:
    rig = Rig()
    failure = rig.fails(arn, {"FunctionName": "f", "StateMachineArn": CHILD}, resumed=True)
    assert failure.error == error
    assert "lost when Altus stopped" in failure.cause
    assert rig.functions.calls == [] and rig.calls.calls == [] and rig.children.started == []


@pytest.mark.parametrize("arn", [START, START + ".sync", START + ".sync:2"])
def test_a_nested_start_lost_in_a_restart_is_made_again_as_a_repeat(arn: str) -> None:
    """Its child is named by the attempt: the repeat reaches the child it started."""
    rig = Rig()
    rig.run(arn, {"StateMachineArn": CHILD}, resumed=True, key="/0@0#0")
    rig.run(arn, {"StateMachineArn": CHILD}, resumed=True, key="/0@0#0")
    first, second = rig.children.started
    assert first == second and first[1] is not None
    assert rig.children.repeats[0][0] is True


def test_a_callback_whose_message_was_recorded_goes_on_waiting() -> None:
    rig = Rig()
    submitted = {"MessageId": "m"}
    arn = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    assert rig.run(arn, {"QueueUrl": "q"}, submitted=submitted, resumed=True) == submitted
    assert rig.calls.calls == []


def test_a_callback_hands_back_the_submitting_calls_response() -> None:
    rig = Rig()
    rig.calls.answer("sqs", "SendMessage", SdkResponse(dict(SENT), 200, "rid"))
    result = rig.run(
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        {"QueueUrl": "q", "MessageBody": {"Token": "t"}},
        token="t",
    )
    assert result["MessageId"] == SENT["MessageId"]


# --- cancellation --------------------------------------------------------------------------


def test_a_cancelled_task_is_not_swallowed() -> None:
    rig = Rig()
    started = asyncio.Event()

    async def never(*args: Any, **kwargs: Any) -> SdkResponse:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    rig.calls.call = never  # type: ignore[method-assign]

    async def scenario() -> None:
        resource = parse_resource("arn:aws:states:::aws-sdk:sqs:listQueues")
        assert resource is not None
        task = asyncio.create_task(
            rig.integrations.run(TaskRequest(resource, {}, EXECUTION, "S"), rig.progress)
        )
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())


def test_offers() -> None:
    integrations = Rig().integrations
    offered = [
        FUNCTION,
        INVOKE,
        START + ".sync:2",
        "arn:aws:states:::aws-sdk:s3:getObject",
        "arn:aws:states:::sns:publish.waitForTaskToken",
    ]
    refused = [
        "arn:aws:states:::ecs:runTask",
        "arn:aws:states:::aws-sdk:s3:getObject.sync",
        "arn:aws:states:us-east-1:000000000000:activity:a",
    ]
    for arn in offered + refused:
        resource = parse_resource(arn)
        assert resource is not None
        assert integrations.offers(resource) is (arn in offered), arn


def test_a_cancelled_wait_leaves_the_function_running_to_its_end() -> None:
    rig = Rig()
    release = asyncio.Event()
    finished: list[bool] = []

    def call_as_service(*args: Any, **kwargs: Any) -> Awaitable[Answer]:
        async def invocation() -> Answer:
            await release.wait()
            finished.append(True)
            return Answer(b"{}")

        return invocation()

    rig.functions.call_as_service = call_as_service  # type: ignore[method-assign]

    async def scenario() -> None:
        resource = parse_resource(FUNCTION)
        assert resource is not None
        task = asyncio.create_task(
            rig.integrations.run(TaskRequest(resource, {}, EXECUTION, "S"), rig.progress)
        )
        for _ in range(5):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert finished == []
        release.set()
        for _ in range(5):
            await asyncio.sleep(0)
        assert finished == [True]

    asyncio.run(scenario())
