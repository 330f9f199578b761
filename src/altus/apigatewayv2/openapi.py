"""OpenAPI 3 documents and HTTP APIs, both ways, as pure functions.

``read`` turns a document (JSON or YAML) into a ``Definition``: the API's name
(``info.title``), version and description, its CORS (``x-amazon-apigateway-cors``), its
authorizers (``x-amazon-apigateway-authorizer`` in ``components.securitySchemes``, the
``request`` and ``jwt`` forms) and its routes (each path's operations, and
``x-amazon-apigateway-any-method`` as ``ANY``) with their integrations
(``x-amazon-apigateway-integration``) and security. What API Gateway would ignore with a
warning is a warning here too (the caller may make warnings fatal: FailOnWarnings).
Every value taken from the document is checked for its type (the extensions' against
the model's shapes: ``shapes``) before anything is planned; YAML aliases and documents
nested too deeply for the parser are refused.

``write`` turns what a deployment captures (``snapshots.capture``) back into a document
with the same extensions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import yaml

from altus.apigatewayv2 import shapes
from altus.apigatewayv2.errors import BadRequest
from altus.gateway.deployed import AWS_PROXY, HTTP_PROXY

EXT = "x-amazon-apigateway-"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
#: The extensions of HTTP APIs read here; others are ignored with a warning.
_KNOWN = {
    f"{EXT}integration",
    f"{EXT}any-method",
    f"{EXT}cors",
    f"{EXT}authorizer",
    f"{EXT}importexport-version",
    f"{EXT}authtype",
}


@dataclass(slots=True)
class RouteDefinition:
    key: str
    #: The integration's members (CreateIntegration's names), or None.
    integration: dict[str, Any] | None
    authorization_type: str = "NONE"
    #: The security scheme's name (its authorizer).
    authorizer: str | None = None
    scopes: list[str] = field(default_factory=list)
    operation_name: str | None = None


@dataclass(slots=True)
class Definition:
    name: str
    version: str | None = None
    description: str | None = None
    cors: dict[str, Any] | None = None
    #: Authorizers by security scheme name, as CreateAuthorizer's members.
    authorizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    routes: list[RouteDefinition] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _NoAliases(yaml.SafeLoader):
    """YAML without aliases: an alias repeats a node wherever it is named, so a few
    hundred bytes of nested aliases expand to gigabytes ("billion laughs"). No document
    API Gateway takes needs them; they are refused."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise BadRequest("Invalid OpenAPI input: YAML aliases (*name) are not supported.")
        return super().compose_node(parent, index)


def _parse(text: str) -> Any:
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            pass  # Not JSON after all: YAML (a superset of it) may still read it.
    return yaml.load(text, Loader=_NoAliases)  # a SafeLoader: no arbitrary objects


def _load(text: str) -> Mapping[str, Any]:
    try:
        document = _parse(text)
    except yaml.YAMLError:
        raise BadRequest("Invalid OpenAPI input: the body is neither JSON nor YAML.") from None
    except RecursionError:
        raise BadRequest("Invalid OpenAPI input: the document is nested too deeply.") from None
    if not isinstance(document, Mapping):
        raise BadRequest("Invalid OpenAPI input: the body is not an OpenAPI document.")
    version = str(document.get("openapi") or "")
    if not version.startswith("3."):
        raise BadRequest(
            "Invalid OpenAPI input: HTTP APIs are imported from OpenAPI 3.x documents "
            "(the 'openapi' field)."
        )
    return document


