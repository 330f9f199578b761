"""IAM's policy evaluation, for one account: what an identity's policies say of one
action on one resource.

An explicit ``Deny`` wins; else an ``Allow`` grants; else the request is implicitly
denied. A statement applies when its ``Action`` (or ``NotAction``) and ``Resource`` (or
``NotResource``) match, with IAM's wildcards (``*`` and ``?``; actions compared without
case, resources with it), and its ``Condition`` holds.

Conditions are read against the request's context, as the IAM User Guide's "Condition
operators", "Creating a condition with multiple keys or values" and "Policy variables"
pages describe them: every operator and every key of a block must hold (AND), any one of
a key's values may (OR), but a negated operator (``StringNotEquals``, ``NotIpAddress``
...) holds only when the request's value matches none of them. ``ForAnyValue:`` and
``ForAllValues:`` compare a multivalued key (a list in the context) as sets.

Some conditions cannot be told: an operator IAM does not have; a negated operator given a
value that is not of its type (``NumericNotEquals`` on ``"ten"``), or a value whose
policy variable names a key the request lacks; a ``NotResource`` entry with such a
variable; a multivalued key without a set operator. Such a statement never grants, and a
``Deny`` one applies: an unknown never grants. Where AWS's pages are silent, the reading
chosen is said where it is made.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import ipaddress
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

ALLOW = "Allow"
DENY = "Deny"
#: Nothing allowed it.
IMPLICIT = "Implicit"

#: The policy language version with policy variables. In ``2008-10-17`` (also what a
#: policy without a ``Version`` is) ``${aws:username}`` is plain text.
VARIABLES_VERSION = "2012-10-17"

#: A context key's value: one string, or several for a multivalued key (``aws:TagKeys``).
#: Binary keys (``BinaryEquals``) are given base64-encoded.
ContextValue: TypeAlias = "str | Sequence[str]"
Context: TypeAlias = "Mapping[str, ContextValue]"


def evaluate(
    policies: Sequence[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
) -> str:
    """``DENY`` (explicitly denied), ``ALLOW`` or ``IMPLICIT``."""
    known = _Known(context or {})
    allowed = False
    for policy in policies:
        variables = known if policy.get("Version") == VARIABLES_VERSION else None
        for statement in statements(policy):
            applies = _matches(statement, action, resource, variables)
            if applies is False:
                continue
            holds = _both(applies, _conditions(statement.get("Condition"), known, variables))
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
    context: Context | None = None,
    *,
    services: Sequence[str] = (),
) -> str:
    """What resource-based ``policies`` say to a caller known by ``names`` (its ARN, its
    role's ARN, its account's root ARN and id) or, for a service acting on its own (S3
    invoking a function), by ``services`` (``s3.amazonaws.com``): only statements whose
    ``Principal`` names it (or whose ``NotPrincipal`` does not) count."""
    named = [
        {
            "Version": p.get("Version"),  # kept: it decides whether variables are read
            "Statement": [s for s in statements(p) if names_caller(s, names, services)],
        }
        for p in policies
    ]
    return evaluate(named, action, resource, context)


def names_caller(
    statement: Mapping[str, Any], names: Sequence[str], services: Sequence[str] = ()
) -> bool:
    if "NotPrincipal" in statement:
        return not _names(statement["NotPrincipal"], names, services)
    return _names(statement.get("Principal"), names, services)


def _names(principal: Any, names: Sequence[str], services: Sequence[str]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    callers = listed(principal.get("AWS"))
    # {"AWS": "*"} is everyone, as "*" is: services too (the SNS-to-SQS queue policy of
    # AWS's older examples grants SNS this way, narrowed by aws:SourceArn).
    if "*" in callers or (names and any(name in callers for name in names)):
        return True
    named = listed(principal.get("Service"))
    return any(service in named for service in services)


def statements(policy: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    found = policy.get("Statement")
    for statement in found if isinstance(found, list) else [found]:
        if isinstance(statement, Mapping):
            yield statement


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _matches(
    statement: Mapping[str, Any], action: str, resource: str, variables: _Known | None
) -> bool | None:
    """Whether the statement is about ``action`` on ``resource``; None where a
    ``NotResource`` entry names a variable the request lacks (what it excludes cannot be
    told)."""
    if "Action" in statement:
        if not any(glob(str(a)).fullmatch(action) for a in listed(statement["Action"])):
            return False
    elif "NotAction" not in statement:
        return False  # a statement about no action (a misspelt key) is about nothing
    elif any(glob(str(a)).fullmatch(action) for a in listed(statement["NotAction"])):
        return False
    if "Resource" in statement:
        # An entry whose variable cannot be resolved names nothing.
        return any(
            _resource(str(r), resource, variables) is True for r in listed(statement["Resource"])
        )
    excluded = [
        _resource(str(r), resource, variables) for r in listed(statement.get("NotResource"))
    ]
    return _not(_any(excluded))


def _resource(entry: str, resource: str, variables: _Known | None) -> bool | None:
    pattern = _Text(entry) if variables is None else _resolve(entry, variables)
    return (
        None if pattern is None else _glob_text(pattern.text, pattern.literal).fullmatch(resource)
    )


def conditions(block: Any, context: Context, *, variables: bool = False) -> bool | None:
    """True if every condition holds, False if one does not, None if one cannot be told
    (see the module's words). Keys are compared without case, as IAM compares them.
    ``variables``: the policy is a ``2012-10-17`` one, whose condition values may hold
    policy variables."""
    known = _Known(context)
    return _conditions(block, known, known if variables else None)


def _conditions(block: Any, known: _Known, variables: _Known | None) -> bool | None:
    if block is None:
        return True
    if not isinstance(block, Mapping):
        return None
    verdict: bool | None = True
    for name, entries in block.items():
        reading = _operator(str(name))
        if reading is None or not isinstance(entries, Mapping):
            return None
        for key, expected in entries.items():
            verdict = _both(
                verdict, reading.holds(known.values(str(key)), listed(expected), variables)
            )
            if verdict is False:
                return False
    return verdict


# --- three-valued logic: None is "cannot be told" -----------------------------------------


def _both(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _any(results: Sequence[bool | None]) -> bool | None:
    if True in results:
        return True
    return None if None in results else False


def _all(results: Sequence[bool | None]) -> bool | None:
    if False in results:
        return False
    return None if None in results else True


def _not(result: bool | None) -> bool | None:
    return None if result is None else not result


# --- the request's context ------------------------------------------------------------------


class _Known:
    """The context, its keys without case (IAM: ``aws:CurrentTime`` is ``AWS:currenttime``)."""

    __slots__ = ("_values",)

    def __init__(self, context: Context) -> None:
        self._values = {str(key).lower(): value for key, value in context.items()}

    def values(self, key: str) -> list[str] | None:
        """The key's values (one for a single-valued key); None if the request lacks it."""
        raw = self._values.get(key.lower())
        if raw is None:
            return None
        if isinstance(raw, str):
            return [raw]
        if isinstance(raw, (list, tuple)):
            return [text for text in map(_text, raw) if text is not None]
        text = _text(raw)
        return None if text is None else [text]

    def single(self, key: str) -> str | None:
        """A single-valued key's value: what a policy variable reads. A multivalued key
        cannot be a policy variable, in IAM."""
        raw = self._values.get(key.lower())
        return None if raw is None or isinstance(raw, (list, tuple)) else _text(raw)


def _text(value: Any) -> str | None:
    """A policy's or context's scalar as IAM reads it (JSON ``true`` is ``"true"``); None
    for what is not a scalar."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")  # never an exponent, which no parser reads
    return None


# --- policy variables -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Text:
    """A policy string as read: its text, and which of its ``*`` and ``?`` are plain
    characters rather than wildcards (from ``${*}``, or from a variable's value, which
    can never widen a pattern)."""

    text: str
    literal: frozenset[int] = frozenset()


def _resolve(template: str, known: _Known) -> _Text | None:
    """``template`` with its policy variables replaced from the context: ``${key}``,
    ``${key, 'default'}``, and ``${*}``, ``${?}``, ``${$}`` for those characters. None if
    a variable's key is not in the context (nor a single value) and has no default. One
    pass, linear: a ``${`` never closed leaves the rest as text."""
    if "${" not in template:
        return _Text(template)
    parts: list[str] = []
    literal: set[int] = set()
    size = at = 0
    while (start := template.find("${", at)) >= 0:
        end = template.find("}", start + 2)
        if end < 0:
            break
        value = _variable(template[start + 2 : end], known)
        if value is None:
            return None
        parts.append(template[at:start])
        size += start - at
        literal.update(size + i for i, char in enumerate(value) if char in "*?")
        parts.append(value)
        size += len(value)
        at = end + 1
    parts.append(template[at:])
    return _Text("".join(parts), frozenset(literal))


def _variable(body: str, known: _Known) -> str | None:
    if body in ("*", "?", "$"):
        return body
    name, comma, rest = body.partition(",")
    default = None
    if comma:
        # IAM's form is ``${key, 'default'}``; a default holding "}" is not read.
        rest = rest.strip()
        if len(rest) < 2 or rest[0] != "'" or rest[-1] != "'":
            return None
        default = rest[1:-1]
    found = known.single(name.strip())
    return default if found is None else found


# --- condition operators ----------------------------------------------------------------------

_FOR_ANY = "ForAnyValue:"
_FOR_ALL = "ForAllValues:"


@dataclass(frozen=True, slots=True)
class _Comparison:
    """One operator: ``compare`` tells whether a request's value matches one policy value
    (None: one of them is not of the operator's type). A negated operator holds when the
    value matches none of the policy's values; ``variables``: its values may hold
    policy variables (string, ARN and Boolean operators, in IAM)."""

    compare: Callable[[str, _Text], bool | None]
    negated: bool = False
    variables: bool = False


@dataclass(frozen=True, slots=True)
class _Operator:
    """An operator as written: its comparison (None: ``Null``), its set operator, and
    whether it ends in ``IfExists``."""

    comparison: _Comparison | None
    qualifier: str | None
    if_exists: bool

    def holds(
        self, values: list[str] | None, expected: list[Any], variables: _Known | None
    ) -> bool | None:
        """Whether one key's condition holds, its request ``values`` (None: the key is
        absent) against the policy's ``expected`` values."""
        comparison = self.comparison
        if comparison is None:
            return _null(values, expected)
        known = variables if comparison.variables else None
        patterns = [_expected(value, known) for value in expected]
        if self.qualifier is None:
            if not values:
                # Absent: false, but true for a negated operator or under IfExists.
                return self.if_exists or comparison.negated
            if len(values) > 1:
                return None  # a multivalued key needs ForAnyValue or ForAllValues
            return _one(comparison, values[0], patterns)
        members = [] if values is None or values == [""] else values
        if not members:
            # An absent key, or an empty set: ForAllValues holds, ForAnyValue does not.
            return self.if_exists or self.qualifier == _FOR_ALL
        results = [_one(comparison, member, patterns) for member in members]
        return _all(results) if self.qualifier == _FOR_ALL else _any(results)


def _operator(name: str) -> _Operator | None:
    qualifier = next((q for q in (_FOR_ANY, _FOR_ALL) if name.startswith(q)), None)
    base = name.removeprefix(qualifier) if qualifier else name
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if base == "Null":  # takes neither IfExists nor a set operator
        return None if if_exists or qualifier else _Operator(None, None, False)
    comparison = OPERATORS.get(base)
    return None if comparison is None else _Operator(comparison, qualifier, if_exists)


def _expected(value: Any, variables: _Known | None) -> _Text | None:
    text = _text(value)
    if text is None:
        return None
    return _Text(text) if variables is None else _resolve(text, variables)


def _one(comparison: _Comparison, value: str, patterns: list[_Text | None]) -> bool | None:
    hits = [None if p is None else comparison.compare(value, p) for p in patterns]
    if comparison.negated:
        return _not(_any(hits))
    # A value that cannot be read never matches a positive operator.
    return True in hits


def _null(values: list[str] | None, expected: list[Any]) -> bool:
    """``Null``: ``true`` holds where the key is absent (or empty), ``false`` where it is
    there."""
    absent = not values or values == [""]
    wanted = [(_text(e) or "").lower() for e in expected]
    return ("true" in wanted and absent) or ("false" in wanted and not absent)


def _equals(value: str, expected: _Text) -> bool:
    return value == expected.text


def _equals_ignore_case(value: str, expected: _Text) -> bool:
    return value.lower() == expected.text.lower()


def _like(value: str, expected: _Text) -> bool:
    return _glob_text(expected.text, expected.literal).fullmatch(value)


def _arn_like(value: str, expected: _Text) -> bool | None:
    """IAM's ARN match: each of the six colon-separated parts on its own, so a wildcard
    never spans a colon (``arn:aws:s:*:111122223333:f/*`` does not match an ARN whose
    region part is ``us-east-2:999999999999:store/abc``, where StringLike would)."""
    wildcards = _arn_glob(expected.text, expected.literal)
    parts = value.split(":", 5)
    if wildcards is None or len(parts) != 6:
        return None
    return all(w.fullmatch(part) for w, part in zip(wildcards, parts, strict=True))


def _bool(value: str, expected: _Text) -> bool | None:
    a, b = value.lower(), expected.text.lower()
    return a == b if {a, b} <= {"true", "false"} else None


#: IAM's numbers: integers and decimals, no exponent.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _number(text: str) -> Decimal | None:
    return Decimal(text) if _NUMBER.fullmatch(text) else None


def _numeric(compare: Callable[[Decimal, Decimal], bool]) -> Callable[[str, _Text], bool | None]:
    def test(value: str, expected: _Text) -> bool | None:
        a, b = _number(value), _number(expected.text)
        return None if a is None or b is None else compare(a, b)

    return test


#: Dates: epoch seconds, or the W3C profile of ISO 8601 (YYYY-MM, YYYY-MM-DD, then
#: Thh:mm, :ss and .s with a zone, Z or +hh:mm). A bare number is epoch seconds, so the
#: profile's year-only form reads as seconds.
_EPOCH = re.compile(r"[0-9]+")
_W3C = re.compile(
    r"([0-9]{4})-([0-9]{2})(?:-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?(Z|[+-][0-9]{2}:[0-9]{2}))?)?"
)
_UNIX = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _instant(text: str) -> datetime.datetime | None:
    try:
        if _EPOCH.fullmatch(text):
            return _UNIX + datetime.timedelta(seconds=int(text))
        found = _W3C.fullmatch(text)
        if found is None:
            return None
        year, month, day, hour, minute, second, fraction, zone = found.groups()
        tz = datetime.UTC
        if zone not in (None, "Z"):
            offset = datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            tz = datetime.timezone(-offset if zone[0] == "-" else offset)
        return datetime.datetime(
            int(year),
            int(month),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "")[:6].ljust(6, "0")),  # microseconds: finer is dropped
            tzinfo=tz,
        )
    except (ValueError, OverflowError):  # day 31 of February, an hour 24, a huge number
        return None


