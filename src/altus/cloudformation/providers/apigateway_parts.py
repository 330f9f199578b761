"""The parts of a REST API beside its resource tree: ``AWS::ApiGateway::Authorizer``,
``AWS::ApiGateway::Model``, ``AWS::ApiGateway::RequestValidator`` and
``AWS::ApiGateway::GatewayResponse``.

Each is made with its Create (Put) operation and updated with one patch of what changed
(a gateway response is put again whole: PutGatewayResponse replaces it). A model's Ref
is its name (the template's, or one generated of letters and digits: model names allow
nothing else); an authorizer's and a validator's is the id API Gateway gave; a gateway
response's is a name generated for it (its identity is the API and its type).
"""

from __future__ import annotations

import re
from typing import Any

from altus.cloudformation.providers.apigateway_common import (
    Patch,
    delete_part,
    rest_api_id,
    targets,
    text_map,
)
from altus.cloudformation.providers.base import (
    Current,
    Outcome,
    Properties,
    Provider,
    ProviderContext,
    boolean,
    integer,
    required,
)
from altus.cloudformation.providers.common import json_text, outcome, present

#: API Gateway's default for how long an authorizer's answer is cached.
DEFAULT_TTL = 300


async def _delete_named(
    ctx: ProviderContext,
    current: Current,
    listed: str,
    deleted: str,
    member: str,
) -> None:
    """Delete the part ``current`` is (``member``: its id's name in ``deleted``); where the
    create may not have finished, the one part of the API with the template's ``Name``
    (a part without a name, or a name several have, is left alone)."""
    api_id, name = rest_api_id(current.properties), current.properties.get("Name")
    scope = {"restApiId": api_id, "limit": 500}
    for ident in await targets(
        ctx, current, "apigateway", listed, scope, {"name": name} if name else None
    ):
        await delete_part(ctx, api_id, deleted, **{member: ident})


class Authorizer:
    """``AWS::ApiGateway::Authorizer``: Ref is the authorizer's id."""

    replaced_by = frozenset({"RestApiId"})
    attributes = frozenset({"AuthorizerId"})

    @staticmethod
    def _members(props: Properties) -> dict[str, Any]:
        return {
            "name": str(props.get("Name") or ""),
            "type": str(props.get("Type") or ""),
            "authType": props.get("AuthType"),
            "authorizerUri": props.get("AuthorizerUri"),
            "authorizerCredentials": props.get("AuthorizerCredentials"),
            "identitySource": props.get("IdentitySource"),
            "identityValidationExpression": props.get("IdentityValidationExpression"),
            "authorizerResultTtlInSeconds": integer(props, "AuthorizerResultTtlInSeconds"),
            "providerARNs": [str(arn) for arn in props.get("ProviderARNs") or ()],
        }

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "RestApiId", "Type", "Name")
        members = {k: v for k, v in self._members(props).items() if v not in (None, [])}
        made = await ctx.call(
            "apigateway", "CreateAuthorizer", {"restApiId": str(props["RestApiId"]), **members}
        )
        return outcome(made["id"], "AuthorizerId")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        required(props, "RestApiId", "Type", "Name")
        authorizer_id = str(current.physical_id)
        old, new = self._members(current.properties), self._members(props)
        ops = Patch()
        for member in (
            "name",
            "type",
            "authType",
            "authorizerUri",
            "authorizerCredentials",
            "identitySource",
            "identityValidationExpression",
        ):
            ops.scalar(f"/{member}", old[member], new[member])
        ops.scalar(
            "/authorizerResultTtlInSeconds",
            old["authorizerResultTtlInSeconds"],
            new["authorizerResultTtlInSeconds"],
            DEFAULT_TTL,
        )
        ops.items("/providerARNs", old["providerARNs"], new["providerARNs"])
        target = {"restApiId": str(props["RestApiId"]), "authorizerId": authorizer_id}
        await ops.send(ctx, "UpdateAuthorizer", target)
        return outcome(authorizer_id, "AuthorizerId")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        await _delete_named(ctx, current, "GetAuthorizers", "DeleteAuthorizer", "authorizerId")


