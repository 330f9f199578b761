"""Lambda control-plane operations on functions, versions and aliases (REST JSON)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from altus.api.common import (
    body_of,
    config_json,
    functions_of,
    marker,
    page,
    platform_of,
    ref_of,
)
from altus.api.responses import empty_response, json_response
from altus.control.arns import (
    check_function_name,
    parse_unqualified,
)
from altus.control.errors import ValidationFailed
from altus.control.model import FunctionConfig

# --- functions ---------------------------------------------------------------------------------


async def create_function(request: Request) -> Response:
    body = await body_of(request, "CreateFunction")
    name = parse_unqualified(body["FunctionName"], platform_of(request).account)
    check_function_name(name)
    config = await functions_of(request).create_function(name, body)
    return json_response(request, config_json(request, config), 201)


async def list_functions(request: Request) -> Response:
    all_versions = request.query_params.get("FunctionVersion")
    if all_versions not in (None, "ALL"):
        raise ValidationFailed(
            f"1 validation error detected: Value '{all_versions}' at 'functionVersion' failed "
            "to satisfy constraint: Member must satisfy enum value set: [ALL]"
        )
    entries: list[tuple[str, FunctionConfig]] = []
    for record in functions_of(request).records():
        entries.append((f"{record.name}\x00", record.latest))
        if all_versions:
            for number in sorted(record.versions, key=int):
                entries.append((f"{record.name}\x00{int(number):010d}", record.versions[number]))
    keys = [key for key, _ in entries]
    start, end = page(request, keys)
    body: dict[str, Any] = {
        # Listing every version, $LATEST's ARN is qualified too, as in ListVersionsByFunction.
        "Functions": [
            config_json(
                request, c, arn_qualifier=c.version if all_versions else None, with_state=False
            )
            for _, c in entries[start:end]
        ]
    }
    if end < len(entries):
        body["NextMarker"] = marker(keys[end - 1])
    return json_response(request, body)


async def get_function(request: Request) -> Response:
    ref = ref_of(request)
    functions = functions_of(request)
    config = functions.config(ref)
    record = functions.record(ref.name)
    body: dict[str, Any] = {
        "Configuration": config_json(request, config, ref.qualifier),
        "Code": {
            "RepositoryType": "S3",
            "Location": f"{str(request.base_url).rstrip('/')}/_altus/code/{config.code.digest}.zip",
        },
    }
    if record.tags:
        body["Tags"] = dict(record.tags)
    reserved = platform_of(request).concurrency.reserved(ref.name)
    if reserved is not None:
        body["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
    return json_response(request, body)


async def get_function_configuration(request: Request) -> Response:
    ref = ref_of(request)
    config = functions_of(request).config(ref)
    return json_response(request, config_json(request, config, ref.qualifier))


async def update_function_code(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    body = await body_of(request, "UpdateFunctionCode")
    config = await functions_of(request).update_code(ref.name, body)
    return json_response(request, config_json(request, config))


async def update_function_configuration(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    body = await body_of(request, "UpdateFunctionConfiguration")
    config = await functions_of(request).update_configuration(ref.name, body)
    return json_response(request, config_json(request, config))


async def delete_function(request: Request) -> Response:
    ref = ref_of(request)
    await functions_of(request).delete_function(ref)
    return empty_response(request, 204)


# --- versions ----------------------------------------------------------------------------------


async def publish_version(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    body = await body_of(request, "PublishVersion")
    config = await functions_of(request).publish_version(ref.name, body)
    return json_response(request, config_json(request, config), 201)


async def list_versions(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    record = functions_of(request).record(ref.name)
    configs = [record.latest] + [record.versions[v] for v in sorted(record.versions, key=int)]
    keys = [f"{i:010d}" for i in range(len(configs))]
    start, end = page(request, keys)
    body: dict[str, Any] = {
        "Versions": [
            config_json(request, c, arn_qualifier=c.version, with_state=False)
            for c in configs[start:end]
        ]
    }
    if end < len(configs):
        body["NextMarker"] = marker(keys[end - 1])
    return json_response(request, body)


# --- aliases ------------------------------------------------------------------------------------


async def create_alias(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    body = await body_of(request, "CreateAlias")
    alias = await platform_of(request).aliases.create(ref.name, body)
    return json_response(request, alias.to_api(platform_of(request).account), 201)


async def list_aliases(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    record = functions_of(request).record(ref.name)
    version = request.query_params.get("FunctionVersion")
    aliases = [
        a
        for _, a in sorted(record.aliases.items())
        if version is None or a.function_version == version
    ]
    keys = [a.name for a in aliases]
    start, end = page(request, keys)
    account = platform_of(request).account
    body: dict[str, Any] = {"Aliases": [a.to_api(account) for a in aliases[start:end]]}
    if end < len(aliases):
        body["NextMarker"] = marker(keys[end - 1])
    return json_response(request, body)


async def get_alias(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    alias = functions_of(request).alias(ref.name, request.path_params["alias"])
    return json_response(request, alias.to_api(platform_of(request).account))


async def update_alias(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    body = await body_of(request, "UpdateAlias")
    alias = await platform_of(request).aliases.update(ref.name, request.path_params["alias"], body)
    return json_response(request, alias.to_api(platform_of(request).account))


async def delete_alias(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    await platform_of(request).aliases.delete(ref.name, request.path_params["alias"])
    return empty_response(request, 204)


# --- account -------------------------------------------------------------------------------------


async def get_account_settings(request: Request) -> Response:
    platform = platform_of(request)
    records = platform.functions.records()
    total = sum(platform.layers.code_sizes().values())
    for record in records:
        sizes = {record.latest.code.digest: record.latest.code.size}
        sizes.update({v.code.digest: v.code.size for v in record.versions.values()})
        total += sum(sizes.values())
    limit = platform.settings.concurrency_limit
    unreserved = limit - platform.concurrency.total_reserved()
    return json_response(
        request,
        {
            "AccountLimit": {
                "TotalCodeSize": 80_530_636_800,
                "CodeSizeUnzipped": 262_144_000,
                "CodeSizeZipped": 52_428_800,
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": unreserved,
            },
            "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(records)},
        },
    )


_FN = "/2015-03-31/functions/{name}"

routes = [
    Route("/2015-03-31/functions", create_function, methods=["POST"]),
    Route("/2015-03-31/functions", list_functions, methods=["GET"]),
    Route(_FN, get_function, methods=["GET"]),
    Route(_FN, delete_function, methods=["DELETE"]),
    Route(_FN + "/configuration", get_function_configuration, methods=["GET"]),
    Route(_FN + "/configuration", update_function_configuration, methods=["PUT"]),
    Route(_FN + "/code", update_function_code, methods=["PUT"]),
    Route(_FN + "/versions", publish_version, methods=["POST"]),
    Route(_FN + "/versions", list_versions, methods=["GET"]),
    Route(_FN + "/aliases", create_alias, methods=["POST"]),
    Route(_FN + "/aliases", list_aliases, methods=["GET"]),
    Route(_FN + "/aliases/{alias}", get_alias, methods=["GET"]),
    Route(_FN + "/aliases/{alias}", update_alias, methods=["PUT"]),
    Route(_FN + "/aliases/{alias}", delete_alias, methods=["DELETE"]),
    Route("/2016-08-19/account-settings", get_account_settings, methods=["GET"]),
]
