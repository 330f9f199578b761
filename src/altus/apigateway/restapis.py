"""REST APIs themselves: CreateRestApi (with its root resource ``/`` and the models
every new API gets, ``Empty`` and ``Error``), GetRestApi, GetRestApis, UpdateRestApi by
patch operations and DeleteRestApi (its deployments and stages with it; a usage plan
naming one of its stages keeps the stage's name, and serves nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigateway import checks, ids, patch
from altus.apigateway.errors import BadRequest
from altus.apigateway.model import API, SNAPSHOT, Change, Doc, Drop, Put, snapshot_id
from altus.apigateway.paging import listing
from altus.apigateway.patch import ADD, REMOVE, REPLACE

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway

_EMPTY_SCHEMA = (
    '{\n  "$schema": "http://json-schema.org/draft-04/schema#",\n'
    '  "title" : "Empty Schema",\n  "type" : "object"\n}'
)
_ERROR_SCHEMA = (
    '{\n  "$schema" : "http://json-schema.org/draft-04/schema#",\n'
    '  "title" : "Error Schema",\n  "type" : "object",\n'
    '  "properties" : {\n    "message" : { "type" : "string" }\n  }\n}'
)

API_KEY_SOURCES = ("HEADER", "AUTHORIZER")
ENDPOINT_TYPES = ("REGIONAL", "EDGE", "PRIVATE")


def check_api_key_source(value: Any) -> None:
    if value not in API_KEY_SOURCES:
        raise BadRequest(f"Invalid API Key source '{value}'. Must be one of: [HEADER, AUTHORIZER]")


def endpoint_configuration(given: Any) -> Doc:
    types = list((given or {}).get("types") or ["EDGE"])
    if len(types) != 1 or types[0] not in ENDPOINT_TYPES:
        raise BadRequest("Invalid endpoint configuration: exactly one of EDGE, REGIONAL or PRIVATE")
    config: Doc = {"types": types}
    if (given or {}).get("vpcEndpointIds"):
        config["vpcEndpointIds"] = list(given["vpcEndpointIds"])
    config["ipAddressType"] = (given or {}).get("ipAddressType") or "ipv4"
    return config


def new_api(gateway: ApiGateway, input: Members, now: float) -> Doc:
    """A new API's document (not yet written): members checked, root and models made."""
    api_id = ids.fresh(gateway.core.apis, ids.long_id)
    root = ids.long_id()
    source = input.get("apiKeySource") or "HEADER"
    check_api_key_source(source)
    members: Doc = {
        "id": api_id,
        "name": input["name"],
        "createdDate": now,
        "apiKeySource": source,
        "endpointConfiguration": endpoint_configuration(input.get("endpointConfiguration")),
        "disableExecuteApiEndpoint": bool(input.get("disableExecuteApiEndpoint", False)),
        "rootResourceId": root,
        "apiStatus": "AVAILABLE",
    }
    for member in ("description", "version", "policy", "minimumCompressionSize"):
        if input.get(member) is not None:
            members[member] = input[member]
    if input.get("binaryMediaTypes"):
        members["binaryMediaTypes"] = list(input["binaryMediaTypes"])
    if input.get("tags"):
        members["tags"] = checks.tags(input["tags"])
    if members.get("policy") is not None:
        checks.policy(members["policy"])
    checks.compression_size(members.get("minimumCompressionSize"))
    models = {
        "Empty": {
            "id": ids.short_id(),
            "name": "Empty",
            "description": "This is a default empty schema model",
            "schema": _EMPTY_SCHEMA,
            "contentType": "application/json",
        },
        "Error": {
            "id": ids.short_id(),
            "name": "Error",
            "description": "This is a default error schema model",
            "schema": _ERROR_SCHEMA,
            "contentType": "application/json",
        },
    }
    return {
        "restApi": members,
        "resources": {root: {"id": root, "path": "/"}},
        "models": models,
        "authorizers": {},
        "validators": {},
        "gatewayResponses": {},
        "deployments": {},
        "stages": {},
    }


async def create_rest_api(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    if input.get("cloneFrom"):
        core.api(str(input["cloneFrom"]))
        raise BadRequest("Cloning a REST API (cloneFrom) is not supported by Altus")
    async with core.lock:
        doc = new_api(gateway, input, core.now())
        api_id = doc["restApi"]["id"]
        await core.write([Put(API, api_id, doc)], lambda: core.hold(api_id, doc))
    return dict(doc["restApi"])


async def get_rest_api(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return dict(gateway.core.api(str(input["restApiId"]))["restApi"])


async def get_rest_apis(gateway: ApiGateway, call: Call, input: Members) -> Members:
    apis = sorted(
        gateway.core.apis.values(), key=lambda d: (d["restApi"]["createdDate"], d["restApi"]["id"])
    )
    return listing([dict(d["restApi"]) for d in apis], input.get("position"), input.get("limit"))


def _check_source(value: Any) -> None:
    check_api_key_source(value)


def _endpoint_type(doc: Doc, _: str, value: str) -> None:
    if value not in ENDPOINT_TYPES:
        raise BadRequest(
            f"Invalid endpoint type '{value}'. Must be one of: [EDGE, REGIONAL, PRIVATE]"
        )
    doc.setdefault("endpointConfiguration", {})["types"] = [value]


#: UpdateRestApi's paths.
API_RULES = (
    patch.scalar("name"),
    patch.scalar("description", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("version", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("policy", ops=(REPLACE, ADD, REMOVE), check=checks.policy),
    patch.scalar("apiKeySource", check=_check_source),
    patch.scalar(
        "minimumCompressionSize", "int", ops=(REPLACE, ADD, REMOVE), check=checks.compression_size
    ),
    patch.scalar("disableExecuteApiEndpoint", "bool"),
    patch.string_list("binaryMediaTypes"),
    patch.Rule(
        "/endpointConfiguration/types/<type>",
        r"/endpointConfiguration/types(?:/\d+|/(\w+))?",
        frozenset((REPLACE,)),
        _endpoint_type,
    ),
)


async def update_rest_api(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> Doc:
        patch.apply(doc["restApi"], input.get("patchOperations"), API_RULES)
        if not doc["restApi"].get("name"):
            raise BadRequest("Invalid REST API name: it must not be empty")
        return dict(doc["restApi"])

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def delete_rest_api(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    api_id = str(input["restApiId"])
    async with core.lock:
        doc = core.api(api_id)
        plan: list[Change] = [Drop(API, api_id)]
        plan += [Drop(SNAPSHOT, snapshot_id(api_id, d)) for d in doc["deployments"]]

        def applied() -> None:
            core.apis.pop(api_id, None)
            for deployment_id in doc["deployments"]:
                core.snapshots.pop(snapshot_id(api_id, deployment_id), None)
            core.on_api_changed(api_id)

        await core.write(plan, applied)
    return {}
