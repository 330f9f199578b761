"""Layer operations (REST JSON, /2018-10-31/layers)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from altus.api.common import body_of, marker, page, platform_of
from altus.api.model import service_model
from altus.api.responses import empty_response, json_response
from altus.control import policies
from altus.control.errors import InvalidParameterValue, ResourceNotFound, ValidationFailed
from altus.control.layers import LayerService
from altus.control.model import LayerVersion

_LAYER_NAME = "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+"


def _layers(request: Request) -> LayerService:
    return platform_of(request).layers


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _name(request: Request) -> str:
    """The LayerName in the path: a name, or the layer's ARN."""
    value: str = request.path_params["layer"]
    if value.startswith("arn:"):
        prefix = platform_of(request).account.layer_arn("")
        if not value.startswith(prefix):
            raise ResourceNotFound("The resource you requested does not exist.")
        value = value[len(prefix) :]
    if not value or len(value) > 140 or not all(c.isalnum() or c in "-_" for c in value):
        raise ValidationFailed(
            f"1 validation error detected: Value '{request.path_params['layer']}' at "
            "'layerName' failed to satisfy constraint: Member must satisfy regular "
            f"expression pattern: {_LAYER_NAME}"
        )
    return value


def _number(request: Request) -> int:
    raw = request.path_params["version"]
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameterValue(f"Invalid layer version number: {raw}") from None


def _matches(layer: LayerVersion, request: Request) -> bool:
    runtime = request.query_params.get("CompatibleRuntime")
    architecture = request.query_params.get("CompatibleArchitecture")
    runtimes = service_model().shape_for("Runtime").enum  # any runtime Lambda names
    if runtime is not None and runtime not in runtimes:
        raise ValidationFailed(
            f"1 validation error detected: Value '{runtime}' at 'compatibleRuntime' failed to "
            f"satisfy constraint: Member must satisfy enum value set: [{', '.join(runtimes)}]"
        )
    if architecture is not None and architecture not in ("x86_64", "arm64"):
        raise ValidationFailed(
            f"1 validation error detected: Value '{architecture}' at 'compatibleArchitecture' "
            "failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]"
        )
    return (runtime is None or runtime in layer.compatible_runtimes) and (
        architecture is None or architecture in layer.compatible_architectures
    )


async def publish_layer_version(request: Request) -> Response:
    name = _name(request)
    body = await body_of(request, "PublishLayerVersion")
    layer = await _layers(request).publish(name, body)
    return json_response(request, _layers(request).to_api(layer, _base(request)), 201)


async def get_layer_version(request: Request) -> Response:
    layer = _layers(request).get(_name(request), _number(request))
    return json_response(request, _layers(request).to_api(layer, _base(request)))


async def list_layers(request: Request) -> Response:
    if request.query_params.get("find") == "LayerVersion":
        return _get_layer_version_by_arn(request)
    layers = _layers(request)
    account = platform_of(request).account
    entries: list[dict[str, Any]] = []
    for name in layers.names():
        latest = next((v for v in layers.versions(name) if _matches(v, request)), None)
        if latest is not None:
            entries.append(
                {
                    "LayerName": name,
                    "LayerArn": account.layer_arn(name),
                    "LatestMatchingVersion": layers.to_api(latest, "", with_content=False),
                }
            )
    keys = [entry["LayerName"] for entry in entries]
    start, end = page(request, keys, limit=50)
    body: dict[str, Any] = {"Layers": entries[start:end]}
    if end < len(entries):
        body["NextMarker"] = marker(keys[end - 1])
    return json_response(request, body)


def _get_layer_version_by_arn(request: Request) -> Response:
    arn = request.query_params.get("Arn", "")
    parsed = platform_of(request).account.parse_layer_version_arn(arn)
    if parsed is None:
        raise ValidationFailed(
            f"1 validation error detected: Value '{arn}' at 'arn' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:"
            "\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)"
        )
    layer = _layers(request).get(*parsed)
    return json_response(request, _layers(request).to_api(layer, _base(request)))


async def list_layer_versions(request: Request) -> Response:
    layers = _layers(request)
    versions = [v for v in layers.versions(_name(request)) if _matches(v, request)]
    # Newest first; the marker is the last version number shown, zero-padded to sort.
    keys = [f"{10**12 - v.version:013d}" for v in versions]
    start, end = page(request, keys, limit=50)
    body: dict[str, Any] = {
        "LayerVersions": [layers.to_api(v, "", with_content=False) for v in versions[start:end]]
    }
    if end < len(versions):
        body["NextMarker"] = marker(keys[end - 1])
    return json_response(request, body)


async def delete_layer_version(request: Request) -> Response:
    await _layers(request).delete(_name(request), _number(request))
    return empty_response(request, 204)


async def add_layer_version_permission(request: Request) -> Response:
    body = await body_of(request, "AddLayerVersionPermission")
    statement, layer = await _layers(request).add_permission(
        _name(request), _number(request), body, request.query_params.get("RevisionId")
    )
    return json_response(
        request,
        {"Statement": policies.statement_json(statement), "RevisionId": layer.policy_revision},
        201,
    )


async def get_layer_version_policy(request: Request) -> Response:
    layer = _layers(request).get(_name(request), _number(request))
    if not layer.statements:
        raise ResourceNotFound("No policy is associated with the given resource.")
    return json_response(
        request,
        {"Policy": policies.document(layer.statements), "RevisionId": layer.policy_revision},
    )


async def remove_layer_version_permission(request: Request) -> Response:
    await _layers(request).remove_permission(
        _name(request),
        _number(request),
        request.path_params["sid"],
        request.query_params.get("RevisionId"),
    )
    return empty_response(request, 204)


_LAYER = "/2018-10-31/layers/{layer}"
routes = [
    Route("/2018-10-31/layers", list_layers, methods=["GET"]),
    Route(_LAYER + "/versions", publish_layer_version, methods=["POST"]),
    Route(_LAYER + "/versions", list_layer_versions, methods=["GET"]),
    Route(_LAYER + "/versions/{version}", get_layer_version, methods=["GET"]),
    Route(_LAYER + "/versions/{version}", delete_layer_version, methods=["DELETE"]),
    Route(_LAYER + "/versions/{version}/policy", add_layer_version_permission, methods=["POST"]),
    Route(_LAYER + "/versions/{version}/policy", get_layer_version_policy, methods=["GET"]),
    Route(
        _LAYER + "/versions/{version}/policy/{sid}",
        remove_layer_version_permission,
        methods=["DELETE"],
    ),
]
