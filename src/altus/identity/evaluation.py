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
    (an operator not known here). Keys are compared without case, as IAM compares them;
    a key the request does not have fails a condition, except under ``...IfExists`` and
    a negated operator (``StringNotEquals``), which it passes, as in IAM."""
    if block is None:
        return True
    if not isinstance(block, Mapping):
        return None
    known = {key.lower(): value for key, value in context.items()}
    for operator, entries in block.items():
        base = operator.removesuffix("IfExists")
        test = OPERATORS.get(base)
        if test is None or not isinstance(entries, Mapping):
            return None
        for key, expected in entries.items():
            value = known.get(str(key).lower())
            if value is None:
                if operator.endswith("IfExists") or "Not" in base:
                    continue
                return False
            if base in NEGATED:
                if not all(test(value, str(e)) for e in listed(expected)):
                    return False
            elif not any(test(value, str(e)) for e in listed(expected)):
                return False
    return True


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


class _Wildcard:
    """An IAM pattern (``*`` any run, ``?`` one character, everything else literal),
    matched in linear time: no regular expression, whose backtracking a pattern such as
    ``*?*?*?*?X`` would make take minutes on the event loop."""

    __slots__ = ("_case_sensitive", "_pattern")

    def __init__(self, pattern: str, case_sensitive: bool) -> None:
        self._pattern = pattern if case_sensitive else pattern.lower()
        self._case_sensitive = case_sensitive

    def fullmatch(self, text: str) -> bool:
        pattern = self._pattern
        value = text if self._case_sensitive else text.lower()
        p = v = 0
        star, resume = -1, 0
        while v < len(value):
            if p < len(pattern) and pattern[p] in ("?", value[v]) and pattern[p] != "*":
                p += 1
                v += 1
            elif p < len(pattern) and pattern[p] == "*":
                star, resume = p, v
                p += 1
            elif star >= 0:
                p = star + 1
                resume += 1
                v = resume
            else:
                return False
        while p < len(pattern) and pattern[p] == "*":
            p += 1
        return p == len(pattern)


@functools.lru_cache(maxsize=4096)
def glob(pattern: str, case_sensitive: bool = False) -> _Wildcard:
    """IAM's wildcards, compared without case (actions) or with it (resources)."""
    return _Wildcard(pattern, case_sensitive)


def _equals(value: str, expected: str) -> bool:
    return value == expected


def _not_equals(value: str, expected: str) -> bool:
    return value != expected


def _like(value: str, expected: str) -> bool:
    return bool(glob(expected, True).fullmatch(value))


def _bool(value: str, expected: str) -> bool:
    return value.lower() == expected.lower()


def _not_like(value: str, expected: str) -> bool:
    return not _like(value, expected)


#: The condition operators read here (others cannot be told: see the module's words).
#: ArnEquals takes wildcards as ArnLike does, in IAM.
OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": _equals,
    "StringNotEquals": _not_equals,
    "StringLike": _like,
    "StringNotLike": _not_like,
    "ArnEquals": _like,
    "ArnLike": _like,
    "ArnNotEquals": _not_like,
    "ArnNotLike": _not_like,
    "Bool": _bool,
}
#: Negated operators: a value passes when it matches none of the expected ones.
NEGATED = frozenset({"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"})
