"""CloudFormation stacks through boto3 against an in-process server: create, update in
place and by replacement, failures rolled back, deletes, exports between stacks, change
sets, the waiters the CLI uses, and the errors tools match on."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import botocore.exceptions
import pytest

from altus.testing import Harness

QUEUE_AND_TOPIC = """
AWSTemplateFormatVersion: "2010-09-09"
Description: a queue and a topic
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Secret:
    Type: String
    NoEcho: true
    Default: hush
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Mappings:
  Sizes:
    dev: {Timeout: 30}
    prod: {Timeout: 60}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !FindInMap [Sizes, !Ref Stage, Timeout]
      Tags:
        - Key: stage
          Value: !Ref Stage
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !Sub "${AWS::StackName}-${Stage}"
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
  Setting:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !Join [",", [!GetAtt Queue.Arn, !Ref Topic, !Select [0, !GetAZs ""]]]
Outputs:
  QueueUrl:
    Value: !Ref Queue
  QueueArn:
    Value: !GetAtt Queue.Arn
    Export:
      Name: !Sub "${AWS::StackName}-QueueArn"
  Prod:
    Condition: IsProd
    Value: !Ref ProdOnly
"""


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(clock=None) as made:
        yield made


@pytest.fixture(scope="module")
def cf(harness: Harness) -> Any:
    return harness.client("cloudformation")


def settled(cf: Any, name: str, *, limit: float = 60.0) -> dict[str, Any]:
    """The stack once its operation has ended."""
    deadline = time.monotonic() + limit
    while True:
        stack: dict[str, Any] = cf.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return stack
        time.sleep(0.05)


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def events(cf: Any, name: str) -> list[tuple[str, str, str]]:
    """(logical id, status, reason) oldest first."""
    found = cf.describe_stack_events(StackName=name)["StackEvents"]
    return [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
        for e in reversed(found)
    ]


def test_create_describe_update_delete(harness: Harness, cf: Any) -> None:
    stack_id = cf.create_stack(StackName="app", TemplateBody=QUEUE_AND_TOPIC)["StackId"]
    assert stack_id.startswith("arn:aws:cloudformation:us-east-1:000000000000:stack/app/")
    stack = settled(cf, "app")
    assert stack["StackStatus"] == "CREATE_COMPLETE", events(cf, "app")
    assert stack["Description"] == "a queue and a topic"
    shown = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert shown == {"Stage": "dev", "Secret": "****"}
    got = outputs(stack)
    assert set(got) == {"QueueUrl", "QueueArn"}
    sqs = harness.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=got["QueueUrl"], AttributeNames=["All"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "30"
    assert attributes["Attributes"]["QueueArn"] == got["QueueArn"]
    assert "app-Queue-" in got["QueueUrl"]
    resources = {
        r["LogicalResourceId"]: r
        for r in cf.describe_stack_resources(StackName="app")["StackResources"]
    }
    assert set(resources) == {"Queue", "Topic", "Setting"}
    setting = harness.client("ssm").get_parameter(Name=resources["Setting"]["PhysicalResourceId"])
    value = setting["Parameter"]["Value"].split(",")
    assert value == [got["QueueArn"], resources["Topic"]["PhysicalResourceId"], "us-east-1a"]
    exports = cf.list_exports()["Exports"]
    assert {
        "ExportingStackId": stack_id,
        "Name": "app-QueueArn",
        "Value": got["QueueArn"],
    } in exports
    # Events: the stack's first and last, each resource's three.
    seen = events(cf, "app")
    assert seen[0] == ("app", "CREATE_IN_PROGRESS", "User Initiated")
    assert seen[-1][:2] == ("app", "CREATE_COMPLETE")
    queue_events = [e[1:] for e in seen if e[0] == "Queue"]
    assert queue_events == [
        ("CREATE_IN_PROGRESS", ""),
        ("CREATE_IN_PROGRESS", "Resource creation Initiated"),
        ("CREATE_COMPLETE", ""),
    ]
    template = cf.get_template(StackName="app")
    assert template["TemplateBody"] == QUEUE_AND_TOPIC

    # An update that changes a property in place and adds a conditional resource.
    cf.update_stack(
        StackName="app",
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": "Stage", "ParameterValue": "prod"},
            {"ParameterKey": "Secret", "UsePreviousValue": True},
        ],
    )
    stack = settled(cf, "app")
    assert stack["StackStatus"] == "UPDATE_COMPLETE", events(cf, "app")
    after = outputs(stack)
    assert after["QueueUrl"] == got["QueueUrl"]  # in place: the same queue
    assert "Prod" in after
    attributes = sqs.get_queue_attributes(QueueUrl=got["QueueUrl"], AttributeNames=["All"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "60"
    statuses = [e[1] for e in events(cf, "app") if e[0] == "app"]
    assert statuses[-3:] == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ]

    # No changes: refused as CloudFormation words it.
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        cf.update_stack(
            StackName="app",
            UsePreviousTemplate=True,
            Parameters=[
                {"ParameterKey": "Stage", "UsePreviousValue": True},
                {"ParameterKey": "Secret", "UsePreviousValue": True},
            ],
        )
    assert refused.value.response["Error"]["Message"] == "No updates are to be performed."

    cf.delete_stack(StackName="app")
    cf.get_waiter("stack_delete_complete").wait(
        StackName=stack_id, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    with pytest.raises(botocore.exceptions.ClientError) as gone:
        cf.describe_stacks(StackName="app")
    assert gone.value.response["Error"]["Message"] == "Stack with id app does not exist"
    assert cf.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(botocore.exceptions.ClientError):
        sqs.get_queue_attributes(QueueUrl=got["QueueUrl"], AttributeNames=["All"])
    # A delete of no stack succeeds.
    cf.delete_stack(StackName="app")


def test_replacement_on_rename(harness: Harness, cf: Any) -> None:
    body: dict[str, Any] = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "first-name"}},
        },
        "Outputs": {"Url": {"Value": {"Ref": "Queue"}}},
    }
    cf.create_stack(StackName="renamed", TemplateBody=json.dumps(body))
    first = outputs(settled(cf, "renamed"))["Url"]
    body["Resources"]["Queue"]["Properties"]["QueueName"] = "second-name"
    cf.update_stack(StackName="renamed", TemplateBody=json.dumps(body))
    stack = settled(cf, "renamed")
    assert stack["StackStatus"] == "UPDATE_COMPLETE", events(cf, "renamed")
    second = outputs(stack)["Url"]
    assert second.endswith("/second-name") and first.endswith("/first-name")
    urls = harness.client("sqs").list_queues(QueueNamePrefix="first-name").get("QueueUrls", [])
    assert urls == []  # the old copy went at cleanup
    reasons = [e[2] for e in events(cf, "renamed") if e[0] == "Queue"]
    assert (
        "Requested update requires the creation of a new physical resource; hence creating one."
        in reasons
    )
    cf.delete_stack(StackName="renamed")
    assert settled(cf, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_failed_create_rolls_back(harness: Harness, cf: Any) -> None:
    body = {
        "Resources": {
            "Good": {"Type": "AWS::SNS::Topic"},
            "Bad": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": "Good",
                "Properties": {"VisibilityTimeout": 999999},
            },
        }
    }
    cf.create_stack(StackName="broken", TemplateBody=json.dumps(body))
    stack = settled(cf, "broken")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"] == (
        "The following resource(s) failed to create: [Bad]. Rollback requested by user."
    )
    seen = events(cf, "broken")
    failed = [e for e in seen if e[1] == "CREATE_FAILED"]
    assert failed[0][0] == "Bad" and "Resource handler returned message" in failed[0][2]
    assert ("Good", "DELETE_COMPLETE", "") in seen
    topics = harness.client("sns").list_topics()["Topics"]
    assert not [t for t in topics if "broken-Good" in t["TopicArn"]]
    # ROLLBACK_COMPLETE allows only a delete.
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        cf.update_stack(StackName="broken", TemplateBody=json.dumps(body))
    assert "ROLLBACK_COMPLETE state and can not be updated" in str(refused.value)
    cf.delete_stack(StackName="broken")
    assert settled(cf, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_failed_update_rolls_back(harness: Harness, cf: Any) -> None:
    good = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 10}},
        },
        "Outputs": {"Url": {"Value": {"Ref": "Queue"}}},
    }
    cf.create_stack(StackName="steady", TemplateBody=json.dumps(good))
    url = outputs(settled(cf, "steady"))["Url"]
    bad = json.loads(json.dumps(good))
    bad["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 20
    bad["Resources"]["Extra"] = {"Type": "AWS::SNS::Topic"}
    bad["Resources"]["Broken"] = {
        "Type": "AWS::SQS::Queue",
        "DependsOn": ["Queue", "Extra"],
        "Properties": {"MessageRetentionPeriod": 1},
    }
    cf.update_stack(StackName="steady", TemplateBody=json.dumps(bad))
    stack = settled(cf, "steady")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", events(cf, "steady")
    attributes = harness.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout"]
    )
    assert attributes["Attributes"]["VisibilityTimeout"] == "10"  # restored
    topics = harness.client("sns").list_topics()["Topics"]
    assert not [t for t in topics if "steady-Extra" in t["TopicArn"]]
    # botocore parses a JSON template body itself.
    assert json.loads(json.dumps(cf.get_template(StackName="steady")["TemplateBody"])) == good
    cf.delete_stack(StackName="steady")
    assert settled(cf, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_exports_between_stacks(harness: Harness, cf: Any) -> None:
    producer = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"Arn": {"Value": {"Ref": "Topic"}, "Export": {"Name": "shared-topic"}}},
    }
    consumer = {
        "Resources": {
            "Copy": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": {"Fn::ImportValue": "shared-topic"}},
            }
        }
    }
    cf.create_stack(StackName="producer", TemplateBody=json.dumps(producer))
    assert settled(cf, "producer")["StackStatus"] == "CREATE_COMPLETE"
    cf.create_stack(StackName="consumer", TemplateBody=json.dumps(consumer))
    assert settled(cf, "consumer")["StackStatus"] == "CREATE_COMPLETE", events(cf, "consumer")
    assert cf.list_imports(ExportName="shared-topic")["Imports"] == ["consumer"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        cf.delete_stack(StackName="producer")
    assert refused.value.response["Error"]["Message"] == (
        "Export shared-topic cannot be deleted as it is in use by consumer"
    )
    # A second stack cannot export the same name.
    cf.create_stack(StackName="rival", TemplateBody=json.dumps(producer))
    rival = settled(cf, "rival")
    assert rival["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "already exported by stack producer" in rival["StackStatusReason"]
    # An import of a missing export fails the stack.
    missing = json.loads(json.dumps(consumer).replace("shared-topic", "no-such-export"))
    cf.create_stack(StackName="orphan", TemplateBody=json.dumps(missing))
    orphan = settled(cf, "orphan")
    assert orphan["StackStatus"] == "ROLLBACK_COMPLETE"
    for name in ("orphan", "rival", "consumer"):
        stack_id = cf.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
        cf.delete_stack(StackName=name)
        assert settled(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    producer_id = cf.describe_stacks(StackName="producer")["Stacks"][0]["StackId"]
    cf.delete_stack(StackName="producer")
    assert settled(cf, producer_id)["StackStatus"] == "DELETE_COMPLETE"


def test_change_sets(harness: Harness, cf: Any) -> None:
    body: dict[str, Any] = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    created = cf.create_change_set(
        StackName="planned",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(body),
    )
    stack = cf.describe_stacks(StackName="planned")["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    cf.get_waiter("change_set_create_complete").wait(
        ChangeSetName=created["Id"], WaiterConfig={"Delay": 1, "MaxAttempts": 10}
    )
    described = cf.describe_change_set(ChangeSetName="first", StackName="planned")
    assert described["Status"] == "CREATE_COMPLETE"
    assert described["ExecutionStatus"] == "AVAILABLE"
    assert [c["ResourceChange"]["Action"] for c in described["Changes"]] == ["Add"]
    cf.execute_change_set(ChangeSetName=created["Id"])
    assert settled(cf, "planned")["StackStatus"] == "CREATE_COMPLETE"

    # An UPDATE set: a new property in place, a new resource.
    body["Resources"]["Queue"]["Properties"] = {"DelaySeconds": 5}
    body["Resources"]["Topic"] = {"Type": "AWS::SNS::Topic"}
    cf.create_change_set(StackName="planned", ChangeSetName="second", TemplateBody=json.dumps(body))
    described = cf.describe_change_set(ChangeSetName="second", StackName="planned")
    changes = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]
    }
    assert changes["Topic"]["Action"] == "Add"
    assert changes["Queue"]["Action"] == "Modify"
    assert changes["Queue"]["Replacement"] == "False"
    assert changes["Queue"]["Details"][0]["Target"]["Name"] == "DelaySeconds"
    listed = cf.list_change_sets(StackName="planned")["Summaries"]
    assert [s["ChangeSetName"] for s in listed] == ["first", "second"] or [
        s["ChangeSetName"] for s in listed
    ] == ["second"]
    cf.execute_change_set(ChangeSetName="second", StackName="planned")
    assert settled(cf, "planned")["StackStatus"] == "UPDATE_COMPLETE"

    # An empty one fails as the CLI expects.
    cf.create_change_set(StackName="planned", ChangeSetName="third", TemplateBody=json.dumps(body))
    described = cf.describe_change_set(ChangeSetName="third", StackName="planned")
    assert described["Status"] == "FAILED"
    assert described["StatusReason"].startswith("The submitted information didn't contain changes")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        cf.execute_change_set(ChangeSetName="third", StackName="planned")
    assert refused.value.response["Error"]["Code"] == "InvalidChangeSetStatus"
    cf.delete_change_set(ChangeSetName="third", StackName="planned")
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        cf.describe_change_set(ChangeSetName="third", StackName="planned")
    assert missing.value.response["Error"]["Code"] == "ChangeSetNotFound"
    stack_id = cf.describe_stacks(StackName="planned")["Stacks"][0]["StackId"]
    cf.delete_stack(StackName="planned")
    assert settled(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"


def test_refusals(cf: Any) -> None:
    def code_and_message(**kwargs: Any) -> tuple[str, str]:
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            cf.create_stack(**kwargs)
        error = refused.value.response["Error"]
        return error["Code"], error["Message"]

    assert code_and_message(StackName="x", TemplateBody="Resources: [")[0] == "ValidationError"
    code, message = code_and_message(
        StackName="x", TemplateBody=json.dumps({"Resources": {"A": {"Type": "AWS::EC2::VPC"}}})
    )
    assert message == "Template format error: Unrecognized resource types: [AWS::EC2::VPC]"
    code, message = code_and_message(
        StackName="x",
        TemplateBody=json.dumps(
            {
                "Resources": {
                    "R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}
                }
            }
        ),
    )
    assert (code, message) == (
        "InsufficientCapabilitiesException",
        "Requires capabilities : [CAPABILITY_IAM]",
    )
    code, message = code_and_message(
        StackName="x",
        TemplateBody=json.dumps(
            {
                "Resources": {
                    "A": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Nope"}}}
                }
            }
        ),
    )
    assert "Unresolved resource dependencies [Nope]" in message
    code, message = code_and_message(StackName="1bad", TemplateBody="{}")
    assert code == "ValidationError" and "stackName" in message
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        cf.describe_stacks(StackName="nothing-here")
    assert refused.value.response["Error"]["Message"] == "Stack with id nothing-here does not exist"
    # Nothing was created by any of those.
    names = [s["StackName"] for s in cf.list_stacks()["StackSummaries"]]
    assert "x" not in names


def test_validate_and_summary(cf: Any) -> None:
    validated = cf.validate_template(TemplateBody=QUEUE_AND_TOPIC)
    keys = {p["ParameterKey"]: p for p in validated["Parameters"]}
    assert keys["Stage"]["DefaultValue"] == "dev" and keys["Secret"]["NoEcho"] is True
    assert validated["Description"] == "a queue and a topic"
    summary = cf.get_template_summary(TemplateBody=QUEUE_AND_TOPIC)
    assert summary["ResourceTypes"] == ["AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::SSM::Parameter"]


# --- what a rollback and a delete must never do -------------------------------------------


def test_a_refused_create_deletes_nothing_of_anyone_elses(harness: Harness, cf: Any) -> None:
    sqs = harness.client("sqs")
    url = sqs.create_queue(QueueName="precious")["QueueUrl"]
    body = {
        "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "precious"}}}
    }
    cf.create_stack(StackName="grab", TemplateBody=json.dumps(body))
    stack = settled(cf, "grab")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert sqs.list_queues(QueueNamePrefix="precious")["QueueUrls"] == [url]
    cf.delete_stack(StackName="grab")
    assert settled(cf, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert sqs.list_queues(QueueNamePrefix="precious")["QueueUrls"] == [url]
    sqs.delete_queue(QueueUrl=url)


def test_retained_resources_outlive_removal_delete_and_rollback(harness: Harness, cf: Any) -> None:
    sqs = harness.client("sqs")
    body: dict[str, Any] = {
        "Resources": {
            "Kept": {
                "Type": "AWS::SQS::Queue",
                "DeletionPolicy": "RetainExceptOnCreate",
                "Properties": {"QueueName": "kept-one"},
            },
            "Held": {
                "Type": "AWS::SQS::Queue",
                "DeletionPolicy": "Retain",
                "Properties": {"QueueName": "held-one"},
            },
        }
    }
    cf.create_stack(StackName="keeper", TemplateBody=json.dumps(body))
    assert settled(cf, "keeper")["StackStatus"] == "CREATE_COMPLETE"
    # A failed update that would have dropped Held's Retain: the rollback restores it.
    failing = json.loads(json.dumps(body))
    failing["Resources"]["Held"]["DeletionPolicy"] = "Delete"
    failing["Resources"]["New"] = {
        "Type": "AWS::SQS::Queue",
        "DeletionPolicy": "Retain",
        "Properties": {"QueueName": "new-retained"},
    }
    failing["Resources"]["Bad"] = {
        "Type": "AWS::SQS::Queue",
        "DependsOn": "New",
        "Properties": {"VisibilityTimeout": 999999},
    }
    cf.update_stack(StackName="keeper", TemplateBody=json.dumps(failing))
    assert settled(cf, "keeper")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    # A Retain resource the failed update made is kept too, as CloudFormation keeps it.
    assert sqs.list_queues(QueueNamePrefix="new-retained").get("QueueUrls")
    stack_id = cf.describe_stacks(StackName="keeper")["Stacks"][0]["StackId"]
    cf.delete_stack(StackName="keeper")
    assert settled(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    for name in ("kept-one", "held-one", "new-retained"):
        found = sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
        assert len(found) == 1, name
        sqs.delete_queue(QueueUrl=found[0])
    # RetainExceptOnCreate: a create rolled back deletes what it made all the same.
    made = {
        "Resources": {
            "Fresh": {
                "Type": "AWS::SQS::Queue",
                "DeletionPolicy": "RetainExceptOnCreate",
                "Properties": {"QueueName": "fresh-one"},
            },
            "Bad": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": "Fresh",
                "Properties": {"VisibilityTimeout": 999999},
            },
        }
    }
    cf.create_stack(StackName="fresh", TemplateBody=json.dumps(made))
    fresh = settled(cf, "fresh")
    assert fresh["StackStatus"] == "ROLLBACK_COMPLETE"
    assert sqs.list_queues(QueueNamePrefix="fresh-one").get("QueueUrls", []) == []
    cf.delete_stack(StackName="fresh")
    settled(cf, fresh["StackId"])


def test_a_partly_applied_update_is_undone(harness: Harness, cf: Any) -> None:
    """The queue took the new VisibilityTimeout, then its tagging failed: the rollback
    puts the timeout back, though the update never recorded it as applied."""
    body: dict[str, Any] = {
        "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 10}}},
        "Outputs": {"Url": {"Value": {"Ref": "Q"}}},
    }
    cf.create_stack(StackName="partial", TemplateBody=json.dumps(body))
    url = outputs(settled(cf, "partial"))["Url"]
    body["Resources"]["Q"]["Properties"]["VisibilityTimeout"] = 99
    body["Resources"]["Q"]["Properties"]["Tags"] = [{"Key": "k", "Value": "x" * 300}]
    cf.update_stack(StackName="partial", TemplateBody=json.dumps(body))
    stack = settled(cf, "partial")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    attributes = harness.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout"]
    )
    assert attributes["Attributes"]["VisibilityTimeout"] == "10"
    cf.delete_stack(StackName="partial")
    settled(cf, stack["StackId"])


def test_secrets_from_dynamic_references_are_never_shown(harness: Harness, cf: Any) -> None:
    harness.client("secretsmanager").create_secret(Name="db", SecretString="hunter2-secret")
    body = {
        "Resources": {
            "Copy": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": "{{resolve:secretsmanager:db}}"},
            }
        }
    }
    cf.create_stack(StackName="secretive", TemplateBody=json.dumps(body))
    stack = settled(cf, "secretive")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    name = cf.describe_stack_resource(StackName="secretive", LogicalResourceId="Copy")
    value = harness.client("ssm").get_parameter(
        Name=name["StackResourceDetail"]["PhysicalResourceId"]
    )
    assert value["Parameter"]["Value"] == "hunter2-secret"  # the resource got it
    shown = json.dumps(cf.describe_stack_events(StackName="secretive"), default=str)
    assert "hunter2" not in shown and "{{resolve:secretsmanager:db}}" in shown
    # The same template again changes nothing (no phantom Modify).
    cf.create_change_set(
        StackName="secretive", ChangeSetName="again", TemplateBody=json.dumps(body)
    )
    again = cf.describe_change_set(StackName="secretive", ChangeSetName="again")
    assert again["Status"] == "FAILED" and again["Changes"] == []
    cf.delete_stack(StackName="secretive")
    settled(cf, stack["StackId"])


def test_a_failed_stack_without_rollback_is_repaired_or_rolled_back(cf: Any) -> None:
    bad = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 9999}}}}
    cf.create_stack(StackName="kept-failed", TemplateBody=json.dumps(bad), DisableRollback=True)
    assert settled(cf, "kept-failed")["StackStatus"] == "CREATE_FAILED"
    good = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 5}}}}
    cf.update_stack(StackName="kept-failed", TemplateBody=json.dumps(good))
    assert settled(cf, "kept-failed")["StackStatus"] == "UPDATE_COMPLETE"
    # An update left UPDATE_FAILED, then RollbackStack.
    cf.update_stack(StackName="kept-failed", TemplateBody=json.dumps(bad), DisableRollback=True)
    assert settled(cf, "kept-failed")["StackStatus"] == "UPDATE_FAILED"
    cf.rollback_stack(StackName="kept-failed")
    stack = settled(cf, "kept-failed")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    # A change set cannot update a stack in a state that allows no update.
    cf.create_stack(StackName="rolled", TemplateBody=json.dumps(bad))
    rolled = settled(cf, "rolled")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        cf.create_change_set(StackName="rolled", ChangeSetName="fix", TemplateBody=json.dumps(good))
    assert "is in ROLLBACK_COMPLETE state and can not be updated" in str(refused.value)
    for stack_id in (stack["StackId"], rolled["StackId"]):
        cf.delete_stack(StackName=stack_id)
        assert settled(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"


def test_custom_resources_backed_by_a_function(harness: Harness, cf: Any) -> None:
    """The function is sent Create, Update (with the old properties) and Delete, answers
    at the ResponseURL, and its Data are the resource's attributes; a new physical id in
    an Update's answer sends the old one a Delete at cleanup."""
    import urllib.request

    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        seen.append(event)
        props = event["ResourceProperties"]
        answer: dict[str, Any] = {
            "Status": "FAILED" if props.get("Fail") == "yes" else "SUCCESS",
            "Reason": "asked to fail",
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "PhysicalResourceId": f"seeded-{props.get('Version', '1')}",
            "Data": {"Greeting": f"hello {props.get('Name')}"},
        }
        request = urllib.request.Request(
            event["ResponseURL"], data=json.dumps(answer).encode(), method="PUT"
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    harness.create_function("seeder", handler)
    arn = "arn:aws:lambda:us-east-1:000000000000:function:seeder"
    body: dict[str, Any] = {
        "Resources": {
            "Seed": {
                "Type": "Custom::Seeder",
                "Properties": {"ServiceToken": arn, "Name": "world", "Version": "1"},
            },
            "Copy": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Seed", "Greeting"]}},
            },
        },
        "Outputs": {"Id": {"Value": {"Ref": "Seed"}}},
    }
    cf.create_stack(StackName="custom", TemplateBody=json.dumps(body))
    stack = settled(cf, "custom")
    assert stack["StackStatus"] == "CREATE_COMPLETE", events(cf, "custom")
    assert outputs(stack)["Id"] == "seeded-1"
    assert seen[0]["RequestType"] == "Create" and seen[0]["ResourceType"] == "Custom::Seeder"
    assert seen[0]["ResourceProperties"] == {"ServiceToken": arn, "Name": "world", "Version": "1"}
    body["Resources"]["Seed"]["Properties"]["Version"] = "2"
    cf.update_stack(StackName="custom", TemplateBody=json.dumps(body))
    assert settled(cf, "custom")["StackStatus"] == "UPDATE_COMPLETE", events(cf, "custom")
    update, cleanup = seen[1], seen[2]
    assert update["RequestType"] == "Update" and update["PhysicalResourceId"] == "seeded-1"
    assert update["OldResourceProperties"]["Version"] == "1"
    assert (cleanup["RequestType"], cleanup["PhysicalResourceId"]) == ("Delete", "seeded-1")
    # A FAILED answer fails the resource with its Reason, and the update rolls back.
    body["Resources"]["Seed"]["Properties"]["Fail"] = "yes"
    cf.update_stack(StackName="custom", TemplateBody=json.dumps(body))
    assert settled(cf, "custom")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert any("asked to fail" in e[2] for e in events(cf, "custom"))
    cf.delete_stack(StackName="custom")
    assert settled(cf, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert seen[-1]["RequestType"] == "Delete" and seen[-1]["PhysicalResourceId"] == "seeded-2"


def test_templates_and_snippets_read_from_s3(harness: Harness, cf: Any) -> None:
    """A TemplateURL (path-style, as `aws cloudformation deploy --s3-bucket` sends it) and
    AWS::Include snippets (spliced where Fn::Transform asks) read from the built-in S3."""
    s3 = harness.client("s3")
    s3.create_bucket(Bucket="templates")
    s3.put_object(
        Bucket="templates",
        Key="snippets/queue.yaml",
        Body=b"Type: AWS::SQS::Queue\nProperties:\n  DelaySeconds: 7\n",
    )
    body = {
        "Resources": {
            "Included": {
                "Fn::Transform": {
                    "Name": "AWS::Include",
                    "Parameters": {"Location": "s3://templates/snippets/queue.yaml"},
                }
            }
        },
        "Outputs": {"Url": {"Value": {"Ref": "Included"}}},
    }
    s3.put_object(Bucket="templates", Key="main.template", Body=json.dumps(body).encode())
    cf.create_stack(StackName="from-s3", TemplateURL=f"{harness.url}/templates/main.template")
    stack = settled(cf, "from-s3")
    assert stack["StackStatus"] == "CREATE_COMPLETE", events(cf, "from-s3")
    attributes = harness.client("sqs").get_queue_attributes(
        QueueUrl=outputs(stack)["Url"], AttributeNames=["DelaySeconds"]
    )
    assert attributes["Attributes"]["DelaySeconds"] == "7"
    processed = cf.get_template(StackName="from-s3", TemplateStage="Processed")["TemplateBody"]
    assert json.loads(json.dumps(processed))["Resources"]["Included"]["Type"] == "AWS::SQS::Queue"
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        cf.create_stack(StackName="nowhere", TemplateURL=f"{harness.url}/templates/none.template")
    assert missing.value.response["Error"]["Code"] == "ValidationError"
    cf.delete_stack(StackName="from-s3")
    settled(cf, stack["StackId"])


def test_an_executed_change_set_frees_its_name(cf: Any) -> None:
    """The AWS CLI names its change sets by the second; a deploy here can end within the
    second the previous one began, and the name is taken again."""
    body: dict[str, Any] = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    cf.create_change_set(
        StackName="renamed-sets",
        ChangeSetName="cli-1",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(body),
    )
    cf.execute_change_set(ChangeSetName="cli-1", StackName="renamed-sets")
    assert settled(cf, "renamed-sets")["StackStatus"] == "CREATE_COMPLETE"
    body["Resources"]["Queue"]["Properties"] = {"DelaySeconds": 3}
    cf.create_change_set(
        StackName="renamed-sets", ChangeSetName="cli-1", TemplateBody=json.dumps(body)
    )
    # One not yet executed keeps its name.
    with pytest.raises(botocore.exceptions.ClientError) as taken:
        cf.create_change_set(
            StackName="renamed-sets", ChangeSetName="cli-1", TemplateBody=json.dumps(body)
        )
    assert taken.value.response["Error"]["Code"] == "AlreadyExistsException"
    cf.execute_change_set(ChangeSetName="cli-1", StackName="renamed-sets")
    stack = settled(cf, "renamed-sets")
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    cf.delete_stack(StackName="renamed-sets")
    settled(cf, stack["StackId"])