def _object(where: str, given: Any) -> Mapping[str, Any]:
    """``given`` where the document must have an object (absent: an empty one)."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise BadRequest(f"Invalid OpenAPI input: {where} must be an object.")
    return given


def _text(where: str, given: Any) -> str | None:
    """A string member (a YAML scalar read as a number or boolean is taken as its text,
    as YAML writers leave ``version: 1.0`` unquoted); None when absent."""
    if given is None:
        return None
    if isinstance(given, bool):
        return "true" if given else "false"
    if isinstance(given, (str, int, float)):
        return str(given)
    raise BadRequest(f"Invalid OpenAPI input: {where} must be a string.")


def _strings(where: str, given: Any) -> list[str]:
    if given is None:
        return []
    if not isinstance(given, list) or not all(isinstance(s, str) for s in given):
        raise BadRequest(f"Invalid OpenAPI input: {where} must be a list of strings.")
    return list(given)


def _base_path(document: Mapping[str, Any]) -> str:
    servers = document.get("servers") or []
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], Mapping):
        return ""
    server = servers[0]
    variables = _object("servers[0].variables", server.get("variables"))
    base = _object("servers[0].variables.basePath", variables.get("basePath"))
    variable = _text("servers[0].variables.basePath.default", base.get("default"))
    url = _text("servers[0].url", server.get("url")) or ""
    path = variable if variable else urlparse(url).path
    return "/" + path.strip("/") if path.strip("/") else ""


#: The model's member of each member of an extension, by extension.
_CORS = {
    "allowOrigins": "AllowOrigins",
    "allowMethods": "AllowMethods",
    "allowHeaders": "AllowHeaders",
    "exposeHeaders": "ExposeHeaders",
    "allowCredentials": "AllowCredentials",
    "maxAge": "MaxAge",
}
_REQUEST_AUTHORIZER = {
    "authorizerUri": "AuthorizerUri",
    "authorizerPayloadFormatVersion": "AuthorizerPayloadFormatVersion",
    "enableSimpleResponses": "EnableSimpleResponses",
    "authorizerResultTtlInSeconds": "AuthorizerResultTtlInSeconds",
    "authorizerCredentials": "AuthorizerCredentialsArn",
}
_INTEGRATION = {
    "httpMethod": "IntegrationMethod",
    "payloadFormatVersion": "PayloadFormatVersion",
    "timeoutInMillis": "TimeoutInMillis",
    "connectionType": "ConnectionType",
    "credentials": "CredentialsArn",
    "requestParameters": "RequestParameters",
}


def _renamed(
    given: Mapping[str, Any], names: Mapping[str, str], version: str | None = None
) -> dict[str, Any]:
    """The members of ``given`` that ``names`` maps, by the model's names; the payload
    format version (the member ``version``) as a string: ``2.0`` unquoted in YAML is a
    number."""
    out = {names[k]: v for k, v in given.items() if k in names}
    value = out.get(version) if version is not None else None
    if version is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        out[version] = str(value)
    return out


def _cors(given: Any) -> dict[str, Any]:
    if not isinstance(given, Mapping):
        raise BadRequest(f"Invalid OpenAPI input: {EXT}cors must be an object.")
    return shapes.checked(shapes.CORS, _renamed(given, _CORS), f"{EXT}cors")


def _sources(where: str, given: Any) -> list[str]:
    if isinstance(given, str):
        return [part.strip() for part in given.split(",") if part.strip()]
    return _strings(f"identitySource of {where}", given)


def _authorizer(name: str, scheme: Mapping[str, Any]) -> dict[str, Any]:
    given = scheme[f"{EXT}authorizer"]
    where = f"{EXT}authorizer of {name}"
    if not isinstance(given, Mapping):
        raise BadRequest(f"Invalid OpenAPI input: {where} must be an object.")
    kind = str(given.get("type") or "").lower()
    out: dict[str, Any] = {
        "Name": name,
        "IdentitySource": _sources(name, given.get("identitySource")),
    }
    if kind == "jwt":
        jwt = _object(f"jwtConfiguration of {name}", given.get("jwtConfiguration"))
        out["AuthorizerType"] = "JWT"
        out["JwtConfiguration"] = {
            "Issuer": jwt.get("issuer"),
            "Audience": jwt.get("audience") or [],
        }
    elif kind == "request":
        out["AuthorizerType"] = "REQUEST"
        out.update(_renamed(given, _REQUEST_AUTHORIZER, "AuthorizerPayloadFormatVersion"))
    else:
        raise BadRequest(
            f"Invalid OpenAPI input: authorizer {name} has type '{kind}'; HTTP APIs take "
            "request and jwt authorizers."
        )
    return shapes.checked(shapes.AUTHORIZER, out, where)


def _integration(where: str, given: Any, warnings: list[str]) -> dict[str, Any] | None:
    if not isinstance(given, Mapping):
        raise BadRequest(f"Invalid OpenAPI input: {EXT}integration of {where} must be an object.")
    kind = str(given.get("type") or "").upper()
    if kind not in (AWS_PROXY, HTTP_PROXY):
        warnings.append(
            f"Integration type '{given.get('type')}' of {where} is not supported for HTTP "
            "APIs; the route was imported without an integration."
        )
        return None
    out: dict[str, Any] = {"IntegrationType": kind, "IntegrationUri": given.get("uri")}
    out.update(_renamed(given, _INTEGRATION, "PayloadFormatVersion"))
    if kind == AWS_PROXY:
        out.setdefault("PayloadFormatVersion", "2.0")
    return shapes.checked(shapes.INTEGRATION, out, f"{EXT}integration of {where}")


def _security(
    where: str,
    given: Any,
    schemes: Mapping[str, Any],
    route: RouteDefinition,
    warnings: list[str],
) -> None:
    if given is None:
        return
    if not isinstance(given, list):
        raise BadRequest(f"Invalid OpenAPI input: security of {where} must be a list.")
    for requirement in given:
        if not isinstance(requirement, Mapping) or not requirement:
            continue
        name = next(iter(requirement))
        scheme = schemes.get(name)
        if not isinstance(scheme, Mapping):
            raise BadRequest(
                f"Invalid OpenAPI input: security of {where} names no security scheme {name}."
            )
        scopes = _strings(f"the scopes of {name} in security of {where}", requirement[name])
        if str(scheme.get(f"{EXT}authtype") or "").lower() == "awssigv4":
            route.authorization_type = "AWS_IAM"
            return
        authorizer = scheme.get(f"{EXT}authorizer")
        if not isinstance(authorizer, Mapping):
            # A scheme API Gateway does not implement (an http bearer, ...): AWS ignores
            # it with a warning, and the route is open.
            warnings.append(
                f"Security scheme {name} of {where} is not supported by API Gateway; the "
                "route was imported with authorization type NONE."
            )
            continue
        kind = str(authorizer.get("type") or "").lower()
        route.authorizer = name
        route.authorization_type = "JWT" if kind == "jwt" else "CUSTOM"
        route.scopes = scopes if kind == "jwt" else []
        return


def _warn_unknown(where: str, node: Mapping[str, Any], warnings: list[str]) -> None:
    for key in node:
        if str(key).startswith(EXT) and key not in _KNOWN:
            warnings.append(f"Unsupported extension {key} at {where} was ignored.")


def read(text: str, basepath: str | None = None) -> Definition:
    document = _load(text)
    info = _object("info", document.get("info"))
    title = _text("info.title", info.get("title"))
    if not title:
        raise BadRequest("Invalid OpenAPI input: info.title (the API's name) is required.")
    found = Definition(
        name=title,
        version=_text("info.version", info.get("version")),
        description=_text("info.description", info.get("description")),
    )
    warnings = found.warnings
    _warn_unknown("the document's root", document, warnings)
    if document.get(f"{EXT}cors") is not None:
        found.cors = _cors(document[f"{EXT}cors"])
    components = _object("components", document.get("components"))
    schemes = _object("components.securitySchemes", components.get("securitySchemes"))
    for name, scheme in schemes.items():
        if isinstance(scheme, Mapping) and f"{EXT}authorizer" in scheme:
            found.authorizers[str(name)] = _authorizer(str(name), scheme)
        elif not (isinstance(scheme, Mapping) and f"{EXT}authtype" in scheme):
            warnings.append(f"Security scheme {name} has no {EXT}authorizer and was ignored.")
    # ``prepend`` puts the servers' base path before every route's; ``ignore`` drops
    # it; ``split`` gives its first part to an API mapping (custom domain names, which
    # Altus does not serve), so the routes are as ``ignore`` makes them.
    prefix = _base_path(document) if (basepath or "ignore") == "prepend" else ""
    for path, item in _object("paths", document.get("paths")).items():
        if not isinstance(item, Mapping):
            raise BadRequest(f"Invalid OpenAPI input: the path item {path} is not an object.")
        _warn_unknown(f"path {path}", item, warnings)
        for method, operation in item.items():
            name = str(method).lower()
            if name == f"{EXT}any-method":
                verb = "ANY"
            elif name in _METHODS:
                verb = name.upper()
            else:
                continue
            if not isinstance(operation, Mapping):
                raise BadRequest(f"Invalid OpenAPI input: {method} of {path} is not an object.")
            key = "$default" if path == "$default" else f"{verb} {prefix}{path}"
            where = f"{key}"
            _warn_unknown(where, operation, warnings)
            given = operation.get(f"{EXT}integration")
            route = RouteDefinition(
                key=key,
                integration=_integration(where, given, warnings) if given is not None else None,
                operation_name=_text(f"operationId of {where}", operation.get("operationId")),
            )
            security = operation.get("security", document.get("security"))
            _security(where, security, schemes, route, warnings)
            found.routes.append(route)
    return found


# --- export ------------------------------------------------------------------------------


def _export_integration(body: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": str(body["IntegrationType"]).lower(),
        "uri": body.get("IntegrationUri"),
        "httpMethod": body.get("IntegrationMethod"),
        "payloadFormatVersion": body.get("PayloadFormatVersion"),
        "connectionType": body.get("ConnectionType"),
        "timeoutInMillis": body.get("TimeoutInMillis"),
    }
    if body.get("CredentialsArn"):
        out["credentials"] = body["CredentialsArn"]
    if body.get("RequestParameters"):
        out["requestParameters"] = body["RequestParameters"]
    return {k: v for k, v in out.items() if v is not None}


def _export_authorizer(body: Mapping[str, Any]) -> dict[str, Any]:
    sources = ", ".join(body.get("IdentitySource") or ())
    if body["AuthorizerType"] == "JWT":
        jwt = body.get("JwtConfiguration") or {}
        return {
            "type": "oauth2",
            "flows": {},
            f"{EXT}authorizer": {
                "type": "jwt",
                "identitySource": sources,
                "jwtConfiguration": {
                    "issuer": jwt.get("Issuer"),
                    "audience": list(jwt.get("Audience") or ()),
                },
            },
        }
    given = {
        "type": "request",
        "identitySource": sources,
        "authorizerUri": body.get("AuthorizerUri"),
        "authorizerPayloadFormatVersion": body.get("AuthorizerPayloadFormatVersion"),
        "authorizerResultTtlInSeconds": body.get("AuthorizerResultTtlInSeconds"),
        "enableSimpleResponses": body.get("EnableSimpleResponses"),
        "authorizerCredentials": body.get("AuthorizerCredentialsArn"),
    }
    return {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        f"{EXT}authorizer": {k: v for k, v in given.items() if v is not None},
    }


def write(
    api: Mapping[str, Any], captured: Mapping[str, Any], *, extensions: bool, as_yaml: bool
) -> bytes:
    """The document of an HTTP API (``api``: its members) as ``captured`` has it."""
    info: dict[str, Any] = {"title": api["Name"], "version": api.get("Version") or "1.0"}
    if api.get("Description"):
        info["description"] = api["Description"]
    names = {i: b["Name"] for i, b in captured["authorizers"].items()}
    paths: dict[str, dict[str, Any]] = {}
    # AWS_IAM routes name a security scheme of API Gateway's ``awsSigv4`` type, as AWS
    # exports them, so a reimport keeps them signed.
    sigv4 = "sigv4"
    while sigv4 in names.values():
        sigv4 += "-iam"
    iam = False
    for route in captured["routes"]:
        key = str(route["RouteKey"])
        method, _, path = key.partition(" ")
        if not path:
            method, path = "ANY", "$default"
        operation: dict[str, Any] = {
            "responses": {"default": {"description": f"Default response for {key}"}}
        }
        if route.get("OperationName"):
            operation["operationId"] = route["OperationName"]
        authorizer = route.get("AuthorizerId")
        if authorizer in names:
            operation["security"] = [
                {names[authorizer]: list(route.get("AuthorizationScopes") or ())}
            ]
        elif route.get("AuthorizationType") == "AWS_IAM":
            operation["security"] = [{sigv4: []}]
            iam = True
        target = str(route.get("Target") or "").removeprefix("integrations/")
        integration = captured["integrations"].get(target)
        if extensions and integration is not None:
            operation[f"{EXT}integration"] = _export_integration(integration)
        verb = f"{EXT}any-method" if method == "ANY" else method.lower()
        paths.setdefault(path, {})[verb] = operation
    document: dict[str, Any] = {"openapi": "3.0.1", "info": info, "paths": paths}
    if captured["authorizers"] or iam:
        schemes = {b["Name"]: _export_authorizer(b) for b in captured["authorizers"].values()}
        if iam:
            schemes[sigv4] = {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                f"{EXT}authtype": "awsSigv4",
            }
        if not extensions:
            schemes = {
                n: {k: v for k, v in s.items() if not k.startswith(EXT)} for n, s in schemes.items()
            }
        document["components"] = {"securitySchemes": schemes}
    if extensions:
        if captured.get("cors"):
            names_out = {
                "AllowOrigins": "allowOrigins",
                "AllowMethods": "allowMethods",
                "AllowHeaders": "allowHeaders",
                "ExposeHeaders": "exposeHeaders",
                "AllowCredentials": "allowCredentials",
                "MaxAge": "maxAge",
            }
            document[f"{EXT}cors"] = {names_out[k]: v for k, v in captured["cors"].items()}
        document[f"{EXT}importexport-version"] = "1.0"
    if as_yaml:
        return yaml.safe_dump(document, sort_keys=False).encode()
    return json.dumps(document, indent=2).encode()
