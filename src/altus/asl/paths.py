"""Paths of the JSONPath query language: reading a value (``InputPath``, ``OutputPath``,
``ItemsPath``, a Choice ``Variable``, the ``*Path`` fields, a template's ``"key.$"``) and
placing a result (``ResultPath``).

Step Functions evaluates paths with Jayway's Java JsonPath, and its answers follow from
that library's rules, which this module reproduces:

- A *definite* path (only names and single indexes: ``$.a.b``, ``$['a']``, ``$.a[0]``)
  selects one node and gives its value; when the node is not there the state fails with
  ``States.Runtime``, naming what was missing in Jayway's words (``No results for path:
  $['a']['b']`` when the last step is missing, ``Missing property in path $['a']`` when
  an earlier one is).
- An *indefinite* path (wildcards, ``..``, filters ``[?(...)]``, slices, unions) gives the
  list of the values it selects, possibly empty, never an error: ``$.items[*].id`` on
  ``{}`` is ``[]``. Those are evaluated with jsonpath-ng, whose filter and slice syntax is
  the same for what workflows use.

Roots: ``$`` is the data, ``$$`` the context object, ``$name`` a workflow variable.

Values returned are not copies: callers treat them as immutable (``place`` copies)."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from jsonpath_ng.ext.parser import parse as _parse_jsonpath

from altus.asl.errors import RESULT_PATH_MATCH_FAILURE, RUNTIME, StatesError

#: Fields whose failures AWS reports as ``Invalid path '<path>' : <Jayway's message>``;
#: every other field gets "The JSONPath '<path>' specified for the field '<field>' could
#: not be found in the input '<input>'".
INVALID_PATH_FIELDS = frozenset({"InputPath", "OutputPath", "ItemsPath"})

_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_INDEX = re.compile(r"\[(-?\d+)\]")
_QUOTED = re.compile(r"\[\s*(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\")\s*\]")
_DOT_NAME = re.compile(r"\.([^.\[\]*]+)")

Step = str | int


class Missing:
    """What a path that selects nothing gives instead of a value: why, in Jayway's words."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Missing({self.reason!r})"


