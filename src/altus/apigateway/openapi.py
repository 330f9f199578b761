"""ImportRestApi and PutRestApi (``mode`` overwrite or merge): REST APIs from OpenAPI 2
(swagger) and 3 documents, JSON or YAML, with API Gateway's extensions
(``x-amazon-apigateway-integration``, ``-any-method``, ``-authorizer``, ``-authtype``,
``-api-key-source``, ``-binary-media-types``, ``-gateway-responses``, ``-policy``,
``-request-validators``/``-request-validator``, ``-auth``), as SAM's
``AWS::Serverless::Api`` produces them (GetExport is ``export``).

An import is planned whole on a copy of the API (its resources, methods, authorizers,
models, validators and gateway responses built from the document) and written in one
change: a document that cannot be imported changes nothing. Warnings (what is
ignored: a security requirement naming no scheme, an unknown gateway response type)
come back in ``warnings``; with ``failOnWarnings`` they refuse the import. Intrinsics
left unresolved (SAM's ``Fn::Sub`` in a ``uri``) are refused: CloudFormation resolves
them before API Gateway sees the definition. A value of the wrong shape (an
extension that should be an object given as a string, a number that is not one) is
refused as ``Invalid OpenAPI input: <where> ...``; numbers where text belongs (YAML's
``200:``) are taken as text. YAML's dates stay text (JSON, which the definition is
kept as, has none).

Parsing and building run on a worker thread: a definition of megabytes never stalls
the server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from altus.api.spec import Call, Members
from altus.apigateway import checks, ids
from altus.apigateway.errors import BadRequest
from altus.apigateway.methods import (
    check_authorization,
    check_integration,
    new_integration,
)
from altus.apigateway.model import API, Doc, Put
from altus.apigateway.parts import RESPONSE_TYPES, check_authorizer
from altus.apigateway.resources import PathIndex
from altus.apigateway.restapis import check_api_key_source, new_api

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway

#: The largest document imported (AWS's limit on an imported definition).
BODY_LIMIT = 6 * 1024 * 1024
_VERBS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"


_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[misc]
    """YAML as the safe loader reads it (libyaml's where installed), but with dates
    left as text: ``2020-01-01`` in an example is a string to JSON."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, found) for tag, found in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _SafeBase.yaml_implicit_resolvers.items()
}


def _invalid(where: str, wanted: str, value: Any) -> BadRequest:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return BadRequest(f"Invalid OpenAPI input: {where} must be {wanted}, not {shown}")


