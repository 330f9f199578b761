"""The IAM action and resource each Step Functions operation needs: ``states:<Operation>``
on the resource the call names (Service Authorization Reference): the state machine,
version or alias ARN (``stateMachineArn``, ``stateMachineVersionArn``,
``stateMachineAliasArn``), the execution (``executionArn``), the activity
(``activityArn``), the tagged resource (``resourceArn``), the map run (``mapRunArn``);
what a create makes (its ARN from the name); a StartExecution through a version or
alias is authorised on that ARN. ``*`` for what names none (the listings of machines and
activities, ValidateStateMachineDefinition, the SendTask* calls, whose token names no
resource)."""

from __future__ import annotations

from altus.api.spec import Members, Needs
from altus.stepfunctions.component import StepFunctions

_MEMBERS = (
    "stateMachineArn",
    "stateMachineVersionArn",
    "stateMachineAliasArn",
    "executionArn",
    "activityArn",
    "resourceArn",
    "mapRunArn",
)


def actions(sfn: StepFunctions, operation: str, members: Members) -> Needs:
    action = f"states:{operation}"
    for member in _MEMBERS:
        value = members.get(member)
        if isinstance(value, str) and value.startswith("arn:"):
            return action, value
    name = members.get("name")
    if isinstance(name, str) and name:
        if operation == "CreateStateMachine":
            return action, sfn.core.machine_arn(name)
        if operation == "CreateActivity":
            return action, sfn.core.activity_arn(name)
    if operation == "CreateStateMachineAlias" and isinstance(name, str):
        routing = members.get("routingConfiguration") or []
        first = routing[0].get("stateMachineVersionArn") if routing else None
        if isinstance(first, str) and first.count(":") >= 7:
            return action, f"{first.rsplit(':', 1)[0]}:{name}"
    return action, "*"
