"""The pure parts of ``altus deploy`` and ``altus sync``: options, stack names, the change
set's parameters as the AWS CLI gives them, tables, following a stack's events (against
a stand-in CloudFormation client), and which function a changed file belongs to."""

from __future__ import annotations

import argparse
import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from altus.cli.client import CliError
from altus.cli.deploy import (
    EventStream,
    change_rows,
    event_line,
    event_widths,
    existing_stack,
    is_root,
    output_rows,
    parameters_for,
    table,
    unseen_events,
)
from altus.cli.stacks import deploy_command, pairs, stack_name_for
from altus.cli.sync import WatchPlan, code_sha256, ignored

STACK_ID = "arn:aws:cloudformation:us-east-1:000000000000:stack/app/1"


def test_stack_names_from_folders() -> None:
    assert stack_name_for(Path("/x/hello-app")) == "hello-app"
    assert stack_name_for(Path("/x/my_app v2")) == "my-app-v2"
    assert stack_name_for(Path("/x/2024.app")) == "stack-2024-app"
    assert stack_name_for(Path("/x/__")) == "stack"
    assert stack_name_for(Path("/x/" + "a" * 200)) == "a" * 128


def test_pairs() -> None:
    assert pairs(["A=1", "B=x=y", "C="], "--tags") == {"A": "1", "B": "x=y", "C": ""}
    assert pairs(["ParameterKey=Stage,ParameterValue=prod"], "--parameter-overrides") == {
        "Stage": "prod"
    }
    with pytest.raises(CliError, match=r"--tags wants KEY=VALUE, got 'template\.yaml'"):
        pairs(["template.yaml"], "--tags")
    with pytest.raises(CliError, match="wants KEY=VALUE"):
        pairs(["=x"], "--tags")


def test_a_stack_deploy_refuses_the_function_options() -> None:
    args = argparse.Namespace(runtime="python3.12", handler=None, endpoint="http://127.0.0.1:1")
    with pytest.raises(CliError, match="--runtime is for deploying one function"):
        deploy_command(args)
    args = argparse.Namespace(env=["A=1"], endpoint="http://127.0.0.1:1")
    with pytest.raises(CliError, match="--env is for deploying one function"):
        deploy_command(args)


def test_parameters_as_the_aws_cli_gives_them() -> None:
    declared: dict[str, Any] = {"Stage": {}, "Size": {}, "New": {}}
    # A create: overrides only; the rest take their defaults.
    assert parameters_for(declared, {"Stage": "prod", "Unknown": "x"}, None) == [
        {"ParameterKey": "Stage", "ParameterValue": "prod"}
    ]
    # An update: the previous value of those the stack had; nothing for a new one.
    assert parameters_for(declared, {"Stage": "prod"}, {"Stage", "Size"}) == [
        {"ParameterKey": "Stage", "ParameterValue": "prod"},
        {"ParameterKey": "Size", "UsePreviousValue": True},
    ]


class Stacks:
    """DescribeStacks of a stand-in CloudFormation."""

    def __init__(self, status: str | None) -> None:
        self.status = status

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        if self.status is None:
            error = {
                "Error": {
                    "Code": "ValidationError",
                    "Message": f"Stack with id {StackName} does not exist",
                }
            }
            raise ClientError(error, "DescribeStacks")
        return {"Stacks": [{"StackId": STACK_ID, "StackStatus": self.status}]}


def test_existing_stack_as_the_aws_cli_decides() -> None:
    assert existing_stack(Stacks(None), "app") is None
    assert existing_stack(Stacks("REVIEW_IN_PROGRESS"), "app") is None
    found = existing_stack(Stacks("UPDATE_COMPLETE"), "app")
    assert found is not None and found["StackId"] == STACK_ID


