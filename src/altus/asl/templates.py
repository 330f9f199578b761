"""Payload templates of the JSONPath query language: ``Parameters``, ``ResultSelector``,
``ItemSelector``, ``Assign`` and ``Credentials``.

A template is a JSON value copied as it is, except that an object member whose name ends
in ``.$`` is replaced by a member without the suffix whose value is computed from the
member's string: an intrinsic call (``States.Format(...)``), or a path (``$.a``, ``$$.``
into the context object, ``$name`` for a workflow variable). Objects and arrays are
walked to any depth; values that are not strings under ``.$`` names are a definition
error, which validation reports before anything runs."""

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
            if key.endswith(".$"):
                built[key[:-2]] = _dynamic(key, value, data, scope)
            else:
                built[key] = _build(value, data, scope)
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
