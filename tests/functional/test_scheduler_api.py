"""The Scheduler's API through boto3: schedules and groups, their errors, listings,
tags and ClientToken idempotency."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.testing import Harness

ACCOUNT = "000000000000"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler"
TARGET = {"Arn": QUEUE, "RoleArn": ROLE}
OFF = {"Mode": "OFF"}


@pytest.fixture(scope="module")
def scheduler() -> Iterator[Any]:
    with Harness() as altus:
        yield altus.client("scheduler")


def _error(call: Any, **members: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**members)
    error = raised.value.response
    return (
        error["Error"]["Code"],
        error["Error"]["Message"],
        error["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_a_schedule_round_trips(scheduler: Any) -> None:
    arn = scheduler.create_schedule(
        Name="nightly",
        ScheduleExpression="cron(0 2 * * ? *)",
        ScheduleExpressionTimezone="Europe/London",
        Description="every night",
        Target={
            **TARGET,
            "Input": '{"k": 1}',
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 120},
        },
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
    )["ScheduleArn"]
    assert arn == f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/nightly"
    got = scheduler.get_schedule(Name="nightly")
    assert got["Arn"] == arn and got["GroupName"] == "default"
    assert got["State"] == "ENABLED" and got["ActionAfterCompletion"] == "NONE"
    assert got["ScheduleExpressionTimezone"] == "Europe/London"
    assert got["Target"]["RetryPolicy"] == {
        "MaximumRetryAttempts": 3,
        "MaximumEventAgeInSeconds": 120,
    }
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert "CreationDate" in got and "LastModificationDate" in got

    # An update replaces the whole schedule: what it leaves out goes back to defaults.
    scheduler.update_schedule(
        Name="nightly",
        ScheduleExpression="rate(5 minutes)",
        Target=TARGET,
        FlexibleTimeWindow=OFF,
        State="DISABLED",
    )
    got = scheduler.get_schedule(Name="nightly")
    assert got["ScheduleExpression"] == "rate(5 minutes)" and got["State"] == "DISABLED"
    assert "Description" not in got and "ScheduleExpressionTimezone" not in got
    assert "RetryPolicy" not in got["Target"]
    scheduler.delete_schedule(Name="nightly")
    code, message, status = _error(scheduler.get_schedule, Name="nightly")
    assert (code, message, status) == (
        "ResourceNotFoundException",
        "Schedule nightly does not exist.",
        404,
    )


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"ScheduleExpression": "rate(1 minutes)"}, "Invalid Schedule Expression rate(1 minutes)."),
        (
            {"ScheduleExpression": "cron(0 10 * * * *)"},
            "Invalid Schedule Expression cron(0 10 * * * *).",
        ),
        ({"ScheduleExpressionTimezone": "Mars/Olympus"}, "Invalid time zone Mars/Olympus."),
        (
            {"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}},
            "MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE.",
        ),
        (
            {
                "Target": {
                    "Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f",
                    "RoleArn": ROLE,
                    "Input": "not json",
                }
            },
            f"Target Input must be valid JSON for the target "
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f.",
        ),
    ],
)
def test_bad_schedules_are_refused(scheduler: Any, members: dict[str, Any], message: str) -> None:
    given = {
        "Name": "bad",
        "ScheduleExpression": "rate(1 minute)",
        "Target": TARGET,
        "FlexibleTimeWindow": OFF,
        **members,
    }
    assert _error(scheduler.create_schedule, **given) == ("ValidationException", message, 400)
    assert _error(scheduler.get_schedule, Name="bad")[0] == "ResourceNotFoundException"


def test_the_model_constraints_are_checked(scheduler: Any) -> None:
    code, message, status = _error(
        scheduler.create_schedule,
        Name="bad",
        ScheduleExpression="rate(1 minute)",
        Target={**TARGET, "RetryPolicy": {"MaximumRetryAttempts": 186}},
        FlexibleTimeWindow=OFF,
    )
    assert (code, status) == ("ValidationException", 400)
    assert "MaximumRetryAttempts" in message or "maximumRetryAttempts" in message


def test_names_conflict_but_a_repeated_token_does_not(scheduler: Any) -> None:
    given = {
        "Name": "once",
        "ScheduleExpression": "rate(1 hour)",
        "Target": TARGET,
        "FlexibleTimeWindow": OFF,
    }
    first = scheduler.create_schedule(ClientToken="token-1", **given)["ScheduleArn"]
    assert scheduler.create_schedule(ClientToken="token-1", **given)["ScheduleArn"] == first
    assert _error(scheduler.create_schedule, ClientToken="token-2", **given) == (
        "ConflictException",
        "Schedule once already exists.",
        409,
    )
    assert _error(scheduler.update_schedule, **{**given, "Name": "missing"})[0] == (
        "ResourceNotFoundException"
    )
    scheduler.delete_schedule(Name="once")


def test_groups_hold_schedules_and_tags(scheduler: Any) -> None:
    arn = scheduler.create_schedule_group(Name="team", Tags=[{"Key": "a", "Value": "1"}])[
        "ScheduleGroupArn"
    ]
    assert arn == f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/team"
    assert _error(scheduler.create_schedule_group, Name="team")[0] == "ConflictException"
    group = scheduler.get_schedule_group(Name="team")
    assert group["State"] == "ACTIVE" and group["Arn"] == arn
    names = [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
    assert "default" in names and "team" in names

    for name in ("b", "a", "c"):
        scheduler.create_schedule(
            Name=name,
            GroupName="team",
            ScheduleExpression="rate(1 day)",
            Target=TARGET,
            FlexibleTimeWindow=OFF,
            State="DISABLED" if name == "c" else "ENABLED",
        )
    assert scheduler.get_schedule(Name="a", GroupName="team")["GroupName"] == "team"
    assert _error(scheduler.get_schedule, Name="a")[0] == "ResourceNotFoundException"
    page = scheduler.list_schedules(GroupName="team", MaxResults=2)
    assert [s["Name"] for s in page["Schedules"]] == ["a", "b"]
    rest = scheduler.list_schedules(GroupName="team", MaxResults=2, NextToken=page["NextToken"])
    assert [s["Name"] for s in rest["Schedules"]] == ["c"] and "NextToken" not in rest
    assert rest["Schedules"][0]["Target"] == {"Arn": QUEUE}
    disabled = scheduler.list_schedules(GroupName="team", State="DISABLED")["Schedules"]
    assert [s["Name"] for s in disabled] == ["c"]
    assert [s["Name"] for s in scheduler.list_schedules(NamePrefix="b")["Schedules"]] == ["b"]
    assert _error(scheduler.list_schedules, GroupName="nope")[0] == "ResourceNotFoundException"
    assert _error(
        scheduler.create_schedule,
        Name="x",
        GroupName="nope",
        ScheduleExpression="rate(1 day)",
        Target=TARGET,
        FlexibleTimeWindow=OFF,
    ) == ("ResourceNotFoundException", "Schedule group nope does not exist.", 404)

    scheduler.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    scheduler.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]

    scheduler.delete_schedule_group(Name="team")
    assert _error(scheduler.get_schedule_group, Name="team")[0] == "ResourceNotFoundException"
    assert scheduler.list_schedules(NamePrefix="a")["Schedules"] == []
    assert _error(scheduler.delete_schedule_group, Name="default")[0] == "ValidationException"
    missing = f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/gone"
    assert _error(scheduler.list_tags_for_resource, ResourceArn=missing)[0] == (
        "ResourceNotFoundException"
    )


def test_a_token_repeated_with_other_parameters_is_refused(scheduler: Any) -> None:
    given = {
        "Name": "tokened",
        "ScheduleExpression": "rate(1 day)",
        "Target": TARGET,
        "FlexibleTimeWindow": OFF,
    }
    scheduler.create_schedule(ClientToken="t-1", **given)
    code, _, status = _error(
        scheduler.create_schedule,
        ClientToken="t-1",
        **{**given, "ScheduleExpression": "rate(7 days)"},
    )
    assert (code, status) == ("ConflictException", 409)
    assert scheduler.get_schedule(Name="tokened")["ScheduleExpression"] == "rate(1 day)"
    scheduler.create_schedule_group(Name="tokened", ClientToken="g-1")
    assert scheduler.create_schedule_group(Name="tokened", ClientToken="g-1")
    tagged = {"Tags": [{"Key": "a", "Value": "1"}]}
    assert _error(scheduler.create_schedule_group, Name="tokened", ClientToken="g-1", **tagged)[
        0
    ] == ("ConflictException")
    scheduler.delete_schedule(Name="tokened")
    scheduler.delete_schedule_group(Name="tokened")


def test_a_next_token_not_given_out_is_refused(scheduler: Any) -> None:
    # "!!!" would decode leniently to nothing (the first page again); "YQ" lacks its
    # padding; the others are not base64 at all.
    for token in ("!!!", "YQ", "YQ==x", "a b"):
        for call in (scheduler.list_schedules, scheduler.list_schedule_groups):
            assert _error(call, NextToken=token)[0] == "ValidationException"


def test_targets_and_end_dates_that_could_never_run_are_refused(scheduler: Any) -> None:
    fifo = f"arn:aws:sqs:us-east-1:{ACCOUNT}:q.fifo"
    code, message, status = _error(
        scheduler.create_schedule,
        Name="fifo",
        ScheduleExpression="rate(1 day)",
        Target={"Arn": fifo, "RoleArn": ROLE},
        FlexibleTimeWindow=OFF,
    )
    assert (code, status) == ("ValidationException", 400) and "MessageGroupId" in message
    scheduler.create_schedule(
        Name="fifo",
        ScheduleExpression="rate(1 day)",
        Target={"Arn": fifo, "RoleArn": ROLE, "SqsParameters": {"MessageGroupId": "g"}},
        FlexibleTimeWindow=OFF,
    )
    scheduler.delete_schedule(Name="fifo")
    code, message, status = _error(
        scheduler.create_schedule,
        Name="ended",
        ScheduleExpression="rate(1 day)",
        EndDate=datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC),
        Target=TARGET,
        FlexibleTimeWindow=OFF,
    )
    assert (code, status) == ("ValidationException", 400) and "EndDate" in message
    assert _error(scheduler.get_schedule, Name="ended")[0] == "ResourceNotFoundException"