def test_tables() -> None:
    changes = [
        {
            "ResourceChange": {
                "Action": "Add",
                "LogicalResourceId": "Fn",
                "ResourceType": "AWS::Lambda::Function",
            }
        },
        {
            "ResourceChange": {
                "Action": "Modify",
                "LogicalResourceId": "Queue",
                "ResourceType": "AWS::SQS::Queue",
                "Replacement": "True",
            }
        },
        {
            "ResourceChange": {
                "Action": "Remove",
                "LogicalResourceId": "Old",
                "ResourceType": "AWS::SNS::Topic",
            }
        },
    ]
    rows = change_rows(changes)
    assert rows[1:] == [
        ("Add", "Fn", "AWS::Lambda::Function", "N/A"),
        ("Modify", "Queue", "AWS::SQS::Queue", "True"),
        ("Remove", "Old", "AWS::SNS::Topic", "N/A"),
    ]
    assert (
        table(rows).splitlines()[0]
        == "Operation  LogicalResourceId  ResourceType           Replacement"
    )
    assert output_rows([{"OutputKey": "Url", "OutputValue": "http://x"}]) == [
        ("Key", "Value"),
        ("Url", "http://x"),
    ]
    described = output_rows(
        [{"OutputKey": "A", "OutputValue": "1", "Description": "one"}, {"OutputKey": "B"}]
    )
    assert described == [("Key", "Value", "Description"), ("A", "1", "one"), ("B", "", "-")]


def test_event_columns_are_chosen_up_front() -> None:
    widths = event_widths("CREATE", [("Add", "Fn", "AWS::Lambda::Function", "N/A")], "app")
    assert widths == (
        len("ROLLBACK_IN_PROGRESS"),
        len("AWS::CloudFormation::Stack"),
        len("LogicalResourceId"),
    )
    line = event_line(("CREATE_COMPLETE", "AWS::Lambda::Function", "Fn", "-"), widths)
    assert line.index("AWS::") == widths[0] + 2
    assert line.index(" Fn ") + 1 == widths[0] + widths[1] + 4
    assert event_line(("A", "B", "C", "-"), (1, 1, 1)) == "A  B  C  -"


def event(logical_id: str, status: str, number: int, reason: str = "") -> dict[str, Any]:
    root = logical_id == "app"
    found = {
        "EventId": f"e{number}",
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": STACK_ID if root else f"{logical_id}-x",
        "ResourceType": "AWS::CloudFormation::Stack" if root else "AWS::SQS::Queue",
        "ResourceStatus": status,
    }
    if reason:
        found["ResourceStatusReason"] = reason
    return found


def test_unseen_events_and_the_root() -> None:
    page = [
        event("Q", "CREATE_COMPLETE", 3),
        event("Q", "CREATE_IN_PROGRESS", 2),
        event("app", "X", 1),
    ]
    assert [e["EventId"] for e in unseen_events(page, {"e2"})] == ["e3"]
    assert [e["EventId"] for e in unseen_events(page, set())] == ["e3", "e2", "e1"]
    assert is_root(event("app", "CREATE_COMPLETE", 1), STACK_ID, "app")
    assert not is_root(event("Q", "CREATE_COMPLETE", 1), STACK_ID, "app")


class Events:
    """DescribeStackEvents of a stand-in CloudFormation: one more event per call, newest
    first, two to a page."""

    def __init__(self, history: list[dict[str, Any]], shown: int) -> None:
        self.history = history
        self.shown = shown

    def describe_stack_events(self, StackName: str, NextToken: str | None = None) -> dict[str, Any]:
        assert StackName == STACK_ID
        start = int(NextToken or 0)
        if start == 0:
            self.shown = min(self.shown + 1, len(self.history))
        newest_first = list(reversed(self.history[: self.shown]))
        page: dict[str, Any] = {"StackEvents": newest_first[start : start + 2]}
        if start + 2 < len(newest_first):
            page["NextToken"] = str(start + 2)
        return page


def test_following_events_until_the_stack_settles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("altus.cli.deploy.time.sleep", lambda seconds: None)
    history = [
        event("app", "REVIEW_IN_PROGRESS", 0, "User Initiated"),
        event("app", "CREATE_IN_PROGRESS", 1, "User Initiated"),
        event("Q", "CREATE_IN_PROGRESS", 2),
        event("Q", "CREATE_FAILED", 3, "Invalid value"),
        event("app", "ROLLBACK_IN_PROGRESS", 4, "The following resource(s) failed to create: [Q]."),
        event("Q", "DELETE_COMPLETE", 5),
        event("app", "ROLLBACK_COMPLETE", 6),
        event("app", "LATER", 7),
    ]
    client = Events(history, shown=0)
    stream = EventStream(client, STACK_ID, "app")
    stream.skip_past()  # the REVIEW_IN_PROGRESS one was there before
    client.shown = 3  # then three at once: more than a page
    printed: list[str] = []
    failures = stream.follow(printed.append, (20, 26, 5))
    statuses = [line.split()[0] for line in printed]
    assert statuses == [
        "ResourceStatus",
        "CREATE_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_FAILED",
        "ROLLBACK_IN_PROGRESS",
        "DELETE_COMPLETE",
        "ROLLBACK_COMPLETE",
    ]
    assert failures == ["Q: Invalid value"]
    assert printed[3].endswith("Invalid value")


