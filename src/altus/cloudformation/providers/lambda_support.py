"""What the Lambda providers share: telling a resource that is gone from an operation
Altus does not serve, numbers and booleans inside nested properties, tags kept in step
with the template, and the waits for provisioned concurrency.

Lambda's API answers an unknown resource with 404 ``ResourceNotFoundException``; Altus
answers an operation it does not serve with 404 ``UnknownOperationException`` too, which
``ServiceFailed.not_found`` would take for "already deleted". A delete must not report
success for a call that was never served, so ``absent`` tells the two apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    POLLS,
    ProviderContext,
    ResourceFailed,
    ServiceFailed,
    backoff,
    boolean,
    integer,
)


def absent(error: ServiceFailed) -> bool:
    """Whether the service said the resource does not exist (a delete's success), as
    opposed to not serving the operation at all."""
    return error.not_found and error.error_code != "UnknownOperationException"


def pause(poll: int) -> float:
    """The pause before poll number ``poll`` (0-based) of a bounded wait."""
    return backoff(poll)


def whole(value: Any, name: str) -> int:
    """A number inside a nested property as an int (``"5"`` and ``5`` alike)."""
    number = integer({name: value}, name)
    assert number is not None
    return number


def flag(value: Any, name: str) -> bool:
    """A boolean inside a nested property (``"true"`` and ``True`` alike)."""
    answer = boolean({name: value}, name)
    assert answer is not None
    return answer


def fraction(value: Any, name: str) -> float:
    """A decimal number inside a nested property (an alias's version weight)."""
    if isinstance(value, bool):
        raise ResourceFailed(f"Property {name} must be a number, not {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ResourceFailed(
            f"Properties validation failed for property {name}: expected type: Number, "
            f"found: {type(value).__name__}"
        ) from None


def unsupported(type_name: str, prop: str, operation: str) -> ResourceFailed:
    """The refusal of a property whose operation Altus's service does not serve."""
    return ResourceFailed(
        f"Property {prop} of {type_name} is not supported by this Altus installation "
        f"(Lambda's {operation} is not served)."
    )


def function_arn(ctx: ProviderContext, name: str, qualifier: str | None = None) -> str:
    """A function's ARN from its name (or the ARN itself, when given one)."""
    if name.startswith("arn:"):
        return name
    arn = f"arn:{ctx.partition}:lambda:{ctx.region}:{ctx.account_id}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


async def sync_tags(ctx: ProviderContext, arn: str, wanted: Mapping[str, str]) -> None:
    """Make the tags of the Lambda resource ``arn`` exactly ``wanted`` (the stack's and
    the resource's own): tags no longer asked for are removed, new and changed ones set,
    and nothing is called when they already match."""
    have: Mapping[str, str] = (await ctx.call("lambda", "ListTags", {"Resource": arn})).get(
        "Tags"
    ) or {}
    gone = sorted(key for key in have if key not in wanted and not key.startswith("aws:"))
    if gone:
        await ctx.call("lambda", "UntagResource", {"Resource": arn, "TagKeys": gone})
    changed = {key: value for key, value in wanted.items() if have.get(key) != value}
    if changed:
        await ctx.call("lambda", "TagResource", {"Resource": arn, "Tags": changed})


def provisioned_count(props: Mapping[str, Any]) -> int | None:
    """``ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions`` of a version or an
    alias, if it asks for any."""
    config = props.get("ProvisionedConcurrencyConfig")
    if not config:
        return None
    name = "ProvisionedConcurrentExecutions"
    if config.get(name) is None:
        raise ResourceFailed(
            "Properties validation failed for resource with message: "
            f"#/ProvisionedConcurrencyConfig: required key [{name}] not found"
        )
    return whole(config[name], name)


async def put_provisioned(ctx: ProviderContext, function: str, qualifier: str, count: int) -> None:
    """Ask for ``count`` provisioned environments of ``function:qualifier`` and wait until
    Lambda reports them READY, as CloudFormation does before it goes on."""
    params = {"FunctionName": function, "Qualifier": qualifier}
    await ctx.call(
        "lambda",
        "PutProvisionedConcurrencyConfig",
        {**params, "ProvisionedConcurrentExecutions": count},
    )
    for poll in range(POLLS):
        status = await ctx.call("lambda", "GetProvisionedConcurrencyConfig", params)
        if status.get("Status") == "READY":
            return
        if status.get("Status") == "FAILED":
            reason = status.get("StatusReason") or "provisioned concurrency failed"
            raise ResourceFailed(
                f"Provisioned concurrency of {function}:{qualifier} failed: {reason}",
                "NotStabilized",
            )
        await ctx.sleep(pause(poll))
    raise ResourceFailed(
        f"Provisioned concurrency of {function}:{qualifier} did not become READY",
        "NotStabilized",
    )


async def delete_provisioned(ctx: ProviderContext, function: str, qualifier: str) -> None:
    """Remove the provisioned concurrency of ``function:qualifier`` (none is no failure)."""
    try:
        await ctx.call(
            "lambda",
            "DeleteProvisionedConcurrencyConfig",
            {"FunctionName": function, "Qualifier": qualifier},
        )
    except ServiceFailed as error:
        if not absent(error):
            raise
