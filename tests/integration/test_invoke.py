"""Invoke semantics against a real ``altus up`` with real sandboxes, driven by boto3."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import time
from collections import Counter
from typing import Any

import pytest

from altus.packaging import zip_files
from tests.conftest import Server, create_function, invoke, log_tail

pytestmark = pytest.mark.integration

STATEFUL = """
import os, tempfile, uuid
count = 0
ENV = uuid.uuid4().hex

def handler(event, context):
    global count
    count += 1
    marker = os.path.join(tempfile.gettempdir(), "seen")
    existed = os.path.exists(marker)
    open(marker, "a").close()
    print("call", count)
    return {
        "count": count, "tmp_persisted": existed, "env_id": ENV,
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "client_context": context.client_context.custom if context.client_context else None,
        "identity": context.identity.cognito_identity_id,
        "env": {k: os.environ.get(k) for k in (
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
            "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "_HANDLER",
            "LAMBDA_TASK_ROOT", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
            "AWS_LAMBDA_INITIALIZATION_TYPE", "MY_SETTING", "_X_AMZN_TRACE_ID")},
        "cwd": os.getcwd(),
    }
"""


def test_request_response_context_environment_and_warm_state(client: Any) -> None:
    create_function(
        client,
        "stateful",
        {"app.py": STATEFUL},
        MemorySize=256,
        Timeout=7,
        Environment={"Variables": {"MY_SETTING": "on"}},
    )
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    response, first = invoke(client, "stateful", {"hello": "world"}, ClientContext=context)
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert first["event"] == {"hello": "world"}
    assert first["count"] == 1 and first["tmp_persisted"] is False
    assert first["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert first["function_name"] == "stateful" and first["function_version"] == "$LATEST"
    assert (
        first["invoked_function_arn"] == "arn:aws:lambda:us-east-1:000000000000:function:stateful"
    )
    assert first["memory_limit_in_mb"] == "256"
    assert first["log_group_name"] == "/aws/lambda/stateful"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", first["log_stream_name"])
    assert 0 < first["remaining"] <= 7000
    assert first["client_context"] == {"k": "v"}
    env = first["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "stateful"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["_HANDLER"] == "app.handler" and env["MY_SETTING"] == "on"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"].startswith("AWS_Lambda_python3.")
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert first["cwd"] == env["LAMBDA_TASK_ROOT"]

    _, second = invoke(client, "stateful", {})
    assert second["count"] == 2, "a warm environment keeps its globals"
    assert second["tmp_persisted"] is True, "/tmp persists within one environment"
    assert second["env_id"] == first["env_id"]
    assert second["client_context"] is None


def test_empty_payload_is_an_empty_object(client: Any) -> None:
    create_function(client, "echo", {"app.py": "def handler(e, c):\n    return e\n"})
    assert invoke(client, "echo")[1] == {}
    assert invoke(client, "echo", [1, "two", None])[1] == [1, "two", None]
    assert invoke(client, "echo", '"text"')[1] == "text"


def test_tail_log_has_start_end_report_and_output(client: Any) -> None:
    create_function(
        client,
        "talker",
        {
            "app.py": (
                "import logging, sys\n"
                "logger = logging.getLogger()\nlogger.setLevel(logging.INFO)\n"
                "print('at init')\n"
                "def handler(e, c):\n"
                "    print('to stdout')\n"
                "    print('to stderr', file=sys.stderr)\n"
                "    logger.info('via logging')\n"
                "    return 1\n"
            )
        },
    )
    cold, _ = invoke(client, "talker", LogType="Tail")
    cold_log = log_tail(cold)
    assert "at init" in cold_log
    assert "INIT_START" in cold_log
    assert re.search(r"Init Duration: \d+\.\d\d ms", cold_log)
    warm, _ = invoke(client, "talker", LogType="Tail")
    text = log_tail(warm)
    request_id = warm["ResponseMetadata"]["RequestId"]
    lines = text.splitlines()
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert "to stdout" in lines and "to stderr" in lines
    assert re.search(rf"\[INFO\]\t\d{{4}}-\d\d-\d\dT[\d:.]+Z\t{request_id}\tvia logging", text)
    assert f"END RequestId: {request_id}" in lines
    report = lines[-1]
    assert re.fullmatch(
        rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB",
        report,
    )
    assert "Init Duration" not in report
    assert "LogResult" not in invoke(client, "talker")[0]


def test_tail_is_the_last_4kb(client: Any) -> None:
    create_function(
        client,
        "chatty",
        {"app.py": ("def handler(e, c):\n    for i in range(2000):\n        print('line', i)\n")},
    )
    response, _ = invoke(client, "chatty", LogType="Tail")
    raw = base64.b64decode(response["LogResult"])
    assert len(raw) <= 4096
    assert raw.decode().rstrip("\n").splitlines()[-1].startswith("REPORT RequestId")
    assert "line 1999" in raw.decode()


def test_handler_exception_is_200_unhandled_with_error_document(client: Any) -> None:
    create_function(
        client,
        "raiser",
        {"app.py": ("def handler(e, c):\n    raise ValueError('bad input: ' + str(e.get('x')))\n")},
    )
    response, body = invoke(client, "raiser", {"x": 7}, LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "bad input: 7"
    assert body["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert any("raise ValueError" in frame for frame in body["stackTrace"])
    # One log event, its lines joined by \r, as Lambda's Python runtime writes it.
    assert "[ERROR] ValueError: bad input: 7\rTraceback (most recent call last):\r" in log_tail(
        response
    )
    assert invoke(client, "raiser", {"x": 8})[1]["errorMessage"] == "bad input: 8"


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"app.py": "def handler(e, c): return 1\n"},
            "missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        (
            {"app.py": "def handler(e, c): return 1\n"},
            "app.nothere",
            "Runtime.HandlerNotFound",
            "Handler 'nothere' missing on module 'app'",
        ),
        (
            {"app.py": "def handler(e, c) return 1\n"},
            "app.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'app'",
        ),
        (
            {"app.py": "def handler(e, c): return 1\n"},
            "apphandler",
            "Runtime.MalformedHandlerName",
            "Bad handler 'apphandler'",
        ),
        (
            {"app.py": "import not_installed_anywhere\n"},
            "app.handler",
            "Runtime.ImportModuleError",
            "No module named 'not_installed_anywhere'",
        ),
        (
            {"app.py": "raise RuntimeError('init failed')\n"},
            "app.handler",
            "RuntimeError",
            "init failed",
        ),
    ],
)
def test_init_errors_are_reported_like_lambda(
    client: Any, files: dict[str, str], handler: str, error_type: str, message: str
) -> None:
    name = f"init-{abs(hash((handler, error_type, message))) % 10**8}"
    create_function(client, name, files, handler=handler)
    for _ in range(2):  # a failed init is not cached: every invoke tries again
        response, body = invoke(client, name, {}, LogType="Tail")
        assert response["StatusCode"] == 200
        assert response["FunctionError"] == "Unhandled"
        assert body["errorType"] == error_type
        assert message in body["errorMessage"]
        assert f"Error Type: {error_type}" in log_tail(response)


def test_timeout_kills_and_reports(client: Any) -> None:
    create_function(
        client,
        "sleeper",
        {
            "app.py": (
                "import time\n"
                "calls = 0\n"
                "def handler(e, c):\n"
                "    global calls\n"
                "    calls += 1\n"
                "    time.sleep(e.get('sleep', 0))\n"
                "    return calls\n"
            )
        },
        Timeout=1,
    )
    started = time.monotonic()
    response, body = invoke(client, "sleeper", {"sleep": 30}, LogType="Tail")
    assert time.monotonic() - started < 10
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    log = log_tail(response)
    assert "Task timed out after 1.00 seconds" in log
    assert "Status: timeout" in log
    # The environment was reset: the next invoke starts a fresh one.
    assert invoke(client, "sleeper", {"sleep": 0})[1] == 1


def test_memory_ceiling_is_enforced(altus_server: Server, client: Any) -> None:
    create_function(
        client,
        "hog",
        {
            "app.py": (
                "def handler(e, c):\n"
                "    blob = bytearray(e['mb'] * 1024 * 1024)\n"
                "    return len(blob)\n"
            )
        },
        MemorySize=128,
    )
    response, body = invoke(client, "hog", {"mb": 400})
    assert response["FunctionError"] == "Unhandled"
    if altus_server.sandbox == "linux":
        # The cgroup's limit: the kernel kills the runtime, reported as Lambda does.
        assert body["errorType"] == "Runtime.OutOfMemory"
        assert body["errorMessage"].endswith("Runtime exited with error: signal: killed")
    else:
        # The process backend's RLIMIT_DATA: the allocation fails inside the runtime.
        assert body["errorType"] in ("MemoryError", "Runtime.ExitError")
    response, body = invoke(client, "hog", {"mb": 20})
    assert "FunctionError" not in response and body == 20 * 1024 * 1024
    client.update_function_configuration(FunctionName="hog", MemorySize=1024)
    client.get_waiter("function_updated_v2").wait(
        FunctionName="hog", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    response, body = invoke(client, "hog", {"mb": 400}, LogType="Tail")
    assert "FunctionError" not in response, body
    memory = re.search(r"Max Memory Used: (\d+) MB", log_tail(response))
    assert memory, log_tail(response)
    used = int(memory[1])
    assert used >= 400


def test_runtime_crash_is_runtime_exit_error(client: Any) -> None:
    create_function(
        client,
        "crasher",
        {
            "app.py": (
                "import os\n"
                "def handler(e, c):\n"
                "    if e.get('crash'):\n"
                "        os._exit(3)\n"
                "    return 'fine'\n"
            )
        },
    )
    response, body = invoke(client, "crasher", {"crash": True}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: exit status 3")
    assert "Error Type: Runtime.ExitError" in log_tail(response)
    assert invoke(client, "crasher", {})[1] == "fine"


def test_oversized_response_is_refused(client: Any) -> None:
    create_function(
        client,
        "bigresult",
        {"app.py": ("def handler(e, c):\n    return 'x' * (7 * 1024 * 1024)\n")},
        MemorySize=512,
    )
    response, body = invoke(client, "bigresult")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"


def test_unserializable_result_is_a_marshal_error(client: Any) -> None:
    create_function(
        client, "unmarshal", {"app.py": ("def handler(e, c):\n    return {'s': {1, 2}}\n")}
    )
    response, body = invoke(client, "unmarshal")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.MarshalError"


def test_event_invoke_runs_in_the_background(altus_server: Server, client: Any) -> None:
    create_function(
        client,
        "background",
        {
            "app.py": (
                "import json\n"
                "def handler(e, c):\n"
                "    print('ran', json.dumps({'event': e, 'id': c.aws_request_id}))\n"
            )
        },
    )
    response = client.invoke(
        FunctionName="background", InvocationType="Event", Payload=json.dumps({"async": True})
    )
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    logs = altus_server.logs_client()
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while not found and time.monotonic() < deadline:
        time.sleep(0.05)
        with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
            found = logs.filter_log_events(
                logGroupName="/aws/lambda/background", filterPattern='"ran"'
            )["events"]
    assert found, "the Event invoke never ran"
    written = json.loads(found[0]["message"].split(" ", 1)[1])
    assert written["event"] == {"async": True}
    assert written["id"] == response["ResponseMetadata"]["RequestId"]
    legacy = client.invoke_async(FunctionName="background", InvokeArgs=b'{"legacy": 1}')
    assert legacy["Status"] == 202


def test_versions_and_aliases_route_invokes(client: Any) -> None:
    create_function(client, "routed", {"app.py": "def handler(e, c):\n    return 'one'\n"})
    client.publish_version(FunctionName="routed")
    client.update_function_code(
        FunctionName="routed",
        ZipFile=zip_files({"app.py": "def handler(e, c):\n    return 'two'\n"}),
    )
    client.get_waiter("function_updated_v2").wait(
        FunctionName="routed", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    client.publish_version(FunctionName="routed")
    assert invoke(client, "routed", Qualifier="1")[1] == "one"
    assert invoke(client, "routed:2")[1] == "two"
    assert invoke(client, "arn:aws:lambda:us-east-1:000000000000:function:routed:1")[1] == "one"
    assert invoke(client, "routed")[1] == "two"
    client.create_alias(
        FunctionName="routed",
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    executed: Counter[str] = Counter()
    for _ in range(60):
        response, body = invoke(client, "routed", Qualifier="canary")
        executed[response["ExecutedVersion"]] += 1
        assert body == {"1": "one", "2": "two"}[response["ExecutedVersion"]]
    assert executed["1"] > 5 and executed["2"] > 5
    client.update_alias(
        FunctionName="routed",
        Name="canary",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {}},
    )
    response, body = invoke(client, "routed:canary")
    assert (response["ExecutedVersion"], body) == ("2", "two")


def test_update_retires_warm_environments(client: Any) -> None:
    create_function(
        client,
        "retire",
        {
            "app.py": (
                "import os, uuid\n"
                "ENV = uuid.uuid4().hex\n"
                "def handler(e, c):\n"
                "    return [ENV, os.environ.get('GEN')]\n"
            )
        },
        Environment={"Variables": {"GEN": "a"}},
    )
    pid, _gen = invoke(client, "retire")[1]
    assert invoke(client, "retire")[1] == [pid, "a"]
    client.update_function_configuration(
        FunctionName="retire", Environment={"Variables": {"GEN": "b"}}
    )
    client.get_waiter("function_updated_v2").wait(
        FunctionName="retire", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    new_pid, new_gen = invoke(client, "retire")[1]
    assert new_gen == "b" and new_pid != pid


def test_logs_reach_the_logs_api(altus_server: Server, client: Any) -> None:
    create_function(
        client, "logged", {"app.py": ("def handler(e, c):\n    print('needle', e['n'])\n")}
    )
    ids = [invoke(client, "logged", {"n": n})[0]["ResponseMetadata"]["RequestId"] for n in range(3)]
    logs = altus_server.logs_client()
    groups = [
        g["logGroupName"]
        for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/logged")["logGroups"]
    ]
    assert groups == ["/aws/lambda/logged"]
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/logged")["logStreams"]
    assert len(streams) == 1
    events = logs.get_log_events(
        logGroupName="/aws/lambda/logged",
        logStreamName=streams[0]["logStreamName"],
        startFromHead=True,
    )["events"]
    messages = [e["message"] for e in events]
    assert f"START RequestId: {ids[0]} Version: $LATEST" in messages
    assert "needle 2" in messages
    found = logs.filter_log_events(logGroupName="/aws/lambda/logged", filterPattern="needle")[
        "events"
    ]
    assert [e["message"] for e in found] == ["needle 0", "needle 1", "needle 2"]
    assert (
        logs.filter_log_events(logGroupName="/aws/lambda/logged", filterPattern='"needle 1"')[
            "events"
        ][0]["message"]
        == "needle 1"
    )
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.filter_log_events(logGroupName="/aws/lambda/nothing-here")


def test_payloads_near_the_6mb_limit_round_trip(client: Any) -> None:
    create_function(
        client, "bigecho", {"app.py": "def handler(e, c):\n    return e\n"}, MemorySize=1024
    )
    blob = "y" * (5 * 1024 * 1024)
    response, body = invoke(client, "bigecho", {"blob": blob})
    assert "FunctionError" not in response
    assert body == {"blob": blob}


def test_create_and_update_with_publish(client: Any) -> None:
    created = create_function(
        client, "pub", {"app.py": "def handler(e, c):\n    return 1\n"}, Publish=True
    )
    assert created["Version"] == "1"
    updated = client.update_function_code(
        FunctionName="pub",
        Publish=True,
        ZipFile=zip_files({"app.py": "def handler(e, c):\n    return 2\n"}),
    )
    assert updated["Version"] == "2"
    assert invoke(client, "pub:1")[1] == 1
    assert invoke(client, "pub:2")[1] == 2


def test_a_flood_of_output_is_capped_and_the_server_keeps_serving(client: Any) -> None:
    create_function(
        client,
        "flood",
        {
            "app.py": (
                "import sys\n"
                "def handler(e, c):\n"
                "    line = 'z' * 1023 + '\\n'\n"
                "    for _ in range(e['mb'] * 1024):\n"
                "        sys.stdout.write(line)\n"
                "    return 'done'\n"
            )
        },
        Timeout=60,
        MemorySize=256,
    )
    response, body = invoke(client, "flood", {"mb": 64}, LogType="Tail")
    assert body == "done"
    tail = log_tail(response)
    assert "output truncated" in tail
    assert "REPORT RequestId" in tail
    assert invoke(client, "flood", {"mb": 0})[1] == "done"
