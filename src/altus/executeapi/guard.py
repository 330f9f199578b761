"""Who may call a route: IAM (SigV4), a Lambda authorizer, a JWT.

- ``AWS_IAM``: the request must be signed for ``execute-api``; where requests are
  authenticated (``--auth iam``) the signature is verified and the caller must be allowed
  ``execute-api:Invoke`` on the method's ARN; in ``open`` mode any well-formed signature
  is taken, as function URLs take it.
- Lambda authorizers (``TOKEN``, ``REQUEST``): the identity sources must all be there
  (else 401 without invoking); the function is invoked as ``apigateway.amazonaws.com``
  for the authorizer's ARN (its policy must allow that, or the authorizer's role be
  allowed), within 10 s; its answer is cached by the identity values for the
  authorizer's TTL, the whole policy kept, so a cached answer is judged again for each
  method ARN (as AWS caches it).
- ``JWT``: the token from the identity source, checked against the issuer's keys
  (``altus.gateway.jwt``).
- ``COGNITO_USER_POOLS``: Altus has no Cognito, so no token can be valid: 401.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from starlette.types import Scope

from altus.api.service import SIGNED_PATH, request_context
from altus.errors import AltusError
from altus.executeapi.component import ExecuteApi
from altus.executeapi.integrate import source_arn
from altus.executeapi.refusals import (
    ACCESS_DENIED,
    AUTHORIZER_CONFIGURATION_ERROR,
    AUTHORIZER_FAILURE,
    INVALID_SIGNATURE,
    MISSING_AUTHENTICATION_TOKEN,
    UNAUTHORIZED,
    Refusal,
)
from altus.gateway.answers import EXPLICIT_DENY
from altus.gateway.authorizers import (
    MalformedReply,
    Verdict,
    authorizer_context,
    identity_values,
    jwt_context,
    policy_allows,
    policy_denies,
    read_policy_reply,
    read_simple_reply,
    token_valid,
)
from altus.gateway.deployed import (
    AWS_IAM,
    COGNITO_USER_POOLS,
    JWT,
    NONE,
    REST,
    Authorizer,
    stage_arn,
)
from altus.gateway.events import request_authorizer_event, token_authorizer_event
from altus.gateway.integrations import function_arn
from altus.gateway.jwt import JwtRefused, bearer_token, token_scopes
from altus.gateway.request import EventContext, GatewayRequest
from altus.identity import sigv4
from altus.identity.authenticator import Principal, Wire
from altus.identity.errors import AccessDenied, IdentityError

#: How long API Gateway waits for a Lambda authorizer.
AUTHORIZER_TIMEOUT = 10.0
#: The identity source a JWT authorizer reads when none is configured.
JWT_SOURCE = "$request.header.Authorization"


async def authorize(
    front: ExecuteApi,
    scope: Scope,
    gateway: GatewayRequest,
    context: EventContext,
    *,
    arn: str | None = None,
    authorizer_event: dict[str, Any] | None = None,
) -> EventContext:
    """``context`` with what authorization found (the authorizer's output, the caller),
    or a ``Refusal``. ``arn``: the ARN policies are judged against, where it is not the
    request's method ARN (a WebSocket API's ``$connect``); ``authorizer_event``: the
    event a Lambda authorizer gets, where the API's flavour builds its own (WebSocket)."""
    assert context.matched is not None
    route = context.matched.route
    kind = route.authorization_type
    if kind == NONE:
        return context
    stage = context.stage
    rest = stage.deployment.protocol == REST
    arn = arn or source_arn(front, gateway, context)
    if kind == AWS_IAM:
        return _iam(front, scope, gateway, context, arn, rest)
    if kind == COGNITO_USER_POOLS:
        raise Refusal(UNAUTHORIZED)
    authorizer = stage.deployment.authorizers.get(route.authorizer_id or "")
    if authorizer is None:
        raise Refusal(AUTHORIZER_CONFIGURATION_ERROR)
    if kind == JWT or authorizer.type == JWT:
        return await _jwt(front, gateway, context, authorizer)
    if authorizer.type == COGNITO_USER_POOLS:
        raise Refusal(UNAUTHORIZED)
    return await _lambda(front, gateway, context, authorizer, arn, rest, authorizer_event)