def _map(value: Any, where: str) -> Doc:
    """An object of the definition (absent: empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid(where, "an object", value)
    return value


def _list(value: Any, where: str) -> list[Any]:
    """A list of the definition (absent: empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(where, "a list", value)
    return value


def _scalar(value: Any, where: str) -> str:
    """Text (a number or boolean written where text belongs is taken as its text)."""
    if isinstance(value, bool):
        return str(value).lower()
    if not isinstance(value, str | int | float):
        raise _invalid(where, "a string", value)
    return str(value)


def _strings(value: Any, where: str) -> dict[str, str]:
    """A map of text (requestTemplates, responseParameters...)."""
    return {str(k): _scalar(v, f"{where}.{k}") for k, v in _map(value, where).items()}


def _number(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise _invalid(where, "an integer", value)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(where, "an integer", value) from None


def parse(raw: bytes) -> Doc:
    """A definition in JSON or YAML (YAML is a superset: JSON first, for its errors)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("Invalid OpenAPI input: the body is not UTF-8 text") from None
    try:
        found: Any = json.loads(text)
    except ValueError:
        try:
            found = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError as error:
            raise BadRequest(f"Invalid OpenAPI input: {error}") from None
    if not isinstance(found, dict):
        raise BadRequest("Invalid OpenAPI input: the definition must be an object")
    _check_size(found)
    if "swagger" not in found and "openapi" not in found:
        raise BadRequest(
            "Invalid OpenAPI input: it names no version ('swagger: \"2.0\"' or 'openapi: 3.x')"
        )
    _map(found.get("paths"), "paths")
    _map(found.get("info"), "info")
    return found


#: The most values a definition may hold once YAML's aliases are expanded: a few
#: kilobytes of anchors can name billions of values (and writing them out would).
MAX_VALUES = 1_000_000


def _check_size(found: Any) -> None:
    """Refuse a definition whose values, counted as they would be written out, pass
    ``MAX_VALUES`` (counting stops there, so a bomb costs no more than that)."""
    pending = [found]
    seen = 0
    while pending:
        value = pending.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise BadRequest(
                f"Invalid OpenAPI input: the definition holds more than {MAX_VALUES} values"
            )
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


class _Import:
    """Builds an API's parts from a definition into ``doc`` (a copy)."""

    def __init__(self, definition: Doc, doc: Doc, basepath: str) -> None:
        self.definition = definition
        self.doc = doc
        self.basepath = basepath
        self.warnings: list[str] = []
        self.api_key_schemes: set[str] = set()
        self.iam_schemes: set[str] = set()
        self.authorizers_by_scheme: dict[str, str] = {}
        self.validators_by_name: dict[str, str] = {}
        self.index = PathIndex(doc)

    def _schemes(self) -> Mapping[str, Any]:
        if "openapi" in self.definition:
            components = _map(self.definition.get("components"), "components")
            return _map(components.get("securitySchemes"), "components.securitySchemes")
        return _map(self.definition.get("securityDefinitions"), "securityDefinitions")

    def api_members(self) -> None:
        api = self.doc["restApi"]
        d = self.definition
        info = _map(d.get("info"), "info")
        for member, kept in (
            ("title", "name"),
            ("description", "description"),
            ("version", "version"),
        ):
            if info.get(member):
                api[kept] = _scalar(info[member], f"info.{member}")
        if "x-amazon-apigateway-api-key-source" in d:
            where = "x-amazon-apigateway-api-key-source"
            source = _scalar(d[where], where).upper()
            check_api_key_source(source)
            api["apiKeySource"] = source
        if "x-amazon-apigateway-binary-media-types" in d:
            where = "x-amazon-apigateway-binary-media-types"
            api["binaryMediaTypes"] = [_scalar(t, where) for t in _list(d[where], where)]
        if "x-amazon-apigateway-policy" in d:
            policy = d["x-amazon-apigateway-policy"]
            api["policy"] = policy if isinstance(policy, str) else json.dumps(policy)
            checks.policy(api["policy"])
        if "x-amazon-apigateway-endpoint-configuration" in d:
            where = "x-amazon-apigateway-endpoint-configuration"
            config = _map(d[where], where)
            if config.get("disableExecuteApiEndpoint") is not None:
                api["disableExecuteApiEndpoint"] = bool(config["disableExecuteApiEndpoint"])

    def authorizers(self) -> None:
        for name, scheme in self._schemes().items():
            if not isinstance(scheme, dict):
                continue
            where = f"{name}.x-amazon-apigateway-authorizer"
            found = scheme.get("x-amazon-apigateway-authorizer")
            if found is not None:
                found = _map(found, where)
            if found is None:
                if scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
                    self.iam_schemes.add(name)
                elif scheme.get("type") == "apiKey":
                    self.api_key_schemes.add(name)
                continue
            kind = str(found.get("type", "token")).upper()
            header = scheme.get("name") or "Authorization"
            made: Doc = {
                "id": self._authorizer_id(name),
                "name": name,
                "type": kind,
                "authorizerResultTtlInSeconds": _number(
                    found.get("authorizerResultTtlInSeconds", 300),
                    f"{where}.authorizerResultTtlInSeconds",
                ),
            }
            if scheme.get("x-amazon-apigateway-authtype"):
                made["authType"] = str(scheme["x-amazon-apigateway-authtype"])
            for member in (
                "authorizerUri",
                "authorizerCredentials",
                "identityValidationExpression",
            ):
                if found.get(member):
                    made[member] = self._text(found[member], f"{name}.{member}")
            if found.get("identitySource"):
                made["identitySource"] = _scalar(found["identitySource"], f"{where}.identitySource")
            elif kind in ("TOKEN", "COGNITO_USER_POOLS"):
                made["identitySource"] = f"method.request.header.{header}"
            if found.get("providerARNs"):
                arns = _list(found["providerARNs"], f"{where}.providerARNs")
                made["providerARNs"] = [_scalar(a, f"{where}.providerARNs") for a in arns]
            check_authorizer(made)
            self.doc["authorizers"][made["id"]] = made
            self.authorizers_by_scheme[name] = made["id"]

    def _authorizer_id(self, name: str) -> str:
        for found in self.doc["authorizers"].values():
            if found["name"] == name:
                return str(found["id"])
        new_id = ids.fresh(self.doc["authorizers"])
        return new_id

    def _text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            # An unresolved intrinsic (SAM's Fn::Sub) has no value here.
            raise BadRequest(f"Invalid OpenAPI input: {where} must be a string, not {value!r}")
        return value

    def validators(self) -> None:
        where = "x-amazon-apigateway-request-validators"
        found = _map(self.definition.get(where), where)
        # Merging keeps a validator of the same name (its id): never a second one.
        known = {str(v.get("name")): v["id"] for v in self.doc["validators"].values()}
        for name, rules in found.items():
            rules = _map(rules, f"{where}.{name}")
            new_id = known.get(str(name)) or ids.short_id()
            self.doc["validators"][new_id] = {
                "id": new_id,
                "name": str(name),
                "validateRequestBody": bool(rules.get("validateRequestBody")),
                "validateRequestParameters": bool(rules.get("validateRequestParameters")),
            }
            self.validators_by_name[str(name)] = new_id

    def gateway_responses(self) -> None:
        where = "x-amazon-apigateway-gateway-responses"
        found = _map(self.definition.get(where), where)
        for kind, response in found.items():
            if kind not in RESPONSE_TYPES:
                self.warnings.append(f"Unknown gateway response type ignored: {kind}")
                continue
            response = _map(response, f"{where}.{kind}")
            made: Doc = {
                "responseType": kind,
                "responseParameters": _strings(
                    response.get("responseParameters"), f"{where}.{kind}.responseParameters"
                ),
                "responseTemplates": _strings(
                    response.get("responseTemplates"), f"{where}.{kind}.responseTemplates"
                ),
                "defaultResponse": False,
            }
            status = response.get("statusCode") or RESPONSE_TYPES[kind]
            if status is not None:
                made["statusCode"] = checks.status_code(status)
            self.doc["gatewayResponses"][kind] = made

    def models(self) -> None:
        if "openapi" in self.definition:
            components = _map(self.definition.get("components"), "components")
            schemas = _map(components.get("schemas"), "components.schemas")
        else:
            schemas = _map(self.definition.get("definitions"), "definitions")
        for name, schema in schemas.items():
            current = self.doc["models"].get(name)
            self.doc["models"][name] = {
                "id": current["id"] if current else ids.short_id(),
                "name": str(name),
                "contentType": "application/json",
                "schema": json.dumps(schema),
            }

    def paths(self) -> None:
        default_security = self.definition.get("security")
        for raw_path, item in _map(self.definition.get("paths"), "paths").items():
            if not isinstance(item, dict):
                raise BadRequest(f"Invalid OpenAPI input: path {raw_path} must be an object")
            path = str(raw_path)
            if self.basepath:
                path = self.basepath.rstrip("/") + ("" if path == "/" else path)
            res = self.index.ensure_path(path)
            shared = _list(item.get("parameters"), f"{path}.parameters")
            for verb, operation in item.items():
                if verb == ANY_METHOD:
                    name = "ANY"
                elif verb in _VERBS:
                    name = verb.upper()
                else:
                    continue
                if not isinstance(operation, dict):
                    raise BadRequest(f"Invalid OpenAPI input: {verb} {path} must be an object")
                method = self.method(name, operation, shared, default_security, res["id"], path)
                res.setdefault("resourceMethods", {})[name] = method

    def method(
        self,
        name: str,
        operation: Doc,
        shared: list[Any],
        default_security: Any,
        resource_id: str,
        path: str,
    ) -> Doc:
        kind, authorizer_id, api_key, scopes = "NONE", None, False, []
        here = f"{name} {path}"
        security = _list(operation.get("security", default_security), f"{here} security")
        for requirement in security:
            for scheme, wanted in _map(requirement, f"{here} security").items():
                if scheme in self.api_key_schemes:
                    api_key = True
                elif scheme in self.iam_schemes:
                    kind = "AWS_IAM"
                elif scheme in self.authorizers_by_scheme:
                    authorizer_id = self.authorizers_by_scheme[scheme]
                    found = self.doc["authorizers"][authorizer_id]
                    kind = (
                        "COGNITO_USER_POOLS" if found["type"] == "COGNITO_USER_POOLS" else "CUSTOM"
                    )
                    scopes = [_scalar(s, f"{here} security") for s in _list(wanted, here)]
                else:
                    self.warnings.append(
                        f"Unknown security scheme ignored: {scheme} on {name} {path}"
                    )
        auth = _map(operation.get("x-amazon-apigateway-auth"), f"{here} x-amazon-apigateway-auth")
        if str(auth.get("type", "")).lower() == "aws_iam":
            kind = "AWS_IAM"
        check_authorization(self.doc, kind, authorizer_id)
        made: Doc = {"httpMethod": name, "authorizationType": kind, "apiKeyRequired": api_key}
        if authorizer_id:
            made["authorizerId"] = authorizer_id
        if scopes and kind == "COGNITO_USER_POOLS":
            made["authorizationScopes"] = scopes
        if operation.get("operationId"):
            made["operationName"] = _scalar(operation["operationId"], f"{here} operationId")
        validator = operation.get("x-amazon-apigateway-request-validator") or self.definition.get(
            "x-amazon-apigateway-request-validator"
        )
        if validator:
            validator = _scalar(validator, f"{here} x-amazon-apigateway-request-validator")
            if validator not in self.validators_by_name:
                raise BadRequest(f"Invalid OpenAPI input: unknown request validator {validator}")
            made["requestValidatorId"] = self.validators_by_name[validator]
        parameters: dict[str, bool] = {}
        for parameter in [*shared, *_list(operation.get("parameters"), f"{here} parameters")]:
            if not isinstance(parameter, dict) or "$ref" in parameter:
                continue
            where = {"path": "path", "query": "querystring", "header": "header"}.get(
                str(parameter.get("in"))
            )
            if where is None:
                continue
            parameters[f"method.request.{where}.{parameter.get('name')}"] = bool(
                parameter.get("required", where == "path")
            )
        if parameters:
            made["requestParameters"] = parameters
        responses: dict[str, Doc] = {}
        for status, response in _map(operation.get("responses"), f"{here} responses").items():
            if not str(status).isdigit():
                continue
            entry: Doc = {"statusCode": str(status)}
            headers = (response or {}).get("headers") if isinstance(response, dict) else None
            if headers:
                # A declared header may be mapped by the integration response.
                entry["responseParameters"] = {
                    f"method.response.header.{name}": False for name in headers
                }
            responses[str(status)] = entry
        if responses:
            made["methodResponses"] = responses
        found = operation.get(INTEGRATION)
        if found is not None:
            found = _map(found, f"{here} {INTEGRATION}")
            made["methodIntegration"] = self.integration(found, resource_id, name, path)
        return made

    def integration(self, found: Doc, resource_id: str, method: str, path: str) -> Doc:
        here = f"{method} {path} {INTEGRATION}"

        def text(member: str) -> str | None:
            value = found.get(member)
            return None if value is None else _scalar(value, f"{here}.{member}")

        kind = (text("type") or "").upper()
        timeout = found.get("timeoutInMillis")
        fields: Members = {
            "type": kind,
            "integrationHttpMethod": text("httpMethod"),
            "uri": self._text(found["uri"], f"{method} {path} uri") if "uri" in found else None,
            "credentials": text("credentials"),
            "timeoutInMillis": None
            if timeout is None
            else _number(timeout, f"{here}.timeoutInMillis"),
            "requestParameters": _strings(
                found.get("requestParameters"), f"{here}.requestParameters"
            ),
            "requestTemplates": _strings(found.get("requestTemplates"), f"{here}.requestTemplates"),
            "passthroughBehavior": (text("passthroughBehavior") or "").upper() or None,
            "contentHandling": text("contentHandling"),
            "cacheNamespace": text("cacheNamespace"),
            "cacheKeyParameters": [
                _scalar(p, f"{here}.cacheKeyParameters")
                for p in _list(found.get("cacheKeyParameters"), f"{here}.cacheKeyParameters")
            ],
            "connectionType": text("connectionType"),
            "connectionId": text("connectionId"),
        }
        made = new_integration(fields, resource_id)
        check_integration(made)
        responses: dict[str, Doc] = {}
        for pattern, response in _map(found.get("responses"), f"{here}.responses").items():
            where = f"{here}.responses.{pattern}"
            response = _map(response, where)
            status = checks.status_code(_scalar(response.get("statusCode", "200"), where))
            entry: Doc = {"statusCode": status}
            if pattern != "default":
                entry["selectionPattern"] = str(pattern)
            for member in ("responseParameters", "responseTemplates"):
                if response.get(member):
                    entry[member] = _strings(response[member], f"{where}.{member}")
            if response.get("contentHandling"):
                entry["contentHandling"] = _scalar(
                    response["contentHandling"], f"{where}.contentHandling"
                )
            responses[status] = entry
        if responses:
            made["integrationResponses"] = responses
        return made


def _basepath(definition: Doc, parameters: Mapping[str, Any]) -> str:
    mode = str(parameters.get("basepath") or "ignore").lower()
    if mode not in ("ignore", "prepend", "split"):
        raise BadRequest(f"Invalid basepath mode: {mode}. Must be one of: ignore, prepend, split")
    if mode == "ignore":
        return ""
    if "openapi" in definition:
        servers = definition.get("servers") or [{}]
        url = str((servers[0] or {}).get("url") or "")
        variables = (servers[0] or {}).get("variables") or {}
        base = str((variables.get("basePath") or {}).get("default") or "")
        if not base and "://" in url:
            base = "/" + url.split("://", 1)[1].partition("/")[2]
        elif not base:
            base = url
    else:
        base = str(definition.get("basePath") or "")
    base = "/" + base.strip("/") if base.strip("/") else ""
    if mode == "split":
        # The first segment names the stage, the rest prefixes the paths.
        return "/" + "/".join(base.strip("/").split("/")[1:]) if base.count("/") > 1 else ""
    return base


def build(
    definition: Doc, doc: Doc, parameters: Mapping[str, Any], fail_on_warnings: bool, merge: bool
) -> list[str]:
    """Fill ``doc`` (a copy) from ``definition``; the warnings."""
    if not merge:
        root = doc["restApi"]["rootResourceId"]
        doc["resources"] = {root: {"id": root, "path": "/"}}
        doc["authorizers"] = {}
        doc["validators"] = {}
        doc["gatewayResponses"] = {}
        doc["models"] = {k: v for k, v in doc["models"].items() if k in ("Empty", "Error")}
        # What the definition says of the API itself replaces what was there.
        for member in ("binaryMediaTypes", "policy"):
            doc["restApi"].pop(member, None)
        doc["restApi"]["apiKeySource"] = "HEADER"
    work = _Import(definition, doc, _basepath(definition, parameters))
    work.api_members()
    work.authorizers()
    work.validators()
    work.gateway_responses()
    work.models()
    work.paths()
    if endpoint := parameters.get("endpointConfigurationTypes"):
        types = [str(endpoint).upper()]
        if types[0] not in ("EDGE", "REGIONAL", "PRIVATE"):
            raise BadRequest(f"Invalid endpoint configuration type: {endpoint}")
        doc["restApi"]["endpointConfiguration"]["types"] = types
    if fail_on_warnings and work.warnings:
        raise BadRequest("Warnings found during import:\n\t" + "\n\t".join(work.warnings))
    return work.warnings


async def _body(input: Members, operation: str) -> bytes:
    body = input["body"]
    return body if isinstance(body, bytes) else await body.read(BODY_LIMIT, operation)


async def import_rest_api(gateway: ApiGateway, call: Call, input: Members) -> Members:
    definition = await asyncio.to_thread(parse, await _body(input, "ImportRestApi"))
    core = gateway.core
    parameters = input.get("parameters") or {}
    async with core.lock:
        title = (definition.get("info") or {}).get("title")
        if not title:
            raise BadRequest("Invalid OpenAPI input: info.title names the API and is required")
        doc = new_api(gateway, {"name": _scalar(title, "info.title")}, core.now())
        warnings = await asyncio.to_thread(
            build, definition, doc, parameters, bool(input.get("failOnWarnings")), False
        )
        api_id = doc["restApi"]["id"]
        await core.write([Put(API, api_id, doc)], lambda: core.hold(api_id, doc))
    output = dict(doc["restApi"])
    if warnings:
        output["warnings"] = warnings
    return output


async def put_rest_api(gateway: ApiGateway, call: Call, input: Members) -> Members:
    definition = await asyncio.to_thread(parse, await _body(input, "PutRestApi"))
    mode = str(input.get("mode") or "merge").lower()
    if mode not in ("merge", "overwrite"):
        raise BadRequest(f"Invalid mode: {mode}. Must be one of: merge, overwrite")
    parameters = input.get("parameters") or {}
    holder: list[list[str]] = []

    def change(doc: Doc) -> Doc:
        holder.append(
            build(definition, doc, parameters, bool(input.get("failOnWarnings")), mode == "merge")
        )
        return dict(doc["restApi"])

    output = await gateway.core.edit_api(str(input["restApiId"]), change, threaded=True)
    if holder and holder[0]:
        output["warnings"] = holder[0]
    return output
