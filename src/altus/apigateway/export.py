"""GetExport: what a stage's deployment serves as an OpenAPI 3 (``oas30``) or 2
(``swagger``) definition, JSON or YAML (``Accept``). ``parameters.extensions``:
``integrations`` adds ``x-amazon-apigateway-integration`` (and the authorizers),
``authorizers`` the authorizers, ``apigateway`` both and the API-wide extensions
(binary media types, API key source, gateway responses, policy); what is exported
imports back. The servers' URL is where the stage is served (``gateway.urls``). What
was stored before it was checked (a parameter name that is no mapping expression, a
policy that is not JSON) is left out, never fails the export."""

from __future__ import annotations

import contextlib
import json
import re
from typing import TYPE_CHECKING

import yaml

from altus.api.spec import Call, Members
from altus.apigateway.deployments import stage
from altus.apigateway.errors import BadRequest
from altus.apigateway.model import Doc
from altus.apigateway.openapi import ANY_METHOD, INTEGRATION
from altus.gateway.urls import api_endpoint

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway


#: A method request parameter: its location and name.
_PARAMETER = re.compile(
    r"method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.(.+)"
)


class _Dumper(yaml.SafeDumper):
    """YAML without anchors: a value shared by two operations is written twice."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _copied(found: Doc, members: tuple[str, ...]) -> Doc:
    """The ``members`` of ``found`` that hold something."""
    return {m: found[m] for m in members if found.get(m) not in (None, {}, [])}


def _export_integration(found: Doc) -> Doc:
    made: Doc = {"type": str(found["type"]).lower()}
    made |= _copied(
        found,
        (
            "httpMethod",
            "uri",
            "credentials",
            "timeoutInMillis",
            "requestParameters",
            "requestTemplates",
            "contentHandling",
            "cacheNamespace",
        ),
    )
    made["passthroughBehavior"] = str(found.get("passthroughBehavior", "WHEN_NO_MATCH")).lower()
    responses: Doc = {}
    for status, response in (found.get("integrationResponses") or {}).items():
        entry: Doc = {"statusCode": status}
        for member in ("responseParameters", "responseTemplates", "contentHandling"):
            if response.get(member):
                entry[member] = response[member]
        responses[response.get("selectionPattern") or "default"] = entry
    if responses:
        made["responses"] = responses
    return made


def export(
    doc: Doc, kept: Doc, stage_name: str, oas30: bool, extensions: set[str], host: str
) -> Doc:
    """The definition of what the stage's deployment serves (``host``: the API's
    endpoint URL, below which its stages are)."""
    api = doc["restApi"]
    scheme, _, rest = host.partition("://")
    authority, slash, path = rest.partition("/")
    prefix = f"/{path}".rstrip("/") if slash else ""
    with_integrations = bool(extensions & {"integrations", "apigateway"})
    with_authorizers = bool(extensions & {"authorizers", "apigateway", "integrations"})
    info: Doc = {"title": api["name"], "version": api.get("version") or stage_name}
    if api.get("description"):
        info["description"] = api["description"]
    definition: Doc = (
        {
            "openapi": "3.0.1",
            "info": info,
            "servers": [
                {"url": f"{host}/{{basePath}}", "variables": {"basePath": {"default": stage_name}}}
            ],
        }
        if oas30
        else {
            "swagger": "2.0",
            "info": info,
            "host": authority,
            "basePath": f"{prefix}/{stage_name}",
            "schemes": [scheme],
        }
    )
    paths: Doc = {}
    schemes: Doc = {}
    for res in sorted(kept["resources"].values(), key=lambda r: r["path"]):
        methods = res.get("resourceMethods") or {}
        if not methods:
            continue
        item: Doc = {}
        for name, method in sorted(methods.items()):
            operation: Doc = {}
            if method.get("operationName"):
                operation["operationId"] = method["operationName"]
            parameters = []
            for key, required in sorted((method.get("requestParameters") or {}).items()):
                named = _PARAMETER.fullmatch(str(key))
                if named is None:
                    continue
                where, pname = named.groups()
                location = {"querystring": "query", "multivaluequerystring": "query"}.get(
                    where, "header" if where == "multivalueheader" else where
                )
                entry: Doc = {"name": pname, "in": location, "required": bool(required)}
                entry["schema" if oas30 else "type"] = {"type": "string"} if oas30 else "string"
                parameters.append(entry)
            if parameters:
                operation["parameters"] = parameters
            responses = {
                status: {"description": f"{status} response"}
                for status in sorted(method.get("methodResponses") or {})
            }
            operation["responses"] = responses or {}
            security: list[Doc] = []
            if method.get("apiKeyRequired"):
                security.append({"api_key": []})
                schemes["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
            authorizer = kept["authorizers"].get(method.get("authorizerId") or "")
            if authorizer is not None and with_authorizers:
                security.append({authorizer["name"]: list(method.get("authorizationScopes") or ())})
                schemes[authorizer["name"]] = _export_authorizer(authorizer)
            if method.get("authorizationType") == "AWS_IAM":
                security.append({"sigv4": []})
                schemes["sigv4"] = {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                }
            if security:
                operation["security"] = security
            if with_integrations and method.get("methodIntegration"):
                operation[INTEGRATION] = _export_integration(method["methodIntegration"])
            item[ANY_METHOD if name == "ANY" else name.lower()] = operation
        paths[res["path"]] = item
    definition["paths"] = paths
    if schemes:
        if oas30:
            definition["components"] = {"securitySchemes": schemes}
        else:
            definition["securityDefinitions"] = schemes
    if extensions & {"apigateway"}:
        if kept.get("binaryMediaTypes"):
            definition["x-amazon-apigateway-binary-media-types"] = list(kept["binaryMediaTypes"])
        if kept.get("apiKeySource", "HEADER") != "HEADER":
            definition["x-amazon-apigateway-api-key-source"] = kept["apiKeySource"]
        if kept.get("gatewayResponses"):
            definition["x-amazon-apigateway-gateway-responses"] = {
                kind: {
                    k: v
                    for k, v in r.items()
                    if k in ("statusCode", "responseParameters", "responseTemplates")
                }
                for kind, r in kept["gatewayResponses"].items()
            }
        if api.get("policy"):
            # One stored before policies were checked is left out.
            with contextlib.suppress(ValueError):
                definition["x-amazon-apigateway-policy"] = json.loads(api["policy"])
    return definition


def _export_authorizer(found: Doc) -> Doc:
    source = str(found.get("identitySource") or "")
    header = source.rpartition(".")[2] if source.startswith("method.request.header.") else "Unused"
    extension: Doc = {"type": str(found["type"]).lower()}
    extension |= _copied(
        found,
        (
            "authorizerUri",
            "authorizerCredentials",
            "identitySource",
            "identityValidationExpression",
            "authorizerResultTtlInSeconds",
            "providerARNs",
        ),
    )
    return {
        "type": "apiKey",
        "name": header,
        "in": "header",
        "x-amazon-apigateway-authtype": found.get("authType")
        or ("cognito_user_pools" if found["type"] == "COGNITO_USER_POOLS" else "custom"),
        "x-amazon-apigateway-authorizer": extension,
    }


async def get_export(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    api_id = str(input["restApiId"])
    doc = core.api(api_id)
    found = stage(doc, input["stageName"])
    kind = str(input["exportType"])
    if kind not in ("oas30", "swagger"):
        raise BadRequest(f"Invalid export type specified: {kind}. Must be one of: oas30, swagger")
    kept = core.snapshot(api_id, str(found["deploymentId"]))
    parameters = input.get("parameters") or {}
    extensions = {
        e.strip() for e in str(parameters.get("extensions") or "").split(",") if e.strip()
    }
    host = api_endpoint(api_id, call.base_url, gateway.settings.url_domain, core.account.region)
    definition = export(doc, kept, found["stageName"], kind == "oas30", extensions, host)
    accepts = str(input.get("accepts") or "application/json")
    stage_name = found["stageName"]
    if "yaml" in accepts:
        body = yaml.dump(definition, Dumper=_Dumper, sort_keys=False).encode()
        content_type, suffix = "application/yaml", "yaml"
    else:
        body = json.dumps(definition, indent=2).encode()
        content_type, suffix = "application/json", "json"
    return {
        "contentType": content_type,
        "contentDisposition": f'attachment; filename="{kind}_{api_id}_{stage_name}.{suffix}"',
        "body": body,
    }
