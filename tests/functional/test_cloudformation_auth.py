"""Who may deploy what under ``--auth iam``: CloudFormation acts as its caller, so a stack
can make only what the caller may make (a user allowed every CloudFormation action but no
SQS one gets its stack rolled back, the resource's event saying access was denied); with
the permission the same stack deploys; a stack's service role (``RoleARN``) acts instead
of the caller, and handing it over needs ``iam:PassRole``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.guarded import Guarded, guarded

QUEUE = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})
STACKS = {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudformation.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture(scope="module")
def altus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    with guarded(Path(tmp_path_factory.mktemp("cfn-auth"))) as made:
        yield made


def settled(cf: Any, name: str) -> dict[str, Any]:
    for _ in range(600):  # bounded: a stack of one queue settles within moments
        stack: dict[str, Any] = cf.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        time.sleep(0.05)
    raise AssertionError(f"{name} did not settle")


def test_a_stack_makes_only_what_its_caller_may(altus: Guarded) -> None:
    cf = altus.client("cloudformation", **altus.user("stacker", [STACKS]))
    cf.create_stack(StackName="no-queues", TemplateBody=QUEUE)
    stack = settled(cf, "no-queues")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cf.describe_stack_events(StackName="no-queues")["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert "user/stacker is not authorized to perform: sqs:" in reasons[0]
    assert "HandlerErrorCode: AccessDenied" in reasons[0]
    cf.delete_stack(StackName="no-queues")
    # With SQS's permission the same stack deploys, as that user.
    queues = {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}
    cf = altus.client("cloudformation", **altus.user("builder", [STACKS, queues]))
    cf.create_stack(StackName="queues", TemplateBody=QUEUE)
    assert settled(cf, "queues")["StackStatus"] == "CREATE_COMPLETE"
    cf.delete_stack(StackName="queues")
    # A caller without cloudformation:CreateStack is refused before anything happens.
    denied = altus.client("cloudformation", **altus.user("nobody", [queues]))
    with pytest.raises(ClientError) as refused:
        denied.create_stack(StackName="never", TemplateBody=QUEUE)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_a_service_role_acts_instead_of_the_caller(altus: Guarded) -> None:
    iam = altus.client("iam")
    role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName="deployer",
        PolicyName="queues",
        PolicyDocument=json.dumps(
            {"Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
        ),
    )
    arn = role["Role"]["Arn"]
    # The caller may not touch SQS itself, nor hand the role over.
    cf = altus.client("cloudformation", **altus.user("handless", [STACKS]))
    with pytest.raises(ClientError) as refused:
        cf.create_stack(StackName="by-role", TemplateBody=QUEUE, RoleARN=arn)
    assert "iam:PassRole" in refused.value.response["Error"]["Message"]
    passing = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn}
    cf = altus.client("cloudformation", **altus.user("passer", [STACKS, passing]))
    cf.create_stack(StackName="by-role", TemplateBody=QUEUE, RoleARN=arn)
    stack = settled(cf, "by-role")
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["RoleARN"] == arn
    cf.delete_stack(StackName="by-role")