def test_following_events_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("altus.cli.deploy.time.sleep", lambda seconds: None)
    client = Events([event("app", "CREATE_IN_PROGRESS", 1)], shown=1)
    with pytest.raises(CliError, match="gave up waiting for stack app"):
        EventStream(client, STACK_ID, "app").follow(lambda line: None, (1, 1, 1), patience=0.05)


def test_which_function_a_change_belongs_to() -> None:
    plan = WatchPlan(
        Path("/p/template.yaml"),
        (
            (Path("/p/src/a"), "A"),
            (Path("/p/libs/shared"), "A"),
            (Path("/p/libs/shared"), "B"),
            (Path("/p/src/b"), "B"),
        ),
        (Path("/p"),),
    )
    assert plan.functions_for([Path("/p/src/a/app.py")]) == {"A"}
    assert plan.functions_for([Path("/p/libs/shared/x/y.py")]) == {"A", "B"}
    assert plan.functions_for([Path("/p/src/ab/app.py"), Path("/p/template.yaml")]) == set()
    build_dir = Path("/p/.altus-build")
    assert ignored(Path("/p/.altus-build/A/app.py"), build_dir)
    assert ignored(Path("/p/libs/shared/shared.egg-info/PKG-INFO"), build_dir)
    assert ignored(Path("/p/src/a/__pycache__/app.cpython-311.pyc"), build_dir)
    assert not ignored(Path("/p/src/a/app.py"), build_dir)


def test_code_sha256_is_lambdas() -> None:
    data = b"PK\x05\x06" + b"\0" * 18
    assert code_sha256(data) == base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_sam_s_quoted_lists() -> None:
    """sam's form: several items in one quoted argument, split as a shell splits them."""
    from altus.cli.stacks import words

    assert pairs(["A=1 B='two words'", "C=3"], "--parameter-overrides") == {
        "A": "1",
        "B": "two words",
        "C": "3",
    }
    assert pairs(["ParameterKey=A,ParameterValue=1 ParameterKey=B,ParameterValue=2"], "x") == {
        "A": "1",
        "B": "2",
    }
    assert words(["CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"]) == (
        "CAPABILITY_IAM",
        "CAPABILITY_AUTO_EXPAND",
    )
    with pytest.raises(CliError, match="No closing quotation"):
        pairs(["A='open"], "--tags")


def test_the_template_tag_guards_a_defaulted_stack_name() -> None:
    from altus.cli.deploy import TEMPLATE_TAG, DeployOptions, check_owner, template_tag

    mine = DeployOptions(template=Path("/p/one/app/template.yaml"), stack_name="app", named=False)
    tagged = {"Tags": [{"Key": TEMPLATE_TAG, "Value": template_tag(mine.template)}]}
    check_owner(tagged, mine)  # its own stack
    check_owner({"Tags": []}, mine)  # a stack without the tag is anyone's
    other = {"Tags": [{"Key": TEMPLATE_TAG, "Value": "/p/two/app/template.yaml"}]}
    with pytest.raises(CliError, match="pass --stack-name app to deploy there anyway"):
        check_owner(other, mine)
    assert template_tag(Path("/" + "x" * 300)).startswith("sha256:")


def test_credentials_fall_back_to_boto3_s_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from altus.cli.deploy import aws_errors, session

    monkeypatch.setenv("ALTUS_DATA_DIR", str(tmp_path))  # no administrator key there
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert session().get_credentials().access_key == "AKIDFROMENV"
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert session().get_credentials().access_key == "altus"  # the placeholder
    refused = ClientError({"Error": {"Code": "InvalidClientTokenId", "Message": "no"}}, "X")
    hint = r"InvalidClientTokenId: no \(.*ALTUS_DATA_DIR.*AWS_PROFILE"
    with pytest.raises(CliError, match=hint), aws_errors("http://127.0.0.1:1"):
        raise refused
