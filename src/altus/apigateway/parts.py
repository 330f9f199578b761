"""An API's authorizers, request validators, models and gateway responses.

Authorizers: ``TOKEN`` (a Lambda function given one header's value, which must be
named as ``method.request.header.<name>``), ``REQUEST`` (a Lambda function given the
request's identity sources) and ``COGNITO_USER_POOLS`` (``providerARNs``); a result
is cached ``authorizerResultTtlInSeconds`` (0-3600, default 300). Gateway responses:
every type always has one (AWS's defaults until put), listed by GetGatewayResponses.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigateway import checks, ids, patch
from altus.apigateway.errors import (
    BadRequest,
    Conflict,
    authorizer_not_found,
    gateway_response_not_found,
    model_not_found,
    validator_not_found,
)
from altus.apigateway.model import Doc
from altus.apigateway.paging import listing
from altus.apigateway.patch import ADD, REMOVE, REPLACE
from altus.apigateway.resources import methods_of
from altus.apigateway.state import part

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway

AUTHORIZER_TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
_TOKEN_SOURCE = re.compile(r"method\.request\.header\.[A-Za-z0-9!#$%&'*+\-.^_`|~]+")

#: Every gateway response type and its status (AWS's table of gateway response
#: types; DEFAULT_4XX and DEFAULT_5XX have none of their own).
RESPONSE_TYPES: dict[str, str | None] = {
    "ACCESS_DENIED": "403",
    "API_CONFIGURATION_ERROR": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500",
    "AUTHORIZER_FAILURE": "500",
    "BAD_REQUEST_PARAMETERS": "400",
    "BAD_REQUEST_BODY": "400",
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
    "EXPIRED_TOKEN": "403",
    "INTEGRATION_FAILURE": "504",
    "INTEGRATION_TIMEOUT": "504",
    "INVALID_API_KEY": "403",
    "INVALID_SIGNATURE": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403",
    "QUOTA_EXCEEDED": "429",
    "REQUEST_TOO_LARGE": "413",
    "RESOURCE_NOT_FOUND": "404",
    "THROTTLED": "429",
    "UNAUTHORIZED": "401",
    "UNSUPPORTED_MEDIA_TYPE": "415",
    "WAF_FILTERED": "403",
}
_DEFAULT_TEMPLATE = {"application/json": '{"message":$context.error.messageString}'}


# --- authorizers ------------------------------------------------------------------------


def check_authorizer(found: Doc) -> None:
    kind = found.get("type")
    if kind not in AUTHORIZER_TYPES:
        raise BadRequest(
            f"Invalid authorizer type specified: {kind}. Valid options are "
            "TOKEN, REQUEST, COGNITO_USER_POOLS"
        )
    ttl = found.get("authorizerResultTtlInSeconds", 300)
    if not 0 <= int(ttl) <= 3600:
        raise BadRequest("Authorizer result TTL must be between 0 and 3600 seconds")
    if kind == "COGNITO_USER_POOLS":
        if not found.get("providerARNs"):
            raise BadRequest("ProviderARNs need to be specified for COGNITO_USER_POOLS")
    elif not found.get("authorizerUri"):
        raise BadRequest(f"Authorizer URI is required for {kind} authorizers")
    source = found.get("identitySource")
    if kind in ("TOKEN", "COGNITO_USER_POOLS"):
        if not source or not _TOKEN_SOURCE.fullmatch(str(source)):
            raise BadRequest(
                f"Invalid identity source {source or ''!r}: a {kind} authorizer's must be "
                "method.request.header.<name>"
            )
    elif source is None and int(ttl) > 0:
        raise BadRequest("Identity source is required when caching is enabled")


async def create_authorizer(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> Doc:
        made: Doc = {
            "id": ids.fresh(doc["authorizers"]),
            "name": input["name"],
            "type": input["type"],
        }
        for member in (
            "authType",
            "authorizerUri",
            "authorizerCredentials",
            "identitySource",
            "identityValidationExpression",
        ):
            if input.get(member):
                made[member] = input[member]
        if input.get("providerARNs"):
            made["providerARNs"] = list(input["providerARNs"])
        made["authorizerResultTtlInSeconds"] = int(
            300
            if input.get("authorizerResultTtlInSeconds") is None
            else input["authorizerResultTtlInSeconds"]
        )
        if made["type"] == "TOKEN" and "identityValidationExpression" in made:
            try:
                re.compile(made["identityValidationExpression"])
            except re.error:
                raise BadRequest("Invalid identity validation expression specified") from None
        check_authorizer(made)
        doc["authorizers"][made["id"]] = made
        return dict(made)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


def authorizer(doc: Doc, authorizer_id: Any) -> Doc:
    return part(doc["authorizers"], authorizer_id, authorizer_not_found)


async def get_authorizer(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return dict(authorizer(gateway.core.api(str(input["restApiId"])), input["authorizerId"]))


async def get_authorizers(gateway: ApiGateway, call: Call, input: Members) -> Members:
    doc = gateway.core.api(str(input["restApiId"]))
    found = sorted(doc["authorizers"].values(), key=lambda a: (a["name"], a["id"]))
    return listing([dict(a) for a in found], input.get("position"), input.get("limit"))


_AUTHORIZER_RULES = (
    patch.scalar("name"),
    patch.scalar("type"),
    patch.scalar("authType", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("authorizerUri", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("authorizerCredentials", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("identitySource", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("identityValidationExpression", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("authorizerResultTtlInSeconds", "int"),
    patch.string_list("providerARNs"),
)


async def update_authorizer(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return await gateway.core.patch_part(
        input,
        lambda doc: authorizer(doc, input["authorizerId"]),
        _AUTHORIZER_RULES,
        check_authorizer,
    )


async def delete_authorizer(gateway: ApiGateway, call: Call, input: Members) -> Members:
    authorizer_id = str(input["authorizerId"])

    def change(doc: Doc) -> None:
        authorizer(doc, authorizer_id)
        for _, _, method in methods_of(doc):
            if method.get("authorizerId") == authorizer_id:
                # AWS refuses deleting an authorizer in use too; this wording is Altus's.
                raise Conflict("Cannot delete authorizer, is referenced in method")
        del doc["authorizers"][authorizer_id]

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}


# --- request validators -----------------------------------------------------------------


async def create_request_validator(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> Doc:
        made: Doc = {
            "id": ids.fresh(doc["validators"]),
            "validateRequestBody": bool(input.get("validateRequestBody", False)),
            "validateRequestParameters": bool(input.get("validateRequestParameters", False)),
        }
        if input.get("name"):
            made["name"] = input["name"]
        doc["validators"][made["id"]] = made
        return dict(made)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


def validator(doc: Doc, validator_id: Any) -> Doc:
    return part(doc["validators"], validator_id, validator_not_found)


async def get_request_validator(gateway: ApiGateway, call: Call, input: Members) -> Members:
    doc = gateway.core.api(str(input["restApiId"]))
    return dict(validator(doc, input["requestValidatorId"]))


async def get_request_validators(gateway: ApiGateway, call: Call, input: Members) -> Members:
    doc = gateway.core.api(str(input["restApiId"]))
    found = sorted(doc["validators"].values(), key=lambda v: v["id"])
    return listing([dict(v) for v in found], input.get("position"), input.get("limit"))


_VALIDATOR_RULES = (
    patch.scalar("name"),
    patch.scalar("validateRequestBody", "bool"),
    patch.scalar("validateRequestParameters", "bool"),
)


async def update_request_validator(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return await gateway.core.patch_part(
        input, lambda doc: validator(doc, input["requestValidatorId"]), _VALIDATOR_RULES
    )


async def delete_request_validator(gateway: ApiGateway, call: Call, input: Members) -> Members:
    validator_id = str(input["requestValidatorId"])

    def change(doc: Doc) -> None:
        validator(doc, validator_id)
        del doc["validators"][validator_id]
        for _, _, method in methods_of(doc):
            if method.get("requestValidatorId") == validator_id:
                del method["requestValidatorId"]

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}


# --- models -----------------------------------------------------------------------------

_MODEL_NAME = re.compile(r"[A-Za-z0-9]+")


async def create_model(gateway: ApiGateway, call: Call, input: Members) -> Members:
    name = str(input["name"])

    def change(doc: Doc) -> Doc:
        if not _MODEL_NAME.fullmatch(name):
            raise BadRequest("Model name must be alphanumeric")
        if name in doc["models"]:
            raise Conflict("Model name already exists for this REST API")
        made: Doc = {
            "id": ids.fresh({m["id"] for m in doc["models"].values()}),
            "name": name,
            "contentType": input["contentType"],
        }
        for member in ("description", "schema"):
            if input.get(member) is not None:
                made[member] = input[member]
        doc["models"][name] = made
        return dict(made)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


def model(doc: Doc, name: Any) -> Doc:
    return part(doc["models"], name, lambda: model_not_found(str(name)))


async def get_model(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return dict(model(gateway.core.api(str(input["restApiId"])), input["modelName"]))


async def get_models(gateway: ApiGateway, call: Call, input: Members) -> Members:
    doc = gateway.core.api(str(input["restApiId"]))
    found = [dict(m) for _, m in sorted(doc["models"].items())]
    return listing(found, input.get("position"), input.get("limit"))


_MODEL_RULES = (
    patch.scalar("description", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("schema"),
)


async def update_model(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return await gateway.core.patch_part(
        input, lambda doc: model(doc, input["modelName"]), _MODEL_RULES
    )


async def delete_model(gateway: ApiGateway, call: Call, input: Members) -> Members:
    name = str(input["modelName"])

    def change(doc: Doc) -> None:
        model(doc, name)
        for _, _, method in methods_of(doc):
            if name in (method.get("requestModels") or {}).values():
                raise Conflict(f"Cannot delete model '{name}', is referenced in method request")
        del doc["models"][name]

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}


async def get_model_template(gateway: ApiGateway, call: Call, input: Members) -> Members:
    model(gateway.core.api(str(input["restApiId"])), input["modelName"])
    # Altus does not derive mapping templates from schemas: the neutral template.
    return {"value": "#set($inputRoot = $input.path('$'))\n{ }"}


# --- gateway responses ------------------------------------------------------------------


def _response_type(given: Any) -> str:
    kind = str(given)
    if kind not in RESPONSE_TYPES:
        raise BadRequest(
            f"Invalid gateway response type specified: {kind}. Valid options are "
            f"{', '.join(RESPONSE_TYPES)}"
        )
    return kind


def gateway_response(doc: Doc, kind: str) -> Doc:
    """The response of ``kind``: as put, or AWS's default."""
    found = doc["gatewayResponses"].get(kind)
    if found is not None:
        return dict(found)
    default: Doc = {
        "responseType": kind,
        "responseParameters": {},
        "responseTemplates": dict(_DEFAULT_TEMPLATE),
        "defaultResponse": True,
    }
    if RESPONSE_TYPES[kind] is not None:
        default["statusCode"] = RESPONSE_TYPES[kind]
    return default


