"""What the Lambda providers share: numbers and booleans inside nested properties, the
resource an update addresses, how Lambda's resources are tagged, and the waits for
provisioned concurrency.

Lambda's API answers an unknown resource with 404 ``ResourceNotFoundException``; Altus
answers an operation it does not serve with 404 ``UnknownOperationException`` too.
``ServiceFailed.not_found`` (what ``common.quietly`` goes by) tells the two apart, so a
delete never reports success for a call that was never served.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    ProviderContext,
    ResourceFailed,
    boolean,
    integer,
)
from altus.cloudformation.providers.common import Tagging, quietly, settled

#: Lambda's tags: ``ListTags``, ``TagResource`` and ``UntagResource`` on the resource's
#: ARN (``Resource``), as a map.
TAGGING = Tagging("lambda", listing="ListTags", pair=None)


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


def known_id(current: Current, what: str) -> str:
    """The physical id of ``current`` (a ``what``) an update addresses; raises NotFound
    where it has none (its create's answer was lost: nothing to update)."""
    if current.physical_id is None:
        raise ResourceFailed(f"The {what} to update is not known", "NotFound")
    return current.physical_id


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

    def ready(status: dict[str, Any]) -> bool:
        if status.get("Status") == "FAILED":
            reason = status.get("StatusReason") or "provisioned concurrency failed"
            raise ResourceFailed(
                f"Provisioned concurrency of {function}:{qualifier} failed: {reason}",
                "NotStabilized",
            )
        return status.get("Status") == "READY"

    failure = f"Provisioned concurrency of {function}:{qualifier} did not become READY"
    await settled(ctx, "lambda", "GetProvisionedConcurrencyConfig", params, ready, failure)


async def delete_provisioned(ctx: ProviderContext, function: str, qualifier: str) -> None:
    """Remove the provisioned concurrency of ``function:qualifier`` (none is no failure)."""
    params = {"FunctionName": function, "Qualifier": qualifier}
    await quietly(ctx, "lambda", "DeleteProvisionedConcurrencyConfig", params)
