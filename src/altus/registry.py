"""Every service Altus serves, in one list: what the platform builds, migrates, starts
and closes, and what the dispatcher routes to. Adding a service is a package with a
``ServiceSpec`` and a line here (``docs/services.md``).

Components are built and started in this order and closed in the reverse: a service may
use the components of those before it (Lambda writes its logs to the Logs service).
"""

from __future__ import annotations

from altus.api.spec import ServiceSpec
from altus.apigateway.spec import SPEC as APIGATEWAY
from altus.apigatewayv2.spec import SPEC as APIGATEWAYV2
from altus.awslambda.spec import SPEC as LAMBDA
from altus.cloudformation.spec import SPEC as CLOUDFORMATION
from altus.cloudwatch.spec import SPEC as CLOUDWATCH
from altus.dynamodb.spec import SPEC as DYNAMODB
from altus.dynamodb.spec import STREAMS_SPEC as DYNAMODBSTREAMS
from altus.eventbridge.spec import SPEC as EVENTBRIDGE
from altus.executeapi.spec import SPEC as EXECUTEAPI
from altus.iam.spec import SPEC as IAM
from altus.kinesis.spec import SPEC as KINESIS
from altus.logs.spec import SPEC as LOGS
from altus.queues.spec import SPEC as SQS
from altus.s3.spec import SPEC as S3
from altus.scheduler.spec import SPEC as SCHEDULER
from altus.secretsmanager.spec import SPEC as SECRETSMANAGER
from altus.sns.spec import SPEC as SNS
from altus.ssm.spec import SPEC as SSM
from altus.stepfunctions.spec import SPEC as STEPFUNCTIONS
from altus.sts.spec import SPEC as STS
from altus.xray.spec import SPEC as XRAY

SERVICES: tuple[ServiceSpec, ...] = (
    # First: the platform's parts (Logs, Lambda, queues) hand it their metrics.
    CLOUDWATCH,
    LOGS,
    # Before Lambda: its environments are given the X-Ray daemon's address.
    XRAY,
    SQS,
    KINESIS,
    # Before Lambda: its mappings find the tables' streams loaded when they resume.
    DYNAMODB,
    DYNAMODBSTREAMS,
    SNS,
    S3,
    IAM,
    SECRETSMANAGER,
    SSM,
    LAMBDA,
    EVENTBRIDGE,
    STS,
    SCHEDULER,
    APIGATEWAY,
    APIGATEWAYV2,
    EXECUTEAPI,
    STEPFUNCTIONS,
    # Last: its stacks call every service above (as a client would, through the API).
    CLOUDFORMATION,
)
