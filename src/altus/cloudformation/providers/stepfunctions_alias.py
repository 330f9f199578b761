"""``AWS::StepFunctions::StateMachineAlias``: an alias of a state machine's versions,
made through CreateStateMachineAlias and UpdateStateMachineAlias, its routing given
outright (``RoutingConfiguration``) or as a deployment (``DeploymentPreference``) that
moves traffic to a new version over time, as CloudFormation's gradual deployments do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    ProviderContext,
    ResourceFailed,
    integer,
    required,
)
from altus.cloudformation.providers.common import outcome, quietly

#: Step Functions' limit on alias names.
NAME_MAX = 80
#: Deployment types: all traffic at once, or shifted in steps ``Interval`` minutes apart.
ALL_AT_ONCE, CANARY, LINEAR = "ALL_AT_ONCE", "CANARY", "LINEAR"


class StateMachineAlias:
    """``AWS::StepFunctions::StateMachineAlias``: ``Ref`` is its ARN. Its routing is
    ``RoutingConfiguration`` (one or two versions and their weights) or a
    ``DeploymentPreference``: a new alias routes all to the preference's version; an
    update moves traffic there from the version that had most of it, all at once or, for
    ``CANARY``, ``Percentage`` then all after ``Interval`` minutes, for ``LINEAR``,
    ``Percentage`` more every ``Interval`` minutes (the update lasts that long, as on
    AWS). ``Alarms`` are refused: Altus serves no CloudWatch alarms to roll back on."""

    replaced_by = frozenset({"Name"})
    attributes = frozenset({"Arn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        routing = _routing(props)
        name = str(props.get("Name") or ctx.name(max_length=NAME_MAX))
        params: dict[str, Any] = {"name": name, "routingConfiguration": routing}
        if props.get("Description"):
            params["description"] = str(props["Description"])
        made = await ctx.call("stepfunctions", "CreateStateMachineAlias", params)
        return outcome(made["stateMachineAliasArn"], "Arn")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        routing = _routing(props)
        arn = current.physical_id or _alias_arn(ctx, current)
        old = current.properties
        params: dict[str, Any] = {"stateMachineAliasArn": arn}
        if old.get("Description") != props.get("Description"):
            params["description"] = str(props.get("Description") or "")
        preference = props.get("DeploymentPreference")
        if preference is not None and old.get("DeploymentPreference") != preference:
            if "description" in params:
                await ctx.call("stepfunctions", "UpdateStateMachineAlias", params)
            await _shift(ctx, arn, preference)
        elif preference is None and old.get("RoutingConfiguration") != props.get(
            "RoutingConfiguration"
        ):
            await ctx.call(
                "stepfunctions",
                "UpdateStateMachineAlias",
                {**params, "routingConfiguration": routing},
            )
        elif "description" in params:
            await ctx.call("stepfunctions", "UpdateStateMachineAlias", params)
        return outcome(arn, "Arn")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        arn = current.physical_id or _alias_arn(ctx, current)
        if arn:
            params = {"stateMachineAliasArn": arn}
            await quietly(ctx, "stepfunctions", "DeleteStateMachineAlias", params)


def _routing(props: Properties) -> list[dict[str, Any]]:
    """The routing a new alias gets (checking the properties as CloudFormation does)."""
    given = props.get("RoutingConfiguration")
    preference = props.get("DeploymentPreference")
    if (given is None) == (preference is None):
        raise ResourceFailed(
            "Properties validation failed for resource with message: exactly one of "
            "RoutingConfiguration or DeploymentPreference is required"
        )
    if preference is not None:
        if not isinstance(preference, Mapping):
            raise ResourceFailed("Property DeploymentPreference must be an object")
        required(preference, "StateMachineVersionArn", "Type")
        if preference.get("Alarms"):
            raise ResourceFailed(
                "Property DeploymentPreference.Alarms is not supported: Altus serves no "
                "CloudWatch alarms to roll a deployment back on"
            )
        if preference["Type"] != ALL_AT_ONCE:
            required(preference, "Percentage", "Interval")
        return [
            {"stateMachineVersionArn": str(preference["StateMachineVersionArn"]), "weight": 100}
        ]
    if not isinstance(given, list):
        raise ResourceFailed("Property RoutingConfiguration must be a list")
    routes: list[dict[str, Any]] = []
    for route in given:
        required(route, "StateMachineVersionArn")
        routes.append(
            {
                "stateMachineVersionArn": str(route["StateMachineVersionArn"]),
                "weight": integer(route, "Weight", 0),
            }
        )
    return routes


async def _shift(ctx: ProviderContext, arn: str, preference: Mapping[str, Any]) -> None:
    """Move the alias's traffic to the preference's version, as its Type says."""
    target = str(preference["StateMachineVersionArn"])
    described = await ctx.call(
        "stepfunctions", "DescribeStateMachineAlias", {"stateMachineAliasArn": arn}
    )
    others = [
        route
        for route in described.get("routingConfiguration") or []
        if route["stateMachineVersionArn"] != target
    ]
    steps = [100]
    if others and preference["Type"] != ALL_AT_ONCE:
        share = integer(preference, "Percentage") or 100
        if preference["Type"] == CANARY:
            steps = [share, 100]
        else:
            steps = [*range(share, 100, max(share, 1)), 100]
    source = max(others, key=lambda r: int(r["weight"]))["stateMachineVersionArn"] if others else ""
    wait = 60.0 * (integer(preference, "Interval") or 0)
    for step in steps:
        routing = [{"stateMachineVersionArn": target, "weight": min(step, 100)}]
        if step < 100:
            routing.append({"stateMachineVersionArn": source, "weight": 100 - step})
        await ctx.call(
            "stepfunctions",
            "UpdateStateMachineAlias",
            {"stateMachineAliasArn": arn, "routingConfiguration": routing},
        )
        if step < 100:
            await ctx.sleep(wait)


def _alias_arn(ctx: ProviderContext, current: Current) -> str:
    """The ARN an alias recorded without one would have: its machine's (from a version
    its properties route to) and its name; "" where the properties name no version."""
    props = current.properties
    routes = props.get("RoutingConfiguration") or [props.get("DeploymentPreference") or {}]
    version = str((routes[0] or {}).get("StateMachineVersionArn") or "")
    if not version:
        return ""
    name = str(props.get("Name") or ctx.name(max_length=NAME_MAX))
    return f"{version.rsplit(':', 1)[0]}:{name}"