def _date(
    compare: Callable[[datetime.datetime, datetime.datetime], bool],
) -> Callable[[str, _Text], bool | None]:
    def test(value: str, expected: _Text) -> bool | None:
        a, b = _instant(value), _instant(expected.text)
        return None if a is None or b is None else compare(a, b)

    return test


def _in_network(value: str, expected: _Text) -> bool | None:
    """A CIDR range, IPv4 or IPv6; an address alone is /32 (/128). Host bits are
    ignored, and an IPv4 address seen through IPv6 (``::ffff:10.0.0.1``) is that IPv4
    address, as a dual-stack socket reports it."""
    address, network = _address(value), _network(expected.text)
    if address is None or network is None:
        return None
    return address in network


@functools.lru_cache(maxsize=1024)
def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=1024)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _binary(value: str, expected: _Text) -> bool | None:
    """Byte for byte, the policy's value given in base64 (and the context's too)."""
    try:
        return base64.b64decode(value, validate=True) == base64.b64decode(
            expected.text, validate=True
        )
    except (binascii.Error, ValueError):
        return None


_EQ, _LT, _LE, _GT, _GE = operator.eq, operator.lt, operator.le, operator.gt, operator.ge

#: The condition operators read here, by name (without ``IfExists`` or a set operator);
#: ``Null`` is read apart. Others cannot be told: see the module's words.
OPERATORS: dict[str, _Comparison] = {
    "StringEquals": _Comparison(_equals, variables=True),
    "StringNotEquals": _Comparison(_equals, negated=True, variables=True),
    "StringEqualsIgnoreCase": _Comparison(_equals_ignore_case, variables=True),
    "StringNotEqualsIgnoreCase": _Comparison(_equals_ignore_case, negated=True, variables=True),
    "StringLike": _Comparison(_like, variables=True),
    "StringNotLike": _Comparison(_like, negated=True, variables=True),
    "NumericEquals": _Comparison(_numeric(_EQ)),
    "NumericNotEquals": _Comparison(_numeric(_EQ), negated=True),
    "NumericLessThan": _Comparison(_numeric(_LT)),
    "NumericLessThanEquals": _Comparison(_numeric(_LE)),
    "NumericGreaterThan": _Comparison(_numeric(_GT)),
    "NumericGreaterThanEquals": _Comparison(_numeric(_GE)),
    "DateEquals": _Comparison(_date(_EQ)),
    "DateNotEquals": _Comparison(_date(_EQ), negated=True),
    "DateLessThan": _Comparison(_date(_LT)),
    "DateLessThanEquals": _Comparison(_date(_LE)),
    "DateGreaterThan": _Comparison(_date(_GT)),
    "DateGreaterThanEquals": _Comparison(_date(_GE)),
    "Bool": _Comparison(_bool, variables=True),
    "BinaryEquals": _Comparison(_binary),
    "IpAddress": _Comparison(_in_network),
    "NotIpAddress": _Comparison(_in_network, negated=True),
    # ArnEquals takes wildcards as ArnLike does, in IAM.
    "ArnEquals": _Comparison(_arn_like, variables=True),
    "ArnLike": _Comparison(_arn_like, variables=True),
    "ArnNotEquals": _Comparison(_arn_like, negated=True, variables=True),
    "ArnNotLike": _Comparison(_arn_like, negated=True, variables=True),
}


