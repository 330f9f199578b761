"""Deploying and deleting a 20-resource SAM application on a real ``altus up``, next to
making and removing the same 20 resources with direct API calls in the same run.

    .venv/bin/python bench/cloudformation.py [--rounds 5] [--postgres postgresql://...]

The application (after SAM's transform: 20 resources): four functions, each with its
execution role (SAM's) and an SQS event (a queue and an event source mapping each), two
tables (SimpleTable) and two topics. The code is one zip in the built-in S3.

- deploy: CreateStack, then DescribeStacks until CREATE_COMPLETE (the server answers
  CreateStack once the stack settles, up to its ``cloudformation_answer_within_seconds``);
- delete: DeleteStack, then DescribeStacks by id until DELETE_COMPLETE;
- direct: the same resources made with boto3 calls one after another (CreateRole with
  the managed policies SAM attaches, CreateQueue, CreateFunction, waiting for Active,
  CreateEventSourceMapping, CreateTable, CreateTopic), then removed the same way.

"vs direct" is the stack's time over the direct calls' in the same round (median and
range over the rounds).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3
from botocore.config import Config
from common import altus_process, postgres_database

FUNCTIONS = 4
TABLES = 2
TOPICS = 2
BUCKET = "bench-artifacts"
KEY = "code.zip"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
SQS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
BASIC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}),
    )


def template() -> str:
    resources: dict[str, Any] = {}
    for n in range(FUNCTIONS):
        resources[f"Queue{n}"] = {"Type": "AWS::SQS::Queue"}
        resources[f"Worker{n}"] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": f"s3://{BUCKET}/{KEY}",
                "Handler": "app.handler",
                "Runtime": "python3.11",
                "Events": {
                    "Work": {
                        "Type": "SQS",
                        "Properties": {"Queue": {"Fn::GetAtt": [f"Queue{n}", "Arn"]}},
                    }
                },
            },
        }
    for n in range(TABLES):
        resources[f"Table{n}"] = {"Type": "AWS::Serverless::SimpleTable"}
    for n in range(TOPICS):
        resources[f"Topic{n}"] = {"Type": "AWS::SNS::Topic"}
    return json.dumps({"Transform": "AWS::Serverless-2016-10-31", "Resources": resources})


def settle(cf: Any, name: str, limit: float = 300.0) -> str:
    deadline = time.monotonic() + limit
    while True:
        status: str = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return status
        time.sleep(0.02)


def stack_round(url: str, body: str) -> tuple[float, float, int]:
    cf = client(url, "cloudformation")
    name = f"bench-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    stack_id = cf.create_stack(
        StackName=name,
        TemplateBody=body,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )["StackId"]
    status = settle(cf, stack_id)
    deployed = time.perf_counter() - start
    if status != "CREATE_COMPLETE":
        raise RuntimeError(f"the stack ended {status}")
    count = len(cf.list_stack_resources(StackName=stack_id)["StackResourceSummaries"])
    start = time.perf_counter()
    cf.delete_stack(StackName=stack_id)
    status = settle(cf, stack_id)
    deleted = time.perf_counter() - start
    if status != "DELETE_COMPLETE":
        raise RuntimeError(f"the delete ended {status}")
    return deployed, deleted, count


def wait_active(lam: Any, name: str) -> None:
    for _ in range(3000):  # bounded: a function is Active within moments
        state = lam.get_function_configuration(FunctionName=name)["State"]
        if state == "Active":
            return
        time.sleep(0.01)
    raise RuntimeError(f"{name} never became Active")


def direct_round(url: str) -> tuple[float, float, int]:
    iam, sqs, lam = client(url, "iam"), client(url, "sqs"), client(url, "lambda")
    ddb, sns = client(url, "dynamodb"), client(url, "sns")
    tag = uuid.uuid4().hex[:8]
    made: dict[str, list[str]] = {"roles": [], "queues": [], "functions": [], "mappings": []}
    made.update(tables=[], topics=[])
    start = time.perf_counter()
    for n in range(FUNCTIONS):
        role = f"direct-{tag}-role{n}"
        arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
            "Arn"
        ]
        iam.attach_role_policy(RoleName=role, PolicyArn=BASIC_POLICY)
        iam.attach_role_policy(RoleName=role, PolicyArn=SQS_POLICY)
        made["roles"].append(role)
        queue = sqs.create_queue(QueueName=f"direct-{tag}-queue{n}")["QueueUrl"]
        made["queues"].append(queue)
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        function = f"direct-{tag}-worker{n}"
        lam.create_function(
            FunctionName=function,
            Runtime="python3.11",
            Handler="app.handler",
            Role=arn,
            Code={"S3Bucket": BUCKET, "S3Key": KEY},
        )
        wait_active(lam, function)
        made["functions"].append(function)
        mapping = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=queue_arn)
        made["mappings"].append(mapping["UUID"])
    for n in range(TABLES):
        table = f"direct-{tag}-table{n}"
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        made["tables"].append(table)
    for n in range(TOPICS):
        made["topics"].append(sns.create_topic(Name=f"direct-{tag}-topic{n}")["TopicArn"])
    created = time.perf_counter() - start
    count = sum(len(v) for v in made.values())
    start = time.perf_counter()
    for mapping_id in made["mappings"]:
        lam.delete_event_source_mapping(UUID=mapping_id)
    for function in made["functions"]:
        lam.delete_function(FunctionName=function)
    for queue in made["queues"]:
        sqs.delete_queue(QueueUrl=queue)
    for role in made["roles"]:
        iam.detach_role_policy(RoleName=role, PolicyArn=BASIC_POLICY)
        iam.detach_role_policy(RoleName=role, PolicyArn=SQS_POLICY)
        iam.delete_role(RoleName=role)
    for table in made["tables"]:
        ddb.delete_table(TableName=table)
    for topic in made["topics"]:
        sns.delete_topic(TopicArn=topic)
    removed = time.perf_counter() - start
    return created, removed, count


def code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def run(url: str, rounds: int, label: str) -> None:
    s3 = client(url, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=code())
    body = template()
    stack_round(url, body)  # warm-up: imports, the translator's first run
    direct_round(url)
    deploys: list[float] = []
    deletes: list[float] = []
    direct_makes: list[float] = []
    direct_removes: list[float] = []
    deploy_ratios: list[float] = []
    delete_ratios: list[float] = []
    count = direct_count = 0
    for _ in range(rounds):
        deployed, deleted, count = stack_round(url, body)
        made, removed, direct_count = direct_round(url)
        deploys.append(deployed)
        deletes.append(deleted)
        direct_makes.append(made)
        direct_removes.append(removed)
        deploy_ratios.append(deployed / made)
        delete_ratios.append(deleted / removed)
    print(f"\n{label}: a stack of {count} resources; direct calls for {direct_count}")
    print(f"{'':28}{'median s':>10}{'min':>8}{'max':>8}{'vs direct':>11}{'range':>16}")

    def row(name: str, values: list[float], ratios: list[float] | None) -> None:
        line = f"{name:28}{statistics.median(values):10.2f}{min(values):8.2f}{max(values):8.2f}"
        if ratios is not None:
            line += f"{statistics.median(ratios):10.2f}x  {min(ratios):.2f}-{max(ratios):.2f}x"
        print(line)

    row("deploy (CreateStack)", deploys, deploy_ratios)
    row("create directly", direct_makes, None)
    row("delete (DeleteStack)", deletes, delete_ratios)
    row("remove directly", direct_removes, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", help="also on a fresh database of this PostgreSQL")
    args = parser.parse_args()
    with altus_process() as (url, _pid):
        run(url, args.rounds, "SQLite")
    if args.postgres:
        with (
            postgres_database(args.postgres, "altus_bench_cfn") as database,
            altus_process({"ALTUS_STORE": database}) as (url, _pid),
        ):
            run(url, args.rounds, "PostgreSQL")


if __name__ == "__main__":
    main()
