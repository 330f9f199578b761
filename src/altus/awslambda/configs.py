"""What is attached to a function, its versions and aliases: resource policies, reserved
and provisioned concurrency, function URL configs, event invoke configs, and tags."""

from __future__ import annotations

from typing import Any

from altus.api.spec import Call, Members
from altus.awslambda.common import page, paged, ref_of
from altus.awslambda.component import Lambda
from altus.control import policies, validation
from altus.control.arns import LATEST
from altus.control.errors import ValidationFailed
from altus.control.model import UrlConfig
from altus.control.urls import function_url

# --- resource policies --------------------------------------------------------------------


async def add_permission(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    statement = await lam.permissions.add(ref.name, ref.qualifier, input)
    return {"Statement": policies.statement_json(statement)}


async def get_policy(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    document, revision = lam.permissions.get(ref.name, ref.qualifier)
    return {"Policy": document, "RevisionId": revision}


async def remove_permission(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    await lam.permissions.remove(
        ref.name, ref.qualifier, input["StatementId"], input.get("RevisionId")
    )
    return {}


# --- reserved concurrency -----------------------------------------------------------------


async def put_function_concurrency(lam: Lambda, call: Call, input: Members) -> Members:
    name = ref_of(lam, input, qualified=False).name
    reserved = await lam.concurrency.put_reserved(name, input["ReservedConcurrentExecutions"])
    return {"ReservedConcurrentExecutions": reserved}


async def get_function_concurrency(lam: Lambda, call: Call, input: Members) -> Members:
    reserved = lam.concurrency.reserved(ref_of(lam, input, qualified=False).name)
    return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}


async def delete_function_concurrency(lam: Lambda, call: Call, input: Members) -> Members:
    await lam.concurrency.delete_reserved(ref_of(lam, input, qualified=False).name)
    return {}


# --- provisioned concurrency --------------------------------------------------------------


def _qualified(lam: Lambda, input: Members) -> tuple[str, str]:
    """(function, qualifier) where a qualifier is required, in the name or the query."""
    ref = ref_of(lam, input)
    if not ref.qualifier:
        raise ValidationFailed(
            "1 validation error detected: Value null at 'qualifier' "
            "failed to satisfy constraint: Member must not be null"
        )
    return ref.name, ref.qualifier


def _provisioned(
    lam: Lambda, name: str, qualifier: str, document: dict[str, Any], with_arn: bool = False
) -> dict[str, Any]:
    status = lam.provisioner.status(name, qualifier)
    out: dict[str, Any] = {}
    if with_arn:
        out["FunctionArn"] = lam.account.function_arn(name, qualifier)
    out.update(
        {
            "RequestedProvisionedConcurrentExecutions": status.requested,
            "AvailableProvisionedConcurrentExecutions": status.allocated,
            "AllocatedProvisionedConcurrentExecutions": status.allocated,
            "Status": status.status,
            "LastModified": document["last_modified"],
        }
    )
    if status.reason:
        out["StatusReason"] = status.reason
    return out


async def put_provisioned_concurrency_config(lam: Lambda, call: Call, input: Members) -> Members:
    name, qualifier = _qualified(lam, input)
    lam.provisioner.forget_failures(name)
    document = await lam.concurrency.put_provisioned(
        name, qualifier, input["ProvisionedConcurrentExecutions"]
    )
    return _provisioned(lam, name, qualifier, document)


async def get_provisioned_concurrency_config(lam: Lambda, call: Call, input: Members) -> Members:
    name, qualifier = _qualified(lam, input)
    return _provisioned(lam, name, qualifier, lam.concurrency.provisioned(name, qualifier))


async def list_provisioned_concurrency_configs(lam: Lambda, call: Call, input: Members) -> Members:
    name = ref_of(lam, input, qualified=False).name
    configs = lam.concurrency.provisioned_configs(name)
    found = page(input, configs, [qualifier for qualifier, _ in configs])
    return paged(
        "ProvisionedConcurrencyConfigs",
        found,
        lambda entry: _provisioned(lam, name, entry[0], entry[1], with_arn=True),
    )


async def delete_provisioned_concurrency_config(lam: Lambda, call: Call, input: Members) -> Members:
    name, qualifier = _qualified(lam, input)
    await lam.concurrency.delete_provisioned(name, qualifier)
    return {}


# --- function URL configs -----------------------------------------------------------------


def _url(lam: Lambda, call: Call, config: UrlConfig, *, created: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "FunctionUrl": function_url(
            config.url_id, call.base_url + "/", lam.settings.url_domain, lam.account.region
        ),
        "FunctionArn": lam.account.function_arn(config.function, config.qualifier),
        "AuthType": config.auth_type,
        "CreationTime": config.creation_time,
        "InvokeMode": config.invoke_mode,
    }
    if config.cors is not None:
        out["Cors"] = dict(config.cors)
    if not created:
        out["LastModifiedTime"] = config.last_modified_time
    return out


async def create_function_url_config(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    config = await lam.urls.create(ref.name, ref.qualifier, input)
    return _url(lam, call, config, created=True)


async def get_function_url_config(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    return _url(lam, call, lam.urls.get(ref.name, ref.qualifier))


async def update_function_url_config(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    return _url(lam, call, await lam.urls.update(ref.name, ref.qualifier, input))


async def delete_function_url_config(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    await lam.urls.delete(ref.name, ref.qualifier)
    return {}


async def list_function_url_configs(lam: Lambda, call: Call, input: Members) -> Members:
    configs = lam.urls.list(ref_of(lam, input, qualified=False).name)
    found = page(input, configs, [c.qualifier or "" for c in configs])
    return paged("FunctionUrlConfigs", found, lambda c: _url(lam, call, c))


# --- event invoke configs -----------------------------------------------------------------


def _event_invoke(
    lam: Lambda, name: str, qualifier: str, document: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LastModified": document["LastModified"],
        "FunctionArn": lam.account.function_arn(name, qualifier),
    }
    for member in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if member in document:
            out[member] = document[member]
    # Lambda answers both destinations, an empty object for one not configured.
    destinations = document.get("DestinationConfig") or {}
    out["DestinationConfig"] = {
        kind: dict(destinations.get(kind) or {}) for kind in ("OnSuccess", "OnFailure")
    }
    return out


async def put_function_event_invoke_config(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    document = await lam.event_invoke.put(ref.name, ref.qualifier, input)
    return _event_invoke(lam, ref.name, ref.qualifier or LATEST, document)


async def update_function_event_invoke_config(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    document = await lam.event_invoke.update(ref.name, ref.qualifier, input)
    return _event_invoke(lam, ref.name, ref.qualifier or LATEST, document)


async def get_function_event_invoke_config(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    document = lam.event_invoke.get(ref.name, ref.qualifier)
    return _event_invoke(lam, ref.name, ref.qualifier or LATEST, document)


async def delete_function_event_invoke_config(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    await lam.event_invoke.delete(ref.name, ref.qualifier)
    return {}


async def list_function_event_invoke_configs(lam: Lambda, call: Call, input: Members) -> Members:
    name = ref_of(lam, input, qualified=False).name
    configs = lam.event_invoke.list(name)
    found = page(input, configs, [qualifier for qualifier, _ in configs])
    return paged(
        "FunctionEventInvokeConfigs",
        found,
        lambda entry: _event_invoke(lam, name, entry[0], entry[1]),
    )


# --- tags ---------------------------------------------------------------------------------


async def tag_resource(lam: Lambda, call: Call, input: Members) -> Members:
    mapping = lam.mappings.uuid_of_arn(input["Resource"])
    if mapping is not None:
        validation.check_tags({**lam.mappings.get(mapping).tags, **input["Tags"]})
        await lam.mappings.tag(mapping, input["Tags"])
    else:
        await lam.tags.tag(input["Resource"], input["Tags"])
    return {}


async def untag_resource(lam: Lambda, call: Call, input: Members) -> Members:
    mapping = lam.mappings.uuid_of_arn(input["Resource"])
    if mapping is not None:
        await lam.mappings.untag(mapping, input["TagKeys"])
    else:
        await lam.tags.untag(input["Resource"], input["TagKeys"])
    return {}


async def list_tags(lam: Lambda, call: Call, input: Members) -> Members:
    mapping = lam.mappings.uuid_of_arn(input["Resource"])
    if mapping is not None:
        return {"Tags": dict(lam.mappings.get(mapping).tags)}
    return {"Tags": lam.tags.list(input["Resource"])}
