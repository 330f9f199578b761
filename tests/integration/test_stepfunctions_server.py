"""Step Functions on a real ``altus up`` (the portable sandbox, on each store: a SQLite
file and the machine's PostgreSQL), with Step Functions' clock scaled down
(``ALTUS_STEPFUNCTIONS_TIME_SCALE``).

- SIGKILL mid-execution, then a restart on the same store: executions resume from their
  journal. A Wait that ended while the server was down ends at once, not a whole wait
  after the restart; a Lambda task whose outcome the kill lost fails with
  ``Lambda.ServiceException`` and its retrier runs the function again (the function's
  messages count its runs); a ``.waitForTaskToken`` task waits on after the restart and
  takes the answer sent then. Every history stays whole: what was recorded before the
  kill is kept event for event, the ids after it go on from there.
- The AWS CLI: create, start, describe, history; and StartSyncExecution, whose host
  prefix (``sync-``) the SDKs put before the endpoint's host: reached with the SDK's
  setting that turns the prefix off, and served whatever ``sync-`` Host the request
  names (the service is chosen by ``X-Amz-Target``, never by host).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import (
    NodeSdkSource,
    Server,
    create_function,
    lambda_client,
    python_function,
    start_server,
    unavailable,
)
from tests.integration.aws_cli import aws
from tests.integration.stepfunctions_server import (
    ACCOUNT,
    REGION,
    ROLE,
    SCALE,
    Altus,
    assert_kept,
    assert_whole,
    client,
    closed,
    drained,
    event_of,
    history,
    messages,
    poll,
    server_env,
    stamp,
    state_machine,
    types,
)

pytestmark = pytest.mark.integration

HOUR = 3600
#: What an hour's Wait lasts on the scaled clock.
SCALED_HOUR = HOUR * SCALE

#: Sends its event to the queue $OUT, then sleeps ``event["sleep"]`` seconds on its
#: first attempt (the Context object's retry count, passed in, is 0).
SLEEPER = python_function(
    """
import json, os, time, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps(event))
    if event["retry"] == 0:
        time.sleep(event["sleep"])
    return {"ran": event["retry"]}
"""
)


@pytest.fixture
def altus(tmp_path: Path, server_store: dict[str, str]) -> Iterator[Altus]:
    """A server of the test's own on each store, which the test kills and starts again."""
    running = Altus(tmp_path / "data", server_store)
    running.start()
    yield running
    running.stop()


# --- SIGKILL mid-execution ---------------------------------------------------------------------


def wait_machine(sfn: Any, name: str, seconds: int) -> str:
    return state_machine(
        sfn,
        name,
        {
            "StartAt": "Nap",
            "States": {
                "Nap": {"Type": "Wait", "Seconds": seconds, "Next": "Done"},
                "Done": {"Type": "Pass", "Result": "woke", "End": True},
            },
        },
    )


