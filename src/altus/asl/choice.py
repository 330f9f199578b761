"""Choice rules of the JSONPath query language: whether one rule (a ``Variable`` with a
comparison, or ``And``/``Or``/``Not`` of rules) matches the state's input.

AWS's rules, which the States Language spec and the Choice state guide give:

- A comparison of a value of another type than the operator's is false, never an error
  (``NumericEquals`` on ``"1"``, ``StringEquals`` on ``null``, a ``Timestamp…`` operator
  on a string that is not a timestamp).
- A ``Variable`` (or a ``…Path`` operand) whose path selects nothing fails the execution
  with ``States.Runtime`` ("If the state input doesn't contain the field, the execution
  fails"), except under ``IsPresent``, which exists to ask.
- Strings compare by UTF-16 code units (Java's ``String.compareTo``); ``StringMatches``
  takes ``*`` for any run of characters, ``\\*`` for a star and ``\\\\`` for a backslash.
- Timestamps are RFC 3339 with an upper-case ``T`` and a ``Z`` or numeric offset
  (``2016-03-14T01:59:00Z``, ``2016-03-14T01:59:00.123+02:00``); they compare as instants.

The cause of a missing ``Variable`` is "Invalid path '<path>': The choice state's
condition path references an invalid value." (the interpreter prefixes "An error occurred
while executing the state ...")."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from altus.asl import paths
from altus.asl.errors import RUNTIME, StatesError

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})"
)

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}


def matches(
    rule: Mapping[str, Any],
    data: Any,
    *,
    context: Mapping[str, Any],
    variables: Mapping[str, Any],
) -> bool:
    """Whether ``rule`` matches ``data`` (the Choice state's effective input). Raises
    ``StatesError("States.Runtime", ...)`` for a missing ``Variable`` (see the module);
    a malformed rule (validation's to reject) raises ``ValueError``."""
    if "And" in rule:
        return all(matches(r, data, context=context, variables=variables) for r in rule["And"])
    if "Or" in rule:
        return any(matches(r, data, context=context, variables=variables) for r in rule["Or"])
    if "Not" in rule:
        return not matches(rule["Not"], data, context=context, variables=variables)
    variable = rule.get("Variable")
    if not isinstance(variable, str):
        raise ValueError(f"a choice rule needs And, Or, Not or Variable: {dict(rule)!r}")
    name, operand = _comparison(rule)
    value = paths.resolve(variable, data, context=context, variables=variables)
    if name == "IsPresent":
        return (not isinstance(value, paths.Missing)) is operand
    if isinstance(value, paths.Missing):
        raise _invalid(variable)
    if name.endswith("Path") and name != "IsPresent":
        name = name[: -len("Path")]
        if not isinstance(operand, str):
            raise ValueError(f"{name}Path takes a path, got {operand!r}")
        other = paths.resolve(operand, data, context=context, variables=variables)
        if isinstance(other, paths.Missing):
            raise _invalid(operand)
        operand = other
    return _compare(name, value, operand)


def _comparison(rule: Mapping[str, Any]) -> tuple[str, Any]:
    for key, operand in rule.items():
        if key not in ("Variable", "Next", "Comment", "Assign", "Output"):
            return key, operand
    raise ValueError(f"a choice rule with a Variable needs a comparison: {dict(rule)!r}")


def _invalid(path: str) -> StatesError:
    return StatesError(
        RUNTIME,
        f"Invalid path '{path}': The choice state's condition path references an invalid value.",
    )


def _compare(name: str, value: Any, operand: Any) -> bool:
    if name.startswith("Is"):
        return _type_test(name, value) is bool(operand)
    if name == "StringMatches":
        return isinstance(value, str) and isinstance(operand, str) and _glob(operand)(value)
    if name == "BooleanEquals":
        return isinstance(value, bool) and isinstance(operand, bool) and value is operand
    for family, convert in (
        ("String", _string_key),
        ("Numeric", _number),
        ("Timestamp", timestamp),
    ):
        if name.startswith(family):
            relation = _ORDER.get(name[len(family) :])
            if relation is None:
                break
            left, right = convert(value), convert(operand)
            return left is not None and right is not None and relation(left, right)
    raise ValueError(f"unknown choice comparison operator {name!r}")


def _type_test(name: str, value: Any) -> bool:
    if name == "IsNull":
        return value is None
    if name == "IsNumeric":
        return _number(value) is not None
    if name == "IsString":
        return isinstance(value, str)
    if name == "IsBoolean":
        return isinstance(value, bool)
    if name == "IsTimestamp":
        return timestamp(value) is not None
    raise ValueError(f"unknown choice type test {name!r}")


def _string_key(value: Any) -> bytes | None:
    # UTF-16 big-endian bytes order as UTF-16 code units do: Java's order.
    return value.encode("utf-16-be", "surrogatepass") if isinstance(value, str) else None


def _number(value: Any) -> int | float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def timestamp(value: Any) -> datetime | None:
    """The instant an RFC 3339 timestamp string names (as Choice and Wait accept them), or
    None for anything else."""
    if not isinstance(value, str):
        return None
    found = _TIMESTAMP.fullmatch(value)
    if found is None:
        return None
    fraction = (found.group(7) or "")[:6].ljust(6, "0")
    zone = "+00:00" if found.group(8) == "Z" else found.group(8)
    text = "{}-{}-{}T{}:{}:{}.{}{}".format(*found.groups()[:6], fraction, zone)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def _glob(pattern: str) -> Callable[[str], bool]:
    parts: list[str] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\" and position + 1 < len(pattern):
            parts.append(re.escape(pattern[position + 1]))
            position += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        position += 1
    compiled = re.compile("".join(parts), re.DOTALL)
    return lambda text: compiled.fullmatch(text) is not None
