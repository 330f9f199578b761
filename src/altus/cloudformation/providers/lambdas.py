"""The Lambda resource types CloudFormation deploys, each through Lambda's own API.

The providers live in modules of one idea each: functions (``lambda_functions``, with the
inline code packages of ``lambda_code``), versions and aliases (``lambda_versions``),
what attaches to a function (``lambda_access``: permissions, URLs, event invoke
configs), layers (``lambda_layers``) and event source mappings (``lambda_mappings``);
what they share is in ``lambda_support``.
"""

from __future__ import annotations

from altus.cloudformation.providers.base import Provider
from altus.cloudformation.providers.lambda_access import EventInvokeConfig, Permission, Url
from altus.cloudformation.providers.lambda_functions import Function
from altus.cloudformation.providers.lambda_layers import LayerVersion, LayerVersionPermission
from altus.cloudformation.providers.lambda_mappings import EventSourceMapping
from altus.cloudformation.providers.lambda_versions import Alias, Version

PROVIDERS: dict[str, Provider] = {
    "AWS::Lambda::Function": Function(),
    "AWS::Lambda::Version": Version(),
    "AWS::Lambda::Alias": Alias(),
    "AWS::Lambda::Permission": Permission(),
    "AWS::Lambda::Url": Url(),
    "AWS::Lambda::LayerVersion": LayerVersion(),
    "AWS::Lambda::LayerVersionPermission": LayerVersionPermission(),
    "AWS::Lambda::EventSourceMapping": EventSourceMapping(),
    "AWS::Lambda::EventInvokeConfig": EventInvokeConfig(),
}
