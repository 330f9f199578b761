"""The AWS managed policies Altus serves: well formed, named as IAM names them, stored as
AWS publishes them, and granting what each is for (and no more) when evaluated."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from altus.iam import policies
from altus.iam.managed import AWS_MANAGED, DOCUMENTS, ManagedPolicy
from altus.identity.evaluation import ALLOW, IMPLICIT, evaluate

ACCOUNT = "123456789012"
LOG_STREAM = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/orders:log-stream:1"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/orders"
OBJECT = "arn:aws:s3:::orders/2024/receipt.json"


def managed(name: str) -> ManagedPolicy:
    found = [p for p in AWS_MANAGED.values() if p.name == name]
    assert len(found) == 1, name
    return found[0]


def says(name: str, action: str, resource: str, **context: str) -> str:
    document: dict[str, Any] = json.loads(managed(name).document)
    return evaluate([document], action, resource, context)


@pytest.mark.parametrize("policy", list(AWS_MANAGED.values()), ids=lambda p: p.name)
def test_each_is_well_formed(policy: ManagedPolicy) -> None:
    assert policy.arn == f"arn:aws:iam::aws:policy{policy.path}{policy.name}"
    assert AWS_MANAGED[policy.arn] is policy
    assert policy.path in ("/", "/service-role/")
    policies.parse(policy.document)  # raises MalformedPolicyDocument if IAM would refuse it
    assert re.fullmatch(r"v[1-9][0-9]*", policy.version_id)
    assert policy.description
    # None is older than IAM's managed policies (6 February 2015).
    assert 1_423_180_800_000 <= policy.created_ms <= policy.updated_ms
    if policy.version_id == "v1":
        assert policy.created_ms == policy.updated_ms


@pytest.mark.parametrize("policy", list(AWS_MANAGED.values()), ids=lambda p: p.name)
def test_each_document_is_awss_compacted(policy: ManagedPolicy) -> None:
    published = json.loads((DOCUMENTS / f"{policy.name}.json").read_text(encoding="utf-8"))
    # Same keys in the same order (parsing keeps the file's), without the whitespace.
    assert policy.document == json.dumps(published, separators=(",", ":"))
    assert list(published) == ["Version", "Statement"]


def test_names_are_unique_and_every_document_is_served() -> None:
    names = [p.name for p in AWS_MANAGED.values()]
    assert len(names) == len({n.lower() for n in names})
    assert sorted(f.stem for f in DOCUMENTS.glob("*.json")) == sorted(names)


def test_the_policies_templates_attach_most_are_known() -> None:
    for name in (
        "AdministratorAccess",
        "AWSLambdaBasicExecutionRole",
        "AWSLambdaVPCAccessExecutionRole",
        "AWSLambdaSQSQueueExecutionRole",
        "AWSLambdaKinesisExecutionRole",
        "AWSLambdaDynamoDBExecutionRole",
        "AWSXRayDaemonWriteAccess",
        "AmazonS3ReadOnlyAccess",
        "AmazonDynamoDBFullAccess",
        "SecretsManagerReadWrite",
    ):
        managed(name)
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" in AWS_MANAGED
    # Path is part of the ARN: the basic role is not at the root.
    assert "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole" not in AWS_MANAGED


def test_metadata_is_awss() -> None:
    basic = managed("AWSLambdaBasicExecutionRole")
    assert (basic.version_id, basic.created_ms) == ("v1", 1_428_591_780_000)  # 2015-04-09 15:03
    admin = managed("AdministratorAccess")
    assert admin.created_ms == 1_423_247_986_000  # 2015-02-06T18:39:46Z
    statement = '{"Effect":"Allow","Action":"*","Resource":"*"}'
    assert admin.document == '{"Version":"2012-10-17","Statement":[' + statement + "]}"


def test_basic_execution_role_writes_logs_and_nothing_else() -> None:
    for action in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"):
        assert says("AWSLambdaBasicExecutionRole", action, LOG_STREAM) == ALLOW
    assert says("AWSLambdaBasicExecutionRole", "sqs:SendMessage", QUEUE) == IMPLICIT
    assert says("AWSLambdaBasicExecutionRole", "logs:DeleteLogGroup", LOG_STREAM) == IMPLICIT


def test_sqs_execution_role_reads_queues_but_does_not_send() -> None:
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert says("AWSLambdaSQSQueueExecutionRole", action, QUEUE) == ALLOW
    assert says("AWSLambdaSQSQueueExecutionRole", "sqs:SendMessage", QUEUE) == IMPLICIT
    assert says("AWSLambdaSQSQueueExecutionRole", "logs:PutLogEvents", LOG_STREAM) == ALLOW


def test_full_and_read_only_access() -> None:
    assert says("AdministratorAccess", "iam:CreateRole", ROLE) == ALLOW
    assert says("AmazonSQSFullAccess", "sqs:SendMessage", QUEUE) == ALLOW
    assert says("AmazonSQSReadOnlyAccess", "sqs:GetQueueUrl", QUEUE) == ALLOW
    assert says("AmazonSQSReadOnlyAccess", "sqs:SendMessage", QUEUE) == IMPLICIT
    assert says("AmazonS3ReadOnlyAccess", "s3:GetObject", OBJECT) == ALLOW
    assert says("AmazonS3ReadOnlyAccess", "s3:PutObject", OBJECT) == IMPLICIT
    assert says("AWSLambdaExecute", "s3:PutObject", OBJECT) == ALLOW
    assert says("AWSLambdaExecute", "s3:DeleteObject", OBJECT) == IMPLICIT
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
    assert says("AmazonDynamoDBReadOnlyAccess", "dynamodb:Query", table) == ALLOW
    assert says("AmazonDynamoDBReadOnlyAccess", "dynamodb:PutItem", table) == IMPLICIT
    assert says("AmazonDynamoDBFullAccess", "dynamodb:PutItem", table) == ALLOW


def test_power_users_do_everything_but_iam() -> None:
    assert says("PowerUserAccess", "lambda:CreateFunction", FUNCTION) == ALLOW
    assert says("PowerUserAccess", "iam:CreateRole", ROLE) == IMPLICIT
    assert says("PowerUserAccess", "iam:ListRoles", ROLE) == ALLOW


def test_lambda_full_access_passes_roles_to_lambda_only() -> None:
    assert says("AWSLambda_FullAccess", "lambda:InvokeFunction", FUNCTION) == ALLOW
    passed = {"iam:PassedToService": "lambda.amazonaws.com"}
    assert says("AWSLambda_FullAccess", "iam:PassRole", ROLE, **passed) == ALLOW
    elsewhere = {"iam:PassedToService": "states.amazonaws.com"}
    assert says("AWSLambda_FullAccess", "iam:PassRole", ROLE, **elsewhere) == IMPLICIT
    assert says("AWSLambda_ReadOnlyAccess", "lambda:GetFunction", FUNCTION) == ALLOW
    assert says("AWSLambda_ReadOnlyAccess", "lambda:InvokeFunction", FUNCTION) == IMPLICIT
    # Its log reads are for Lambda's own log groups.
    assert says("AWSLambda_ReadOnlyAccess", "logs:GetLogEvents", LOG_STREAM) == ALLOW
    other = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ecs/web:log-stream:1"
    assert says("AWSLambda_ReadOnlyAccess", "logs:GetLogEvents", other) == IMPLICIT


def test_secrets_manager_read_write_invokes_only_its_rotation_functions() -> None:
    secret = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf"
    assert says("SecretsManagerReadWrite", "secretsmanager:GetSecretValue", secret) == ALLOW
    rotation = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:SecretsManagerRotate"
    assert says("SecretsManagerReadWrite", "lambda:InvokeFunction", rotation) == ALLOW
    assert says("SecretsManagerReadWrite", "lambda:InvokeFunction", FUNCTION) == IMPLICIT


def test_conditioned_statements_need_their_context() -> None:
    number = f"arn:aws:sms-voice:us-east-1:{ACCOUNT}:phone-number/1"
    via_sns = {"aws:CalledViaLast": "sns.amazonaws.com"}
    assert says("AmazonSNSFullAccess", "sms-voice:SendTextMessage", number, **via_sns) == ALLOW
    assert says("AmazonSNSFullAccess", "sms-voice:SendTextMessage", number) == IMPLICIT
