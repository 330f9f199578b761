"""Lambda's layer operations (``/2018-10-31/layers``)."""

from __future__ import annotations

from typing import Any

from altus.api.spec import Call, Members
from altus.awslambda.common import code_location, page, paged
from altus.awslambda.component import Lambda
from altus.control import policies
from altus.control.errors import ResourceNotFound, ValidationFailed
from altus.control.model import LayerVersion


def _name(lam: Lambda, input: Members) -> str:
    """The LayerName: a name, or the layer's ARN (the model has checked its form)."""
    value: str = input["LayerName"]
    if value.startswith("arn:"):
        prefix = lam.account.layer_arn("")
        if not value.startswith(prefix):
            raise ResourceNotFound("The resource you requested does not exist.")
        value = value[len(prefix) :]
    return value


def _render(
    lam: Lambda, call: Call, layer: LayerVersion, *, content: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LayerVersionArn": lam.account.layer_arn(layer.name, layer.version),
        "Version": layer.version,
        "Description": layer.description,
        "CreatedDate": layer.created_date,
    }
    if content:
        out["LayerArn"] = lam.account.layer_arn(layer.name)
        out["Content"] = {
            "Location": code_location(lam, call, layer.code.digest),
            "CodeSha256": layer.code.sha256,
            "CodeSize": layer.code.size,
        }
    if layer.compatible_runtimes:
        out["CompatibleRuntimes"] = list(layer.compatible_runtimes)
    if layer.compatible_architectures:
        out["CompatibleArchitectures"] = list(layer.compatible_architectures)
    if layer.license_info is not None:
        out["LicenseInfo"] = layer.license_info
    return out


def _matches(layer: LayerVersion, input: Members) -> bool:
    runtime = input.get("CompatibleRuntime")
    architecture = input.get("CompatibleArchitecture")
    return (runtime is None or runtime in layer.compatible_runtimes) and (
        architecture is None or architecture in layer.compatible_architectures
    )


async def publish_layer_version(lam: Lambda, call: Call, input: Members) -> Members:
    layer = await lam.layers.publish(_name(lam, input), input)
    return _render(lam, call, layer)


async def get_layer_version(lam: Lambda, call: Call, input: Members) -> Members:
    return _render(lam, call, lam.layers.get(_name(lam, input), input["VersionNumber"]))


async def get_layer_version_by_arn(lam: Lambda, call: Call, input: Members) -> Members:
    arn = input["Arn"]
    parsed = lam.account.parse_layer_version_arn(arn)
    if parsed is None:  # of another account or region: the model's pattern has passed it
        raise ValidationFailed(
            f"1 validation error detected: Value '{arn}' at 'arn' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:"
            "\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)"
        )
    return _render(lam, call, lam.layers.get(*parsed))


async def list_layers(lam: Lambda, call: Call, input: Members) -> Members:
    entries: list[dict[str, Any]] = []
    for name in lam.layers.names():
        latest = next((v for v in lam.layers.versions(name) if _matches(v, input)), None)
        if latest is not None:
            entries.append(
                {
                    "LayerName": name,
                    "LayerArn": lam.account.layer_arn(name),
                    "LatestMatchingVersion": _render(lam, call, latest, content=False),
                }
            )
    found = page(input, entries, [e["LayerName"] for e in entries])
    return paged("Layers", found, lambda entry: entry)


async def list_layer_versions(lam: Lambda, call: Call, input: Members) -> Members:
    versions = [v for v in lam.layers.versions(_name(lam, input)) if _matches(v, input)]
    # Newest first; the marker is the last version number shown, counted down to sort.
    found = page(input, versions, [f"{10**12 - v.version:013d}" for v in versions])
    return paged("LayerVersions", found, lambda v: _render(lam, call, v, content=False))


async def delete_layer_version(lam: Lambda, call: Call, input: Members) -> Members:
    await lam.layers.delete(_name(lam, input), input["VersionNumber"])
    return {}


async def add_layer_version_permission(lam: Lambda, call: Call, input: Members) -> Members:
    statement, layer = await lam.layers.add_permission(
        _name(lam, input), input["VersionNumber"], input, input.get("RevisionId")
    )
    return {"Statement": policies.statement_json(statement), "RevisionId": layer.policy_revision}


async def get_layer_version_policy(lam: Lambda, call: Call, input: Members) -> Members:
    layer = lam.layers.get(_name(lam, input), input["VersionNumber"])
    if not layer.statements:
        raise ResourceNotFound("No policy is associated with the given resource.")
    return {"Policy": policies.document(layer.statements), "RevisionId": layer.policy_revision}


async def remove_layer_version_permission(lam: Lambda, call: Call, input: Members) -> Members:
    await lam.layers.remove_permission(
        _name(lam, input), input["VersionNumber"], input["StatementId"], input.get("RevisionId")
    )
    return {}
