"""Secrets and parameters: ``AWS::SecretsManager::Secret`` through Secrets Manager's API
and ``AWS::SSM::Parameter`` through Parameter Store's.

A secret's value is ``SecretString``, or ``GenerateSecretString``: a password from
GetRandomPassword (with the property's options), alone or, with ``SecretStringTemplate``
and ``GenerateStringKey``, put into the template's JSON object under that key, as AWS
makes it; neither makes a secret with no value. An update sets a new value only when
those properties changed. A delete is immediate (``ForceDeleteWithoutRecovery``), as
CloudFormation's is, so the stack can make a secret of the same name again at once.
Unnamed secrets are named ``<LogicalId>-<RANDOM>`` and unnamed parameters
``CFN-<LogicalId>-<RANDOM>``, as CloudFormation names them. ``Ref`` is a secret's ARN and
a parameter's name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    ResourceFailed,
    boolean,
    integer,
    required,
    tag_list,
    tag_map,
)
from altus.cloudformation.providers.common import (
    Tagging,
    changed,
    logical_name,
    outcome,
    present,
    quietly,
    retag,
)

#: Secrets Manager's limit on secret names.
SECRET_NAME_MAX = 512
#: The key a secret is encrypted with when it names none (Secrets Manager's own).
DEFAULT_KEY = "alias/aws/secretsmanager"
#: The length generated parameter names are kept within (Parameter Store allows more).
PARAMETER_NAME_MAX = 128
_PASSWORD_FLAGS = (
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "ExcludeLowercase",
    "IncludeSpace",
    "RequireEachIncludedType",
)


#: Secrets Manager's tags (by the secret's ARN) and Parameter Store's (by the parameter's
#: type and name), ``[{Key, Value}]`` both.
_SECRET_TAGS = Tagging("secretsmanager")
_PARAMETER_TAGS = Tagging("ssm", "AddTagsToResource", "RemoveTagsFromResource")


# --- secrets -------------------------------------------------------------------------------------


class Secret:
    """``AWS::SecretsManager::Secret``: ``Ref`` and ``Id`` are its ARN."""

    replaced_by = frozenset({"Name"})
    attributes = frozenset({"Id"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        _refuse(props)
        params: dict[str, Any] = {"Name": self._name(ctx, logical_id, props)}
        for member in ("Description", "KmsKeyId"):
            if props.get(member):
                params[member] = str(props[member])
        params |= present(
            SecretString=await secret_value(ctx, props), Tags=tag_list(props, ctx) or None
        )
        made = await ctx.call("secretsmanager", "CreateSecret", params)
        return outcome(made["ARN"], "Id")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        _refuse(props)
        old = current.properties
        arn = current.physical_id or self._name(ctx, current.logical_id, props)
        params: dict[str, Any] = {}
        if old.get("Description") != props.get("Description"):
            params["Description"] = str(props.get("Description") or "")
        if old.get("KmsKeyId") != props.get("KmsKeyId"):
            params["KmsKeyId"] = str(props.get("KmsKeyId") or DEFAULT_KEY)
        if changed(old, props, "SecretString", "GenerateSecretString"):
            value = await secret_value(ctx, props)
            if value is not None:
                params["SecretString"] = value
        if params:
            await ctx.call("secretsmanager", "UpdateSecret", {"SecretId": arn, **params})
        await retag(ctx, _SECRET_TAGS, {"SecretId": arn}, tag_map(old, ctx), tag_map(props, ctx))
        return outcome(arn, "Id")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        secret = current.physical_id or self._name(ctx, current.logical_id, current.properties)
        params = {"SecretId": secret, "ForceDeleteWithoutRecovery": True}
        await quietly(ctx, "secretsmanager", "DeleteSecret", params)

    @staticmethod
    def _name(ctx: ProviderContext, logical_id: str, props: Properties) -> str:
        if props.get("Name"):
            return str(props["Name"])
        return logical_name(ctx, logical_id, SECRET_NAME_MAX)


def _refuse(props: Properties) -> None:
    if props.get("ReplicaRegions"):
        raise ResourceFailed(
            "Property ReplicaRegions is not supported: Altus's Secrets Manager does not "
            "serve ReplicateSecretToRegions"
        )
    if props.get("SecretString") is not None and props.get("GenerateSecretString") is not None:
        raise ResourceFailed(
            "You can't specify both SecretString and GenerateSecretString: choose one"
        )


async def secret_value(ctx: ProviderContext, props: Properties) -> str | None:
    """The secret's value the properties ask for (None: none)."""
    if props.get("SecretString") is not None:
        return str(props["SecretString"])
    spec = props.get("GenerateSecretString")
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise ResourceFailed("Property GenerateSecretString must be an object")
    template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
    if bool(template) != bool(key):
        raise ResourceFailed(
            "GenerateSecretString needs both SecretStringTemplate and GenerateStringKey, or neither"
        )
    document: Any = None
    if template:
        try:
            document = json.loads(str(template))
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise ResourceFailed("SecretStringTemplate must be a JSON object")
    options: dict[str, Any] = {}
    length = integer(spec, "PasswordLength")
    if length is not None:
        options["PasswordLength"] = length
    if spec.get("ExcludeCharacters") is not None:
        options["ExcludeCharacters"] = str(spec["ExcludeCharacters"])
    for flag in _PASSWORD_FLAGS:
        given = boolean(spec, flag)
        if given is not None:
            options[flag] = given
    answer = await ctx.call("secretsmanager", "GetRandomPassword", options)
    password = str(answer["RandomPassword"])
    if document is None:
        return password
    document[str(key)] = password
    return json.dumps(document)


