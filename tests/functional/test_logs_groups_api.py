"""CloudWatch Logs' group and stream management through boto3's ``logs`` client, against a
server in this process: CreateLogGroup / DeleteLogGroup, retention (hidden at once,
pruned after), tags by ARN and by name, KMS keys kept, CreateLogStream / PutLogEvents /
DeleteLogStream, AWS's errors; a created group's settings outliving a restart; Lambda
logging into a group created before it; and the IAM resources the operations need."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.platform import Platform
from altus.testing import Harness
from tests.conftest import SERVER_STORES, store_env
from tests.functional.guarded import Guarded, guarded

ACCOUNT = "000000000000"
REGION = "us-east-1"
DAY_MS = 86_400_000
NOT_FOUND = "The specified log group does not exist."


@pytest.fixture(scope="module", params=SERVER_STORES)
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    """The server, on each store (a SQLite file; the machine's PostgreSQL)."""
    data_dir = tmp_path_factory.mktemp("logs-groups")
    store = store_env(request, request.param).get("ALTUS_STORE", f"sqlite:{data_dir / 'altus.db'}")
    with Harness(clock=None, data_dir=data_dir, store=store) as made:
        yield made


@pytest.fixture
def logs(harness: Harness) -> Any:
    return harness.client("logs")


@pytest.fixture
def name() -> str:
    """A group name of this test's own (the server is shared by the module's tests)."""
    return f"/app/{uuid.uuid4().hex[:12]}"


def refused(call: Callable[..., Any], **members: Any) -> tuple[str, str, int]:
    """The error code, message and HTTP status ``call(**members)`` is refused with."""
    with pytest.raises(ClientError) as raised:
        call(**members)
    response = raised.value.response
    status: int = response["ResponseMetadata"]["HTTPStatusCode"]
    return response["Error"]["Code"], response["Error"]["Message"], status


def group_arn(name: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"


def described(logs: Any, name: str) -> dict[str, Any] | None:
    found = [
        g
        for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        if g["logGroupName"] == name
    ]
    return found[0] if found else None


def now_ms() -> int:
    return int(time.time() * 1000)


def messages(logs: Any, name: str, stream: str = "s") -> list[str]:
    got = logs.get_log_events(logGroupName=name, logStreamName=stream, startFromHead=True)
    return [e["message"] for e in got["events"]]


# --- groups ------------------------------------------------------------------------------


def test_create_describe_and_delete_a_group(logs: Any, name: str) -> None:
    before = now_ms()
    logs.create_log_group(
        logGroupName=name,
        tags={"team": "altus"},
        kmsKeyId="arn:aws:kms:us-east-1:000000000000:key/1234",
        logGroupClass="INFREQUENT_ACCESS",
    )
    group = described(logs, name)
    assert group is not None
    assert group["arn"] == f"{group_arn(name)}:*"
    assert group["logGroupArn"] == group_arn(name)
    assert group["logGroupClass"] == "INFREQUENT_ACCESS"
    assert group["kmsKeyId"] == "arn:aws:kms:us-east-1:000000000000:key/1234"
    assert group["creationTime"] >= before and group["storedBytes"] == 0
    assert "retentionInDays" not in group
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"team": "altus"}
    # A second create of the name changes nothing.
    assert refused(logs.create_log_group, logGroupName=name, tags={"team": "other"}) == (
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
        400,
    )
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"team": "altus"}

    logs.delete_log_group(logGroupName=name)
    assert described(logs, name) is None
    assert refused(logs.delete_log_group, logGroupName=name) == (
        "ResourceNotFoundException",
        NOT_FOUND,
        400,
    )
    # Its name is free again, with nothing of the old group's.
    logs.create_log_group(logGroupName=name)
    group = described(logs, name)
    assert group is not None and group["logGroupClass"] == "STANDARD" and "kmsKeyId" not in group
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {}


@pytest.mark.parametrize(
    "members",
    [
        {"logGroupName": "has space"},
        {"logGroupName": "x" * 513},
        {"logGroupName": "aws/reserved"},
        {"logGroupName": "/app/ok", "logGroupClass": "PREMIUM"},
        {"logGroupName": "/app/ok", "tags": {f"k{i}": "v" for i in range(51)}},
    ],
    ids=["pattern", "length", "aws-prefix", "class", "too-many-tags"],
)
def test_create_refuses_what_the_model_refuses(logs: Any, members: dict[str, Any]) -> None:
    code, message, status = refused(logs.create_log_group, **members)
    assert (code, status) == ("InvalidParameterException", 400), message
    pages = logs.get_paginator("describe_log_groups").paginate()
    assert members["logGroupName"] not in {g["logGroupName"] for p in pages for g in p["logGroups"]}


