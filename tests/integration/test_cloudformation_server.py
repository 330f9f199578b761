"""CloudFormation against a real ``altus up`` (both stores): a SAM application with an
HTTP API, an SQS consumer, a schedule, an S3 trigger and a state machine, deployed with
boto3 and invoked through its triggers, updated (code in place; a renamed queue replaced)
and deleted; the AWS CLI's ``cloudformation package`` and ``deploy``; a server killed
mid-deploy finishing the rollback when it starts again."""

from __future__ import annotations

import datetime
import json
import signal
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, start_server
from tests.integration.aws_cli import aws, aws_text, client
from tests.integration.cloudformation_helpers import outputs, settled, wait_for, zipped

APP = """\
import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])
VERSION = "{version}"


def hello(event, context):
    body = {{"version": VERSION, "path": event["rawPath"]}}
    return {{"statusCode": 200, "body": json.dumps(body)}}


def consume(event, context):
    for record in event["Records"]:
        TABLE.put_item(Item={{"id": "sqs-" + record["body"]}})


def tick(event, context):
    TABLE.put_item(Item={{"id": "tick"}})


def stored(event, context):
    for record in event["Records"]:
        TABLE.put_item(Item={{"id": "s3-" + record["s3"]["object"]["key"]}})


def double(event, context):
    return {{"value": event["value"] * 2}}
"""

SAM_APP = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: an application of every trigger
Parameters:
  CodeKey:
    Type: String
  QueueName:
    Type: String
  FireAt:
    Type: String
Globals:
  Function:
    Runtime: python3.11
    Timeout: 30
    CodeUri:
      Bucket: artifacts
      Key: !Ref CodeKey
    Environment:
      Variables:
        TABLE: !Ref Marks
Resources:
  Marks:
    Type: AWS::Serverless::SimpleTable
  Work:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Ref QueueName
  Uploads:
    Type: AWS::S3::Bucket
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.hello
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: get
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.consume
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Marks
      Events:
        Messages:
          Type: SQS
          Properties:
            Queue: !GetAtt Work.Arn
            BatchSize: 1
  Ticker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.tick
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Marks
      Events:
        Once:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: !Sub "at(${FireAt})"
  OnUpload:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.stored
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Marks
      Events:
        Put:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
  Doubler:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.double
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Policies:
        - LambdaInvokePolicy:
            FunctionName: !Ref Doubler
      Definition:
        StartAt: Double
        States:
          Double:
            Type: Task
            Resource: !GetAtt Doubler.Arn
            End: true
Outputs:
  Api:
    Value: !GetAtt ServerlessHttpApi.ApiEndpoint
  QueueUrl:
    Value: !Ref Work
  Bucket:
    Value: !Ref Uploads
  Table:
    Value: !Ref Marks
  Machine:
    Value: !Ref Flow
"""


def code_zip(version: str) -> bytes:
    return zipped({"app.py": APP.format(version=version)})


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_store: dict[str, str]
) -> Iterator[Server]:
    made = start_server(tmp_path_factory.mktemp("cfn"), extra_env={**module_store})
    yield made
    made.stop()


def test_sam_application_through_its_triggers(server: Server) -> None:
    s3 = client(server.url, "s3")
    cf = client(server.url, "cloudformation")
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="v1.zip", Body=code_zip("v1"))
    fire_at = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=8)).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    parameters = [
        {"ParameterKey": "CodeKey", "ParameterValue": "v1.zip"},
        {"ParameterKey": "QueueName", "ParameterValue": "work-one"},
        {"ParameterKey": "FireAt", "ParameterValue": fire_at},
    ]
    cf.create_stack(
        StackName="sam-app",
        TemplateBody=SAM_APP,
        Parameters=parameters,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = settled(cf, "sam-app")
    events = cf.describe_stack_events(StackName="sam-app")["StackEvents"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in events
    ]
    got = outputs(stack)
    table = client(server.url, "dynamodb")

    def marked(mark: str) -> bool | None:
        item = table.get_item(TableName=got["Table"], Key={"id": {"S": mark}}).get("Item")
        return True if item else None

    # The HTTP API.
    with urllib.request.urlopen(got["Api"] + "/hello", timeout=30) as answer:
        assert json.loads(answer.read()) == {"version": "v1", "path": "/hello"}
    # The queue's consumer.
    client(server.url, "sqs").send_message(QueueUrl=got["QueueUrl"], MessageBody="first")
    wait_for(lambda: marked("sqs-first"), what="the SQS consumer")
    # The bucket's notification.
    s3.put_object(Bucket=got["Bucket"], Key="photo.jpg", Body=b"x")
    wait_for(lambda: marked("s3-photo.jpg"), what="the S3 trigger")
    # The schedule.
    wait_for(lambda: marked("tick"), what="the schedule", limit=90)
    # The state machine.
    sfn = client(server.url, "stepfunctions")
    execution = sfn.start_execution(stateMachineArn=got["Machine"], input='{"value": 21}')

    def finished() -> dict[str, Any] | None:
        found: dict[str, Any] = sfn.describe_execution(executionArn=execution["executionArn"])
        return None if found["status"] == "RUNNING" else found

    done = wait_for(finished, what="the state machine")
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"value": 42}

    # An update: new code in place, the queue renamed (a new queue, a new mapping).
    s3.put_object(Bucket="artifacts", Key="v2.zip", Body=code_zip("v2"))
    parameters[0]["ParameterValue"] = "v2.zip"
    parameters[1]["ParameterValue"] = "work-two"
    hello_before = cf.describe_stack_resource(StackName="sam-app", LogicalResourceId="Hello")
    cf.update_stack(
        StackName="sam-app",
        TemplateBody=SAM_APP,
        Parameters=parameters,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = settled(cf, "sam-app")
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    after = outputs(stack)
    hello_after = cf.describe_stack_resource(StackName="sam-app", LogicalResourceId="Hello")
    assert (
        hello_after["StackResourceDetail"]["PhysicalResourceId"]
        == hello_before["StackResourceDetail"]["PhysicalResourceId"]
    )
    with urllib.request.urlopen(after["Api"] + "/hello", timeout=30) as answer:
        assert json.loads(answer.read())["version"] == "v2"
    assert after["QueueUrl"].endswith("/work-two")
    sqs = client(server.url, "sqs")
    assert sqs.list_queues(QueueNamePrefix="work-one").get("QueueUrls", []) == []
    sqs.send_message(QueueUrl=after["QueueUrl"], MessageBody="second")
    wait_for(lambda: marked("sqs-second"), what="the consumer of the new queue")

    # Delete (a bucket is not emptied by CloudFormation: empty it first).
    s3.delete_object(Bucket=got["Bucket"], Key="photo.jpg")
    cf.delete_stack(StackName="sam-app")
    assert settled(cf, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    functions = client(server.url, "lambda").list_functions()["Functions"]
    assert not [f for f in functions if f["FunctionName"].startswith("sam-app-")]
    tables = table.list_tables()["TableNames"]
    assert got["Table"] not in tables


def test_aws_cli_package_and_deploy(server: Server, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "app.py").write_text(
        "def handler(event, context):\n    return {'echo': event}\n", encoding="utf-8"
    )
    template = tmp_path / "template.yaml"
    template.write_text(
        """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