# --- IAM -------------------------------------------------------------------------------------


def _iam(
    front: ExecuteApi,
    scope: Scope,
    gateway: GatewayRequest,
    context: EventContext,
    arn: str,
    rest: bool,
) -> EventContext:
    query, headers = scope.get("query_string", b""), scope["headers"]
    identity = front.identity
    unsigned = MISSING_AUTHENTICATION_TOKEN if rest else ACCESS_DENIED
    if not identity.enforcing:
        # Nothing is verified in open mode: any well-formed signature is taken, an
        # unknown key's as the account's root.
        try:
            signed = sigv4.parse(query, headers)
        except AltusError:
            raise Refusal(INVALID_SIGNATURE) from None
        if signed is None:
            raise Refusal(unsigned)
        caller = identity.identify(query, headers) or Principal(
            front.account.arn("iam", "root", regional=False), signed.access_key
        )
    else:
        try:
            if sigv4.parse(query, headers) is None:
                raise Refusal(unsigned)
            admitted = identity.admit(query, headers, service="execute-api")
            # The path as the client signed it (before a virtual host was made a path).
            raw = scope.get(SIGNED_PATH) or scope.get("raw_path") or scope["path"].encode()
            wire = Wire(gateway.method, raw, query, headers, gateway.body)
            caller = identity.verify(admitted, wire)
        except IdentityError as error:
            raise Refusal(INVALID_SIGNATURE, message=error.message) from None
        except AltusError:
            raise Refusal(INVALID_SIGNATURE) from None
        try:
            identity.authorize(caller, "execute-api:Invoke", arn, (), request_context(scope))
        except AccessDenied:
            raise Refusal(
                ACCESS_DENIED,
                message=(
                    f"User: {caller.arn} is not authorized to perform: execute-api:Invoke on "
                    f"resource: {arn}"
                ),
            ) from None
    user_id = identity.unique_id_of(caller)
    account_id = caller.arn.split(":")[4]
    principal = {
        "accessKey": caller.access_key,
        "accountId": account_id,
        "caller": user_id,
        "callerId": user_id,
        "user": user_id,
        "userId": user_id,
        "userArn": caller.arn,
    }
    return replace(context, principal=principal)


# --- JWT -------------------------------------------------------------------------------------


async def _jwt(
    front: ExecuteApi, gateway: GatewayRequest, context: EventContext, authorizer: Authorizer
) -> EventContext:
    stage = context.stage
    values = identity_values(
        authorizer.identity_sources or (JWT_SOURCE,), gateway, stage.variables, _variables(context)
    )
    if not values:
        raise Refusal(UNAUTHORIZED)
    assert context.matched is not None
    route = context.matched.route
    try:
        claims = await front.jwt_keys.verify(
            bearer_token(values[0]),
            authorizer.jwt_issuer or "",
            authorizer.jwt_audience,
            route.authorization_scopes,
        )
    except JwtRefused as refused:
        header = ("www-authenticate", refused.www_authenticate())
        raise Refusal(
            ACCESS_DENIED if refused.forbidden else UNAUTHORIZED, headers=[header]
        ) from None
    found = jwt_context(claims, token_scopes(claims) or None, version=_version(context))
    return replace(context, authorizer=found)


# --- Lambda authorizers -----------------------------------------------------------------------