def test_a_long_name_of_the_models_alphabet_is_taken(logs: Any) -> None:
    name = "/a._-#" + "z" * 506
    logs.create_log_group(logGroupName=name)
    assert described(logs, name) is not None
    logs.delete_log_group(logGroupName=name)


def test_describe_filters_by_pattern_class_and_identifier(logs: Any) -> None:
    mark = uuid.uuid4().hex[:8]
    logs.create_log_group(logGroupName=f"/filter/{mark}/Alpha")
    logs.create_log_group(logGroupName=f"/filter/{mark}/beta", logGroupClass="INFREQUENT_ACCESS")

    def names(**members: Any) -> list[str]:
        return [g["logGroupName"] for g in logs.describe_log_groups(**members)["logGroups"]]

    assert names(logGroupNamePattern=f"{mark}/alp") == [f"/filter/{mark}/Alpha"]
    assert names(logGroupNamePrefix=f"/filter/{mark}", logGroupClass="INFREQUENT_ACCESS") == [
        f"/filter/{mark}/beta"
    ]
    assert names(logGroupIdentifiers=[group_arn(f"/filter/{mark}/beta")]) == [
        f"/filter/{mark}/beta"
    ]
    first = logs.describe_log_groups(logGroupNamePrefix=f"/filter/{mark}", limit=1)
    rest = logs.describe_log_groups(
        logGroupNamePrefix=f"/filter/{mark}", nextToken=first["nextToken"]
    )
    assert [g["logGroupName"] for g in first["logGroups"] + rest["logGroups"]] == [
        f"/filter/{mark}/Alpha",
        f"/filter/{mark}/beta",
    ]
    code, _, _ = refused(
        logs.describe_log_groups, logGroupNamePrefix="/filter", logGroupNamePattern="x"
    )
    assert code == "InvalidParameterException"


# --- retention ---------------------------------------------------------------------------


def test_retention_policy(logs: Any, name: str) -> None:
    logs.create_log_group(logGroupName=name)
    logs.put_retention_policy(logGroupName=name, retentionInDays=14)
    assert described(logs, name)["retentionInDays"] == 14  # type: ignore[index]
    code, message, status = refused(logs.put_retention_policy, logGroupName=name, retentionInDays=2)
    assert (code, status) == ("InvalidParameterException", 400)
    assert message == (
        "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy "
        "constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, "
        "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]"
    )
    assert described(logs, name)["retentionInDays"] == 14  # type: ignore[index]
    logs.delete_retention_policy(logGroupName=name)
    assert "retentionInDays" not in described(logs, name)  # type: ignore[operator]
    logs.delete_retention_policy(logGroupName=name)  # none to delete: still fine
    missing = name + "-missing"
    for call in (logs.delete_retention_policy, logs.put_retention_policy):
        extra = {"retentionInDays": 1} if call == logs.put_retention_policy else {}
        assert refused(call, logGroupName=missing, **extra)[:2] == (
            "ResourceNotFoundException",
            NOT_FOUND,
        )


