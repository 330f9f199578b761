"""The AWS managed policies templates and functions attach most, with their real
documents (as AWS publishes them), attachable to roles by their ARNs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    arn: str
    name: str
    path: str
    document: str
    description: str
    #: Its default version's id, and when the policy was made and last changed (ms since
    #: the epoch), as AWS reports them.
    version_id: str = "v1"
    created_ms: int = 0
    updated_ms: int = 0


def _policy(
    path: str, name: str, description: str, *statements: Mapping[str, object]
) -> ManagedPolicy:
    document = json.dumps({"Version": "2012-10-17", "Statement": [dict(s) for s in statements]})
    return ManagedPolicy(f"arn:aws:iam::aws:policy{path}{name}", name, path, document, description)


_LOGS = {
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "*",
}

AWS_MANAGED = {
    p.arn: p
    for p in (
        _policy(
            "/",
            "AdministratorAccess",
            "Provides full access to AWS services and resources.",
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
        ),
        _policy(
            "/service-role/",
            "AWSLambdaBasicExecutionRole",
            "Provides write permissions to CloudWatch Logs.",
            _LOGS,
        ),
        _policy(
            "/service-role/",
            "AWSLambdaSQSQueueExecutionRole",
            "Provides receive message, delete message, and read attribute access to SQS "
            "queues, and write permissions to CloudWatch logs.",
            {
                "Effect": "Allow",
                "Action": [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ],
                "Resource": "*",
            },
        ),
        _policy(
            "/service-role/",
            "AWSLambdaRole",
            "Default policy for AWS Lambda service role.",
            {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": ["*"]},
        ),
        _policy(
            "/",
            "AmazonSQSFullAccess",
            "Provides full access to Amazon SQS via the AWS Management Console.",
            {"Effect": "Allow", "Action": ["sqs:*"], "Resource": "*"},
        ),
        _policy(
            "/",
            "CloudWatchLogsFullAccess",
            "Provides full access to CloudWatch Logs",
            {"Effect": "Allow", "Action": ["logs:*"], "Resource": "*"},
        ),
    )
}
