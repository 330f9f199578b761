"""Payload templates of the JSONPath query language: ``Parameters``, ``ResultSelector``,
``ItemSelector``, ``Assign`` and ``Credentials``.

A template is a JSON value copied as it is, except that an object member whose name ends
in ``.$`` is replaced by a member without the suffix whose value is computed from the
member's string: an intrinsic call (``States.Format(...)``), or a path (``$.a``, ``$$.``
into the context object, ``$name`` for a workflow variable). Objects and arrays are
walked to any depth; values that are not strings under ``.$`` names are a definition
error, which validation reports before anything runs.

The order of the members built is AWS's, as its recorded histories show it: the copied
members first, in the template's order, then the computed ones in the order a Java
``HashMap`` keeps their names (``hash_order``; e.g. an ``ItemSelector`` of
``original_input.$``, ``iteration_input_value.$``, ``iteration_index.$``,
``from_input_constant.$`` and ``constant_value`` gives ``constant_value``,
``iteration_input_value``, ``from_input_constant``, ``iteration_index``,
``original_input``). The computed members are evaluated in that order too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.asl import intrinsics, paths
from altus.asl.context import Chance


def evaluate(
    template: Any,
    data: Any,
    *,
    context: Mapping[str, Any],
    variables: Mapping[str, Any],
    chance: Chance,
    field: str,
) -> Any:
    """The payload ``template`` builds from ``data`` (the effective input, or the task's
    result for ``ResultSelector``).

    A path that selects nothing raises ``StatesError("States.Runtime", "The JSONPath '$.x'
    specified for the field 'x.$' could not be found in the input '{...}'")``: the member's
    name, with its ``.$``, is the field AWS names (the interpreter prefixes "An error
    occurred while executing the state ..."). Intrinsic failures are as ``intrinsics``
    says. ``field`` (``Parameters``, ``ResultSelector``...) names the template in the
    ``ValueError`` raised for a malformed one."""
    return _build(template, data, _Scope(context, variables, chance, field))


class _Scope:
    __slots__ = ("chance", "context", "field", "variables")

    def __init__(
        self, context: Mapping[str, Any], variables: Mapping[str, Any], chance: Chance, field: str
    ) -> None:
        self.context = context
        self.variables = variables
        self.chance = chance
        self.field = field


def _build(template: Any, data: Any, scope: _Scope) -> Any:
    if isinstance(template, dict):
        built: dict[str, Any] = {}
        for key, value in template.items():
            if not key.endswith(".$"):
                built[key] = _build(value, data, scope)
        dynamic = {key[:-2]: key for key in template if key.endswith(".$")}
        for name in hash_order(list(dynamic)):
            key = dynamic[name]
            built[name] = _dynamic(key, template[key], data, scope)
        return built
    if isinstance(template, list):
        return [_build(item, data, scope) for item in template]
    return template


def _dynamic(key: str, expression: Any, data: Any, scope: _Scope) -> Any:
    if not isinstance(expression, str):
        raise ValueError(
            f"{scope.field}: the value of {key!r} must be a path or an intrinsic function"
        )
    if intrinsics.is_intrinsic(expression):
        return intrinsics.call(
            expression, data, context=scope.context, variables=scope.variables, chance=scope.chance
        )
    return paths.read(expression, data, context=scope.context, variables=scope.variables, field=key)


def _java_hash(name: str) -> int:
    """``String.hashCode`` (over UTF-16 code units), spread as ``HashMap.hash`` does."""
    code = 0
    units = name.encode("utf-16-be")
    for index in range(0, len(units), 2):
        code = (31 * code + int.from_bytes(units[index : index + 2], "big")) & 0xFFFFFFFF
    return code ^ (code >> 16)


def hash_order(names: list[str]) -> list[str]:
    """``names`` in the order a ``java.util.HashMap`` they were put in one by one
    (default capacity 16, load factor 0.75, doubled as it fills) iterates them: by
    bucket, and in a bucket in the order they were put."""
    capacity = 16
    while len(names) > capacity * 3 // 4:
        capacity *= 2
    buckets: dict[int, list[str]] = {}
    for name in names:
        buckets.setdefault(_java_hash(name) & (capacity - 1), []).append(name)
    return [name for bucket in sorted(buckets) for name in buckets[bucket]]
