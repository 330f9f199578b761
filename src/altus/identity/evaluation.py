"""IAM's policy evaluation, for one account: what an identity's policies say of one
action on one resource.

An explicit ``Deny`` wins; else an ``Allow`` grants; else the request is implicitly
denied. A statement applies when its ``Action`` (or ``NotAction``) and ``Resource`` (or
``NotResource``) match, with IAM's wildcards (``*`` and ``?``; actions compared without
case, resources with it), and its ``Condition`` holds. Conditions are read against the
request's context with the operators below; one that cannot be told (another operator,
a missing key without ``IfExists``) keeps an Allow from applying and lets a Deny apply,
so an unknown never grants.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

ALLOW = "Allow"
DENY = "Deny"
#: Nothing allowed it.
IMPLICIT = "Implicit"


def evaluate(
    policies: Sequence[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> str:
    """``DENY`` (explicitly denied), ``ALLOW`` or ``IMPLICIT``."""
    allowed = False
    for policy in policies:
        for statement in statements(policy):
            if not _matches(statement, action, resource):
                continue
            holds = conditions(statement.get("Condition"), context or {})
            if statement.get("Effect") == DENY and holds is not False:
                return DENY
            if statement.get("Effect") == ALLOW and holds is True:
                allowed = True
    return ALLOW if allowed else IMPLICIT


def evaluate_resource(
    policies: Sequence[Mapping[str, Any]],
    names: Sequence[str],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> str:
    """What resource-based ``policies`` say to a caller known by ``names`` (its ARN, its
    role's ARN, its account's root ARN and id): only statements whose ``Principal`` names
    it (or whose ``NotPrincipal`` does not) count."""
    named = [{"Statement": [s for s in statements(p) if names_caller(s, names)]} for p in policies]
    return evaluate(named, action, resource, context)


def names_caller(statement: Mapping[str, Any], names: Sequence[str]) -> bool:
    if "NotPrincipal" in statement:
        return not _names(statement["NotPrincipal"], names)
    return _names(statement.get("Principal"), names)


def _names(principal: Any, names: Sequence[str]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    callers = listed(principal.get("AWS"))
    return "*" in callers or any(name in callers for name in names)


def statements(policy: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    found = policy.get("Statement")
    for statement in found if isinstance(found, list) else [found]:
        if isinstance(statement, Mapping):
            yield statement


def _matches(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        if not any(glob(str(a)).fullmatch(action) for a in listed(statement["Action"])):
            return False
    elif any(glob(str(a)).fullmatch(action) for a in listed(statement.get("NotAction"))):
        return False
    if "Resource" in statement:
        return any(glob(str(r), True).fullmatch(resource) for r in listed(statement["Resource"]))
    return not any(
        glob(str(r), True).fullmatch(resource) for r in listed(statement.get("NotResource"))
    )


def conditions(block: Any, context: Mapping[str, str]) -> bool | None:
    """True if every condition holds, False if one does not, None if one cannot be told
    (an operator not known here)."""
    if block is None:
        return True
    if not isinstance(block, Mapping):
        return None
    for operator, entries in block.items():
        test = OPERATORS.get(operator.removesuffix("IfExists"))
        if test is None or not isinstance(entries, Mapping):
            return None
        for key, expected in entries.items():
            value = context.get(key)
            if value is None:
                if operator.endswith("IfExists"):
                    continue
                return False
            if not any(test(value, str(e)) for e in listed(expected)):
                return False
    return True


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


@functools.lru_cache(maxsize=4096)
def glob(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """IAM's wildcards (``*`` any run, ``?`` one character), everything else literal."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), 0 if case_sensitive else re.IGNORECASE)


def _equals(value: str, expected: str) -> bool:
    return value == expected


def _not_equals(value: str, expected: str) -> bool:
    return value != expected


def _like(value: str, expected: str) -> bool:
    return bool(glob(expected, True).fullmatch(value))


def _bool(value: str, expected: str) -> bool:
    return value.lower() == expected.lower()


#: The condition operators read here (others cannot be told: see the module's words).
OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": _equals,
    "StringNotEquals": _not_equals,
    "StringLike": _like,
    "ArnEquals": _equals,
    "ArnLike": _like,
    "Bool": _bool,
}
