"""Lambda control-plane operations on functions, versions and aliases (REST JSON)."""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from altus.api.model import validate_body
from altus.api.responses import empty_response, json_response, read_json
from altus.control.arns import (
    FunctionRef,
    check_function_name,
    parse_function_ref,
    parse_unqualified,
)
from altus.control.errors import InvalidParameterValue, ValidationFailed
from altus.control.functions import FunctionService, code_location
from altus.control.model import FunctionConfig
from altus.platform import Platform


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _functions(request: Request) -> FunctionService:
    return _platform(request).functions


def _ref(request: Request, *, qualified: bool = True) -> FunctionRef:
    account = _platform(request).account
    name = request.path_params["name"]
    if not qualified:
        return FunctionRef(parse_unqualified(name, account), None)
    return parse_function_ref(name, account, request.query_params.get("Qualifier"))


def _config_json(request: Request, config: FunctionConfig, arn_qualifier: str | None = None,
                 with_state: bool = True) -> dict[str, Any]:
    return config.to_api(_platform(request).account, with_state=with_state,
                         arn_qualifier=arn_qualifier)


def _page(request: Request, keys: list[str], default: int = 50) -> tuple[int, int]:
    """(start, end) of the page asked for with Marker / MaxItems over sorted ``keys``."""
    raw = request.query_params.get("MaxItems")
    try:
        max_items = int(raw) if raw is not None else default
    except ValueError:
        raise InvalidParameterValue(f"Invalid MaxItems: {raw}") from None
    for bad, bound in ((max_items < 1, "greater than or equal to 1"),
                       (max_items > 10000, "less than or equal to 10000")):
        if bad:
            raise ValidationFailed(
                f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to "
                f"satisfy constraint: Member must have value {bound}"
            )
    marker = request.query_params.get("Marker")
    start = 0
    if marker:
        try:
            after = base64.urlsafe_b64decode(marker.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raise InvalidParameterValue(f"Invalid Marker: {marker}") from None
        start = next((i for i, key in enumerate(keys) if key > after), len(keys))
    return start, min(start + max_items, len(keys))


def _marker(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


async def _body(request: Request, operation: str) -> dict[str, Any]:
    """The request body of ``operation``, read and checked against the API model."""
    return validate_body(operation, await read_json(request, operation))


# --- functions ---------------------------------------------------------------------------------


async def create_function(request: Request) -> Response:
    body = await _body(request, "CreateFunction")
    name = parse_unqualified(body["FunctionName"], _platform(request).account)
    check_function_name(name)
    config = await _functions(request).create_function(name, body)
    return json_response(request, _config_json(request, config), 201)


async def list_functions(request: Request) -> Response:
    all_versions = request.query_params.get("FunctionVersion")
    if all_versions not in (None, "ALL"):
        raise ValidationFailed(
            f"1 validation error detected: Value '{all_versions}' at 'functionVersion' failed "
            "to satisfy constraint: Member must satisfy enum value set: [ALL]"
        )
    entries: list[tuple[str, FunctionConfig]] = []
    for record in _functions(request).records():
        entries.append((f"{record.name}\x00", record.latest))
        if all_versions:
            for number in sorted(record.versions, key=int):
                entries.append((f"{record.name}\x00{int(number):010d}", record.versions[number]))
    keys = [key for key, _ in entries]
    start, end = _page(request, keys)
    body: dict[str, Any] = {
        # Listing every version, $LATEST's ARN is qualified too, as in ListVersionsByFunction.
        "Functions": [_config_json(request, c, arn_qualifier=c.version if all_versions else None,
                                   with_state=False) for _, c in entries[start:end]]
    }
    if end < len(entries):
        body["NextMarker"] = _marker(keys[end - 1])
    return json_response(request, body)


async def get_function(request: Request) -> Response:
    ref = _ref(request)
    functions = _functions(request)
    config = functions.config(ref)
    record = functions.record(ref.name)
    body: dict[str, Any] = {
        "Configuration": _config_json(request, config, ref.qualifier),
        "Code": {
            "RepositoryType": "S3",
            "Location": code_location(str(request.base_url).rstrip("/"), config.code),
        },
    }
    if record.tags:
        body["Tags"] = dict(record.tags)
    return json_response(request, body)


async def get_function_configuration(request: Request) -> Response:
    ref = _ref(request)
    config = _functions(request).config(ref)
    return json_response(request, _config_json(request, config, ref.qualifier))


async def update_function_code(request: Request) -> Response:
    ref = _ref(request, qualified=False)
    body = await _body(request, "UpdateFunctionCode")
    config = await _functions(request).update_code(ref.name, body)
    return json_response(request, _config_json(request, config))


async def update_function_configuration(request: Request) -> Response:
    ref = _ref(request, qualified=False)
    body = await _body(request, "UpdateFunctionConfiguration")
    config = await _functions(request).update_configuration(ref.name, body)
    return json_response(request, _config_json(request, config))


async def delete_function(request: Request) -> Response:
    ref = _ref(request)
    await _functions(request).delete_function(ref)
    return empty_response(request, 204)


# --- versions ----------------------------------------------------------------------------------


async def publish_version(request: Request) -> Response:
    ref = _ref(request, qualified=False)
    body = await _body(request, "PublishVersion")
    config = await _functions(request).publish_version(ref.name, body)
    return json_response(request, _config_json(request, config), 201)


async def list_versions(request: Request) -> Response:
    ref = _ref(request, qualified=False)
    record = _functions(request).record(ref.name)
    configs = [record.latest] + [record.versions[v] for v in sorted(record.versions, key=int)]
    keys = [f"{i:010d}" for i in range(len(configs))]
    start, end = _page(request, keys)
    body: dict[str, Any] = {"Versions": [
        _config_json(request, c, arn_qualifier=c.version, with_state=False)
        for c in configs[start:end]
    ]}
    if end < len(configs):
        body["NextMarker"] = _marker(keys[end - 1])
    return json_response(request, body)


# --- aliases ------------------------------------------------------------------------------------


async def create_alias(request: Request) -> Response:
    ref = _ref(request, qualified=False)
    body = await _body(request, "CreateAlias")
    alias = _functions(request).create_alias(ref.name, body)
    return json_response(request, alias.to_api(_platform(request).account), 201)


async def list_aliases(request: Request) -> Response:
    ref = _ref(request, qualified=False)
    record = _functions(request).record(ref.name)
    version = request.query_params.get("FunctionVersion")
    aliases = [a for _, a in sorted(record.aliases.items())
               if version is None or a.function_version == version]
    keys = [a.name for a in aliases]
    start, end = _page(request, keys)
    account = _platform(request).account
    body: dict[str, Any] = {"Aliases": [a.to_api(account) for a in aliases[start:end]]}
    if end < len(aliases):
        body["NextMarker"] = _marker(keys[end - 1])
    return json_response(request, body)


async def get_alias(request: Request) -> Response:
    ref = _ref(request, qualified=False)
    alias = _functions(request).alias(ref.name, request.path_params["alias"])
    return json_response(request, alias.to_api(_platform(request).account))


async def update_alias(request: Request) -> Response:
    ref = _ref(request, qualified=False)
    body = await _body(request, "UpdateAlias")
    alias = _functions(request).update_alias(ref.name, request.path_params["alias"], body)
    return json_response(request, alias.to_api(_platform(request).account))


async def delete_alias(request: Request) -> Response:
    ref = _ref(request, qualified=False)
    _functions(request).delete_alias(ref.name, request.path_params["alias"])
    return empty_response(request, 204)


# --- account -------------------------------------------------------------------------------------


async def get_account_settings(request: Request) -> Response:
    platform = _platform(request)
    records = platform.functions.records()
    total = 0
    for record in records:
        sizes = {record.latest.code.digest: record.latest.code.size}
        sizes.update({v.code.digest: v.code.size for v in record.versions.values()})
        total += sum(sizes.values())
    limit = platform.settings.concurrency_limit
    return json_response(request, {
        "AccountLimit": {
            "TotalCodeSize": 80_530_636_800,
            "CodeSizeUnzipped": 262_144_000,
            "CodeSizeZipped": 52_428_800,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit,
        },
        "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(records)},
    })


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
