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
  them (none included); the conditions are then checked on the named fields.
"""

from __future__ import annotations

import functools
import json
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

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
        except ValueError:
            return False
        return _condition(pattern.condition, lambda field: _select(document, field))
    return _delimited(pattern, message)


def _has(term: str | ast.Regex, message: str) -> bool:
    if isinstance(term, str):
        return term in message
    return term.pattern.search(message) is not None


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
    if isinstance(found, int | float):
        return float(found)
    if isinstance(found, str) and _NUMERIC.fullmatch(found):
        return float(found)
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
    hit = value.matches(text) if isinstance(value, ast.Glob) else bool(value.pattern.search(text))
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
    for binding in _bindings(pattern.slots, fields, 0, 0, {}):
        lookup = functools.partial(_bound, binding)
        if all(_condition(c, lookup) for c in pattern.conditions):
            return True
    return False


def _bound(binding: Mapping[str, str], name: str) -> Any:
    return binding.get(name, _MISSING)


def _bindings(
    slots: tuple[str, ...], fields: list[str], slot: int, at: int, bound: Mapping[str, str]
) -> Iterator[Mapping[str, str]]:
    """Every way the slots from ``slot`` on cover the fields from ``at`` on."""
    if slot == len(slots):
        if at == len(fields):
            yield bound
        return
    name = slots[slot]
    if name == ast.ELLIPSIS:
        fixed = sum(1 for s in slots[slot + 1 :] if s != ast.ELLIPSIS)
        for end in range(at, len(fields) - fixed + 1):
            yield from _bindings(slots, fields, slot + 1, end, bound)
        return
    if at < len(fields):
        yield from _bindings(slots, fields, slot + 1, at + 1, {**bound, name: fields[at]})
