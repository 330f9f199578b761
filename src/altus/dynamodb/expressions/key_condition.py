"""A parsed KeyConditionExpression against a key schema: the plan of a Query, the hash
key's value and the range key's condition.

A key condition is one or two terms joined by AND: ``hash = :v``, and optionally one
of ``range = < <= > >= :v``, ``range BETWEEN :a AND :b``, ``begins_with(range, :p)``
(the value may stand left of a comparison: ``:lo <= #sk`` is ``#sk >= :lo``, the
nubo-db conformance suite). The refusals, in the order they are checked (their texts
are those dynalite's tests record from DynamoDB; they carry no ``Invalid
KeyConditionExpression:`` prefix):

1. OR, NOT, IN, ``<>`` and the functions other than begins_with: "Invalid operator
   used in KeyConditionExpression: OR"; size: "... cannot contain nested operations";
2. for each term: BETWEEN or begins_with not starting with the attribute, two
   attributes in one term, a nested path, no attribute, an attribute named twice;
3. more than two terms: "Conditions can be of length 1 or 2 only";
4. against the schema: the hash key missing ("Query condition missed key schema
   element: pk", also when the only term is on another attribute), a term on an
   attribute that is not a key, the hash key compared otherwise than by ``=``
   ("Query key condition not supported").

The types of the values against the key's declared type are the service's to check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from altus.dynamodb.expressions import errors
from altus.dynamodb.expressions.ast import (
    And,
    AttributeValue,
    Between,
    Call,
    Comparison,
    Condition,
    Function,
    In,
    Not,
    Operand,
    Or,
    Path,
    Value,
)
from altus.dynamodb.values import compare, type_of

#: The operator a comparison has when its sides are swapped.
_MIRRORED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
RANGE_OPERATORS = ("=", "<", "<=", ">", ">=", "BETWEEN", "begins_with")


@dataclass(frozen=True)
class RangeCondition:
    """The condition on the range key: an operator of :data:`RANGE_OPERATORS` and its
    values (two for BETWEEN, one otherwise)."""

    operator: str
    values: tuple[AttributeValue, ...]

    def matches(self, key: AttributeValue) -> bool:
        """Whether a range key value meets the condition (false across types)."""
        kind = type_of(key)
        if any(type_of(value) != kind for value in self.values):
            return False
        if self.operator == "begins_with":
            prefix = self.values[0][kind]
            if kind == "S":
                return str(key["S"]).startswith(str(prefix))
            return kind == "B" and bytes(key["B"]).startswith(bytes(prefix))
        if self.operator == "BETWEEN":
            return compare(self.values[0], key) <= 0 <= compare(self.values[1], key)
        order = compare(key, self.values[0])
        return {
            "=": order == 0,
            "<": order < 0,
            "<=": order <= 0,
            ">": order > 0,
            ">=": order >= 0,
        }[self.operator]


@dataclass(frozen=True)
class KeyPlan:
    """What a Query reads: the items of one hash key value, those whose range key
    meets ``range`` (all of them if None)."""

    hash_value: AttributeValue
    range: RangeCondition | None


@dataclass(frozen=True)
class _Term:
    attribute: str
    operator: str
    values: tuple[AttributeValue, ...]


def plan_key_condition(condition: Condition, schema: tuple[str, str | None]) -> KeyPlan:
    """The plan of ``condition`` for the key schema ``(hash name, range name or
    None)``; ExpressionProblem with DynamoDB's text if the condition is not one."""
    hash_name, range_name = schema
    terms: list[_Term] = []
    for part in _parts(condition):
        term = _term(part)
        if any(seen.attribute == term.attribute for seen in terms):
            raise errors.ExpressionProblem(errors.KEY_ONE_PER_KEY)
        terms.append(term)
    if len(terms) > 2:
        raise errors.ExpressionProblem(errors.KEY_COUNT)
    by_name = {term.attribute: term for term in terms}
    hashed = by_name.get(hash_name)
    if hashed is None:
        raise errors.ExpressionProblem(errors.key_missed(hash_name))
    others = [term for term in terms if term.attribute != hash_name]
    if others and others[0].attribute != range_name:
        # A term on an attribute outside the key: DynamoDB names the range key it
        # expected; on a table without one the text is not verified.
        if range_name is not None:
            raise errors.ExpressionProblem(errors.key_missed(range_name))
        raise errors.ExpressionProblem(errors.KEY_NOT_SUPPORTED)
    if hashed.operator != "=":
        raise errors.ExpressionProblem(errors.KEY_NOT_SUPPORTED)
    ranged = others[0] if others else None
    return KeyPlan(
        hashed.values[0],
        RangeCondition(ranged.operator, ranged.values) if ranged is not None else None,
    )


def _parts(condition: Condition) -> Iterator[Condition]:
    """The terms ANDed together, in the order written, refusing any other operator
    where it stands (so a bad first term is reported before an OR after it)."""
    if isinstance(condition, And):
        for inner in condition.conditions:
            yield from _parts(inner)
        return
    if isinstance(condition, Or):
        raise errors.ExpressionProblem(errors.key_operator("OR"))
    if isinstance(condition, Not):
        raise errors.ExpressionProblem(errors.key_operator("NOT"))
    if isinstance(condition, In):
        raise errors.ExpressionProblem(errors.key_operator("IN"))
    if isinstance(condition, Comparison) and condition.operator == "<>":
        raise errors.ExpressionProblem(errors.key_operator("<>"))
    if isinstance(condition, Function) and condition.function != "begins_with":
        raise errors.ExpressionProblem(errors.key_operator(condition.function))
    yield condition


def _term(part: Condition) -> _Term:
    if isinstance(part, Comparison):
        operands: tuple[Operand, ...] = (part.left, part.right)
        operator = part.operator
    elif isinstance(part, Between):
        operands = (part.subject, part.low, part.high)
        operator = "BETWEEN"
    else:
        assert isinstance(part, Function)  # begins_with: _parts refused the rest
        operands = part.args
        operator = part.function
    if any(isinstance(operand, Call) for operand in operands):
        raise errors.ExpressionProblem(errors.KEY_NESTED_OPERATION)
    if operator in ("BETWEEN", "begins_with") and not isinstance(operands[0], Path):
        raise errors.ExpressionProblem(errors.key_first_operand(operator))
    paths = [(at, operand) for at, operand in enumerate(operands) if isinstance(operand, Path)]
    if len(paths) > 1:
        raise errors.ExpressionProblem(errors.KEY_MULTIPLE_NAMES)
    if not paths:
        raise errors.ExpressionProblem(errors.KEY_NO_ATTRIBUTE)
    index, path = paths[0]
    if len(path.elements) > 1:
        raise errors.ExpressionProblem(errors.KEY_NESTED_ATTRIBUTE)
    if index == 1:  # ":v < key": the same as "key > :v"
        operator = _MIRRORED[operator]
    values = tuple(operand.value for operand in operands if isinstance(operand, Value))
    return _Term(path.attribute, operator, values)
