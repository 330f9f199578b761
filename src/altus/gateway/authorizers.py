"""Lambda and JWT authorizers' logic: the identity values a request carries, reading a
function's answer, judging an IAM policy against a method or route ARN, and what goes
into the event's ``requestContext.authorizer``. Pure: no I/O.

Identity sources take both spellings, HTTP APIs' (``$request.header.Authorization``,
``$request.querystring.q``, ``$context.x``, ``$stageVariables.x``) and REST's
(``method.request.header.Authorization``, ``method.request.querystring.q``,
``context.x``, ``stageVariables.x``). Header names are matched ignoring case, query
parameters exactly; a missing or empty value means the authorizer is not called (401).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from altus.gateway.request import GatewayRequest
from altus.identity import evaluation
from altus.identity.evaluation import Context

_PREFIXES: tuple[tuple[str, str], ...] = (
    ("$request.header.", "header"),
    ("method.request.header.", "header"),
    ("route.request.header.", "header"),
    ("$request.querystring.", "query"),
    ("method.request.querystring.", "query"),
    ("route.request.querystring.", "query"),
    ("$context.", "context"),
    ("context.", "context"),
    ("$stageVariables.", "stage"),
    ("stageVariables.", "stage"),
)
ACTION = "execute-api:Invoke"


def identity_values(
    sources: Sequence[str],
    request: GatewayRequest,
    stage_variables: Mapping[str, str],
    context: Mapping[str, str],
) -> list[str] | None:
    """Each source's value, in order; None when any is missing or empty."""
    values: list[str] = []
    query: list[tuple[str, str]] | None = None
    for source in sources:
        kind, name = _source(source)
        value: str | None
        if kind == "header":
            found = [v for n, v in request.headers if n.lower() == name.lower()]
            value = ",".join(found) if found else None
        elif kind == "query":
            if query is None:
                query = parse_qsl(request.raw_query, keep_blank_values=True)
            matching = [v for n, v in query if n == name]
            value = ",".join(matching) if matching else None
        elif kind == "context":
            value = context.get(name)
        elif kind == "stage":
            value = stage_variables.get(name)
        else:
            value = None
        if not value:
            return None
        values.append(value)
    return values


def _source(source: str) -> tuple[str, str]:
    for prefix, kind in _PREFIXES:
        if source.startswith(prefix):
            return kind, source[len(prefix) :]
    return "", source


def token_valid(token: str, expression: str | None) -> bool:
    """Whether a TOKEN authorizer's token matches its identityValidationExpression (the
    whole token); True without one. An expression that is no regular expression lets
    nothing through."""
    if not expression:
        return True
    try:
        return re.fullmatch(expression, token) is not None
    except re.error:
        return False


# --- the function's answer ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an authorizer decided for one ARN, and what goes with it."""

    allowed: bool
    principal_id: str | None
    context: Mapping[str, Any]
    #: REST: the usage plan's API key the authorizer names (``usageIdentifierKey``).
    usage_key: str | None = None
    #: Kept so that a cached answer is judged again for another method or route ARN.
    policy: Mapping[str, Any] | None = field(default=None)


class MalformedReply(Exception):
    """An authorizer's answer is not what its kind must return (500)."""


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError as error:
        raise MalformedReply("the authorizer's answer is not JSON") from error
    if not isinstance(value, dict):
        raise MalformedReply("the authorizer's answer is not a JSON object")
    return value


def _context(value: Any, *, flat: bool) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedReply("context must be an object")
    if flat and not all(
        isinstance(item, str | int | float | bool) or item is None for item in value.values()
    ):
        raise MalformedReply("context values must be strings, numbers or booleans")
    return dict(value)


def read_policy_reply(
    payload: bytes, arn: str, *, flat_context: bool = True, context: Context | None = None
) -> Verdict:
    """An IAM-policy answer (``principalId``, ``policyDocument``, ``context``,
    ``usageIdentifierKey``) judged for ``arn`` (``context``: the request's condition
    keys). ``flat_context``: REST refuses nested context values."""
    value = _json_object(payload)
    principal = value.get("principalId")
    policy = value.get("policyDocument")
    if not isinstance(principal, str | int) or isinstance(principal, bool):
        raise MalformedReply("principalId is missing")
    statements = _statements(policy) if isinstance(policy, dict) else None
    if statements is None or not all(_well_formed(s) for s in statements):
        raise MalformedReply("policyDocument is not a policy")
    assert isinstance(policy, dict)
    usage = value.get("usageIdentifierKey")
    if usage is not None and not isinstance(usage, str):
        raise MalformedReply("usageIdentifierKey must be a string")
    return Verdict(
        allowed=policy_allows(policy, arn, context),
        principal_id=str(principal),
        context=_context(value.get("context"), flat=flat_context),
        usage_key=usage,
        policy=policy,
    )


