"""The IAM action and resource each CloudWatch Logs operation needs: ``logs:<Operation>``
on the log group the call names, else ``*``."""

from __future__ import annotations

from altus.api.spec import Members
from altus.logs.api import group_named
from altus.logs.component import Logs


def actions(logs: Logs, operation: str, members: Members) -> tuple[str, str]:
    group = group_named(members)
    if group:
        return f"logs:{operation}", logs.account.arn("logs", f"log-group:{group}:*")
    return f"logs:{operation}", "*"