def test_a_wait_that_ended_while_the_server_was_down_ends_at_once(altus: Altus) -> None:
    """The Wait records its wake time before it sleeps; resumed after that time it ends at
    once. Seen without a timing threshold: after the restart a second execution starts a
    Wait of half an hour (half the first one's length), and the first execution's Wait
    must end before that one does. Resumed as it should be, it ends on resuming (before
    the second even starts); sleeping a whole wait again from the restart it would end
    half a wait after the second's. Nor does it end before its recorded wake
    (WaitStateEntered + the scaled hour)."""
    sfn = altus.client("stepfunctions")
    sleeper = wait_machine(sfn, "hour", HOUR)
    halfway = wait_machine(sfn, "half-hour", HOUR // 2)
    first = sfn.start_execution(stateMachineArn=sleeper, input='{"n": 1}')["executionArn"]
    entered = event_of(sfn, first, "WaitStateEntered")
    before = history(sfn, first)
    altus.kill()

    # Down until the wake time has passed (the server's clock is this machine's).
    time.sleep(max(0.0, stamp(entered) + SCALED_HOUR - time.time()) + 0.2)
    assert time.time() > stamp(entered) + SCALED_HOUR
    altus.start()
    sfn = altus.client("stepfunctions")
    second = sfn.start_execution(stateMachineArn=halfway)["executionArn"]

    events = napped(sfn, first, before)
    exited = events[2]
    # Timestamps are in milliseconds: the wake time rounded down may look a hair early.
    assert stamp(exited) >= stamp(entered) + SCALED_HOUR - 0.001
    assert closed(sfn, second)["status"] == "SUCCEEDED"
    other = next(e for e in history(sfn, second) if e["type"] == "WaitStateExited")
    assert stamp(exited) < stamp(other), "the resumed Wait slept again after the restart"


def test_a_wait_still_ahead_after_the_restart_ends_at_its_recorded_time(altus: Altus) -> None:
    """Killed early in a four-hour Wait (14.4 s scaled) and started again three seconds
    later, long before the wake: the resumed Wait neither ends at once (not before
    WaitStateEntered + the wait) nor sleeps the whole wait again from the restart (that
    would end at the earliest a whole wait after the new process was launched; the
    recorded wake is the downtime, three seconds, before that)."""
    wait = 4 * SCALED_HOUR
    sfn = altus.client("stepfunctions")
    sleeper = wait_machine(sfn, "four-hours", 4 * HOUR)
    execution = sfn.start_execution(stateMachineArn=sleeper)["executionArn"]
    entered = event_of(sfn, execution, "WaitStateEntered")
    before = history(sfn, execution)
    altus.kill()
    time.sleep(3.0)

    altus.start()
    launched = altus.launched_at
    assert launched + 1.0 < stamp(entered) + wait, "the restart came after the wake"
    sfn = altus.client("stepfunctions")
    exited = napped(sfn, execution, before)[2]
    assert stamp(exited) >= stamp(entered) + wait - 0.001, "the resumed Wait ended early"
    assert stamp(exited) < launched + wait, "the resumed Wait slept again after the restart"


def napped(sfn: Any, execution: str, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history of a ``wait_machine`` execution that succeeded, checked whole."""
    described = closed(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == "woke"
    events = history(sfn, execution)
    assert_whole(events)
    assert_kept(before, events)
    assert types(events) == [
        "ExecutionStarted",
        "WaitStateEntered",
        "WaitStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    return events


def test_a_lambda_task_cut_off_by_a_kill_fails_and_is_retried(altus: Altus) -> None:
    """The task's outcome was lost with the server: the resumed execution does not run it
    again on its own but fails it with Lambda.ServiceException, which the state's
    retrier retries; the function ran twice (once cut off, once to the end)."""
    sqs = altus.client("sqs")
    runs = sqs.create_queue(QueueName="runs")["QueueUrl"]
    create_function(
        lambda_client(altus.url),
        "sleeper",
        SLEEPER,
        Timeout=120,
        Environment={"Variables": {"OUT": runs}},
    )
    sfn = altus.client("stepfunctions")
    machine = state_machine(
        sfn,
        "cut-off",
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {
                        "FunctionName": "sleeper",
                        "Payload": {"retry.$": "$$.State.RetryCount", "sleep": 120},
                    },
                    "OutputPath": "$.Payload",
                    "Retry": [
                        {
                            "ErrorEquals": ["Lambda.ServiceException"],
                            "IntervalSeconds": 1,
                            "MaxAttempts": 2,
                        }
                    ],
                    "End": True,
                }
            },
        },
    )
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    # The function is running (it sent before sleeping); its task is on record.
    assert messages(sqs, runs) == [{"retry": 0, "sleep": 120}]
    event_of(sfn, execution, "TaskStarted")
    before = history(sfn, execution)
    altus.kill()

    altus.start()
    sfn, sqs = altus.client("stepfunctions"), altus.client("sqs")
    described = closed(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"ran": 1}
    assert drained(sqs, runs) == [{"retry": 1, "sleep": 120}]

    events = history(sfn, execution)
    assert_whole(events)
    assert_kept(before, events)
    assert types(events)[len(before) :] == [
        "TaskFailed",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    failed = events[len(before)]["taskFailedEventDetails"]
    assert (failed["resourceType"], failed["resource"]) == ("lambda", "invoke")
    assert failed["error"] == "Lambda.ServiceException"


def test_a_callback_task_waits_on_across_a_kill(altus: Altus) -> None:
    """A ``.waitForTaskToken`` task killed while it waits: after the restart it waits on
    for the same token (the message carrying it is not sent again), and SendTaskSuccess
    sent then completes the execution with its output."""
    sqs = altus.client("sqs")
    tokens = sqs.create_queue(QueueName="tokens")["QueueUrl"]
    sfn = altus.client("stepfunctions")
    machine = state_machine(
        sfn,
        "callback",
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {
                        "QueueUrl": tokens,
                        "MessageBody": {"token.$": "$$.Task.Token", "question.$": "$.q"},
                    },
                    "End": True,
                }
            },
        },
    )
    execution = sfn.start_execution(stateMachineArn=machine, input='{"q": "six times seven?"}')[
        "executionArn"
    ]
    [asked] = messages(sqs, tokens)
    assert asked["question"] == "six times seven?"
    event_of(sfn, execution, "TaskSubmitted")
    before = history(sfn, execution)
    altus.kill()

    altus.start()
    sfn, sqs = altus.client("stepfunctions"), altus.client("sqs")
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=asked["token"], output='{"answer": 42}')
    described = closed(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"answer": 42}
    assert drained(sqs, tokens) == []

    events = history(sfn, execution)
    assert_whole(events)
    assert_kept(before, events)
    assert types(events) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    succeeded = events[5]["taskSucceededEventDetails"]
    assert (succeeded["resourceType"], succeeded["resource"]) == (
        "sqs",
        "sendMessage.waitForTaskToken",
    )
    assert json.loads(succeeded["output"]) == {"answer": 42}


def test_a_distributed_maps_children_resume_on_their_own(altus: Altus) -> None:
    """A distributed Map whose three children each Wait a (scaled) hour, killed while
    they wait: after the restart each child resumes from its own journal and ends once,
    the parent takes their outputs, and the Map Run lists the same three children (none
    started twice), each history kept whole across the kill."""
    sfn = altus.client("stepfunctions")
    machine = state_machine(
        sfn,
        "children",
        {
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": "Nap",
                        "States": {
                            "Nap": {"Type": "Wait", "Seconds": HOUR, "Next": "Done"},
                            "Done": {"Type": "Pass", "End": True},
                        },
                    },
                    "End": True,
                }
            },
        },
    )
    execution = sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3]")["executionArn"]
    map_run = event_of(sfn, execution, "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]

    def waiting() -> list[str] | None:
        listed = sfn.list_executions(mapRunArn=map_run)["executions"]
        arns = [child["executionArn"] for child in listed]
        entered = [a for a in arns if "WaitStateEntered" in types(history(sfn, a))]
        return arns if len(entered) == 3 else None

    children = poll(waiting, "three children waiting")
    before = {arn: history(sfn, arn) for arn in children}
    altus.kill()
    altus.start()
    sfn = altus.client("stepfunctions")

    done = closed(sfn, execution)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == [1, 2, 3]
    listed = sfn.list_executions(mapRunArn=map_run)["executions"]
    assert sorted(child["executionArn"] for child in listed) == sorted(children)
    for arn in children:
        assert closed(sfn, arn)["status"] == "SUCCEEDED"
        events = history(sfn, arn)
        assert_whole(events)
        assert_kept(before[arn], events)
        assert types(events).count("WaitStateExited") == 1
    run = sfn.describe_map_run(mapRunArn=map_run)
    assert run["status"] == "SUCCEEDED" and run["executionCounts"]["succeeded"] == 3


def test_branches_and_an_activity_resume_with_a_whole_history(altus: Altus) -> None:
    """A Parallel whose branches wait, run an inline Map of Waits, and hold an activity
    task a worker has taken, killed with all of them under way: after the restart the
    worker's heartbeat and answer reach the task, every branch ends once, and the history
    (whose events interleave across branches) keeps its ids whole."""
    sfn = altus.client("stepfunctions")
    activity = sfn.create_activity(name="work")["activityArn"]
    machine = state_machine(
        sfn,
        "branches",
        {
            "StartAt": "All",
            "States": {
                "All": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [
                        {
                            "StartAt": "Nap",
                            "States": {"Nap": {"Type": "Wait", "Seconds": 3000, "End": True}},
                        },
                        {
                            "StartAt": "Work",
                            "States": {
                                "Work": {
                                    "Type": "Task",
                                    "Resource": activity,
                                    "HeartbeatSeconds": HOUR * 100,
                                    "End": True,
                                }
                            },
                        },
                        {
                            "StartAt": "Each",
                            "States": {
                                "Each": {
                                    "Type": "Map",
                                    "ItemsPath": "$.items",
                                    "ItemProcessor": {
                                        "StartAt": "Doze",
                                        "States": {
                                            "Doze": {"Type": "Wait", "Seconds": 2000, "End": True}
                                        },
                                    },
                                    "End": True,
                                }
                            },
                        },
                    ],
                }
            },
        },
    )
    execution = sfn.start_execution(stateMachineArn=machine, input='{"items": [1, 2, 3]}')[
        "executionArn"
    ]
    task = sfn.get_activity_task(activityArn=activity, workerName="worker")
    assert json.loads(task["input"]) == {"items": [1, 2, 3]}
    event_of(sfn, execution, "ActivityStarted")
    before = history(sfn, execution)
    altus.kill()

    altus.start()
    sfn = altus.client("stepfunctions")
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    sfn.send_task_success(taskToken=task["taskToken"], output='"done"')
    described = closed(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == [{"items": [1, 2, 3]}, "done", [1, 2, 3]]
    events = history(sfn, execution)
    assert_whole(events)
    assert_kept(before, events)
    counts = {kind: types(events).count(kind) for kind in set(types(events))}
    assert counts == {
        "ExecutionStarted": 1,
        "ParallelStateEntered": 1,
        "ParallelStateStarted": 1,
        "WaitStateEntered": 4,
        "WaitStateExited": 4,
        "TaskStateEntered": 1,
        "ActivityScheduled": 1,
        "ActivityStarted": 1,
        "ActivitySucceeded": 1,
        "TaskStateExited": 1,
        "MapStateEntered": 1,
        "MapStateStarted": 1,
        "MapIterationStarted": 3,
        "MapIterationSucceeded": 3,
        "MapStateSucceeded": 1,
        "MapStateExited": 1,
        "ParallelStateSucceeded": 1,
        "ParallelStateExited": 1,
        "ExecutionSucceeded": 1,
    }
    started = next(e for e in events if e["type"] == "ActivityStarted")
    assert started["activityStartedEventDetails"] == {"workerName": "worker"}


# --- the AWS CLI, and StartSyncExecution's host ------------------------------------------------


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_store: dict[str, str]
) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("sfn"), extra_env=server_env(module_store))
    yield running
    running.stop()


def machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


EXPRESS_GREETING = json.dumps(
    {
        "StartAt": "Greet",
        "States": {
            "Greet": {
                "Type": "Pass",
                "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"},
                "End": True,
            }
        },
    }
)


def express_machine(url: str, name: str) -> str:
    sfn = client(url, "stepfunctions")
    arn: str = sfn.create_state_machine(
        name=name, definition=EXPRESS_GREETING, roleArn=ROLE, type="EXPRESS"
    )["stateMachineArn"]
    return arn


def test_the_cli_runs_an_execution(server: Server) -> None:
    definition = {
        "StartAt": "Nap",
        "States": {
            "Nap": {"Type": "Wait", "Seconds": 60, "Next": "Sum"},
            "Sum": {
                "Type": "Pass",
                "Parameters": {"total.$": "States.MathAdd($.a, $.b)"},
                "End": True,
            },
        },
    }
    created = aws(
        server.url,
        "stepfunctions",
        "create-state-machine",
        "--name",
        "cli",
        "--definition",
        json.dumps(definition),
        "--role-arn",
        ROLE,
    )
    assert created["stateMachineArn"] == machine_arn("cli")
    started = aws(
        server.url,
        "stepfunctions",
        "start-execution",
        "--state-machine-arn",
        machine_arn("cli"),
        "--name",
        "first",
        "--input",
        '{"a": 40, "b": 2}',
    )
    arn = started["executionArn"]
    assert arn == f"arn:aws:states:{REGION}:{ACCOUNT}:execution:cli:first"

    def done() -> dict[str, Any] | None:
        found: dict[str, Any] = aws(
            server.url, "stepfunctions", "describe-execution", "--execution-arn", arn
        )
        return found if found["status"] != "RUNNING" else None

    described = poll(done, f"{arn} closing")
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"total": 42}
    events = aws(server.url, "stepfunctions", "get-execution-history", "--execution-arn", arn)[
        "events"
    ]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "WaitStateEntered",
        "WaitStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [e["id"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert json.loads(events[-1]["executionSucceededEventDetails"]["output"]) == {"total": 42}


@pytest.mark.parametrize("how", ["environment", "config file"])
def test_the_cli_starts_a_sync_execution_without_the_host_prefix(
    server: Server, how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDKs' shared setting (``AWS_DISABLE_HOST_PREFIX_INJECTION``, or
    ``disable_host_prefix_injection`` in the config file) sends StartSyncExecution to the
    endpoint as given."""
    name = f"sync-cli-{how.replace(' ', '-')}"
    express_machine(server.url, name)
    if how == "environment":
        monkeypatch.setenv("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
    else:
        config = tmp_path / "config"
        config.write_text("[default]\ndisable_host_prefix_injection = true\n")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
        monkeypatch.delenv("AWS_DISABLE_HOST_PREFIX_INJECTION", raising=False)
    answer = aws(
        server.url,
        "stepfunctions",
        "start-sync-execution",
        "--state-machine-arn",
        machine_arn(name),
        "--input",
        '{"who": "cli"}',
    )
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"greeting": "hello cli"}
    assert answer["executionArn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:express:{name}:")


def loopback(host: str) -> bool:
    """Whether ``host`` resolves, and only to loopback addresses."""
    try:
        found = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return all(str(f[4][0]) in ("127.0.0.1", "::1") for f in found)


def test_the_cli_reaches_a_sync_twin_that_resolves(server: Server) -> None:
    """With the prefix on (the CLI's default), an endpoint named ``localhost`` is reached
    as ``sync-localhost``: it works where that name resolves to loopback (a line of
    /etc/hosts); elsewhere there is nothing to try."""
    if not loopback("sync-localhost"):
        pytest.skip("sync-localhost does not resolve here (add it to /etc/hosts to try this)")
    port = urlsplit(server.url).port
    name = "sync-twin"
    express_machine(server.url, name)
    answer = aws(
        f"http://localhost:{port}",
        "stepfunctions",
        "start-sync-execution",
        "--state-machine-arn",
        machine_arn(name),
        "--input",
        '{"who": "twin"}',
    )
    assert json.loads(answer["output"]) == {"greeting": "hello twin"}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_sync_host_is_served(server: Server, host: str) -> None:
    """botocore as it talks to AWS (prefix on): the request is built, signed and sent for
    ``sync-<host>:<port>``; only the connection is made to the endpoint itself, since the
    prefixed name need not resolve. The server answers it as any other."""
    parts = urlsplit(server.url)
    endpoint = f"http://{host}:{parts.port}"
    sfn = client(endpoint, "stepfunctions", inject_host_prefix=True)
    seen: list[str] = []

    def to_endpoint(request: Any, **_: Any) -> None:
        sent = urlsplit(request.url)
        seen.append(sent.netloc)
        request.headers["Host"] = sent.netloc
        request.url = urlunsplit(sent._replace(netloc=f"{host}:{parts.port}"))

    sfn.meta.events.register("before-send.sfn.StartSyncExecution", to_endpoint)
    name = f"sync-host-{host.replace('.', '-')}"
    express_machine(server.url, name)
    answer = sfn.start_sync_execution(stateMachineArn=machine_arn(name), input='{"who": "host"}')
    assert seen == [f"sync-{host}:{parts.port}"]
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"greeting": "hello host"}


#: StartSyncExecution with the AWS SDK for JavaScript v3, its host prefix turned off by the
#: client's own option (it does not read the shared AWS_DISABLE_HOST_PREFIX_INJECTION).
NODE_SYNC = """
const { SFNClient, StartSyncExecutionCommand } = require("@aws-sdk/client-sfn");
const client = new SFNClient({
  endpoint: process.env.ENDPOINT,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  disableHostPrefix: true,
  maxAttempts: 1,
});
const command = new StartSyncExecutionCommand({
  stateMachineArn: process.env.MACHINE,
  input: '{"who": "js"}',
});
client
  .send(command)
  .then((answer) => console.log(JSON.stringify({ status: answer.status, output: answer.output })));
"""


def test_the_javascript_sdk_starts_a_sync_execution(
    server: Server, node_sdk_source: NodeSdkSource, tmp_path: Path
) -> None:
    sdk = node_sdk_source.required()
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js", "install node")
    assert node is not None
    express_machine(server.url, "sync-js")
    script = tmp_path / "sync.js"
    script.write_text(NODE_SYNC)
    done = subprocess.run(
        [node, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **os.environ,
            "NODE_PATH": str(sdk / "node_modules"),
            "ENDPOINT": server.url,
            "MACHINE": machine_arn("sync-js"),
        },
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"greeting": "hello js"}