async def put_gateway_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    kind = _response_type(input["responseType"])

    def change(doc: Doc) -> Doc:
        made: Doc = {
            "responseType": kind,
            "responseParameters": dict(input.get("responseParameters") or {}),
            "responseTemplates": dict(input.get("responseTemplates") or {}),
            "defaultResponse": False,
        }
        status = input.get("statusCode") or RESPONSE_TYPES[kind]
        if status is not None:
            made["statusCode"] = checks.status_code(status)
        doc["gatewayResponses"][kind] = made
        return dict(made)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def get_gateway_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    doc = gateway.core.api(str(input["restApiId"]))
    return gateway_response(doc, _response_type(input["responseType"]))


async def get_gateway_responses(gateway: ApiGateway, call: Call, input: Members) -> Members:
    doc = gateway.core.api(str(input["restApiId"]))
    found = [gateway_response(doc, kind) for kind in RESPONSE_TYPES]
    return listing(found, input.get("position"), input.get("limit") or 500)


_GATEWAY_RESPONSE_RULES = (
    patch.scalar("statusCode", ops=(REPLACE, ADD, REMOVE)),
    patch.string_map("responseParameters"),
    patch.string_map("responseTemplates"),
)


async def update_gateway_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    kind = _response_type(input["responseType"])

    def change(doc: Doc) -> Doc:
        found = gateway_response(doc, kind)
        found["defaultResponse"] = False
        patch.apply(found, input.get("patchOperations"), _GATEWAY_RESPONSE_RULES)
        if found.get("statusCode") is not None:
            checks.status_code(found["statusCode"])
        doc["gatewayResponses"][kind] = found
        return dict(found)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def delete_gateway_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    kind = _response_type(input["responseType"])

    def change(doc: Doc) -> None:
        if kind not in doc["gatewayResponses"]:
            raise gateway_response_not_found()
        del doc["gatewayResponses"][kind]

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}
