"""Filter patterns against log event messages.

- Terms: substrings, case-sensitive (``ERROR`` matches ``ERRORCODE``, not ``error``).
- JSON: the message must be a JSON document (leading and trailing spaces aside); a
  selector that names nothing, or names an object or an array, makes a comparison
  false, ``=`` and ``!=`` alike (the guide: "both {$.users = 1} and {$.users != 1}
  fail to match" an array). Strings compare by glob or regex; numbers numerically (and
  a number's text against a string field); ``<``/``>`` need a number on both sides (a
  string field holding a plain number counts).
- Space-delimited: the message is split at spaces, text between ``[ ]`` or ``" "``
  being one field (without them); the slots must cover every field, ``...`` any run of
  them (none included), each slot's condition holding on the field it covers. The
  fields each slot may end at are found slot by slot (a condition naming only its own
  slot), so matching takes at most slots x fields condition checks, however many
  ``...`` there are.
- A value that is no usable number (an integer too large for a float) is not
  comparable as one; a document nested too deeply to read is not JSON.
- A ``%regex%`` is matched under a timeout: :class:`MatchTimeout` (from
  ``altus.logs.timed_regex``) when it takes too long, for the caller to refuse.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable
from typing import Any

from altus.logs import timed_regex
from altus.logs.patterns import ast

_MISSING = object()
_FIELD = re.compile(r'\[([^\]]*)\]|"((?:[^"\\]|\\.)*)"|(\S+)')
_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_ORDER: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def matches(pattern: ast.Pattern, message: str) -> bool:
    if isinstance(pattern, ast.Terms):
        return _terms(pattern, message)
    if isinstance(pattern, ast.JsonPattern):
        try:
            document = json.loads(message)
        except (ValueError, RecursionError):  # not JSON, or nested past reading
            return False
        return _condition(pattern.condition, lambda field: _select(document, field))
    return _delimited(pattern, message)


def _has(term: str | ast.Regex, message: str) -> bool:
    if isinstance(term, str):
        return term in message
    return timed_regex.search(term.pattern, message) is not None


def _terms(pattern: ast.Terms, message: str) -> bool:
    return (
        all(_has(t, message) for t in pattern.required)
        and not any(_has(t, message) for t in pattern.excluded)
        and (not pattern.optional or any(_has(t, message) for t in pattern.optional))
    )


def _select(document: Any, field: ast.Selector | str) -> Any:
    assert isinstance(field, tuple)
    found = document
    for step in field:
        if isinstance(step, int):
            if not isinstance(found, list) or step >= len(found):
                return _MISSING
            found = found[step]
        else:
            if not isinstance(found, dict) or step not in found:
                return _MISSING
            found = found[step]
    return found


def _condition(condition: ast.Condition, lookup: Callable[[Any], Any]) -> bool:
    if isinstance(condition, ast.And):
        return all(_condition(p, lookup) for p in condition.parts)
    if isinstance(condition, ast.Or):
        return any(_condition(p, lookup) for p in condition.parts)
    found = lookup(condition.field)
    if isinstance(condition, ast.Check):
        return _check(condition.check, found)
    return compare(found, condition.operator, condition.value)


def _check(check: str, found: Any) -> bool:
    if check == "exists":
        return found is not _MISSING
    if check == "not_exists":
        return found is _MISSING
    if check == "null":
        return found is None
    return found is (check == "true")


def _number(found: Any) -> float | None:
    if isinstance(found, bool):
        return None
    try:
        if isinstance(found, int | float):
            return float(found)
        if isinstance(found, str) and _NUMERIC.fullmatch(found):
            return float(found)
    except OverflowError:  # an integer past a float's range: not comparable
        return None
    return None


def compare(found: Any, op: str, value: ast.Value) -> bool:
    """A field's value (a JSON value, a delimited field's text) against a pattern's."""
    if found is _MISSING or found is None or isinstance(found, dict | list):
        return False
    if isinstance(value, ast.Number):
        number = _number(found)
        if number is not None and not math.isnan(number):
            return _ORDER[op](number, value.value)
        if op in ("=", "!="):
            return (_text(found) == value.text) == (op == "=")
        return False
    text = _text(found)
    hit = (
        value.matches(text)
        if isinstance(value, ast.Glob)
        else timed_regex.search(value.pattern, text) is not None
    )
    return hit == (op == "=")


def _text(found: Any) -> str:
    if isinstance(found, bool):
        return "true" if found else "false"
    return str(found)


def split_fields(message: str) -> list[str]:
    """A space-delimited message's fields (``[...]`` and ``"..."`` as one, unwrapped)."""
    return [next(g for g in m.groups() if g is not None) for m in _FIELD.finditer(message)]


def _delimited(pattern: ast.DelimitedPattern, message: str) -> bool:
    fields = split_fields(message)
    count = len(fields)
    # The field positions the slots so far may have covered up to: a ``...`` reaches
    # every position from the first one reached on; a named slot moves each position
    # on by one where its condition holds on that field.
    reached = {0}
    for name, condition in zip(pattern.slots, pattern.conditions, strict=True):
        if not reached:
            return False
        if name == ast.ELLIPSIS:
            reached = set(range(min(reached), count + 1))
            continue
        reached = {
            at + 1
            for at in reached
            if at < count and (condition is None or _holds(condition, fields[at]))
        }
    return count in reached


def _holds(condition: ast.Condition, field: str) -> bool:
    return _condition(condition, lambda _: field)
