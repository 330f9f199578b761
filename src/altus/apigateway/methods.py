"""Methods on resources, their method responses, their integrations and integration
responses.

A method is kept inside its resource's ``resourceMethods`` (AWS's own nesting: a Get
of the method shows its ``methodResponses`` and ``methodIntegration`` with its
``integrationResponses``). Integrations: ``AWS_PROXY`` (a Lambda function through
``arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations``,
called with POST), ``HTTP_PROXY``, and ``HTTP``, ``AWS`` and ``MOCK`` (kept with their
mapping templates; the front door serves ``MOCK`` and the proxies).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigateway import checks, patch
from altus.apigateway.errors import (
    BadRequest,
    Conflict,
    NotFound,
    integration_not_found,
    method_not_found,
    response_not_found,
)
from altus.apigateway.model import Doc
from altus.apigateway.patch import ADD, REMOVE, REPLACE
from altus.apigateway.resources import resource
from altus.apigateway.state import part, present

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
INTEGRATION_TYPES = ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY")
PASSTHROUGH = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
CONTENT_HANDLING = ("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")


def method_name(given: Any) -> str:
    name = str(given).upper()
    if name not in HTTP_METHODS:
        raise BadRequest(
            f"Invalid HttpMethod specified. Valid options are {','.join(HTTP_METHODS)}"
        )
    return name


def method(doc: Doc, input: Members) -> Doc:
    res = resource(doc, str(input["resourceId"]))
    return part(res.get("resourceMethods"), str(input["httpMethod"]).upper(), method_not_found)


def check_authorization(doc: Doc, kind: Any, authorizer_id: Any) -> None:
    if kind not in AUTHORIZATION_TYPES:
        raise BadRequest(
            f"Invalid authorization type specified: {kind}. Valid options are "
            f"{', '.join(AUTHORIZATION_TYPES)}"
        )
    if kind in ("CUSTOM", "COGNITO_USER_POOLS"):
        found = doc["authorizers"].get(str(authorizer_id)) if authorizer_id else None
        wanted = "COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else None
        if (
            found is None
            or (wanted and found["type"] != wanted)
            or (not wanted and found["type"] == "COGNITO_USER_POOLS")
        ):
            raise BadRequest(
                "Invalid authorizer ID specified. Setting the authorization type to CUSTOM "
                "or COGNITO_USER_POOLS requires a valid authorizer."
            )


def check_validator(doc: Doc, validator_id: Any) -> None:
    if validator_id and str(validator_id) not in doc["validators"]:
        raise BadRequest(f"Invalid Request Validator identifier specified: {validator_id}")


def new_method(doc: Doc, name: str, input: Members) -> Doc:
    kind = input.get("authorizationType") or "NONE"
    check_authorization(doc, kind, input.get("authorizerId"))
    check_validator(doc, input.get("requestValidatorId"))
    made: Doc = {
        "httpMethod": name,
        "authorizationType": kind,
        "apiKeyRequired": bool(input.get("apiKeyRequired", False)),
    }
    if kind in ("CUSTOM", "COGNITO_USER_POOLS"):
        made["authorizerId"] = str(input["authorizerId"])
    made |= present(input, ("operationName", "requestValidatorId"))
    checks.method_parameters(input.get("requestParameters"))
    for member in ("requestParameters", "requestModels"):
        if input.get(member):
            made[member] = dict(input[member])
    if input.get("authorizationScopes"):
        made["authorizationScopes"] = list(input["authorizationScopes"])
    return made


async def put_method(gateway: ApiGateway, call: Call, input: Members) -> Members:
    name = method_name(input["httpMethod"])

    def change(doc: Doc) -> Doc:
        res = resource(doc, str(input["resourceId"]))
        methods = res.setdefault("resourceMethods", {})
        if name in methods:
            raise Conflict("Method already exists for this resource")
        made = new_method(doc, name, input)
        methods[name] = made
        return dict(made)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def get_method(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return dict(method(gateway.core.api(str(input["restApiId"])), input))


def _method_rules(doc: Doc) -> tuple[patch.Rule, ...]:
    return (
        patch.scalar("authorizationType"),
        patch.scalar("authorizerId", ops=(REPLACE, ADD, REMOVE)),
        patch.scalar("apiKeyRequired", "bool"),
        patch.scalar("operationName", ops=(REPLACE, ADD, REMOVE)),
        patch.scalar("requestValidatorId", ops=(REPLACE, ADD, REMOVE)),
        patch.string_map("requestParameters"),
        patch.string_map("requestModels"),
        patch.string_list("authorizationScopes"),
    )


def _bool_values(found: Doc, member: str) -> None:
    """``requestParameters`` patched in hold booleans (``method.request.querystring.x``
    required or not), as PutMethod's do."""
    values = found.get(member)
    if isinstance(values, dict):
        for key, value in values.items():
            if isinstance(value, str):
                values[key] = patch.as_bool(value, f"/{member}/{key}")


