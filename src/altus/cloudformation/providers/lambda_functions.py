"""``AWS::Lambda::Function``: a function made with CreateFunction and kept in step with
the template by UpdateFunctionCode, UpdateFunctionConfiguration, the reserved concurrency
operations and the tag operations.

Ref is the function's name; ``Fn::GetAtt`` gives ``Arn`` and the SnapStart setting
(``SnapStartResponse``, ``.ApplyOn``, ``.OptimizationStatus``). A create or update
returns once the function is ``Active`` with its last update ``Successful`` (Lambda
readies code in the background), failing with Lambda's reason where it never is.

CloudFormation's property names are the API's but for ``KmsKeyArn`` (``KMSKeyArn``);
``Architectures`` can only change with the code (UpdateFunctionCode), and
``ReservedConcurrentExecutions`` and ``Tags`` are their own calls. On update, each changed
configuration property is sent in one UpdateFunctionConfiguration, a removed one as
Lambda's default (Timeout 3, MemorySize 128, no environment, no layers ...).
``RuntimeManagementConfig`` (other than ``Auto``), ``RecursiveLoop: Allow`` and a changed
``CodeSigningConfigArn`` need operations Altus's Lambda does not serve, and are refused.
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
    tag_map,
)
from altus.cloudformation.providers.common import present, quietly, settled, sync_tags
from altus.cloudformation.providers.lambda_code import function_code
from altus.cloudformation.providers.lambda_support import (
    TAGGING,
    flag,
    function_arn,
    unsupported,
    whole,
)

TYPE = "AWS::Lambda::Function"
#: Lambda's limit on a function's name.
NAME_LENGTH = 64

#: UpdateFunctionConfiguration's members, each with the property it comes from.
_CONFIGURATION = {
    "Role": "Role",
    "Runtime": "Runtime",
    "Handler": "Handler",
    "Description": "Description",
    "Timeout": "Timeout",
    "MemorySize": "MemorySize",
    "Environment": "Environment",
    "TracingConfig": "TracingConfig",
    "DeadLetterConfig": "DeadLetterConfig",
    "KMSKeyArn": "KmsKeyArn",
    "VpcConfig": "VpcConfig",
    "Layers": "Layers",
    "EphemeralStorage": "EphemeralStorage",
    "SnapStart": "SnapStart",
    "LoggingConfig": "LoggingConfig",
    "ImageConfig": "ImageConfig",
    "FileSystemConfigs": "FileSystemConfigs",
}
#: Members only CreateFunction takes (the first two are replacements, the others refused
#: on change or changed with the code).
_CREATE_ONLY = ("PackageType", "TenancyConfig", "CodeSigningConfigArn", "Architectures")


def function_name(ctx: ProviderContext, props: Properties) -> str:
    """The function's name: the template's, or the one CloudFormation generates."""
    return str(props.get("FunctionName") or ctx.name(max_length=NAME_LENGTH))


def _text(value: Any) -> str:
    """An environment variable's value as CloudFormation passes it (booleans as JSON's)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _vpc(props: Properties) -> dict[str, Any]:
    """Lambda's VpcConfig (empty lists: no VPC, how the API detaches one)."""
    vpc = props.get("VpcConfig") or {}
    out: dict[str, Any] = {
        "SubnetIds": list(vpc.get("SubnetIds") or []),
        "SecurityGroupIds": list(vpc.get("SecurityGroupIds") or []),
    }
    dual = vpc.get("Ipv6AllowedForDualStack")
    if dual is not None:
        out["Ipv6AllowedForDualStack"] = flag(dual, "Ipv6AllowedForDualStack")
    return out


def configuration(props: Properties, name: str) -> dict[str, Any]:
    """Every configuration member the properties stand for, Lambda's default where a
    property is absent (what a removed property returns to)."""
    environment = (props.get("Environment") or {}).get("Variables") or {}
    logging = dict(props.get("LoggingConfig") or {})
    members: dict[str, Any] = {
        "Role": props.get("Role"),
        "Description": str(props.get("Description") or ""),
        "Timeout": integer(props, "Timeout", 3),
        "MemorySize": integer(props, "MemorySize", 128),
        "Environment": {"Variables": {str(k): _text(v) for k, v in environment.items()}},
        "TracingConfig": {"Mode": (props.get("TracingConfig") or {}).get("Mode") or "PassThrough"},
        # An empty target is how Lambda's API removes a dead-letter queue.
        "DeadLetterConfig": {
            "TargetArn": (props.get("DeadLetterConfig") or {}).get("TargetArn") or ""
        },
        "KMSKeyArn": str(props.get("KmsKeyArn") or ""),
        "VpcConfig": _vpc(props),
        "Layers": [str(layer) for layer in props.get("Layers") or []],
        "EphemeralStorage": {
            "Size": whole((props.get("EphemeralStorage") or {}).get("Size", 512), "Size")
        },
        "SnapStart": {"ApplyOn": (props.get("SnapStart") or {}).get("ApplyOn") or "None"},
        "LoggingConfig": {
            **logging,
            "LogFormat": logging.get("LogFormat") or "Text",
            "LogGroup": logging.get("LogGroup") or f"/aws/lambda/{name}",
        },
        "ImageConfig": dict(props.get("ImageConfig") or {}),
        "FileSystemConfigs": [dict(c) for c in props.get("FileSystemConfigs") or []],
    }
    for member in ("Runtime", "Handler"):
        if props.get(member) is not None:
            members[member] = str(props[member])
    return members


