"""The EventBridge event pattern language, parsed once and matched many times.

Lambda event source mappings filter records with it (``FilterCriteria``), EventBridge
rules route events with it, and SNS filter policies use a subset. Pure code, no I/O.

The language (AWS's EventBridge guide, eb-event-patterns and eb-create-pattern-operators,
and aws/event-ruler, the engine behind it, for what the guide leaves open):

- A pattern is a JSON object that mirrors the event's nesting. Every leaf is a non-empty
  array of allowed values. Fields AND, array elements OR; the fields a pattern names
  must exist (except for ``{"exists": false}``), fields it does not name are ignored.
- An array in the event matches if any of its elements does: a leaf matches if any
  scalar element is allowed, and an object pattern applied to an array of objects
  matches if one element satisfies the whole object, so fields are never matched across
  different elements. Nested arrays are flattened.
- A leaf counts as absent when the event lacks the field, or holds an object or an
  array without scalars there (``exists`` works on leaves only). An object pattern over
  an absent field, or over a scalar, sees every field below it absent, so only
  ``exists: false`` leaves can match there.
- Exact values: strings case-sensitive; ``null`` matches JSON null only (not absence,
  not ""); ``true``/``false`` booleans only. Types never cross: ``"5"`` ≠ ``5``, and
  ``1`` ≠ ``true`` (Python's ``True == 1`` is kept out).
- Numbers compare by value: ``300``, ``300.0`` and ``3.0e2`` are equal. The AWS guide
  still says numbers compare as text ("300, 300.0, and 3.0e2 are not considered
  equal"), but event-ruler compiles each number in a pattern to both its text and its
  numeric value, a check against live AWS reported ``[3.0e2]`` matching ``300.0``
  (floci-io/floci#1888), and ``matches`` receives parsed JSON whose number text is gone.
- Operators: ``prefix``/``suffix`` (a string, or ``{"equals-ignore-case": s}``),
  ``equals-ignore-case``, ``wildcard``, ``anything-but`` (a value, a list of all strings
  or all numbers, or ``{prefix|suffix|equals-ignore-case|wildcard: s or list}``; an
  absent field never matches), ``numeric`` (``=``, or a lower bound then an upper bound;
  JSON numbers within ±5e9, operands with ≤ 6 decimals), ``exists``, ``cidr``, and
  ``$or`` (two or more sub-patterns at any object level, ANDed with their siblings).
  See ``pattern_ops`` for each.
- Limits: the ``$or`` clauses may expand to at most 1,000 combinations (the sub-rules
  event-ruler would compile); objects nest at most 100 deep.

``Pattern.parse`` validates everything up front and raises ``PatternError`` whose text
is the reason, worded as EventBridge words it where known, so callers can answer
``Event pattern is not valid. Reason: <reason>`` (EventBridge) or ``Invalid filter
pattern definition.`` (Lambda). ``Pattern.matches`` walks a tree of small compiled
nodes (sets for exact values, pre-split wildcards, numeric bounds as floats) and never
raises for a JSON event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, NoReturn

from altus.events.pattern_ops import Exact, PatternError, ValueTest, compile_expression

__all__ = ["MAX_OR_COMBINATIONS", "Pattern", "PatternError"]

#: More ``$or`` combinations than this is "too complex" (EventBridge's limit).
MAX_OR_COMBINATIONS: Final = 1000
#: Objects nested deeper than this are refused, so parsing and matching stay far from
#: Python's recursion limit. Real patterns nest a handful of levels.
MAX_DEPTH: Final = 100

# Field names event-ruler refuses inside a $or branch (its operators, and some it keeps).
_RESERVED_IN_OR: Final = frozenset(
    {
        "exactly",
        "equals-ignore-case",
        "prefix",
        "suffix",
        "anything-but",
        "exists",
        "wildcard",
        "numeric",
        "cidr",
        "=",
        "<",
        "<=",
        ">",
        ">=",
        "regex",
        "not-wildcard",
        "not-equals-ignore-case",
        "date-after",
        "date-on-or-after",
        "date-before",
        "date-on-or-before",
        "in-date-range",
        "ip-address-in-range",
        "ip-address-not-in-range",
    }
)

_MISSING: Final = object()  # an absent field, distinct from JSON null


def _scalars(values: Sequence[Any]) -> list[Any]:
    """The scalars of an event array, nested arrays flattened, objects skipped.
    Iterative, so a deeply nested event cannot exhaust the stack."""
    found: list[Any] = []
    stack: list[Sequence[Any]] = [values]
    while stack:
        for value in stack.pop():
            if isinstance(value, list | tuple):
                stack.append(value)
            elif not isinstance(value, dict):
                found.append(value)
    return found


def _objects(values: Sequence[Any]) -> list[dict[Any, Any]]:
    """The objects of an event array, nested arrays flattened."""
    found: list[dict[Any, Any]] = []
    stack: list[Sequence[Any]] = [values]
    while stack:
        for value in stack.pop():
            if isinstance(value, dict):
                found.append(value)
            elif isinstance(value, list | tuple):
                stack.append(value)
    return found


class _Leaf:
    """A leaf array: its bare values merged into one ``Exact``, then its operators."""

    __slots__ = ("accepts_absent", "tests")

    def __init__(self, tests: Sequence[ValueTest]) -> None:
        self.tests = tuple(tests)
        self.accepts_absent = any(t.accepts_absent for t in self.tests)

    def match(self, value: Any) -> bool:
        if isinstance(value, list | tuple):
            scalars = _scalars(value)
            if not scalars:
                return self.accepts_absent
            return any(t.test(s) for s in scalars for t in self.tests)
        if value is _MISSING or isinstance(value, dict):
            return self.accepts_absent
        return any(t.test(value) for t in self.tests)


class _Object:
    """An object of the pattern: named fields, all of which must match, and ``$or``
    groups, in each of which one branch (an object over the same event object) must."""

    __slots__ = ("accepts_absent", "combinations", "fields", "groups")
    accepts_absent: bool
    combinations: int

    def __init__(
        self,
        fields: Sequence[tuple[str, _Object | _Leaf]],
        groups: Sequence[tuple[_Object, ...]],
    ) -> None:
        self.fields = tuple(fields)
        self.groups = tuple(groups)
        self.accepts_absent = all(node.accepts_absent for _, node in self.fields) and all(
            any(branch.accepts_absent for branch in group) for group in self.groups
        )
        # How many plain AND-rules this object expands to, capped once past the limit.
        count = 1
        for _, node in self.fields:
            if isinstance(node, _Object):
                count *= node.combinations
        for group in self.groups:
            count *= sum(branch.combinations for branch in group)
        self.combinations = min(count, MAX_OR_COMBINATIONS + 1)

    def match(self, value: Any) -> bool:
        if isinstance(value, dict):
            return self.match_object(value)
        if isinstance(value, list | tuple):
            objects = _objects(value)
            if objects:
                return any(self.match_object(o) for o in objects)
        return self.accepts_absent

    def match_object(self, event: dict[Any, Any]) -> bool:
        for key, node in self.fields:
            if not node.match(event.get(key, _MISSING)):
                return False
        return all(any(b.match_object(event) for b in group) for group in self.groups)


# --- parsing ---------------------------------------------------------------------------


def _refuse_constant(name: str) -> NoReturn:
    raise PatternError(f"Invalid JSON: {name} is not a JSON value")


def _compile_object(node: dict[str, Any], depth: int, in_or: bool) -> _Object:
    if depth > MAX_DEPTH:
        raise PatternError(f"Event pattern is nested more than {MAX_DEPTH} levels deep")
    if not node:
        raise PatternError("Empty objects are not allowed")
    fields: list[tuple[str, _Object | _Leaf]] = []
    groups: list[tuple[_Object, ...]] = []
    for key, value in node.items():
        if key == "$or":
            groups.append(_compile_or(value, depth))
            continue
        if in_or and key in _RESERVED_IN_OR:
            raise PatternError(
                f"{key} is Ruler reserved fieldName which cannot be used inside $or."
            )
        if isinstance(value, dict):
            fields.append((key, _compile_object(value, depth + 1, in_or)))
        elif isinstance(value, list):
            fields.append((key, _compile_leaf(value)))
        else:
            raise PatternError(f'"{key}" must be an object or an array')
    return _Object(fields, groups)


def _compile_or(value: Any, depth: int) -> tuple[_Object, ...]:
    if not isinstance(value, list):
        raise PatternError("It must be an Array followed with $or.")
    branches = []
    for branch in value:
        if not isinstance(branch, dict):
            raise PatternError("Only JSON object is allowed in array of $or relationship.")
        branches.append(_compile_object(branch, depth + 1, True))
    if len(branches) < 2:
        raise PatternError("There must have at least 2 Objects in $or relationship.")
    return tuple(branches)


def _compile_leaf(values: list[Any]) -> _Leaf:
    bare: list[Any] = []
    tests: list[ValueTest] = []
    for value in values:
        if isinstance(value, dict):
            tests.append(compile_expression(value))
        elif isinstance(value, list):
            raise PatternError("Match value must be String, number, true, false, or null")
        else:
            bare.append(value)
    if not values:
        raise PatternError("Empty arrays are not allowed")
    if bare:
        tests.insert(0, Exact(bare))  # the common case first: a set lookup
    return _Leaf(tests)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A parsed, validated event pattern. Immutable and safe to share across threads."""

    #: The JSON text it was parsed from.
    source: str
    tree: _Object = field(repr=False, compare=False)

    @classmethod
    def parse(cls, text: str) -> Pattern:
        """Parse and fully validate ``text``.

        Raises ``PatternError`` (its text the reason) for invalid JSON, a top level that
        is not an object, an empty object or leaf array, a leaf that is not an array,
        an unknown or malformed operator, or more than ``MAX_OR_COMBINATIONS`` ``$or``
        combinations. A repeated key keeps its last value, as AWS does.
        """
        try:
            document = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
        except PatternError:
            raise
        except RecursionError:
            raise PatternError(
                f"Event pattern is nested more than {MAX_DEPTH} levels deep"
            ) from None
        except ValueError as error:  # JSONDecodeError, or an integer too long to read
            raise PatternError(f"Invalid JSON: {error}") from None
        if not isinstance(document, dict):
            raise PatternError("Filter is not an object")
        tree = _compile_object(document, 1, False)
        if tree.combinations > MAX_OR_COMBINATIONS:
            raise PatternError(
                f"Event pattern is too complex: its $or clauses expand to more than "
                f"{MAX_OR_COMBINATIONS} combinations"
            )
        return cls(text, tree)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` (parsed JSON, normally a dict) matches. Never raises for a
        JSON value; anything but an object matches only a pattern that needs no field."""
        if isinstance(event, dict):
            return self.tree.match_object(event)
        if isinstance(event, Mapping):
            return self.tree.match_object(dict(event))
        return self.tree.accepts_absent