def test_retention_hides_old_events_at_once_and_prunes_them(
    harness: Harness, logs: Any, name: str
) -> None:
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    now = now_ms()
    logs.put_log_events(
        logGroupName=name,
        logStreamName="s",
        logEvents=[
            {"timestamp": now - 3 * DAY_MS, "message": "old"},
            {"timestamp": now - 3 * DAY_MS + 1000, "message": "old too"},
        ],
    )
    logs.put_log_events(
        logGroupName=name, logStreamName="s", logEvents=[{"timestamp": now, "message": "new"}]
    )
    assert messages(logs, name) == ["old", "old too", "new"]

    logs.put_retention_policy(logGroupName=name, retentionInDays=1)
    assert messages(logs, name) == ["new"]
    found = logs.filter_log_events(logGroupName=name)["events"]
    assert [e["message"] for e in found] == ["new"]
    # An event older than the retention is refused, the rest of its batch kept.
    put = logs.put_log_events(
        logGroupName=name,
        logStreamName="s",
        logEvents=[
            {"timestamp": now - 2 * DAY_MS, "message": "expired"},
            {"timestamp": now + 1, "message": "newer"},
        ],
    )
    assert put["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}

    async def prune(platform: Platform) -> int:
        pruned: int = await platform.component("logs").prune()
        return pruned

    assert harness.call(prune) >= 2
    # Pruned, not only hidden: without the policy they do not come back.
    logs.delete_retention_policy(logGroupName=name)
    assert messages(logs, name) == ["new", "newer"]


# --- tags --------------------------------------------------------------------------------


def test_tags_by_arn(logs: Any, name: str) -> None:
    logs.create_log_group(logGroupName=name, tags={"a": "1"})
    arn = described(logs, name)["logGroupArn"]  # type: ignore[index]
    logs.tag_resource(resourceArn=arn, tags={"b": "2", "a": "one"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "one", "b": "2"}
    logs.untag_resource(resourceArn=arn, tagKeys=["a", "absent"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}

    # DescribeLogGroups' ``arn`` (ending ``:*``) is not what these take, as on AWS.
    assert refused(logs.list_tags_for_resource, resourceArn=f"{arn}:*")[:2] == (
        "ValidationException",
        "Invalid resourceArn",
    )
    assert refused(logs.tag_resource, resourceArn="arn:aws:sqs:us-east-1:1:q", tags={"x": "y"})[
        0
    ] == ("ValidationException")
    elsewhere = f"arn:aws:logs:{REGION}:111111111111:log-group:{name}"
    missing = group_arn(name + "-missing")
    for arn_given in (elsewhere, missing):
        assert refused(logs.list_tags_for_resource, resourceArn=arn_given)[:2] == (
            "ResourceNotFoundException",
            NOT_FOUND,
        )
    # More than 50 tags: refused, none of them added.
    code, _, _ = refused(logs.tag_resource, resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    assert code == "TooManyTagsException"
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}


def test_legacy_tag_operations(logs: Any, name: str) -> None:
    logs.create_log_group(logGroupName=name)
    logs.tag_log_group(logGroupName=name, tags={"a": "1", "b": "2"})
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"a": "1", "b": "2"}
    logs.untag_log_group(logGroupName=name, tags=["a"])
    assert logs.list_tags_for_resource(resourceArn=group_arn(name))["tags"] == {"b": "2"}
    missing = name + "-missing"
    assert refused(logs.tag_log_group, logGroupName=missing, tags={"a": "1"})[0] == (
        "ResourceNotFoundException"
    )
    assert refused(logs.list_tags_log_group, logGroupName=missing)[0] == (
        "ResourceNotFoundException"
    )


def test_kms_key_is_kept(logs: Any, name: str) -> None:
    logs.create_log_group(logGroupName=name)
    logs.associate_kms_key(logGroupName=name, kmsKeyId="alias/logs")
    assert described(logs, name)["kmsKeyId"] == "alias/logs"  # type: ignore[index]
    logs.disassociate_kms_key(logGroupName=name)
    assert "kmsKeyId" not in described(logs, name)  # type: ignore[operator]


# --- streams and events ------------------------------------------------------------------


def test_streams_and_put_log_events(logs: Any, name: str) -> None:
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    assert refused(logs.create_log_stream, logGroupName=name, logStreamName="s")[:2] == (
        "ResourceAlreadyExistsException",
        "The specified log stream already exists",
    )
    assert refused(logs.create_log_stream, logGroupName=name + "-missing", logStreamName="s")[
        :2
    ] == ("ResourceNotFoundException", NOT_FOUND)
    (stream,) = logs.describe_log_streams(logGroupName=name)["logStreams"]
    assert stream["arn"] == f"{group_arn(name)}:log-stream:s"
    assert "firstEventTimestamp" not in stream and "lastIngestionTime" not in stream

    now = now_ms()
    first = logs.put_log_events(
        logGroupName=name,
        logStreamName="s",
        logEvents=[{"timestamp": now - 10, "message": "one"}, {"timestamp": now, "message": "two"}],
    )
    assert first["nextSequenceToken"] and "rejectedLogEventsInfo" not in first
    # Any sequence token is accepted: they are ignored now.
    logs.put_log_events(
        logGroupName=name,
        logStreamName="s",
        sequenceToken="not-a-token",
        logEvents=[{"timestamp": now, "message": "three"}],
    )
    assert messages(logs, name) == ["one", "two", "three"]
    found = logs.filter_log_events(logGroupName=name, filterPattern="two")["events"]
    assert [(e["logStreamName"], e["message"]) for e in found] == [("s", "two")]
    (stream,) = logs.describe_log_streams(logGroupName=name)["logStreams"]
    assert (stream["firstEventTimestamp"], stream["lastEventTimestamp"]) == (now - 10, now)
    # A group counts its bytes; a stream's storedBytes has been 0 on AWS since 2019.
    assert described(logs, name)["storedBytes"] == len("onetwothree")  # type: ignore[index]
    assert stream["storedBytes"] == 0
    # FilterLogEvents' endTime is inclusive, GetLogEvents' exclusive (as AWS documents).
    ending = logs.filter_log_events(logGroupName=name, startTime=now - 10, endTime=now)
    assert [e["message"] for e in ending["events"]] == ["one", "two", "three"]
    before = logs.get_log_events(
        logGroupName=name, logStreamName="s", startTime=now - 10, endTime=now, startFromHead=True
    )
    assert [e["message"] for e in before["events"]] == ["one"]
    huge = logs.filter_log_events(logGroupName=name, endTime=2**63 - 1)["events"]
    assert len(huge) == 3

    assert refused(
        logs.put_log_events,
        logGroupName=name,
        logStreamName="absent",
        logEvents=[{"timestamp": now, "message": "x"}],
    )[:2] == ("ResourceNotFoundException", "The specified log stream does not exist.")
    assert refused(logs.get_log_events, logGroupName=name, logStreamName="absent")[0] == (
        "ResourceNotFoundException"
    )


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            [(0, "b"), (-1000, "a")],
            "Log events in a single PutLogEvents request must be in chronological order.",
        ),
        (
            [(-25 * 3_600_000, "a"), (0, "b")],
            "The batch of log events in a single PutLogEvents request cannot span more than "
            "24 hours.",
        ),
        ([(0, "x" * 1_048_551)], "Upload too large: 1048577 bytes exceeds limit of 1048576"),
    ],
    ids=["order", "span", "size"],
)
def test_put_log_events_refuses_a_bad_batch_whole(
    logs: Any, name: str, events: list[tuple[int, str]], message: str
) -> None:
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    now = now_ms()
    given = [{"timestamp": now + offset, "message": text} for offset, text in events]
    code, said, _ = refused(
        logs.put_log_events, logGroupName=name, logStreamName="s", logEvents=given
    )
    assert (code, said) == ("InvalidParameterException", message)
    assert messages(logs, name) == []