class Model:
    """``AWS::ApiGateway::Model``: Ref is the model's name."""

    replaced_by = frozenset({"RestApiId", "Name", "ContentType"})
    attributes: frozenset[str] = frozenset()

    @staticmethod
    def name(ctx: ProviderContext, props: Properties) -> str:
        if props.get("Name"):
            return str(props["Name"])
        return re.sub(r"[^A-Za-z0-9]", "", ctx.name(separator=""))

    @staticmethod
    def _schema(props: Properties) -> str | None:
        schema = props.get("Schema")
        return None if schema is None else json_text(schema)

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "RestApiId")
        name = self.name(ctx, props)
        await ctx.call(
            "apigateway",
            "CreateModel",
            present(
                restApiId=str(props["RestApiId"]),
                name=name,
                contentType=str(props.get("ContentType") or "application/json"),
                description=props.get("Description"),
                schema=self._schema(props),
            ),
        )
        return Outcome(name)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        name = str(current.physical_id)
        old = current.properties
        ops = Patch()
        ops.scalar("/description", old.get("Description"), props.get("Description"))
        if self._schema(old) != self._schema(props):
            # CloudFormation's "no schema" is the empty object.
            ops.replace("/schema", self._schema(props) or "{}")
        await ops.send(
            ctx, "UpdateModel", {"restApiId": str(props["RestApiId"]), "modelName": name}
        )
        return Outcome(name)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        name = current.physical_id or self.name(ctx, current.properties)
        await delete_part(ctx, rest_api_id(current.properties), "DeleteModel", modelName=name)


class RequestValidator:
    """``AWS::ApiGateway::RequestValidator``: Ref is the validator's id."""

    replaced_by = frozenset({"RestApiId", "Name"})
    attributes = frozenset({"RequestValidatorId"})

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        required(props, "RestApiId")
        made = await ctx.call(
            "apigateway",
            "CreateRequestValidator",
            present(
                restApiId=str(props["RestApiId"]),
                name=props.get("Name"),
                validateRequestBody=boolean(props, "ValidateRequestBody"),
                validateRequestParameters=boolean(props, "ValidateRequestParameters"),
            ),
        )
        return outcome(made["id"], "RequestValidatorId")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        validator_id = str(current.physical_id)
        ops = Patch()
        for prop in ("ValidateRequestBody", "ValidateRequestParameters"):
            member = prop[0].lower() + prop[1:]
            ops.scalar(
                f"/{member}",
                bool(boolean(current.properties, prop)),
                bool(boolean(props, prop)),
            )
        target = {"restApiId": str(props["RestApiId"]), "requestValidatorId": validator_id}
        await ops.send(ctx, "UpdateRequestValidator", target)
        return outcome(validator_id, "RequestValidatorId")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        await _delete_named(
            ctx, current, "GetRequestValidators", "DeleteRequestValidator", "requestValidatorId"
        )


class GatewayResponse:
    """``AWS::ApiGateway::GatewayResponse``: an API's answer of one type, put whole."""

    replaced_by = frozenset({"RestApiId", "ResponseType"})
    attributes = frozenset({"Id"})

    @staticmethod
    async def _put(ctx: ProviderContext, props: Properties) -> None:
        required(props, "RestApiId", "ResponseType")
        await ctx.call(
            "apigateway",
            "PutGatewayResponse",
            present(
                restApiId=str(props["RestApiId"]),
                responseType=str(props["ResponseType"]),
                statusCode=None if props.get("StatusCode") is None else str(props["StatusCode"]),
                responseParameters=text_map(props.get("ResponseParameters"), "ResponseParameters")
                or None,
                responseTemplates=text_map(props.get("ResponseTemplates"), "ResponseTemplates")
                or None,
            ),
        )

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        await self._put(ctx, props)
        return outcome(ctx.name(), "Id")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        await self._put(ctx, props)
        return outcome(current.physical_id, "Id")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        # Its identity is the API and the type: an interrupted create is found by them.
        props = current.properties
        if props.get("RestApiId") and props.get("ResponseType"):
            await delete_part(
                ctx,
                str(props["RestApiId"]),
                "DeleteGatewayResponse",
                responseType=str(props["ResponseType"]),
            )


PROVIDERS: dict[str, Provider] = {
    "AWS::ApiGateway::Authorizer": Authorizer(),
    "AWS::ApiGateway::Model": Model(),
    "AWS::ApiGateway::RequestValidator": RequestValidator(),
    "AWS::ApiGateway::GatewayResponse": GatewayResponse(),
}