def _refuse_unserved(props: Properties, old: Properties | None = None) -> None:
    runtime = props.get("RuntimeManagementConfig") or {}
    if (runtime.get("UpdateRuntimeOn") or "Auto") != "Auto" or runtime.get("RuntimeVersionArn"):
        raise unsupported(TYPE, "RuntimeManagementConfig", "PutRuntimeManagementConfig")
    if (props.get("RecursiveLoop") or "Terminate") != "Terminate":
        raise unsupported(TYPE, "RecursiveLoop", "PutFunctionRecursionConfig")
    if old is not None and old.get("CodeSigningConfigArn") != props.get("CodeSigningConfigArn"):
        raise unsupported(TYPE, "CodeSigningConfigArn", "PutFunctionCodeSigningConfig")


async def wait_ready(ctx: ProviderContext, name: str) -> dict[str, Any]:
    """The function's configuration once it is Active and its last update Successful.
    Raises ResourceFailed with Lambda's reason if it fails, or if it never settles."""

    def ready(config: dict[str, Any]) -> bool:
        if config.get("State") == "Failed":
            raise ResourceFailed(
                f"Function {name} failed to become Active: {config.get('StateReason')}",
                "NotStabilized",
            )
        if config.get("LastUpdateStatus") == "Failed":
            raise ResourceFailed(
                f"Update of function {name} failed: {config.get('LastUpdateStatusReason')}",
                "NotStabilized",
            )
        return config.get("State") == "Active" and config.get("LastUpdateStatus") in (
            None,
            "Successful",
        )

    params = {"FunctionName": name}
    failure = f"Function {name} did not become Active"
    return await settled(ctx, "lambda", "GetFunctionConfiguration", params, ready, failure)


def _outcome(name: str, config: Mapping[str, Any]) -> Outcome:
    snap = dict(config.get("SnapStart") or {"ApplyOn": "None", "OptimizationStatus": "Off"})
    return Outcome(
        name,
        {
            "Arn": config["FunctionArn"],
            "SnapStartResponse": snap,
            "SnapStartResponse.ApplyOn": snap.get("ApplyOn"),
            "SnapStartResponse.OptimizationStatus": snap.get("OptimizationStatus"),
        },
    )


def _code_changed(old: Properties, new: Properties) -> bool:
    if old.get("Code") != new.get("Code"):
        return True
    # Inline source is packaged by runtime (index.py or index.js).
    inline = "ZipFile" in (new.get("Code") or {})
    return inline and old.get("Runtime") != new.get("Runtime")


async def _set_reserved(ctx: ProviderContext, name: str, reserved: int | None) -> None:
    if reserved is None:
        await ctx.call("lambda", "DeleteFunctionConcurrency", {"FunctionName": name})
    else:
        await ctx.call(
            "lambda",
            "PutFunctionConcurrency",
            {"FunctionName": name, "ReservedConcurrentExecutions": reserved},
        )


class Function:
    replaced_by = frozenset({"FunctionName", "PackageType", "TenancyConfig"})
    attributes = frozenset(
        {
            "Arn",
            "SnapStartResponse",
            "SnapStartResponse.ApplyOn",
            "SnapStartResponse.OptimizationStatus",
        }
    )

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "Code", "Role")
        _refuse_unserved(props)
        name = function_name(ctx, props)
        full = configuration(props, name)
        params: dict[str, Any] = {
            "FunctionName": name,
            "Code": function_code(props["Code"], props.get("Runtime")),
            **{
                member: full[member]
                for member, prop in _CONFIGURATION.items()
                if props.get(prop) is not None
            },
            **{member: props[member] for member in _CREATE_ONLY if props.get(member) is not None},
        }
        params |= present(Tags=tag_map(props, ctx) or None)
        await ctx.call("lambda", "CreateFunction", params)
        reserved = integer(props, "ReservedConcurrentExecutions")
        if reserved is not None:
            await _set_reserved(ctx, name, reserved)
        return _outcome(name, await wait_ready(ctx, name))

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        required(props, "Code", "Role")
        old = current.properties
        _refuse_unserved(props, old)
        name = current.physical_id or function_name(ctx, props)
        if _code_changed(old, props) or old.get("Architectures") != props.get("Architectures"):
            code = function_code(props["Code"], props.get("Runtime"))
            params: dict[str, Any] = {"FunctionName": name, **code}
            if old.get("Architectures") != props.get("Architectures"):
                params["Architectures"] = list(props.get("Architectures") or ["x86_64"])
            await ctx.call("lambda", "UpdateFunctionCode", params)
            await wait_ready(ctx, name)
        full = configuration(props, name)
        changed = {
            member: full[member]
            for member, prop in _CONFIGURATION.items()
            if old.get(prop) != props.get(prop) and member in full
        }
        if changed:
            await ctx.call(
                "lambda", "UpdateFunctionConfiguration", {"FunctionName": name, **changed}
            )
        reserved = integer(props, "ReservedConcurrentExecutions")
        if integer(old, "ReservedConcurrentExecutions") != reserved:
            await _set_reserved(ctx, name, reserved)
        config = await wait_ready(ctx, name)
        await sync_tags(ctx, TAGGING, {"Resource": function_arn(ctx, name)}, tag_map(props, ctx))
        return _outcome(name, config)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name = current.physical_id or function_name(ctx, current.properties)
        await quietly(ctx, "lambda", "DeleteFunction", {"FunctionName": name})