def test_put_log_events_rejects_events_too_old_or_too_new(logs: Any, name: str) -> None:
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    now = now_ms()
    put = logs.put_log_events(
        logGroupName=name,
        logStreamName="s",
        logEvents=[
            {"timestamp": now - 15 * DAY_MS, "message": "ancient"},
            {"timestamp": now, "message": "kept"},
            {"timestamp": now + 3 * 3_600_000, "message": "future"},
        ],
    )
    assert put["rejectedLogEventsInfo"] == {
        "tooOldLogEventEndIndex": 1,
        "tooNewLogEventStartIndex": 2,
    }
    assert messages(logs, name) == ["kept"]


def test_delete_log_stream(logs: Any, name: str) -> None:
    logs.create_log_group(logGroupName=name)
    for stream in ("s", "t"):
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        logs.put_log_events(
            logGroupName=name,
            logStreamName=stream,
            logEvents=[{"timestamp": now_ms(), "message": f"in {stream}"}],
        )
    logs.delete_log_stream(logGroupName=name, logStreamName="s")
    assert [
        s["logStreamName"] for s in logs.describe_log_streams(logGroupName=name)["logStreams"]
    ] == ["t"]
    assert [e["message"] for e in logs.filter_log_events(logGroupName=name)["events"]] == ["in t"]
    assert refused(logs.delete_log_stream, logGroupName=name, logStreamName="s")[:2] == (
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )
    assert refused(logs.delete_log_stream, logGroupName=name + "-missing", logStreamName="t")[
        :2
    ] == ("ResourceNotFoundException", NOT_FOUND)
    # Deleting the group takes its streams and events with it.
    logs.delete_log_group(logGroupName=name)
    logs.create_log_group(logGroupName=name)
    assert logs.describe_log_streams(logGroupName=name)["logStreams"] == []


# --- Lambda's logs -----------------------------------------------------------------------


