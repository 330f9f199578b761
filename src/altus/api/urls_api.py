"""Function URL configuration operations (REST JSON, /2021-10-31)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from altus.api.common import body_of, marker, page, platform_of, ref_of
from altus.api.responses import empty_response, json_response
from altus.control.model import UrlConfig
from altus.control.urls import function_url


def _url_json(request: Request, config: UrlConfig, *, created: bool = False) -> dict[str, Any]:
    platform = platform_of(request)
    out: dict[str, Any] = {
        "FunctionUrl": function_url(
            config.url_id,
            str(request.base_url),
            platform.settings.url_domain,
            platform.account.region,
        ),
        "FunctionArn": platform.account.function_arn(config.function, config.qualifier),
        "AuthType": config.auth_type,
        "CreationTime": config.creation_time,
        "InvokeMode": config.invoke_mode,
    }
    if config.cors is not None:
        out["Cors"] = dict(config.cors)
    if not created:
        out["LastModifiedTime"] = config.last_modified_time
    return out


async def create_url_config(request: Request) -> Response:
    ref = ref_of(request)
    body = await body_of(request, "CreateFunctionUrlConfig")
    config = await platform_of(request).urls.create(ref.name, ref.qualifier, body)
    return json_response(request, _url_json(request, config, created=True), 201)


async def get_url_config(request: Request) -> Response:
    ref = ref_of(request)
    config = platform_of(request).urls.get(ref.name, ref.qualifier)
    return json_response(request, _url_json(request, config))


async def update_url_config(request: Request) -> Response:
    ref = ref_of(request)
    body = await body_of(request, "UpdateFunctionUrlConfig")
    config = await platform_of(request).urls.update(ref.name, ref.qualifier, body)
    return json_response(request, _url_json(request, config))


async def delete_url_config(request: Request) -> Response:
    ref = ref_of(request)
    await platform_of(request).urls.delete(ref.name, ref.qualifier)
    return empty_response(request, 204)


async def list_url_configs(request: Request) -> Response:
    ref = ref_of(request, qualified=False)
    configs = platform_of(request).urls.list(ref.name)
    keys = [c.qualifier or "" for c in configs]
    start, end = page(request, keys, limit=50)
    body: dict[str, Any] = {
        "FunctionUrlConfigs": [_url_json(request, c) for c in configs[start:end]]
    }
    if end < len(configs):
        body["NextMarker"] = marker(keys[end - 1])
    return json_response(request, body)


_URL = "/2021-10-31/functions/{name}/url"
routes = [
    Route(_URL, create_url_config, methods=["POST"]),
    Route(_URL, get_url_config, methods=["GET"]),
    Route(_URL, update_url_config, methods=["PUT"]),
    Route(_URL, delete_url_config, methods=["DELETE"]),
    Route(_URL + "s", list_url_configs, methods=["GET"]),
]
