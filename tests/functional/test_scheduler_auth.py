"""Scheduler where requests are authorised (``--auth iam``): a schedule's RoleArn must be
passed (``iam:PassRole`` for ``scheduler.amazonaws.com``); an occurrence is delivered
only as a role that exists and trusts Scheduler (else straight to the dead-letter
queue); the dead-letter queue is written as the role, which must be allowed to send to
it; operations are authorised on the schedule's or group's own ARN, so a policy scoped
to one schedule binds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.testing import wait_until
from tests.functional.guarded import Guarded, guarded

ACCOUNT = "000000000000"
REGION = "us-east-1"
OFF = {"Mode": "OFF"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    with guarded(tmp_path_factory.mktemp("scheduler-auth")) as made:
        yield made


def queue(server: Guarded, name: str) -> tuple[str, str]:
    url = server.client("sqs").create_queue(QueueName=name)["QueueUrl"]
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def role(server: Guarded, name: str, service: str, resources: list[str]) -> str:
    """A role trusting ``service``, allowed sqs:SendMessage on ``resources``."""
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
    send = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": resources}
    iam.put_role_policy(
        RoleName=name,
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [send]}),
    )
    return arn


def schedule(name: str, target: dict[str, Any]) -> dict[str, Any]:
    # A rate without a StartDate runs at once.
    return {
        "Name": name,
        "ScheduleExpression": "rate(1 day)",
        "Target": target,
        "FlexibleTimeWindow": OFF,
    }


def bodies(server: Guarded, url: str) -> list[str]:
    found = server.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return [m["Body"] for m in found.get("Messages", [])]


def test_a_role_must_be_passed_to_scheduler(server: Guarded) -> None:
    _, arn = queue(server, "passed")
    trusted = role(server, "sched-passed", "scheduler.amazonaws.com", [arn])
    everything: dict[str, Any] = {"Effect": "Allow", "Action": "scheduler:*", "Resource": "*"}
    target = {"Arn": arn, "RoleArn": trusted}
    refusals: tuple[tuple[str, list[dict[str, Any]]], ...] = (
        ("no-pass", [everything]),
        # Passing the role to another service does not pass it to Scheduler.
        (
            "pass-to-lambda",
            [
                everything,
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": trusted,
                    "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
                },
            ],
        ),
    )
    for user, statements in refusals:
        client = server.client("scheduler", **server.user(user, statements))
        with pytest.raises(ClientError) as refused:
            client.create_schedule(**schedule(f"by-{user}", target))
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "iam:PassRole" in refused.value.response["Error"]["Message"]
        assert server.component("scheduler").core.schedules.get(("default", f"by-{user}")) is None
    passer = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": trusted,
        "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
    }
    client = server.client("scheduler", **server.user("passer", [everything, passer]))
    client.create_schedule(**schedule("by-passer", target))
    with pytest.raises(ClientError) as refused:  # UpdateSchedule too
        client.update_schedule(
            **schedule("by-passer", {**target, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/other"})
        )
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    client.delete_schedule(Name="by-passer")


def test_a_role_that_does_not_trust_scheduler_is_not_acted_as(server: Guarded) -> None:
    url, arn = queue(server, "trusted-out")
    dlq_url, dlq = queue(server, "trusted-dead")
    trusted = role(server, "sched-sender", "scheduler.amazonaws.com", [arn, dlq])
    lambda_only = role(server, "lambda-sender", "lambda.amazonaws.com", [arn, dlq])
    admin = server.client("scheduler")
    admin.create_schedule(**schedule("trusted", {"Arn": arn, "RoleArn": trusted, "Input": "ok"}))
    assert wait_until(lambda: bodies(server, url)) == ["ok"]
    admin.create_schedule(
        **schedule(
            "untrusted",
            {
                "Arn": arn,
                "RoleArn": lambda_only,
                "Input": "not-as-lambda-role",
                "DeadLetterConfig": {"Arn": dlq},
            },
        )
    )
    # A permanent failure: dead-lettered at once, never delivered.
    assert wait_until(lambda: bodies(server, dlq_url)) == ["not-as-lambda-role"]
    deliveries = server.component("scheduler").deliveries
    wait_until(lambda: deliveries.pending() == [])
    assert bodies(server, url) == []


def test_the_dead_letter_queue_is_written_as_the_role(server: Guarded) -> None:
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue"
    dlq_url, dlq = queue(server, "role-dead")
    # Trusts Scheduler, but may send only to the (missing) target, not the DLQ.
    narrow = role(server, "sched-narrow", "scheduler.amazonaws.com", [missing])
    wide = role(server, "sched-wide", "scheduler.amazonaws.com", [missing, dlq])
    admin = server.client("scheduler")
    deliveries = server.component("scheduler").deliveries
    given = deliveries.abandoned
    for name, arn in (("narrow", narrow), ("wide", wide)):
        admin.create_schedule(
            **schedule(
                f"dead-{name}",
                {"Arn": missing, "RoleArn": arn, "Input": name, "DeadLetterConfig": {"Arn": dlq}},
            )
        )
    wait_until(lambda: deliveries.abandoned == given + 2)
    # Only the role allowed to send to the dead-letter queue got its occurrence there.
    assert wait_until(lambda: bodies(server, dlq_url)) == ["wide"]


def test_a_policy_scoped_to_one_schedule_binds(server: Guarded) -> None:
    _, arn = queue(server, "scoped")
    trusted = role(server, "sched-scoped", "scheduler.amazonaws.com", [arn])
    admin = server.client("scheduler")
    admin.create_schedule_group(Name="team")
    for name, group in (("protected", "default"), ("free", "default"), ("in-team", "team")):
        admin.create_schedule(
            **schedule(name, {"Arn": arn, "RoleArn": trusted}), GroupName=group, State="DISABLED"
        )
    base = f"arn:aws:scheduler:{REGION}:{ACCOUNT}"
    user = server.client(
        "scheduler",
        **server.user(
            "scoped",
            [
                {"Effect": "Allow", "Action": "scheduler:*", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "scheduler:DeleteSchedule",
                    "Resource": f"{base}:schedule/default/protected",
                },
                {"Effect": "Deny", "Action": "scheduler:*", "Resource": f"{base}:schedule/team/*"},
                {
                    "Effect": "Deny",
                    "Action": "scheduler:GetScheduleGroup",
                    "Resource": f"{base}:schedule-group/team",
                },
            ],
        ),
    )
    for call, members in (
        (user.delete_schedule, {"Name": "protected"}),
        (user.get_schedule, {"Name": "in-team", "GroupName": "team"}),
        (user.get_schedule_group, {"Name": "team"}),
    ):
        with pytest.raises(ClientError) as refused:
            call(**members)
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert user.get_schedule(Name="protected")["Name"] == "protected"
    user.delete_schedule(Name="free")
    assert user.get_schedule_group(Name="default")["Name"] == "default"
    names = {s["Name"] for s in user.list_schedules()["Schedules"]}
    assert {"protected", "in-team"} <= names and "free" not in names
