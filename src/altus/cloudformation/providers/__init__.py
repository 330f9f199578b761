"""Every resource type Altus's CloudFormation deploys, by its type name: one module per
service, each with its ``PROVIDERS``. A type not here fails a template at validation
(``Unrecognized resource types``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

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
from altus.cloudformation.providers.custom import CUSTOM_TYPE, is_custom

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


class Providers(Mapping[str, Provider]):
    """The providers by type, custom resources included: ``Custom::<anything>`` and
    ``AWS::CloudFormation::CustomResource`` are all ``custom``."""

    def __init__(self, fixed: Mapping[str, Provider], custom: Provider) -> None:
        self._fixed = dict(fixed)
        self._custom = custom

    def __getitem__(self, kind: str) -> Provider:
        if is_custom(kind):
            return self._custom
        return self._fixed[kind]

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, str) and (is_custom(kind) or kind in self._fixed)

    def __iter__(self) -> Iterator[str]:
        yield from self._fixed
        yield CUSTOM_TYPE

    def __len__(self) -> int:
        return len(self._fixed) + 1