# --- wildcards --------------------------------------------------------------------------------


class _Wildcard:
    """An IAM pattern (``*`` any run, ``?`` one character, everything else literal),
    matched without a regular expression, whose backtracking a pattern such as
    ``*?*?*?*?X`` would make take minutes on the event loop.

    The pattern is cut at its ``*`` into fixed-length segments: the first must start the
    text, the last end it, and each one between is found at its leftmost place after the
    one before (leftmost is never worse: what follows has the most room). A segment
    without ``?`` is found by ``str.find``; one with ``?`` by trying each place, so a
    match costs at most the pattern's length times the text's.
    ``literal``: positions whose ``*`` or ``?`` is a plain character (case-sensitive
    patterns only, the only ones variables reach)."""

    __slots__ = ("_case_sensitive", "_least", "_segments")

    def __init__(
        self, pattern: str, case_sensitive: bool, literal: frozenset[int] = frozenset()
    ) -> None:
        pattern = pattern if case_sensitive else pattern.lower()
        segments: list[tuple[str, frozenset[int]]] = []
        text: list[str] = []
        anys: list[int] = []  # the segment's positions that match any one character
        for i, char in enumerate(pattern):
            if char == "*" and i not in literal:
                segments.append(("".join(text), frozenset(anys)))
                text, anys = [], []
                continue
            if char == "?" and i not in literal:
                anys.append(len(text))
            text.append(char)
        segments.append(("".join(text), frozenset(anys)))
        self._segments = tuple(segments)
        self._case_sensitive = case_sensitive
        self._least = sum(len(t) for t, _ in segments)

    def fullmatch(self, text: str) -> bool:
        value = text if self._case_sensitive else text.lower()
        segments = self._segments
        if len(value) < self._least:
            return False
        first = segments[0]
        if len(segments) == 1:
            return len(value) == len(first[0]) and _at(first, value, 0)
        last = segments[-1]
        end = len(value) - len(last[0])
        if not _at(first, value, 0) or not _at(last, value, end):
            return False
        position = len(first[0])
        for segment in segments[1:-1]:
            found = _find(segment, value, position, end)
            if found < 0:
                return False
            position = found + len(segment[0])
        return position <= end


