"""Event invoke configuration operations (REST JSON, /2019-09-25)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from altus.api.common import body_of, marker, page, platform_of, ref_of
from altus.api.responses import empty_response, json_response
from altus.control.arns import LATEST, FunctionRef


def _config_json(
    request: Request, name: str, qualifier: str, document: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LastModified": document["LastModified"],
        "FunctionArn": platform_of(request).account.function_arn(name, qualifier),
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


def _answer(request: Request, ref: FunctionRef, document: dict[str, Any]) -> Response:
    return json_response(
        request, _config_json(request, ref.name, ref.qualifier or LATEST, document)
    )


async def put_config(request: Request) -> Response:
    ref = ref_of(request)
    body = await body_of(request, "PutFunctionEventInvokeConfig")
    return _answer(
        request, ref, await platform_of(request).event_invoke.put(ref.name, ref.qualifier, body)
    )


async def update_config(request: Request) -> Response:
    ref = ref_of(request)
    body = await body_of(request, "UpdateFunctionEventInvokeConfig")
    return _answer(
        request, ref, await platform_of(request).event_invoke.update(ref.name, ref.qualifier, body)
    )


async def get_config(request: Request) -> Response:
    ref = ref_of(request)
    return _answer(request, ref, platform_of(request).event_invoke.get(ref.name, ref.qualifier))


async def delete_config(request: Request) -> Response:
    ref = ref_of(request)
    await platform_of(request).event_invoke.delete(ref.name, ref.qualifier)
    return empty_response(request, 204)


async def list_configs(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    configs = platform_of(request).event_invoke.list(ref.name)
    keys = [qualifier for qualifier, _ in configs]
    start, end = page(request, keys, limit=50)
    body: dict[str, Any] = {
        "FunctionEventInvokeConfigs": [
            _config_json(request, ref.name, q, d) for q, d in configs[start:end]
        ]
    }
    if end < len(configs):
        body["NextMarker"] = marker(keys[end - 1])
    return json_response(request, body)


_CONFIG = "/2019-09-25/functions/{name}/event-invoke-config"
routes = [
    Route(_CONFIG, put_config, methods=["PUT"]),
    Route(_CONFIG, update_config, methods=["POST"]),
    Route(_CONFIG, get_config, methods=["GET"]),
    Route(_CONFIG, delete_config, methods=["DELETE"]),
    Route(_CONFIG + "/list", list_configs, methods=["GET"]),
]