async def update_method(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> Doc:
        found = method(doc, input)
        patch.apply(found, input.get("patchOperations"), _method_rules(doc))
        _bool_values(found, "requestParameters")
        checks.method_parameters(found.get("requestParameters"))
        check_authorization(doc, found.get("authorizationType"), found.get("authorizerId"))
        if found["authorizationType"] not in ("CUSTOM", "COGNITO_USER_POOLS"):
            found.pop("authorizerId", None)
        check_validator(doc, found.get("requestValidatorId"))
        return dict(found)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def delete_method(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> None:
        method(doc, input)
        res = resource(doc, str(input["resourceId"]))
        del res["resourceMethods"][str(input["httpMethod"]).upper()]
        if not res["resourceMethods"]:
            del res["resourceMethods"]

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}


# --- method responses -------------------------------------------------------------------


def _response(container: Doc, member: str, code: Any) -> Doc:
    return part(container.get(member), code, response_not_found)


def _new_response(
    code: str, input: Members, scalars: tuple[str, ...], maps: tuple[str, ...]
) -> Doc:
    """A method or integration response ``code``: its ``scalars`` given (even empty:
    a ``selectionPattern`` of ``""``), its ``maps`` given and not empty."""
    made: Doc = {"statusCode": code}
    made |= {m: input[m] for m in scalars if input.get(m) is not None}
    made |= {m: dict(input[m]) for m in maps if input.get(m)}
    return made


def _drop_response(container: Doc, member: str, code: Any) -> None:
    """Delete the response ``code`` of ``container``'s ``member`` (and the member, left
    empty)."""
    _response(container, member, code)
    del container[member][str(code)]
    if not container[member]:
        del container[member]


async def put_method_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    code = checks.status_code(input["statusCode"])

    def change(doc: Doc) -> Doc:
        made = _new_response(code, input, (), ("responseParameters", "responseModels"))
        method(doc, input).setdefault("methodResponses", {})[code] = made
        return dict(made)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def get_method_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    found = method(gateway.core.api(str(input["restApiId"])), input)
    return dict(_response(found, "methodResponses", input["statusCode"]))


_RESPONSE_RULES = (patch.string_map("responseParameters"), patch.string_map("responseModels"))


async def update_method_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return await gateway.core.patch_part(
        input,
        lambda doc: _response(method(doc, input), "methodResponses", input["statusCode"]),
        _RESPONSE_RULES,
        lambda found: _bool_values(found, "responseParameters"),
    )


async def delete_method_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> None:
        _drop_response(method(doc, input), "methodResponses", input["statusCode"])

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}


# --- integrations -----------------------------------------------------------------------


def check_integration(found: Doc) -> None:
    """What PutIntegration and UpdateIntegration refuse (AWS's texts where known)."""
    kind = found.get("type")
    if kind not in INTEGRATION_TYPES:
        raise BadRequest(
            f"Invalid integration type specified: {kind}. Valid options are "
            f"{', '.join(INTEGRATION_TYPES)}"
        )
    timeout = found.get("timeoutInMillis", 29_000)
    if not 50 <= int(timeout) <= 29_000:
        raise BadRequest("Timeout should be between 50 ms and 29000 ms")
    if kind == "MOCK":
        return
    if not found.get("httpMethod"):
        raise BadRequest("Enumeration value for HttpMethod must be non-empty")
    method_name(found["httpMethod"])
    uri = str(found.get("uri") or "")
    if kind in ("HTTP", "HTTP_PROXY"):
        if not uri.startswith(("http://", "https://")):
            raise BadRequest("Invalid HTTP endpoint specified for URI")
        return
    if not uri.startswith("arn:"):
        raise BadRequest("Invalid ARN specified in the request")
    if found.get("passthroughBehavior", "WHEN_NO_MATCH") not in PASSTHROUGH:
        raise BadRequest(f"Invalid passthrough behavior: {found['passthroughBehavior']}")


