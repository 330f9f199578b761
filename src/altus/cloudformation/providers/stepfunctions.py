"""Step Functions' resource types: ``AWS::StepFunctions::StateMachine``, ``Activity``,
``StateMachineVersion`` and ``StateMachineAlias`` (the alias, with its gradual
deployments, in ``stepfunctions_alias.py``), made through the Step Functions API.

A state machine's definition is one of ``Definition`` (an object, sent as its JSON
text), ``DefinitionString`` or ``DefinitionS3Location`` (``{Bucket, Key, Version}``,
read from the built-in S3; JSON or YAML, sent as JSON), with ``DefinitionSubstitutions``
put for each ``${name}`` of the text. CloudFormation's configuration objects are the
API's with the first letter of each member upper-cased (``LoggingConfiguration.Level``
for ``loggingConfiguration.level``). ``StateMachineRevisionId`` is ``INITIAL`` until an
update makes a revision (the API shows none before; AWS's handlers read back that word).

Unnamed state machines are named ``<LogicalId>-<RANDOM>`` as CloudFormation names them
(no stack name), within the 80 characters Step Functions allows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    required,
    tag_map,
)
from altus.cloudformation.providers.common import (
    Tagging,
    logical_name,
    outcome,
    present,
    quietly,
    retag,
)
from altus.cloudformation.providers.stepfunctions_alias import StateMachineAlias

#: Step Functions' limit on state machine, activity and alias names.
NAME_MAX = 80
#: The revision id of a machine never updated, as CloudFormation reads it.
INITIAL_REVISION = "INITIAL"
_DEFINITIONS = ("Definition", "DefinitionString", "DefinitionS3Location")
#: Each configuration property, the API member it becomes, and the value its removal
#: sends (the service's default).
_CONFIGS = (
    (
        "LoggingConfiguration",
        "loggingConfiguration",
        {"level": "OFF", "includeExecutionData": False},
    ),
    ("TracingConfiguration", "tracingConfiguration", {"enabled": False}),
    ("EncryptionConfiguration", "encryptionConfiguration", {"type": "AWS_OWNED_KEY"}),
)
_BOOLEANS = {"includeExecutionData", "enabled"}
_INTEGERS = {"kmsDataKeyReusePeriodSeconds"}


def camel(value: Any) -> Any:
    """A CloudFormation configuration object as the API's: members' first letters
    lower-cased (recursively), and booleans and numbers given as text converted."""
    if isinstance(value, list):
        return [camel(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = key[:1].lower() + key[1:]
        converted = camel(item)
        if name in _BOOLEANS and isinstance(converted, str):
            converted = converted.lower() == "true"
        elif name in _INTEGERS and isinstance(converted, str):
            try:
                converted = int(converted)
            except ValueError:
                raise ResourceFailed(f"Property {key} must be an integer") from None
        out[name] = converted
    return out


#: Step Functions' tags: ``resourceArn``, ``tags: [{key, value}]``, ``tagKeys``.
_TAGGING = Tagging("stepfunctions", tags="tags", keys="tagKeys", pair=("key", "value"))


def api_tags(props: Properties, ctx: ProviderContext) -> list[dict[str, str]] | None:
    """The resource's tags (the stack's, then its own) as the API takes them; None for
    none."""
    return _TAGGING.pairs(tag_map(props, ctx)) or None


async def retag_resource(ctx: ProviderContext, arn: str, old: Properties, new: Properties) -> None:
    """Take the resource's tags from ``old``'s (the stack's included) to ``new``'s."""
    await retag(ctx, _TAGGING, {"resourceArn": arn}, tag_map(old, ctx), tag_map(new, ctx))


def _arn(ctx: ProviderContext, kind: str, name: str) -> str:
    return f"arn:{ctx.partition}:states:{ctx.region}:{ctx.account_id}:{kind}:{name}"


# --- definitions ---------------------------------------------------------------------------------


async def definition(ctx: ProviderContext, props: Properties) -> str:
    """The definition text the properties give, substitutions made."""
    given = [name for name in _DEFINITIONS if props.get(name) is not None]
    if len(given) != 1:
        raise ResourceFailed(
            "Properties validation failed for resource with message: exactly one of "
            "Definition, DefinitionString or DefinitionS3Location is required"
        )
    if given[0] == "Definition":
        text = json.dumps(props["Definition"], separators=(",", ":"))
    elif given[0] == "DefinitionString":
        text = str(props["DefinitionString"])
    else:
        text = await _fetched(ctx, props["DefinitionS3Location"])
    for name, value in (props.get("DefinitionSubstitutions") or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        text = text.replace("${" + str(name) + "}", str(value))
    return text


async def _fetched(ctx: ProviderContext, location: Any) -> str:
    if not isinstance(location, Mapping) or not location.get("Bucket") or not location.get("Key"):
        raise ResourceFailed("Property DefinitionS3Location requires Bucket and Key")
    version = location.get("Version")
    body = await ctx.fetch(
        str(location["Bucket"]), str(location["Key"]), str(version) if version else None
    )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ResourceFailed("The definition in DefinitionS3Location is not UTF-8 text") from None
    try:
        json.loads(text)
        return text
    except ValueError:
        pass
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ResourceFailed(
            "The definition in DefinitionS3Location is neither JSON nor YAML"
        ) from None
    return json.dumps(document, separators=(",", ":"))


# --- state machines ------------------------------------------------------------------------------


class StateMachine:
    """``AWS::StepFunctions::StateMachine``: ``Ref`` is its ARN; ``Arn``, ``Name`` and
    ``StateMachineRevisionId`` its attributes."""

    replaced_by = frozenset({"StateMachineName", "StateMachineType"})
    attributes = frozenset({"Arn", "Name", "StateMachineRevisionId"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "RoleArn")
        name = str(props.get("StateMachineName") or logical_name(ctx, logical_id, NAME_MAX))
        params: dict[str, Any] = {
            "name": name,
            "definition": await definition(ctx, props),
            "roleArn": str(props["RoleArn"]),
        }
        if props.get("StateMachineType"):
            params["type"] = str(props["StateMachineType"])
        for prop, member, _ in _CONFIGS:
            if props.get(prop) is not None:
                params[member] = camel(props[prop])
        params |= present(tags=api_tags(props, ctx))
        made = await ctx.call("stepfunctions", "CreateStateMachine", params)
        arn = str(made["stateMachineArn"])
        described = await ctx.call(
            "stepfunctions", "DescribeStateMachine", {"stateMachineArn": arn}
        )
        revision = str(described.get("revisionId") or INITIAL_REVISION)
        return _machine_outcome(arn, name, revision)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        required(props, "RoleArn")
        old = current.properties
        arn = current.physical_id or _arn(ctx, "stateMachine", self._name(ctx, current))
        params: dict[str, Any] = {}
        if any(old.get(n) != props.get(n) for n in (*_DEFINITIONS, "DefinitionSubstitutions")):
            params["definition"] = await definition(ctx, props)
        if old.get("RoleArn") != props.get("RoleArn"):
            params["roleArn"] = str(props["RoleArn"])
        for prop, member, default in _CONFIGS:
            if old.get(prop) != props.get(prop):
                params[member] = camel(props[prop]) if props.get(prop) is not None else default
        revision = str(current.attributes.get("StateMachineRevisionId") or INITIAL_REVISION)
        if params:
            answer = await ctx.call(
                "stepfunctions", "UpdateStateMachine", {"stateMachineArn": arn, **params}
            )
            revision = str(answer.get("revisionId") or revision)
        await retag_resource(ctx, arn, old, props)
        return _machine_outcome(arn, arn.rsplit(":", 1)[-1], revision)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        arn = current.physical_id or _arn(ctx, "stateMachine", self._name(ctx, current))
        await quietly(ctx, "stepfunctions", "DeleteStateMachine", {"stateMachineArn": arn})

    @staticmethod
    def _name(ctx: ProviderContext, current: Current) -> str:
        given = current.properties.get("StateMachineName")
        return str(given or logical_name(ctx, current.logical_id, NAME_MAX))


def _machine_outcome(arn: str, name: str, revision: str) -> Outcome:
    return Outcome(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": revision})


# --- activities ----------------------------------------------------------------------------------


class Activity:
    """``AWS::StepFunctions::Activity``: ``Ref`` is its ARN; ``Arn`` and ``Name``."""

    replaced_by = frozenset({"Name", "EncryptionConfiguration"})
    attributes = frozenset({"Arn", "Name"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "Name")
        params: dict[str, Any] = {"name": str(props["Name"])}
        params |= present(tags=api_tags(props, ctx))
        if props.get("EncryptionConfiguration") is not None:
            params["encryptionConfiguration"] = camel(props["EncryptionConfiguration"])
        made = await ctx.call("stepfunctions", "CreateActivity", params)
        arn = str(made["activityArn"])
        return Outcome(arn, {"Arn": arn, "Name": str(props["Name"])})

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        arn = current.physical_id or _arn(ctx, "activity", str(props["Name"]))
        await retag_resource(ctx, arn, current.properties, props)
        return Outcome(arn, {"Arn": arn, "Name": str(props["Name"])})

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name = current.properties.get("Name")
        arn = current.physical_id or (_arn(ctx, "activity", str(name)) if name else None)
        if arn:
            await quietly(ctx, "stepfunctions", "DeleteActivity", {"activityArn": arn})


# --- versions ------------------------------------------------------------------------------------


class StateMachineVersion:
    """``AWS::StepFunctions::StateMachineVersion``: publishes the machine's revision
    (``StateMachineRevisionId``, checked by the service: a machine updated since is a
    ConflictException; ``INITIAL`` names the first, unnumbered revision). ``Ref`` is the
    version's ARN. A version never changes: every property is a replacement."""

    replaced_by = frozenset({"StateMachineArn", "StateMachineRevisionId", "Description"})
    attributes = frozenset({"Arn"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "StateMachineArn")
        params: dict[str, Any] = {"stateMachineArn": str(props["StateMachineArn"])}
        revision = props.get("StateMachineRevisionId")
        if revision and revision != INITIAL_REVISION:
            params["revisionId"] = str(revision)
        if props.get("Description"):
            params["description"] = str(props["Description"])
        made = await ctx.call("stepfunctions", "PublishStateMachineVersion", params)
        return outcome(made["stateMachineVersionArn"], "Arn")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        # Every property is a replacement: an update changes nothing.
        return outcome(current.physical_id, "Arn")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # Without its ARN a version cannot be told apart (the service numbers them).
        if current.physical_id:
            await quietly(
                ctx,
                "stepfunctions",
                "DeleteStateMachineVersion",
                {"stateMachineVersionArn": current.physical_id},
            )


PROVIDERS: dict[str, Provider] = {
    "AWS::StepFunctions::StateMachine": StateMachine(),
    "AWS::StepFunctions::Activity": Activity(),
    "AWS::StepFunctions::StateMachineVersion": StateMachineVersion(),
    "AWS::StepFunctions::StateMachineAlias": StateMachineAlias(),
}