Outputs:
  Name:
    Value: !Ref Echo
    Export:
      Name: cli-echo-name
""",
        encoding="utf-8",
    )
    client(server.url, "s3").create_bucket(Bucket="cli-artifacts")
    packaged = tmp_path / "packaged.yaml"
    aws_text(
        server.url,
        "cloudformation",
        "package",
        "--template-file",
        str(template),
        "--s3-bucket",
        "cli-artifacts",
        "--output-template-file",
        str(packaged),
    )
    assert "s3://cli-artifacts/" in packaged.read_text(encoding="utf-8")
    deploy = (
        "cloudformation",
        "deploy",
        "--template-file",
        str(packaged),
        "--stack-name",
        "cli-app",
        "--capabilities",
        "CAPABILITY_IAM",
    )
    aws_text(server.url, *deploy)
    cf = client(server.url, "cloudformation")
    stack = cf.describe_stacks(StackName="cli-app")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    name = outputs(stack)["Name"]
    answer = client(server.url, "lambda").invoke(FunctionName=name, Payload=b'{"a": 1}')
    assert json.loads(answer["Payload"].read()) == {"echo": {"a": 1}}
    # The same template again: nothing to deploy (the CLI's own message, exit 0).
    aws_text(server.url, *deploy, "--no-fail-on-empty-changeset")
    assert [e["Name"] for e in cf.list_exports()["Exports"]] == ["cli-echo-name"]
    aws(server.url, "cloudformation", "delete-stack", "--stack-name", "cli-app")
    aws(server.url, "cloudformation", "wait", "stack-delete-complete", "--stack-name", "cli-app")


def test_kill_mid_deploy_is_rolled_back_at_start(
    tmp_path: Path, server_store: dict[str, str]
) -> None:
    """A SIGKILL during a create leaves CREATE_IN_PROGRESS; the next start rolls it back
    and deletes every resource that was made (found by the names they were given)."""
    count = 40
    resources: dict[str, Any] = {}
    for index in range(count):
        topic: dict[str, Any] = {"Type": "AWS::SNS::Topic"}
        if index:
            topic["DependsOn"] = f"Topic{index - 1}"
        resources[f"Topic{index}"] = topic
    body = json.dumps({"Resources": resources})
    server = start_server(
        tmp_path / "data",
        extra_env={**server_store, "ALTUS_CLOUDFORMATION_ANSWER_WITHIN_SECONDS": "0"},
    )
    try:
        cf = client(server.url, "cloudformation")
        stack_id = cf.create_stack(StackName="doomed", TemplateBody=body)["StackId"]

        def some_made() -> bool | None:
            events = cf.describe_stack_events(StackName="doomed")["StackEvents"]
            made = [e for e in events if e["ResourceStatus"] == "CREATE_COMPLETE"]
            return True if len(made) >= 3 else None

        wait_for(some_made, what="the first resources")
        server.stop(signal.SIGKILL)
    finally:
        server.stop()
    again = start_server(tmp_path / "data", extra_env={**server_store})
    try:
        cf = client(again.url, "cloudformation")
        found = settled(cf, stack_id)
        assert found["StackStatus"] == "ROLLBACK_COMPLETE", found
        topics = client(again.url, "sns").list_topics()["Topics"]
        assert not [t for t in topics if ":doomed-Topic" in t["TopicArn"]]
        statuses = [
            e["ResourceStatus"]
            for e in cf.describe_stack_events(StackName=stack_id)["StackEvents"]
            if e["LogicalResourceId"] == "doomed"
        ]
        assert statuses[0] == "ROLLBACK_COMPLETE" and "ROLLBACK_IN_PROGRESS" in statuses
    finally:
        again.stop()
