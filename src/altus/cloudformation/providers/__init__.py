"""Every resource type Altus's CloudFormation deploys, by its type name: one module per
service, each with its ``PROVIDERS``. A type not here fails a template at validation
(``Unrecognized resource types``)."""

from __future__ import annotations

from collections.abc import Mapping

from altus.cloudformation.providers import (
    apigateway,
    apigatewayv2,
    dynamodb,
    events,
    iam,
    kinesis,
    lambdas,
    logs,
    misc,
    queues,
    s3,
    scheduler,
    secrets,
    sns,
    stepfunctions,
)
from altus.cloudformation.providers.base import Provider

PROVIDERS: Mapping[str, Provider] = {
    **lambdas.PROVIDERS,
    **logs.PROVIDERS,
    **iam.PROVIDERS,
    **queues.PROVIDERS,
    **sns.PROVIDERS,
    **s3.PROVIDERS,
    **events.PROVIDERS,
    **scheduler.PROVIDERS,
    **stepfunctions.PROVIDERS,
    **dynamodb.PROVIDERS,
    **kinesis.PROVIDERS,
    **secrets.PROVIDERS,
    **misc.PROVIDERS,
    **apigateway.PROVIDERS,
    **apigatewayv2.PROVIDERS,
}
