"""The AWS managed policies templates and functions attach most, attachable to roles by
their ARNs, with AWS's own metadata and documents.

Each document is the policy's current default version as AWS publishes it: the AWS
Managed Policy Reference Guide (docs.aws.amazon.com/aws-managed-policy/latest/reference/
<Name>.html), or IAM's GetPolicyVersion output where that was newer than the guide's copy.
It is kept in ``managed/<Name>.json`` with AWS's keys in AWS's order, and served compact.
Times are the guide's creation and edit times: to the minute where that is all AWS
publishes, to the second where GetPolicyVersion's ``CreateDate`` gives them.

Left out: policies whose documents list hundreds of actions (``ReadOnlyAccess``). IAM
refuses to attach an ARN it does not know rather than grant an invented document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

#: Where the documents are, one ``<Name>.json`` per policy.
DOCUMENTS = Path(__file__).with_name("managed")


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    arn: str
    name: str
    path: str
    document: str
    description: str
    #: Its default version's id, and when the policy was made and last changed (ms since
    #: the epoch; the last change is when its default version was made), as AWS reports
    #: them.
    version_id: str
    created_ms: int
    updated_ms: int


def _ms(utc: str) -> int:
    return int(datetime.fromisoformat(utc).timestamp() * 1000)


def _policy(
    path: str, name: str, version: str, created: str, updated: str, description: str
) -> ManagedPolicy:
    """``created``/``updated``: ISO 8601 UTC times (``...Z``), as precise as AWS gives."""
    text = (DOCUMENTS / f"{name}.json").read_text(encoding="utf-8")
    document = json.dumps(json.loads(text), separators=(",", ":"))
    arn = f"arn:aws:iam::aws:policy{path}{name}"
    return ManagedPolicy(
        arn, name, path, document, description, version, _ms(created), _ms(updated)
    )


_SERVICE_ROLE = "/service-role/"

AWS_MANAGED = {
    p.arn: p
    for p in (
        # Job functions and whole-account access.
        _policy(
            "/",
            "AdministratorAccess",
            "v1",
            "2015-02-06T18:39:46Z",
            "2015-02-06T18:39:46Z",
            "Provides full access to AWS services and resources.",
        ),
        _policy(
            "/",
            "PowerUserAccess",
            "v12",
            "2015-02-06T18:39Z",
            "2026-02-12T17:59Z",
            "Provides full access to AWS services and resources, but does not allow "
            "management of Users and groups.",
        ),
        # Lambda execution roles (what SAM and the console attach to a function's role).
        _policy(
            _SERVICE_ROLE,
            "AWSLambdaBasicExecutionRole",
            "v1",
            "2015-04-09T15:03Z",
            "2015-04-09T15:03Z",
            "Provides write permissions to CloudWatch Logs.",
        ),
        _policy(
            _SERVICE_ROLE,
            "AWSLambdaBasicDurableExecutionRolePolicy",
            "v3",
            "2025-12-02T15:04Z",
            "2026-02-12T18:01Z",
            "Provides write permissions to CloudWatch Logs and read/write permissions to "
            "durable execution APIs used by Lambda durable functions",
        ),
        _policy(
            _SERVICE_ROLE,
            "AWSLambdaSQSQueueExecutionRole",
            "v1",
            "2018-06-14T21:50:45Z",
            "2018-06-14T21:50:45Z",
            "Provides receive message, delete message, and read attribute access to SQS "
            "queues, and write permissions to CloudWatch logs.",
        ),
        _policy(
            _SERVICE_ROLE,
            "AWSLambdaKinesisExecutionRole",
            "v2",
            "2015-04-09T15:14Z",
            "2018-11-19T20:09Z",
            "Provides list and read access to Kinesis streams and write permissions to "
            "CloudWatch logs.",
        ),
        _policy(
            _SERVICE_ROLE,
            "AWSLambdaDynamoDBExecutionRole",
            "v1",
            "2015-04-09T15:09Z",
            "2015-04-09T15:09Z",
            "Provides list and read access to DynamoDB streams and write permissions to "
            "CloudWatch logs.",
        ),
        _policy(
            _SERVICE_ROLE,
            "AWSLambdaMSKExecutionRole",
            "v2",
            "2020-08-11T17:35Z",
            "2022-08-02T20:08Z",
            "Provides permissions required to access MSK Cluster within a VPC, manage ENIs "
            "(create, describe, delete) in the VPC and write permissions to CloudWatch Logs.",
        ),
        _policy(
            _SERVICE_ROLE,
            "AWSLambdaVPCAccessExecutionRole",
            "v3",
            "2016-02-11T23:15Z",
            "2024-01-05T22:38Z",
            "Provides minimum permissions for a Lambda function to execute while accessing "
            "a resource within a VPC - create, describe, delete network interfaces and write "
            "permissions to CloudWatch Logs.",
        ),
        _policy(
            _SERVICE_ROLE,
            "AWSLambdaENIManagementAccess",
            "v2",
            "2016-12-06T00:37Z",
            "2020-10-01T20:07Z",
            "Provides minimum permissions for a Lambda function to manage ENIs (create, "
            "describe, delete) used by a VPC-enabled Lambda Function.",
        ),
        _policy(
            _SERVICE_ROLE,
            "AWSLambdaRole",
            "v1",
            "2015-02-06T18:41Z",
            "2015-02-06T18:41Z",
            "Default policy for AWS Lambda service role.",
        ),
        _policy(
            "/",
            "AWSLambdaExecute",
            "v1",
            "2015-02-06T18:40Z",
            "2015-02-06T18:40Z",
            "Provides Put, Get access to S3 and full access to CloudWatch Logs.",
        ),
        _policy(
            "/",
            "AWSXRayDaemonWriteAccess",
            "v2",
            "2018-08-28T23:00Z",
            "2024-02-13T21:58Z",
            "Allow the AWS X-Ray Daemon to relay raw trace segments data to the service's "
            "API and retrieve sampling data (rules, targets, etc.) to be used by the X-Ray "
            "SDK.",
        ),
        _policy(
            "/",
            "AWSXrayWriteOnlyAccess",
            "v2",
            "2016-12-01T18:19Z",
            "2018-08-28T23:03Z",
            "AWS X-Ray write only managed policy",
        ),
        # Lambda itself.
        _policy(
            "/",
            "AWSLambda_FullAccess",
            "v5",
            "2020-11-17T21:14Z",
            "2026-02-11T22:18:56Z",
            "Grants full access to AWS Lambda service, AWS Lambda console features, and "
            "other related AWS services.",
        ),
        _policy(
            "/",
            "AWSLambda_ReadOnlyAccess",
            "v5",
            "2020-11-17T21:10Z",
            "2026-02-12T18:02:55Z",
            "Grants read-only access to AWS Lambda service, AWS Lambda console features, "
            "and other related AWS services.",
        ),
        # The services functions call.
        _policy(
            "/",
            "AmazonS3FullAccess",
            "v2",
            "2015-02-06T18:40Z",
            "2021-09-27T20:16Z",
            "Provides full access to all buckets via the AWS Management Console.",
        ),
        _policy(
            "/",
            "AmazonS3ReadOnlyAccess",
            "v3",
            "2015-02-06T18:40Z",
            "2023-08-10T21:31Z",
            "Provides read only access to all buckets via the AWS Management Console.",
        ),
        _policy(
            "/",
            "AmazonDynamoDBFullAccess",
            "v15",
            "2015-02-06T18:40Z",
            "2021-01-29T17:38:30Z",
            "Provides full access to Amazon DynamoDB via the AWS Management Console.",
        ),
        _policy(
            "/",
            "AmazonDynamoDBReadOnlyAccess",
            "v15",
            "2015-02-06T18:40Z",
            "2024-11-18T17:38Z",
            "Provides read only access to Amazon DynamoDB via the AWS Management Console.",
        ),
        _policy(
            "/",
            "AmazonSNSFullAccess",
            "v2",
            "2015-02-06T18:41Z",
            "2024-09-24T22:32Z",
            "Provides full access to Amazon SNS via the AWS Management Console.",
        ),
        _policy(
            "/",
            "AmazonSQSFullAccess",
            "v1",
            "2015-02-06T18:41:07Z",
            "2015-02-06T18:41:07Z",
            "Provides full access to Amazon SQS via the AWS Management Console.",
        ),
        _policy(
            "/",
            "AmazonSQSReadOnlyAccess",
            "v4",
            "2015-02-06T18:41Z",
            "2024-05-24T18:16Z",
            "Provides read only access to Amazon SQS via the AWS Management Console.",
        ),
        _policy(
            "/",
            "AmazonKinesisFullAccess",
            "v1",
            "2015-02-06T18:40Z",
            "2015-02-06T18:40Z",
            "Provides full access to all streams via the AWS Management Console.",
        ),
        _policy(
            "/",
            "AmazonKinesisReadOnlyAccess",
            "v1",
            "2015-02-06T18:40Z",
            "2015-02-06T18:40Z",
            "Provides read only access to all streams via the AWS Management Console.",
        ),
        _policy(
            "/",
            "AWSStepFunctionsFullAccess",
            "v1",
            "2017-01-11T21:51Z",
            "2017-01-11T21:51Z",
            "An access policy for providing a user/role/etc access to the AWS StepFunctions "
            "API. For full access, in addition to this policy, a user MUST have iam:PassRole "
            "permission on at least one IAM role that can be assumed by the service.",
        ),
        _policy(
            "/",
            "AWSStepFunctionsReadOnlyAccess",
            "v4",
            "2017-01-11T21:46Z",
            "2024-04-26T18:53Z",
            "An access policy for providing a user/role/etc read only access to the AWS "
            "StepFunctions service.",
        ),
        _policy(
            "/",
            "AmazonEventBridgeFullAccess",
            "v5",
            "2019-07-11T14:08Z",
            "2025-01-22T01:37Z",
            "Provides full access to Amazon EventBridge.",
        ),
        _policy(
            "/",
            "AmazonAPIGatewayInvokeFullAccess",
            "v2",
            "2015-07-09T17:36Z",
            "2018-12-18T18:25Z",
            "Provides full access to invoke APIs in Amazon API Gateway.",
        ),
        _policy(
            _SERVICE_ROLE,
            "AmazonAPIGatewayPushToCloudWatchLogs",
            "v1",
            "2015-11-11T23:41Z",
            "2015-11-11T23:41Z",
            "Allows API Gateway to push logs to user's account.",
        ),
        _policy(
            "/",
            "SecretsManagerReadWrite",
            "v6",
            "2018-04-04T18:05Z",
            "2026-08-25T23:37Z",
            # AWS's words, spelling included.
            "Provides read/write access to AWS Secrets Manager via the AWS Management "
            "Console. Note: this exludes IAM actions, so combine with IAMFullAccess if "
            "rotation configuration is required.",
        ),
        _policy(
            "/",
            "AmazonSSMReadOnlyAccess",
            "v1",
            "2015-05-29T17:44Z",
            "2015-05-29T17:44Z",
            "Provides read only access to Amazon SSM.",
        ),
        # Logs and metrics.
        _policy(
            "/",
            "CloudWatchLogsFullAccess",
            "v8",
            "2015-02-06T18:40Z",
            "2026-02-12T18:00:33Z",
            "Provides full access to CloudWatch Logs",
        ),
        _policy(
            "/",
            "CloudWatchLogsReadOnlyAccess",
            "v12",
            "2015-02-06T18:40Z",
            "2026-02-12T17:59Z",
            "Provides read only access to CloudWatch Logs",
        ),
        _policy(
            "/",
            "CloudWatchFullAccess",
            "v4",
            "2015-02-06T18:40Z",
            "2022-11-27T13:23Z",
            "Provides full access to CloudWatch.",
        ),
        # IAM and deployment.
        _policy(
            "/",
            "IAMFullAccess",
            "v2",
            "2015-02-06T18:40Z",
            "2019-06-21T19:40Z",
            "Provides full access to IAM via the AWS Management Console.",
        ),
        _policy(
            "/",
            "IAMReadOnlyAccess",
            "v4",
            "2015-02-06T18:40Z",
            "2018-01-25T19:11Z",
            "Provides read only access to IAM via the AWS Management Console.",
        ),
        _policy(
            "/",
            "AWSCloudFormationFullAccess",
            "v1",
            "2019-07-26T21:50Z",
            "2019-07-26T21:50Z",
            "Provides full access to AWS CloudFormation.",
        ),
    )
}
