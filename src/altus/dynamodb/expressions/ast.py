"""The parsed forms of DynamoDB's expressions, their placeholders resolved: a ``#name``
is replaced by the attribute name it stands for, a ``:value`` by a :class:`Value` that
keeps both the placeholder and the attribute value it names.

Conditions (ConditionExpression, FilterExpression, KeyConditionExpression) are a tree
of :data:`Condition`; AND and OR chains are flattened (``a AND (b AND c)`` is one
:class:`And` of three), parentheses are gone. An update is its actions in the order
written; a projection its paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: An attribute value in DynamoDB's JSON shape (``{"S": "x"}``); the same alias as
#: ``altus.dynamodb.values.AttributeValue``.
AttributeValue = Mapping[str, Any]

#: A map key (a str) or a list index (an int).
PathElement = str | int


@dataclass(frozen=True)
class Path:
    """A document path: a top-level attribute name, then map keys and list indexes."""

    elements: tuple[PathElement, ...]

    @property
    def attribute(self) -> str:
        """The top-level attribute the path starts at."""
        first = self.elements[0]
        assert isinstance(first, str)  # the grammar starts every path with a name
        return first

    def __str__(self) -> str:
        """The path as DynamoDB prints it in its messages: ``[a, b, [0]]``."""
        shown = (f"[{e}]" if isinstance(e, int) else e for e in self.elements)
        return "[" + ", ".join(shown) + "]"


@dataclass(frozen=True, eq=False)
class Value:
    """An expression attribute value: its placeholder (``:v``) and the value it names.
    (Compared by identity: the value is a mapping.)"""

    placeholder: str
    value: AttributeValue


@dataclass(frozen=True)
class Call:
    """A function used as an operand: ``size`` in conditions, ``if_not_exists`` and
    ``list_append`` in SET values."""

    function: str
    args: tuple[Operand, ...]


@dataclass(frozen=True)
class Arithmetic:
    """A SET value ``left + right`` or ``left - right`` (numbers only)."""

    operator: str
    left: Operand
    right: Operand


Operand = Path | Value | Call | Arithmetic


@dataclass(frozen=True)
class Comparison:
    """``left <operator> right``, the operator one of ``= <> < <= > >=``."""

    operator: str
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Between:
    """``subject BETWEEN low AND high``."""

    subject: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True)
class In:
    """``subject IN (choice, ...)``."""

    subject: Operand
    choices: tuple[Operand, ...]


@dataclass(frozen=True)
class Function:
    """A function used as a condition: ``attribute_exists``, ``attribute_not_exists``,
    ``attribute_type``, ``begins_with``, ``contains``."""

    function: str
    args: tuple[Operand, ...]


@dataclass(frozen=True)
class Not:
    condition: Condition


@dataclass(frozen=True)
class And:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    conditions: tuple[Condition, ...]


Condition = Comparison | Between | In | Function | Not | And | Or


@dataclass(frozen=True)
class SetAction:
    path: Path
    value: Operand


@dataclass(frozen=True)
class RemoveAction:
    path: Path


@dataclass(frozen=True)
class AddAction:
    path: Path
    value: Value


@dataclass(frozen=True)
class DeleteAction:
    path: Path
    value: Value


Action = SetAction | RemoveAction | AddAction | DeleteAction


@dataclass(frozen=True)
class Update:
    """An UpdateExpression: its actions in the order written (SET, REMOVE, ADD and
    DELETE clauses may come in any order)."""

    actions: tuple[Action, ...]

    @property
    def targets(self) -> tuple[Path, ...]:
        """The paths the update writes, in the order written (no two overlap: the
        parser refuses that). ReturnValues UPDATED_OLD/UPDATED_NEW are the item
        projected on these paths."""
        return tuple(action.path for action in self.actions)

    @property
    def attributes(self) -> frozenset[str]:
        """The top-level attributes the update touches (for the service's refusal to
        update a key attribute)."""
        return frozenset(action.path.attribute for action in self.actions)


@dataclass(frozen=True)
class Projection:
    """A ProjectionExpression: the paths to keep (no two overlap or conflict)."""

    paths: tuple[Path, ...]


def paths_of(condition: Condition) -> tuple[Path, ...]:
    """Every document path a condition reads, in the order written (for the service's
    refusal of nested paths into key attributes: "Key attributes must be scalars; ...")."""
    if isinstance(condition, (And, Or)):
        return tuple(path for part in condition.conditions for path in paths_of(part))
    if isinstance(condition, Not):
        return paths_of(condition.condition)
    if isinstance(condition, Comparison):
        operands: tuple[Operand, ...] = (condition.left, condition.right)
    elif isinstance(condition, Between):
        operands = (condition.subject, condition.low, condition.high)
    elif isinstance(condition, In):
        operands = (condition.subject, *condition.choices)
    else:
        operands = condition.args
    return tuple(path for operand in operands for path in _operand_paths(operand))


def _operand_paths(operand: Operand) -> tuple[Path, ...]:
    if isinstance(operand, Path):
        return (operand,)
    if isinstance(operand, Call):
        return tuple(path for arg in operand.args for path in _operand_paths(arg))
    if isinstance(operand, Arithmetic):
        return _operand_paths(operand.left) + _operand_paths(operand.right)
    return ()