# --- parameters ----------------------------------------------------------------------------------

#: PutParameter members the template gives as they are.
_PARAMETER_MEMBERS = (
    "Value",
    "Type",
    "Description",
    "AllowedPattern",
    "Tier",
    "Policies",
    "DataType",
)
#: The types CloudFormation makes (a SecureString it refuses: its value would be in the
#: template).
_TYPES = ("String", "StringList")


class Parameter:
    """``AWS::SSM::Parameter``: ``Ref`` is its name; ``Type`` and ``Value`` as given.
    ``Tags`` is a map here (not CloudFormation's usual list)."""

    replaced_by = frozenset({"Name"})
    attributes = frozenset({"Type", "Value"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        _check_parameter(props)
        name = self._name(ctx, logical_id, props)
        params = {"Name": name, **_parameter_members(props, {})}
        params |= present(Tags=_PARAMETER_TAGS.pairs(_parameter_tags(ctx, props)) or None)
        await ctx.call("ssm", "PutParameter", params)
        return _parameter_outcome(name, props)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        _check_parameter(props)
        old = current.properties
        name = current.physical_id or self._name(ctx, current.logical_id, props)
        if changed(old, props, *_PARAMETER_MEMBERS):
            members = _parameter_members(props, old)
            await ctx.call("ssm", "PutParameter", {"Name": name, "Overwrite": True, **members})
        scope = {"ResourceType": "Parameter", "ResourceId": name}
        before, after = _parameter_tags(ctx, old), _parameter_tags(ctx, props)
        await retag(ctx, _PARAMETER_TAGS, scope, before, after)
        return _parameter_outcome(name, props)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name = current.physical_id or self._name(ctx, current.logical_id, current.properties)
        await quietly(ctx, "ssm", "DeleteParameter", {"Name": name})

    @staticmethod
    def _name(ctx: ProviderContext, logical_id: str, props: Properties) -> str:
        if props.get("Name"):
            return str(props["Name"])
        return logical_name(ctx, logical_id, PARAMETER_NAME_MAX, prefix="CFN-")


def _check_parameter(props: Properties) -> None:
    required(props, "Type", "Value")
    if props["Type"] not in _TYPES:
        raise ResourceFailed(
            "Properties validation failed for resource with message: #/Type: "
            f"{props['Type']} is not a valid enum value"
        )


def _parameter_members(props: Properties, old: Properties) -> dict[str, Any]:
    """PutParameter's members for the properties; a text property the template had and
    dropped is sent empty (PutParameter keeps what a call leaves out)."""
    members: dict[str, Any] = {}
    for member in _PARAMETER_MEMBERS:
        if props.get(member) is not None:
            members[member] = str(props[member])
        elif old.get(member) is not None and member in ("Description", "AllowedPattern"):
            members[member] = ""
    return members


def _parameter_tags(ctx: ProviderContext, props: Properties) -> dict[str, str]:
    tags = dict(ctx.stack_tags)
    given = props.get("Tags") or {}
    if not isinstance(given, Mapping):
        raise ResourceFailed("Property Tags of AWS::SSM::Parameter must be a map of strings")
    tags.update({str(k): str(v) for k, v in given.items()})
    return tags


def _parameter_outcome(name: str, props: Properties) -> Outcome:
    return Outcome(name, {"Type": str(props["Type"]), "Value": str(props["Value"])})


PROVIDERS: dict[str, Provider] = {
    "AWS::SecretsManager::Secret": Secret(),
    "AWS::SSM::Parameter": Parameter(),
}