def test_lambda_logs_into_a_group_created_before_it(harness: Harness, logs: Any) -> None:
    function = f"pre-made-{uuid.uuid4().hex[:8]}"
    group = f"/aws/lambda/{function}"
    logs.create_log_group(logGroupName=group, tags={"stack": "app"})
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)

    def handler(event: Any, context: Any) -> str:
        print("hello from the pre-made group")
        return "ok"

    harness.create_function(function, handler)
    harness.client("lambda").invoke(FunctionName=function, Payload=b"{}")
    (found,) = [g for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]]
    assert found["logGroupName"] == group and found["retentionInDays"] == 7
    assert found["storedBytes"] > 0
    events = logs.filter_log_events(logGroupName=group, filterPattern="pre-made")["events"]
    assert [e["message"].strip() for e in events] == ["hello from the pre-made group"]
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"stack": "app"}
    # A group Lambda made itself can be given settings too, and cannot be created again.
    harness.create_function(function + "-b", handler)
    harness.client("lambda").invoke(FunctionName=function + "-b", Payload=b"{}")
    made = group + "-b"
    assert refused(logs.create_log_group, logGroupName=made)[0] == "ResourceAlreadyExistsException"
    logs.put_retention_policy(logGroupName=made, retentionInDays=30)
    assert described(logs, made)["retentionInDays"] == 30  # type: ignore[index]


# --- restarts ----------------------------------------------------------------------------


def test_a_created_group_outlives_a_restart(tmp_path: Path, server_store: dict[str, str]) -> None:
    store = server_store.get("ALTUS_STORE", f"sqlite:{tmp_path / 'altus.db'}")
    with Harness(data_dir=tmp_path, store=store, clock=None) as first:
        logs = first.client("logs")
        logs.create_log_group(logGroupName="/kept", tags={"a": "1"}, kmsKeyId="alias/k")
        logs.put_retention_policy(logGroupName="/kept", retentionInDays=90)
        logs.tag_resource(resourceArn=group_arn("/kept"), tags={"b": "2"})
        logs.create_log_stream(logGroupName="/kept", logStreamName="s")
        logs.put_log_events(
            logGroupName="/kept",
            logStreamName="s",
            logEvents=[{"timestamp": now_ms(), "message": "before"}],
        )
        before = described(logs, "/kept")
    if store.startswith("sqlite:"):
        # The settings are in the main database (written with synchronous=FULL), not in
        # the logs' own file.
        with sqlite3.connect(tmp_path / "altus.db") as db:
            assert db.execute("SELECT name FROM log_group_settings").fetchall() == [("/kept",)]
    with Harness(data_dir=tmp_path, store=store, clock=None) as second:
        logs = second.client("logs")
        assert described(logs, "/kept") == before
        assert before is not None and before["retentionInDays"] == 90
        assert before["kmsKeyId"] == "alias/k"
        assert logs.list_tags_for_resource(resourceArn=group_arn("/kept"))["tags"] == {
            "a": "1",
            "b": "2",
        }
        assert messages(logs, "/kept") == ["before"]
        logs.delete_log_group(logGroupName="/kept")
    with Harness(data_dir=tmp_path, store=store, clock=None) as third:
        assert described(third.client("logs"), "/kept") is None


# --- who may ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    with guarded(tmp_path_factory.mktemp("logs-auth")) as made:
        yield made


def test_operations_are_authorised_on_the_group_and_stream(guarded_server: Guarded) -> None:
    # As policies for Lambda's logs are written: the group's ARN with ``:*``.
    keys = guarded_server.user(
        "logger",
        [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:PutRetentionPolicy",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:DeleteLogGroup",
                ],
                "Resource": "arn:aws:logs:*:*:log-group:/app/allowed:*",
            }
        ],
    )
    logs = guarded_server.client("logs", **keys)
    logs.create_log_group(logGroupName="/app/allowed")
    logs.put_retention_policy(logGroupName="/app/allowed", retentionInDays=1)
    logs.create_log_stream(logGroupName="/app/allowed", logStreamName="s")
    logs.put_log_events(
        logGroupName="/app/allowed",
        logStreamName="s",
        logEvents=[{"timestamp": now_ms(), "message": "m"}],
    )
    assert messages(logs, "/app/allowed") == ["m"]
    denied = "AccessDeniedException"
    assert refused(logs.create_log_group, logGroupName="/app/other")[0] == denied
    # Tags on create need logs:TagResource as well.
    assert refused(logs.create_log_group, logGroupName="/app/allowed", tags={"a": "b"})[0] == denied
    assert (
        refused(logs.tag_resource, resourceArn=group_arn("/app/allowed"), tags={"a": "b"})[0]
        == denied
    )
    assert refused(logs.delete_retention_policy, logGroupName="/app/allowed")[0] == denied
    logs.delete_log_group(logGroupName="/app/allowed")