def _at(segment: tuple[str, frozenset[int]], value: str, start: int) -> bool:
    """Whether ``segment`` matches ``value`` at ``start``."""
    text, anys = segment
    if not anys:
        return value.startswith(text, start)
    if start + len(text) > len(value):
        return False
    return all(i in anys or text[i] == value[start + i] for i in range(len(text)))


def _find(segment: tuple[str, frozenset[int]], value: str, start: int, end: int) -> int:
    """Where ``segment`` first matches ``value`` wholly within ``start``..``end``; -1 if
    nowhere."""
    text, anys = segment
    if not anys:
        return value.find(text, start, end)
    for place in range(start, end - len(text) + 1):
        if _at(segment, value, place):
            return place
    return -1


@functools.lru_cache(maxsize=4096)
def glob(pattern: str, case_sensitive: bool = False) -> _Wildcard:
    """IAM's wildcards, compared without case (actions) or with it (resources)."""
    return _Wildcard(pattern, case_sensitive)


@functools.lru_cache(maxsize=4096)
def _glob_text(text: str, literal: frozenset[int]) -> _Wildcard:
    return _Wildcard(text, True, literal)


@functools.lru_cache(maxsize=4096)
def _arn_glob(text: str, literal: frozenset[int]) -> tuple[_Wildcard, ...] | None:
    """A pattern's six ARN parts, each its own wildcard; None if it has not six."""
    parts = text.split(":", 5)
    if len(parts) != 6:
        return None
    wildcards = []
    start = 0
    for part in parts:
        end = start + len(part)
        own = frozenset(i - start for i in literal if start <= i < end)
        wildcards.append(_Wildcard(part, True, own))
        start = end + 1
    return tuple(wildcards)
