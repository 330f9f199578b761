"""Lambda's operations on functions, versions, aliases and the account."""

from __future__ import annotations

from typing import Any

from altus.api.service import PRINCIPAL
from altus.api.spec import Call, Members
from altus.awslambda.common import code_location, config_json, page, paged, ref_of
from altus.awslambda.component import Lambda
from altus.control.arns import check_function_name, parse_unqualified
from altus.control.model import FunctionConfig

# --- functions ----------------------------------------------------------------------------


async def create_function(lam: Lambda, call: Call, input: Members) -> Members:
    name = parse_unqualified(input["FunctionName"], lam.account)
    check_function_name(name)
    caller = call.request.scope.get(PRINCIPAL)
    lam.check_role(input["Role"], caller)
    lam.check_layers(input.get("Layers") or [], caller)
    config = await lam.functions.create_function(name, input)
    return config_json(lam, config)


async def list_functions(lam: Lambda, call: Call, input: Members) -> Members:
    every_version = input.get("FunctionVersion") == "ALL"
    entries: list[tuple[str, FunctionConfig]] = []
    for record in lam.functions.records():
        entries.append((f"{record.name}\x00", record.latest))
        if every_version:
            for number in sorted(record.versions, key=int):
                entries.append((f"{record.name}\x00{int(number):010d}", record.versions[number]))
    found = page(input, [c for _, c in entries], [k for k, _ in entries])
    # Listing every version, $LATEST's ARN is qualified too, as in ListVersionsByFunction.
    return paged(
        "Functions",
        found,
        lambda c: config_json(
            lam, c, arn_qualifier=c.version if every_version else None, with_state=False
        ),
    )


async def get_function(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    config = lam.functions.config(ref)
    record = lam.functions.record(ref.name)
    out: Members = {
        "Configuration": config_json(lam, config, ref.qualifier),
        "Code": {"RepositoryType": "S3", "Location": code_location(lam, call, config.code.digest)},
    }
    if record.tags:
        out["Tags"] = dict(record.tags)
    reserved = lam.concurrency.reserved(ref.name)
    if reserved is not None:
        out["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
    return out


async def get_function_configuration(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input)
    return config_json(lam, lam.functions.config(ref), ref.qualifier)


async def update_function_code(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input, qualified=False)
    return config_json(lam, await lam.functions.update_code(ref.name, input))


async def update_function_configuration(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input, qualified=False)
    caller = call.request.scope.get(PRINCIPAL)
    if "Role" in input:
        lam.check_role(input["Role"], caller)
    lam.check_layers(input.get("Layers") or [], caller)
    return config_json(lam, await lam.functions.update_configuration(ref.name, input))


async def delete_function(lam: Lambda, call: Call, input: Members) -> Members:
    await lam.functions.delete_function(ref_of(lam, input))
    return {"StatusCode": 204}


# --- versions -----------------------------------------------------------------------------


async def publish_version(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input, qualified=False)
    return config_json(lam, await lam.functions.publish_version(ref.name, input))


async def list_versions_by_function(lam: Lambda, call: Call, input: Members) -> Members:
    record = lam.functions.record(ref_of(lam, input, qualified=False).name)
    configs = [record.latest] + [record.versions[v] for v in sorted(record.versions, key=int)]
    found = page(input, configs, [f"{i:010d}" for i in range(len(configs))])
    return paged(
        "Versions", found, lambda c: config_json(lam, c, arn_qualifier=c.version, with_state=False)
    )


# --- aliases ------------------------------------------------------------------------------


async def create_alias(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input, qualified=False)
    return (await lam.aliases.create(ref.name, input)).to_api(lam.account)


async def list_aliases(lam: Lambda, call: Call, input: Members) -> Members:
    record = lam.functions.record(ref_of(lam, input, qualified=False).name)
    version = input.get("FunctionVersion")
    aliases = [
        a
        for _, a in sorted(record.aliases.items())
        if version is None or a.function_version == version
    ]
    found = page(input, aliases, [a.name for a in aliases])
    return paged("Aliases", found, lambda a: a.to_api(lam.account))


async def get_alias(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input, qualified=False)
    return lam.functions.alias(ref.name, input["Name"]).to_api(lam.account)


async def update_alias(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input, qualified=False)
    return (await lam.aliases.update(ref.name, input["Name"], input)).to_api(lam.account)


async def delete_alias(lam: Lambda, call: Call, input: Members) -> Members:
    ref = ref_of(lam, input, qualified=False)
    await lam.aliases.delete(ref.name, input["Name"])
    return {}


# --- the account --------------------------------------------------------------------------


async def get_account_settings(lam: Lambda, call: Call, input: Members) -> Members:
    records = lam.functions.records()
    total = sum(lam.layers.code_sizes().values())
    for record in records:
        sizes = {record.latest.code.digest: record.latest.code.size}
        sizes.update({v.code.digest: v.code.size for v in record.versions.values()})
        total += sum(sizes.values())
    limit = lam.settings.concurrency_limit
    out: dict[str, Any] = {
        "AccountLimit": {
            "TotalCodeSize": 80_530_636_800,
            "CodeSizeUnzipped": 262_144_000,
            "CodeSizeZipped": 52_428_800,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit - lam.concurrency.total_reserved(),
        },
        "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(records)},
    }
    return out