def new_integration(input: Members, resource_id: str) -> Doc:
    made: Doc = {
        "type": input["type"],
        "passthroughBehavior": input.get("passthroughBehavior") or "WHEN_NO_MATCH",
        "timeoutInMillis": int(input.get("timeoutInMillis") or 29_000),
        "cacheNamespace": input.get("cacheNamespace") or resource_id,
        "cacheKeyParameters": list(input.get("cacheKeyParameters") or ()),
    }
    if input.get("integrationHttpMethod"):
        made["httpMethod"] = str(input["integrationHttpMethod"]).upper()
    for member in ("uri", "credentials", "contentHandling", "connectionId"):
        if input.get(member):
            made[member] = input[member]
    made["connectionType"] = input.get("connectionType") or "INTERNET"
    for member in ("requestParameters", "requestTemplates"):
        if input.get(member):
            made[member] = dict(input[member])
    if input.get("contentHandling") and input["contentHandling"] not in CONTENT_HANDLING:
        raise BadRequest(f"Invalid content handling specified: {input['contentHandling']}")
    return made


async def put_integration(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> Doc:
        found = method(doc, input)
        made = new_integration(input, str(input["resourceId"]))
        check_integration(made)
        found["methodIntegration"] = made
        return dict(made)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


def integration(doc: Doc, input: Members) -> Doc:
    return part(method(doc, input), "methodIntegration", integration_not_found)


async def get_integration(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return dict(integration(gateway.core.api(str(input["restApiId"])), input))


_INTEGRATION_RULES = (
    patch.scalar("type"),
    patch.scalar("httpMethod"),
    patch.scalar("uri", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("credentials", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("passthroughBehavior"),
    patch.scalar("contentHandling", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("timeoutInMillis", "int"),
    patch.scalar("connectionType"),
    patch.scalar("connectionId", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("cacheNamespace"),
    patch.string_list("cacheKeyParameters"),
    patch.string_map("requestParameters"),
    patch.string_map("requestTemplates"),
)


async def update_integration(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return await gateway.core.patch_part(
        input, lambda doc: integration(doc, input), _INTEGRATION_RULES, check_integration
    )


async def delete_integration(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> None:
        integration(doc, input)
        del method(doc, input)["methodIntegration"]

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}


# --- integration responses --------------------------------------------------------------


async def put_integration_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    code = checks.status_code(input["statusCode"])

    def change(doc: Doc) -> Doc:
        found = integration(doc, input)
        if code not in (method(doc, input).get("methodResponses") or {}):
            raise NotFound("Invalid Response status code specified")
        made = _new_response(
            code,
            input,
            ("selectionPattern", "contentHandling"),
            ("responseParameters", "responseTemplates"),
        )
        found.setdefault("integrationResponses", {})[code] = made
        return dict(made)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def get_integration_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    found = integration(gateway.core.api(str(input["restApiId"])), input)
    return dict(_response(found, "integrationResponses", input["statusCode"]))


_INTEGRATION_RESPONSE_RULES = (
    patch.scalar("selectionPattern", ops=(REPLACE, ADD, REMOVE)),
    patch.scalar("contentHandling", ops=(REPLACE, ADD, REMOVE)),
    patch.string_map("responseParameters"),
    patch.string_map("responseTemplates"),
)


async def update_integration_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return await gateway.core.patch_part(
        input,
        lambda doc: _response(integration(doc, input), "integrationResponses", input["statusCode"]),
        _INTEGRATION_RESPONSE_RULES,
    )


async def delete_integration_response(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> None:
        _drop_response(integration(doc, input), "integrationResponses", input["statusCode"])

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}
