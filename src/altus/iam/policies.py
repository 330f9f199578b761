"""Policy documents as IAM checks them when they are stored (``altus.identity.grammar``,
refusals as IAM's MalformedPolicyDocument): a role's trust policy names who may assume
the role (``Principal``) and no resources.

``trusts`` answers the question CreateFunction asks of a role (may this service principal,
``lambda.amazonaws.com``, assume it?) and the one AssumeRole asks (may this caller?).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from altus.iam.errors import MalformedPolicyDocument
from altus.identity import grammar
from altus.identity.evaluation import VARIABLES_VERSION, conditions, glob, listed


def parse(document: str, *, trust: bool = False) -> dict[str, Any]:
    """The policy ``document`` as a dict; raises MalformedPolicyDocument with IAM's words
    for what is wrong with it (``altus.identity.grammar``)."""
    try:
        return grammar.parse(document, trust=trust)
    except grammar.Malformed as problem:
        raise MalformedPolicyDocument(str(problem)) from None


def _statements(policy: dict[str, Any]) -> Iterator[dict[str, Any]]:
    try:
        yield from grammar.statements(policy)
    except grammar.Malformed as problem:
        raise MalformedPolicyDocument(str(problem)) from None


def trusts(
    policy: dict[str, Any],
    *,
    service: str | None = None,
    aws: Sequence[str] = (),
    action: str = "sts:AssumeRole",
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether the trust ``policy`` lets a principal perform ``action``: a service
    (``lambda.amazonaws.com``), or a caller known by any of the ``aws`` names (its ARN,
    its role's ARN, its account's root ARN or id). A statement must allow it and none
    deny it. Conditions are read against ``context`` (``sts:ExternalId`` ...); one that
    cannot be told true (an operator or key not known here) keeps an Allow from applying
    and lets a Deny apply: unknown never opens a role."""
    allowed = False
    for statement in _statements(policy):
        if "NotPrincipal" in statement:
            named = not _names(statement["NotPrincipal"], service, aws)
        else:
            named = _names(statement.get("Principal"), service, aws)
        if not named or not _acts(statement, action):
            continue
        deny = statement.get("Effect") == "Deny"
        holds = conditions(
            statement.get("Condition"),
            context or {},
            variables=policy.get("Version") == VARIABLES_VERSION,
        )
        if deny and holds is not False:
            return False
        if not deny and holds is True:
            allowed = True
    return allowed


def _names(principal: Any, service: str | None, aws: Sequence[str]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    services = listed(principal.get("Service"))
    if service is not None and ("*" in services or service in services):
        return True
    callers = listed(principal.get("AWS"))
    return bool(aws) and ("*" in callers or any(name in callers for name in aws))


def _acts(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        actions = statement["Action"]
        listed = actions if isinstance(actions, list) else [actions]
        return any(glob(str(a)).fullmatch(action) for a in listed)
    excluded = statement["NotAction"]
    listed = excluded if isinstance(excluded, list) else [excluded]
    return not any(glob(str(a)).fullmatch(action) for a in listed)
