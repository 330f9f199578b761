"""The parsed form of a Logs Insights query: its commands in order, their expressions
as a tree. ``build.py`` makes it; ``evaluate.py`` and ``execute.py`` run it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from altus.logs.timed_regex import Pattern as CompiledRegex


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Star:
    """``count(*)``'s argument."""


@dataclass(frozen=True)
class Call:
    """A scalar function (``strlen(x)``, ``bin(5m)``)."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Aggregate:
    """A stats function (``avg(@duration)``, ``pct(x, 95)``); ``index`` is its slot in
    the command's list of aggregates."""

    name: str
    args: tuple[Expr, ...]
    index: int


@dataclass(frozen=True)
class Binary:
    """Arithmetic (``+ - * / % ^``) or a comparison (``= != < <= > >=``)."""

    operator: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Negate:
    operand: Expr


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Or:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Like:
    """``like "substring"``, ``like /regex/``, ``=~ /regex/``, negated by ``not like``."""

    operand: Expr
    pattern: CompiledRegex
    negated: bool


@dataclass(frozen=True)
class In:
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool


@dataclass(frozen=True)
class ListValue:
    items: tuple[Expr, ...]


Expr = (
    Literal
    | Field
    | Star
    | Call
    | Aggregate
    | Binary
    | Negate
    | Not
    | And
    | Or
    | Like
    | In
    | ListValue
)

#: An output column: its name (an alias, or the expression as written) and expression.
Named = tuple[str, Expr]


@dataclass(frozen=True)
class Fields:
    columns: tuple[Named, ...]


@dataclass(frozen=True)
class Display:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Filter:
    condition: Expr


@dataclass(frozen=True)
class Stats:
    """Aggregates (each output column's expression refers to them by index), grouped by
    ``groups``."""

    aggregates: tuple[Aggregate, ...]
    columns: tuple[Named, ...]
    groups: tuple[Named, ...]


@dataclass(frozen=True)
class SortKey:
    expr: Expr
    descending: bool
    #: The expression as written: after ``stats``, ``sort bin(5m)`` or ``sort
    #: count(*)`` names the column of that name.
    written: str


@dataclass(frozen=True)
class Sort:
    #: In order of precedence.
    keys: tuple[SortKey, ...]


@dataclass(frozen=True)
class Limit:
    count: int


@dataclass(frozen=True)
class Parse:
    """Fields taken from ``source`` by a regex: a glob's ``*`` in order (``names``), or
    a regex's named groups."""

    source: str
    pattern: CompiledRegex
    names: tuple[str, ...]


@dataclass(frozen=True)
class Dedup:
    names: tuple[str, ...]


Command = Fields | Display | Filter | Stats | Sort | Limit | Parse | Dedup


@dataclass(frozen=True)
class Query:
    commands: tuple[Command, ...]
