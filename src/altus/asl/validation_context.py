"""The walk's shared state and the field checks every part of validation uses, worded as
AWS words them where its texts are recorded (``These fields are required: [StartAt]``,
``Field 'TimeoutSeconds' is not supported``, ``Expected value of type [STRING]``,
``Maximum value is 99999999``, ``Value should be one of the following: [JSONPath,
JSONata]``) and in the same shape where they are not."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from altus.asl import diagnostics as d
from altus.asl.definition import JSONATA
from altus.asl.diagnostics import Diagnostic

#: Visits a nested scope (a Parallel branch, a Map's ItemProcessor or Iterator): the
#: object holding ``StartAt`` and ``States``, and its location.
ScopeVisitor = Callable[[Mapping[str, Any], str], None]

#: AWS's ceiling for seconds and counts in a definition.
MAX_INT = 99_999_999


@dataclass
class Context:
    """What one validation collects: diagnostics in the order found, graph problems apart
    (AWS reports them after the schema's), every state name seen (they must be unique
    across the whole definition) and the machine's language and type."""

    language: str
    machine_type: str = "STANDARD"
    visit_scope: ScopeVisitor | None = None
    found: list[Diagnostic] = field(default_factory=list)
    graph: list[Diagnostic] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    # --- reporting -------------------------------------------------------------------

    def error(
        self, message: str, location: str | None, code: str = d.SCHEMA_VALIDATION_FAILED
    ) -> None:
        self.found.append(Diagnostic(d.ERROR, code, message, location))

    def warn(self, code: str, message: str, location: str | None) -> None:
        self.found.append(Diagnostic(d.WARNING, code, message, location))

    def graph_error(self, code: str, message: str, location: str | None) -> None:
        self.graph.append(Diagnostic(d.ERROR, code, message, location))

    # --- field checks ----------------------------------------------------------------

    def required(self, obj: Mapping[str, Any], names: Iterable[str], location: str) -> bool:
        """Report the missing ones of ``names`` together, as AWS does; True if none is."""
        missing = [name for name in names if name not in obj]
        if missing:
            self.error(f"These fields are required: [{', '.join(missing)}]", location)
        return not missing

    def allowed(
        self, obj: Mapping[str, Any], names: Iterable[str] | frozenset[str], location: str
    ) -> None:
        """Report every member of ``obj`` not in ``names``, at the object's location."""
        allowed = names if isinstance(names, frozenset) else frozenset(names)
        for name in obj:
            if name not in allowed:
                self.error(f"Field '{name}' is not supported", location)

    def exclusive(self, obj: Mapping[str, Any], names: tuple[str, ...], location: str) -> None:
        """At most one of ``names``, reported at the first one present."""
        present = [name for name in names if name in obj]
        if len(present) > 1:
            listed = ", ".join(names)
            self.error(
                f"Only one of these fields is allowed: [{listed}]", f"{location}/{present[0]}"
            )

    def type_is(self, value: object, expected: str, location: str) -> bool:
        """``value`` is of the JSON type ``expected`` (STRING, INTEGER, NUMBER, BOOLEAN,
        OBJECT, ARRAY); reports it when not."""
        if _is_type(value, expected):
            return True
        self.error(f"Expected value of type [{expected}]", location)
        return False

    def one_of(self, value: object, choices: tuple[str, ...], location: str) -> bool:
        if not self.type_is(value, "STRING", location):
            return False
        if value in choices:
            return True
        self.error(f"Value should be one of the following: [{', '.join(choices)}]", location)
        return False

    def integer(self, value: object, location: str, minimum: int, maximum: int = MAX_INT) -> bool:
        if not self.type_is(value, "INTEGER", location):
            return False
        return self.in_range(value, location, minimum, maximum)  # type: ignore[arg-type]

    def number(
        self, value: object, location: str, minimum: float, maximum: float | None = None
    ) -> bool:
        if not self.type_is(value, "NUMBER", location):
            return False
        return self.in_range(value, location, minimum, maximum)  # type: ignore[arg-type]

    def in_range(self, value: float, location: str, minimum: float, maximum: float | None) -> bool:
        if value < minimum:
            self.error(f"Minimum value is {_show(minimum)}", location)
            return False
        if maximum is not None and value > maximum:
            self.error(f"Maximum value is {_show(maximum)}", location)
            return False
        return True

    def integer_or_expression(
        self,
        value: object,
        language: str,
        location: str,
        minimum: int,
        maximum: int | None = MAX_INT,
    ) -> None:
        """A count or a number of seconds: an integer in range, or (JSONata) an expression."""
        if language == JSONATA and is_expression(value):
            return
        if self.type_is(value, "INTEGER", location):
            self.in_range(value, location, minimum, maximum)  # type: ignore[arg-type]


def is_expression(value: object) -> bool:
    """A JSONata expression: a string between ``{%`` and ``%}``."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def _is_type(value: object, expected: str) -> bool:
    if expected == "STRING":
        return isinstance(value, str)
    if expected == "BOOLEAN":
        return isinstance(value, bool)
    if expected == "INTEGER":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "NUMBER":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == "OBJECT":
        return isinstance(value, Mapping)
    if expected == "ARRAY":
        return isinstance(value, list)
    raise ValueError(expected)


def _show(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