async def _lambda(
    front: ExecuteApi,
    gateway: GatewayRequest,
    context: EventContext,
    authorizer: Authorizer,
    arn: str,
    rest: bool,
    event: dict[str, Any] | None,
) -> EventContext:
    stage = context.stage
    token: str | None = None
    values: list[str] = []
    if authorizer.identity_sources:
        found = identity_values(
            authorizer.identity_sources, gateway, stage.variables, _variables(context)
        )
        if found is None:
            raise Refusal(UNAUTHORIZED)
        values = found
    if authorizer.type == "TOKEN":
        if not values:
            raise Refusal(UNAUTHORIZED)
        token = values[0]
        if not token_valid(token, authorizer.identity_validation_expression):
            raise Refusal(UNAUTHORIZED)
    key = (stage.api_id, stage.name, stage.authorizers_flushed, authorizer.id, tuple(values))
    cached = authorizer.result_ttl > 0 and bool(values)
    verdict = front.cached_verdict(key) if cached else None
    if verdict is None:
        verdict = await _invoke_authorizer(
            front, gateway, context, authorizer, arn, token, values, rest, event
        )
        if cached:
            front.cache_verdict(key, verdict, authorizer.result_ttl)
    if verdict.policy is None:
        allowed = verdict.allowed
    else:
        # The whole policy is kept (and cached): judged for this method and this request.
        conditions = _conditions(front, gateway)
        allowed = policy_allows(verdict.policy, arn, conditions)
    if not allowed:
        denied = verdict.policy is not None and policy_denies(verdict.policy, arn, conditions)
        raise Refusal(ACCESS_DENIED, message=EXPLICIT_DENY if denied else None)
    shaped = authorizer_context(verdict, rest=rest, version=_version(context))
    return replace(context, authorizer=shaped, api_key=verdict.usage_key)


async def _invoke_authorizer(
    front: ExecuteApi,
    gateway: GatewayRequest,
    context: EventContext,
    authorizer: Authorizer,
    arn: str,
    token: str | None,
    values: list[str],
    rest: bool,
    event: dict[str, Any] | None,
) -> Verdict:
    stage = context.stage
    function = function_arn(authorizer.uri, stage.variables)
    if function is None:
        raise Refusal(AUTHORIZER_CONFIGURATION_ERROR)
    if event is None and token is not None:
        event = token_authorizer_event(token, arn)
    elif event is None:
        event = request_authorizer_event(
            gateway,
            context,
            arn=arn,
            identity=values,
            version=authorizer.payload_format,
            rest=rest,
        )
    source_arn = (
        f"{stage_arn(front.account.region, stage.account_id, stage.api_id)}"
        f"/authorizers/{authorizer.id}"
    )
    role = authorizer.credentials
    if not front.may_assume(role):
        raise Refusal(AUTHORIZER_CONFIGURATION_ERROR)
    payload = json.dumps(event, separators=(",", ":")).encode()
    try:
        called = await front.invoke(
            source_arn, stage.account_id, function, payload, role, AUTHORIZER_TIMEOUT
        )
    except TimeoutError:
        raise Refusal(AUTHORIZER_FAILURE) from None
    except AltusError:
        raise Refusal(AUTHORIZER_CONFIGURATION_ERROR) from None
    if called.function_error:
        if _error_message(called.payload) == "Unauthorized":
            raise Refusal(UNAUTHORIZED)
        raise Refusal(AUTHORIZER_FAILURE)
    try:
        if authorizer.simple_responses and authorizer.payload_format == "2.0":
            return read_simple_reply(called.payload)
        return read_policy_reply(called.payload, arn, flat_context=rest)
    except MalformedReply:
        raise Refusal(AUTHORIZER_CONFIGURATION_ERROR) from None


def _conditions(front: ExecuteApi, gateway: GatewayRequest) -> dict[str, str]:
    """The condition keys an authorizer's policy may test, from the request."""
    now = front.clock.now()
    return {
        "aws:SourceIp": gateway.source_ip,
        "aws:UserAgent": gateway.header("user-agent") or "",
        "aws:SecureTransport": "true" if gateway.scheme == "https" else "false",
        "aws:CurrentTime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now)),
    }


def _error_message(payload: bytes) -> str | None:
    try:
        value: Any = json.loads(payload)
    except ValueError:
        return None
    return value.get("errorMessage") if isinstance(value, dict) else None


def _version(context: EventContext) -> str:
    """The payload version of the event the route's function gets (the authorizer's
    output is shaped for it)."""
    assert context.matched is not None
    integration = context.matched.route.integration
    return integration.payload_format if integration is not None else "1.0"


def _variables(context: EventContext) -> dict[str, str]:
    """``$context.<name>`` values an identity source may name."""
    assert context.matched is not None
    route = context.matched.route
    stage = context.stage
    return {
        "apiId": stage.api_id,
        "stage": stage.name,
        "requestId": context.request_id,
        "routeKey": route.key,
        "resourceId": route.id,
        "resourcePath": route.path,
        "httpMethod": route.method,
    }