def to_json(value: Any) -> str:
    """JSON text as Step Functions prints it in causes and history: compact, not ASCII-
    escaped."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- reading ---------------------------------------------------------------------------


def read(
    path: str,
    data: Any,
    *,
    context: Mapping[str, Any],
    variables: Mapping[str, Any],
    field: str,
) -> Any:
    """The value ``path`` selects (a list for an indefinite path).

    When a definite path selects nothing, raises ``StatesError("States.Runtime", cause)``
    with the part of AWS's cause after "An error occurred while executing the state 'S'
    (entered at the event id #N). ", which the interpreter prefixes:

    - for ``InputPath``, ``OutputPath``, ``ItemsPath``: ``Invalid path '$.x' : No results
      for path: $['x']``;
    - for any other field (``ErrorPath``, ``SecondsPath``, a template key ``"x.$"``...):
      ``The JSONPath '$.x' specified for the field 'x.$' could not be found in the input
      '{"y":1}'`` (the input compact, as AWS prints it).

    A path that is not a Path at all raises ``ValueError`` (validation's to catch)."""
    found = resolve(path, data, context=context, variables=variables)
    if isinstance(found, Missing):
        raise StatesError(
            RUNTIME, not_found_cause(path, field, found, root_of(path, data, context, variables))
        )
    return found


def not_found_cause(path: str, field: str, missing: Missing, root: Any) -> str:
    """AWS's cause for ``path`` (in ``field``) selecting nothing in ``root``."""
    if field in INVALID_PATH_FIELDS:
        return f"Invalid path '{path}' : {missing.reason}"
    return (
        f"The JSONPath '{path}' specified for the field '{field}' could not be found in "
        f"the input '{to_json(root)}'"
    )


def resolve(
    path: str, data: Any, *, context: Mapping[str, Any], variables: Mapping[str, Any]
) -> Any:
    """The value ``path`` selects, or a ``Missing`` saying why there is none (no error:
    Choice's ``IsPresent`` asks this way)."""
    if path.startswith("$$"):
        return _query(path[2:], context)
    variable = _VARIABLE.match(path)
    if variable is not None:
        name = variable.group(1)
        if name not in variables:
            return Missing(f"No results for path: ${name}")
        return _query(path[variable.end() :], variables[name])
    if not path.startswith("$"):
        raise ValueError(f"not a path: {path!r}")
    return _query(path[1:], data)


def root_of(path: str, data: Any, context: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
    """What ``path`` is applied to: the context object, a variable's value, or ``data``."""
    if path.startswith("$$"):
        return context
    variable = _VARIABLE.match(path)
    if variable is not None:
        return variables.get(variable.group(1))
    return data


def _query(rest: str, root: Any) -> Any:
    steps = _definite_steps(rest)
    if steps is not None:
        return _walk(steps, root)
    return [match.value for match in _indefinite(rest).find(root)]


def _walk(steps: list[Step], root: Any) -> Any:
    node = root
    rendered = "$"
    full = "$" + "".join(_render(step) for step in steps)
    for position, step in enumerate(steps):
        rendered += _render(step)
        if isinstance(step, int):
            if isinstance(node, list) and -len(node) <= step < len(node):
                node = node[step]
                continue
            # Jayway drops an index that selects nothing; the definite path then has no
            # result at all.
            return Missing(f"No results for path: {full}")
        if isinstance(node, dict) and step in node:
            node = node[step]
            continue
        if position == len(steps) - 1:
            return Missing(f"No results for path: {full}")
        return Missing(f"Missing property in path {rendered}")
    return node


def _render(step: Step) -> str:
    return f"[{step}]" if isinstance(step, int) else f"['{step}']"


@functools.lru_cache(maxsize=4096)
def _definite_steps_cached(rest: str) -> tuple[Step, ...] | None:
    steps: list[Step] = []
    position = 0
    while position < len(rest):
        if rest.startswith(".[", position):
            position += 1  # Jayway reads "$.['a']" as "$['a']"
        index = _INDEX.match(rest, position)
        if index is not None:
            steps.append(int(index.group(1)))
            position = index.end()
            continue
        quoted = _QUOTED.match(rest, position)
        if quoted is not None:
            raw = quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
            steps.append(re.sub(r"\\(.)", r"\1", raw))
            position = quoted.end()
            continue
        name = _DOT_NAME.match(rest, position)
        if name is not None and not rest.startswith("..", position):
            steps.append(name.group(1))
            position = name.end()
            continue
        return None
    return tuple(steps)


def _definite_steps(rest: str) -> list[Step] | None:
    steps = _definite_steps_cached(rest)
    return None if steps is None else list(steps)


@functools.lru_cache(maxsize=1024)
def _indefinite(rest: str) -> Any:
    text = "$" + rest.replace(".[", "[")
    try:
        return _parse_jsonpath(text)
    except Exception as problem:  # the lexer and parser raise several kinds
        raise ValueError(f"not a valid JSONPath: {'$' + rest!r} ({problem})") from problem


def is_path(text: str) -> bool:
    """Whether ``text`` parses as a Path (any root, definite or not)."""
    try:
        if text.startswith("$$"):
            rest = text[2:]
        elif (variable := _VARIABLE.match(text)) is not None:
            rest = text[variable.end() :]
        elif text.startswith("$"):
            rest = text[1:]
        else:
            return False
        if _definite_steps(rest) is None:
            _indefinite(rest)
        return True
    except ValueError:
        return False


def is_reference_path(
    path: str, *, allow_context: bool = True, allow_variables: bool = True
) -> bool:
    """Whether ``path`` is a Reference Path: a definite path (names and single indexes, no
    filters, wildcards, slices or ``..``), as ``ResultPath`` (from ``$`` only:
    ``allow_context=False, allow_variables=False``) and Choice's ``Variable`` and
    ``…Path`` operators take."""
    if path.startswith("$$"):
        return allow_context and _definite_steps(path[2:]) is not None
    variable = _VARIABLE.match(path)
    if variable is not None:
        return allow_variables and _definite_steps(path[variable.end() :]) is not None
    return path.startswith("$") and _definite_steps(path[1:]) is not None


# --- placing -----------------------------------------------------------------------------


def place(result_path: str | None, data: Any, result: Any) -> Any:
    """The state's output before ``OutputPath``: ``ResultPath`` applied.

    None (JSON null) discards the result and keeps ``data``; ``"$"`` is the result;
    ``"$.a.b"`` sets the result into a copy of ``data``, creating the objects on the way.
    When a step meets something else than an object (or an array, for an index) it
    cannot go through, raises ``StatesError("States.ResultPathMatchFailure", "Unable to
    apply ReferencePath $.a.b to input <input as compact JSON>")``. A ``result_path`` that
    is not a Reference Path from ``$`` raises ``ValueError`` (validation's to catch)."""
    if result_path is None:
        return data
    if not result_path.startswith("$") or result_path.startswith("$$"):
        raise ValueError(f"ResultPath must be a reference path from '$': {result_path!r}")
    steps = _definite_steps(result_path[1:])
    if steps is None or _VARIABLE.match(result_path):
        raise ValueError(f"ResultPath must be a reference path from '$': {result_path!r}")
    if not steps:
        return result
    output = copy.deepcopy(data)
    node = output
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        if isinstance(step, int):
            if not (isinstance(node, list) and -len(node) <= step < len(node)):
                raise _match_failure(result_path, data)
            if last:
                node[step] = result
            else:
                node = node[step]
            continue
        if not isinstance(node, dict):
            raise _match_failure(result_path, data)
        if last:
            node[step] = result
        else:
            node = node.setdefault(step, {})
    return output


def _match_failure(result_path: str, data: Any) -> StatesError:
    return StatesError(
        RESULT_PATH_MATCH_FAILURE,
        f"Unable to apply ReferencePath {result_path} to input {to_json(data)}",
    )
