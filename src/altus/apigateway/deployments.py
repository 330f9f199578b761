"""Deployments and stages.

A deployment is a snapshot of what the API serves: its resources with their methods
and integrations, its authorizers, binary media types, API key source and gateway
responses, and whether the default endpoint is disabled (AWS: the setting "takes
affect when you update any setting on any stage, such as updating the deployment"), as
they were when it was made (its own ``snapshot`` document, never changed). A stage
points at one deployment and adds what takes effect without a deployment: variables,
method settings (throttling), the authorizer cache's generation. A deployment a stage
points at cannot be deleted.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigateway import checks, ids, patch
from altus.apigateway.errors import (
    BadRequest,
    Conflict,
    deployment_not_found,
    stage_not_found,
)
from altus.apigateway.model import SNAPSHOT, Change, Doc, Drop, Put, snapshot_id
from altus.apigateway.paging import listing
from altus.apigateway.patch import ADD, REMOVE, REPLACE
from altus.apigateway.resources import methods_of
from altus.apigateway.state import part, present, public

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway

_STAGE_NAME = re.compile(r"[A-Za-z0-9_\-]{1,128}")
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
_VARIABLE_VALUE = re.compile(r"[A-Za-z0-9\-._~:/?#&=,]{0,512}")


def snapshot(doc: Doc) -> Doc:
    """What a deployment keeps of the API (refusing an API with no methods, or a method
    without an integration, as AWS does)."""
    found = methods_of(doc)
    if not found:
        raise BadRequest("The REST API doesn't contain any methods")
    for _, _, method in found:
        if "methodIntegration" not in method:
            raise BadRequest("No integration defined for method")
    api = doc["restApi"]
    return {
        "resources": copy.deepcopy(doc["resources"]),
        "authorizers": copy.deepcopy(doc["authorizers"]),
        "binaryMediaTypes": list(api.get("binaryMediaTypes") or ()),
        "apiKeySource": api.get("apiKeySource", "HEADER"),
        "gatewayResponses": copy.deepcopy(doc["gatewayResponses"]),
        "disableExecuteApiEndpoint": bool(api.get("disableExecuteApiEndpoint")),
    }


def check_variables(variables: Any) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name, value in (variables or {}).items():
        if not _VARIABLE_NAME.fullmatch(str(name)):
            raise BadRequest(
                f"Stage variable name {name} must be alphanumeric or underscore, "
                "at most 64 characters"
            )
        if not _VARIABLE_VALUE.fullmatch(str(value)):
            raise BadRequest(
                f"Stage variable value {value} contains a character not allowed "
                "(letters, digits and -._~:/?#&=, only, at most 512 characters)"
            )
        checked[str(name)] = str(value)
    return checked


def _check_stage_name(name: str) -> None:
    if not _STAGE_NAME.fullmatch(name):
        raise BadRequest(
            "Stage name only allows a-zA-Z0-9_- and must be between 1 and 128 characters"
        )


def new_stage(name: str, deployment_id: str, input: Members, now: float) -> Doc:
    made: Doc = {
        "stageName": name,
        "deploymentId": deployment_id,
        "cacheClusterEnabled": bool(input.get("cacheClusterEnabled", False)),
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {},
        "tracingEnabled": bool(input.get("tracingEnabled", False)),
        "createdDate": now,
        "lastUpdatedDate": now,
        "_flushed": 0,
    }
    if input.get("cacheClusterSize"):
        made["cacheClusterSize"] = input["cacheClusterSize"]
    variables = check_variables(input.get("variables"))
    if variables:
        made["variables"] = variables
    made |= present(input, ("documentationVersion",))
    if input.get("tags"):
        made["tags"] = checks.tags(input["tags"])
    return made


def stage(doc: Doc, name: Any) -> Doc:
    return part(doc["stages"], name, stage_not_found)


def deployment(doc: Doc, deployment_id: Any) -> Doc:
    return part(doc["deployments"], deployment_id, deployment_not_found)


# --- deployments ------------------------------------------------------------------------


async def create_deployment(gateway: ApiGateway, call: Call, input: Members) -> Members:
    now = gateway.core.now()
    stage_name = input.get("stageName")
    api_id = str(input["restApiId"])
    also: list[Change] = []

    def change(doc: Doc) -> Doc:
        if stage_name:
            _check_stage_name(str(stage_name))
        kept = snapshot(doc)
        new_id = ids.fresh(doc["deployments"])
        also.append(Put(SNAPSHOT, snapshot_id(api_id, new_id), kept))
        made: Doc = {"id": new_id, "createdDate": now}
        if input.get("description"):
            made["description"] = input["description"]
        doc["deployments"][new_id] = made
        if stage_name:
            current = doc["stages"].get(str(stage_name))
            if current is None:
                fresh = new_stage(str(stage_name), new_id, input, now)
                if input.get("stageDescription"):
                    fresh["description"] = input["stageDescription"]
                doc["stages"][str(stage_name)] = fresh
            else:
                current["deploymentId"] = new_id
                current["lastUpdatedDate"] = now
                if input.get("variables"):
                    current.setdefault("variables", {}).update(check_variables(input["variables"]))
                if input.get("stageDescription"):
                    current["description"] = input["stageDescription"]
        return public(made)

    return await gateway.core.edit_api(api_id, change, also)


async def get_deployment(gateway: ApiGateway, call: Call, input: Members) -> Members:
    api_id = str(input["restApiId"])
    doc = gateway.core.api(api_id)
    found = deployment(doc, input["deploymentId"])
    output = public(found)
    if "apisummary" in (input.get("embed") or ()):
        # What the deployment serves, by path then method (AWS's ``apiSummary``).
        summary: dict[str, dict[str, Doc]] = {}
        kept = gateway.core.snapshot(api_id, found["id"])
        for res in kept["resources"].values():
            for name, method in (res.get("resourceMethods") or {}).items():
                summary.setdefault(res["path"], {})[name] = {
                    "authorizationType": method.get("authorizationType", "NONE"),
                    "apiKeyRequired": bool(method.get("apiKeyRequired")),
                }
        output["apiSummary"] = summary
    return output


async def get_deployments(gateway: ApiGateway, call: Call, input: Members) -> Members:
    doc = gateway.core.api(str(input["restApiId"]))
    found = sorted(doc["deployments"].values(), key=lambda d: (d["createdDate"], d["id"]))
    return listing([public(d) for d in found], input.get("position"), input.get("limit"))


_DEPLOYMENT_RULES = (patch.scalar("description", ops=(REPLACE, ADD, REMOVE)),)


async def update_deployment(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return await gateway.core.patch_part(
        input, lambda doc: deployment(doc, input["deploymentId"]), _DEPLOYMENT_RULES, shown=public
    )


async def delete_deployment(gateway: ApiGateway, call: Call, input: Members) -> Members:
    deployment_id = str(input["deploymentId"])
    api_id = str(input["restApiId"])

    def change(doc: Doc) -> None:
        deployment(doc, deployment_id)
        if any(s["deploymentId"] == deployment_id for s in doc["stages"].values()):
            raise BadRequest("Active stages pointing to this deployment must be moved or deleted")
        del doc["deployments"][deployment_id]

    gone = [Drop(SNAPSHOT, snapshot_id(api_id, deployment_id))]
    await gateway.core.edit_api(api_id, change, gone)
    return {}


# --- stages -----------------------------------------------------------------------------


async def create_stage(gateway: ApiGateway, call: Call, input: Members) -> Members:
    now = gateway.core.now()
    name = str(input["stageName"])

    def change(doc: Doc) -> Doc:
        _check_stage_name(name)
        deployment(doc, input["deploymentId"])
        if name in doc["stages"]:
            raise Conflict("Stage already exists")
        made = new_stage(name, str(input["deploymentId"]), input, now)
        if input.get("description"):
            made["description"] = input["description"]
        doc["stages"][name] = made
        return public(made)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def get_stage(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return public(stage(gateway.core.api(str(input["restApiId"])), input["stageName"]))


async def get_stages(gateway: ApiGateway, call: Call, input: Members) -> Members:
    doc = gateway.core.api(str(input["restApiId"]))
    wanted = input.get("deploymentId")
    found = [
        public(s)
        for _, s in sorted(doc["stages"].items())
        if wanted is None or s["deploymentId"] == wanted
    ]
    return {"item": found}


#: A method setting's patch path (after ``/<resource path>/<METHOD>``) -> its member
#: and type; and its value where the stage had none yet (AWS fills them all in).
_SETTINGS: dict[str, tuple[str, str]] = {
    "metrics/enabled": ("metricsEnabled", "bool"),
    "logging/loglevel": ("loggingLevel", "str"),
    "logging/dataTrace": ("dataTraceEnabled", "bool"),
    "throttling/burstLimit": ("throttlingBurstLimit", "int"),
    "throttling/rateLimit": ("throttlingRateLimit", "float"),
    "caching/enabled": ("cachingEnabled", "bool"),
    "caching/ttlInSeconds": ("cacheTtlInSeconds", "int"),
    "caching/dataEncrypted": ("cacheDataEncrypted", "bool"),
    "caching/requireAuthorizationForCacheControl": ("requireAuthorizationForCacheControl", "bool"),
    "caching/unauthorizedCacheControlHeaderStrategy": (
        "unauthorizedCacheControlHeaderStrategy",
        "str",
    ),
}
_SETTING_DEFAULTS: dict[str, Any] = {
    "metricsEnabled": False,
    "loggingLevel": "OFF",
    "dataTraceEnabled": False,
    "throttlingBurstLimit": 5000,
    "throttlingRateLimit": 10000.0,
    "cachingEnabled": False,
    "cacheTtlInSeconds": 300,
    "cacheDataEncrypted": False,
    "requireAuthorizationForCacheControl": True,
    "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
}
#: ``/<resource path>/<METHOD>/<setting>``, read from the right: the resource path may
#: be escaped (``~1pets~1{id}``, AWS's form) or not (``pets/{id}``, Terraform's
#: ``method_path``), and is kept as written (GetStage shows it so: Terraform finds its
#: setting by it); ``*/*`` is every method.
_SETTING_PATH = re.compile(r"/(.*)/([^/]+)/(" + "|".join(map(re.escape, _SETTINGS)) + ")")


def _put_setting(doc: Doc, path: str, value: str) -> None:
    found = _SETTING_PATH.fullmatch(path)
    assert found is not None
    resource_path, method, setting = found.groups()
    member, kind = _SETTINGS[setting]
    parsed = patch.parse(kind, value, path)
    if kind != "bool" and member.startswith("throttling") and parsed != -1:
        # -1 resets the limit to the account's (AWS accepts it); other negatives fail.
        checks.throttle({member: parsed})
    if member == "loggingLevel" and parsed not in ("OFF", "ERROR", "INFO"):
        raise BadRequest(f"Invalid logging level: {parsed}. Must be one of: [OFF, ERROR, INFO]")
    key = f"{resource_path}/{method}"
    settings = doc.setdefault("methodSettings", {})
    settings.setdefault(key, dict(_SETTING_DEFAULTS))[member] = parsed


def _drop_setting(doc: Doc, path: str) -> None:
    found = re.fullmatch(r"/(.*)/([^/]+)", path)
    if found is not None:
        (doc.get("methodSettings") or {}).pop(f"{found.group(1)}/{found.group(2)}", None)


def _stage_rules(api: Doc) -> tuple[patch.Rule, ...]:
    def deployment_id(doc: Doc, _: str, value: str) -> None:
        deployment(api, value)
        doc["deploymentId"] = value

    return (
        patch.scalar("description", ops=(REPLACE, ADD, REMOVE)),
        patch.Rule("/deploymentId", "/deploymentId", frozenset((REPLACE,)), deployment_id),
        patch.string_map("variables"),
        patch.scalar("tracingEnabled", "bool"),
        patch.scalar("cacheClusterEnabled", "bool"),
        patch.scalar("cacheClusterSize"),
        patch.scalar("documentationVersion", ops=(REPLACE, ADD, REMOVE)),
        patch.scalar("clientCertificateId", ops=(REPLACE, ADD, REMOVE)),
        patch.nested(
            "/accessLogSettings/destinationArn",
            ("accessLogSettings", "destinationArn"),
            ops=(REPLACE, ADD, REMOVE),
        ),
        patch.nested(
            "/accessLogSettings/format", ("accessLogSettings", "format"), ops=(REPLACE, ADD, REMOVE)
        ),
        patch.Rule(
            "/accessLogSettings",
            "/accessLogSettings",
            frozenset((REMOVE,)),
            drop=lambda doc, _: doc.pop("accessLogSettings", None),
        ),
        patch.Rule(
            "/{resourcePath}/{httpMethod}/{setting}",
            "(" + _SETTING_PATH.pattern + ")",
            frozenset((REPLACE, ADD)),
            lambda doc, path, value: _put_setting(doc, path, value),
            raw=True,
        ),
        patch.Rule(
            "/{resourcePath}/{httpMethod}",
            r"(/.*/[^/]+)",
            frozenset((REMOVE,)),
            drop=lambda doc, path: _drop_setting(doc, path),
            raw=True,
        ),
    )


async def update_stage(gateway: ApiGateway, call: Call, input: Members) -> Members:
    now = gateway.core.now()

    def change(doc: Doc) -> Doc:
        found = stage(doc, input["stageName"])
        patch.apply(found, input.get("patchOperations"), _stage_rules(doc))
        found["variables"] = check_variables(found.get("variables"))
        if not found["variables"]:
            del found["variables"]
        found["lastUpdatedDate"] = now
        return public(found)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def delete_stage(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> None:
        stage(doc, input["stageName"])
        del doc["stages"][str(input["stageName"])]

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}


async def flush_stage_authorizers_cache(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> None:
        found = stage(doc, input["stageName"])
        found["_flushed"] = int(found.get("_flushed", 0)) + 1

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}


async def flush_stage_cache(gateway: ApiGateway, call: Call, input: Members) -> Members:
    # Altus keeps no response cache: there is nothing to flush once the stage is found.
    stage(gateway.core.api(str(input["restApiId"])), input["stageName"])
    return {}
