"""Step Functions' task integrations: what a Task state's ``Resource`` runs (functions,
the optimized integrations, the AWS SDK integrations), as ``runner.Integrations``, the
service's ``altus.asl.host.TaskRunner``."""

from altus.api.selfcalls import BotocoreCalls
from altus.stepfunctions.integrations.ports import (
    ChildExecutions,
    Functions,
    Invoked,
    SdkCaller,
    SdkFailure,
    SdkResponse,
    SdkUnreachable,
)
from altus.stepfunctions.integrations.runner import Integrations

__all__ = [
    "BotocoreCalls",
    "ChildExecutions",
    "Functions",
    "Integrations",
    "Invoked",
    "SdkCaller",
    "SdkFailure",
    "SdkResponse",
    "SdkUnreachable",
]