def read_simple_reply(payload: bytes) -> Verdict:
    """An HTTP API's simple answer: ``{"isAuthorized": bool, "context": {...}}``."""
    value = _json_object(payload)
    allowed = value.get("isAuthorized")
    if not isinstance(allowed, bool):
        raise MalformedReply("isAuthorized must be a boolean")
    return Verdict(allowed, None, _context(value.get("context"), flat=False))


# --- policies -----------------------------------------------------------------------------


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        return None
    return statements


def _strings(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
    )


def _well_formed(statement: Mapping[str, Any]) -> bool:
    """A statement as IAM's grammar has it: an Effect, one of Action and NotAction, one
    of Resource and NotResource (strings or lists of them), a Condition block if any."""
    if statement.get("Effect") not in ("Allow", "Deny"):
        return False
    if ("Action" in statement) == ("NotAction" in statement):
        return False
    if ("Resource" in statement) == ("NotResource" in statement):
        return False
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in statement and not _strings(statement[key]):
            return False
    return "Condition" not in statement or isinstance(statement["Condition"], dict)


def judge(policy: Mapping[str, Any], arn: str, context: Context | None = None) -> str:
    """What an authorizer's policy says to ``execute-api:Invoke`` on ``arn``:
    ``evaluation.ALLOW``, ``DENY`` or ``IMPLICIT``, read by IAM's own evaluator (wildcards,
    ``NotAction``/``NotResource``, and ``Condition`` blocks against ``context``:
    ``aws:SourceIp``, ``aws:CurrentTime`` ...; a condition that cannot be read allows
    nothing, and does not lift a Deny). A policy that cannot be read allows nothing."""
    try:
        return evaluation.evaluate([policy], ACTION, arn, context)
    except (TypeError, ValueError, AttributeError, KeyError):
        return evaluation.DENY


def policy_allows(policy: Mapping[str, Any], arn: str, context: Context | None = None) -> bool:
    """Whether a policy lets ``execute-api:Invoke`` on ``arn``: an Allow covers it and no
    Deny does (a Deny always wins)."""
    return judge(policy, arn, context) == evaluation.ALLOW


def policy_denies(policy: Mapping[str, Any], arn: str, context: Context | None = None) -> bool:
    """Whether a Deny of the policy covers ``arn`` (REST words an explicit deny apart
    from the lack of an Allow)."""
    return judge(policy, arn, context) == evaluation.DENY


# --- requestContext.authorizer ------------------------------------------------------------


def _stringified(value: Any) -> str:
    """A value as API Gateway renders it in a string-only map."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(_stringified(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def authorizer_context(
    verdict: Verdict, *, rest: bool, version: str, latency_ms: int = 0
) -> dict[str, Any]:
    """``requestContext.authorizer`` after a Lambda authorizer: REST's principalId and
    context values as strings; HTTP APIs 1.0 the same without stringifying; 2.0 the
    context under ``lambda``."""
    if not rest and version == "2.0":
        return {"lambda": dict(verdict.context)}
    if rest:
        shaped: dict[str, Any] = {k: _stringified(v) for k, v in verdict.context.items()}
    else:
        shaped = dict(verdict.context)
    if verdict.principal_id is not None:
        shaped["principalId"] = verdict.principal_id
    shaped["integrationLatency"] = latency_ms
    return shaped


def jwt_context(
    claims: Mapping[str, Any], scopes: Sequence[str] | None, *, version: str
) -> dict[str, Any]:
    """``requestContext.authorizer`` after a JWT authorizer: the claims (values as
    strings, arrays as ``[a b]``) and the route's scopes the token carries."""
    shaped = {
        "claims": {name: _stringified(value) for name, value in claims.items()},
        "scopes": list(scopes) if scopes else None,
    }
    return {"jwt": shaped} if version == "2.0" else shaped
