"""JSONata fields: ``{% %}`` expressions with ``$states`` and variables, the functions Step
Functions adds and takes away, numbers and nulls as Step Functions prints them, and AWS's
QueryEvaluationError causes."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from altus.asl import jsonata_eval
from altus.asl.errors import QUERY_EVALUATION_ERROR, StatesError


class FixedChance:
    def random(self) -> float:
        return 0.25

    def uuid(self) -> str:
        return "11111111-2222-4333-8444-555555555555"


STATES: dict[str, Any] = {
    "input": {
        "customer": {"name": "Ana", "age": 33},
        "items": [{"n": 3, "price": 2.5}, {"n": 9, "price": 1}],
        "nothing": None,
    },
    "context": {"Execution": {"Id": "arn:exec"}, "Task": {"Token": "tok"}},
}
VARIABLES: dict[str, Any] = {"limit": 10, "empty": None, "names": ["a", "b"]}


def evaluate(value: Any, field: str = "Output") -> Any:
    return jsonata_eval.evaluate(
        value, states=STATES, variables=VARIABLES, chance=FixedChance(), field=field
    )


def failure(value: Any, field: str = "Output") -> str:
    with pytest.raises(StatesError) as raised:
        evaluate(value, field)
    assert raised.value.error == QUERY_EVALUATION_ERROR
    return raised.value.cause


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{% $states.input.customer.name %}", "Ana"),
        ("{% $states.input.customer.age >= 18 %}", True),
        ("{% $states.input.items.n %}", [3, 9]),
        ("{% $sum($states.input.items.(n * price)) %}", 16.5),
        ("{% $states.context.Task.Token %}", "tok"),
        ("{% $limit * 2 %}", 20),
        ("{% $names[1] %}", "b"),
        # Numbers as Step Functions prints them: 3, not 3.0.
        ("{% 6 / 2 %}", 3),
        ("{% 7 / 2 %}", 3.5),
        ("{% [1.0, 2.5] %}", [1, 2.5]),
        # JSON null is a value, distinct from no value.
        ("{% $states.input.nothing %}", None),
        ("{% $states.input.nothing = null %}", True),
        ("{% $empty = null %}", True),
        ("{% {'a': null, 'b': $states.input.absent} %}", {"a": None}),
        ("{% [1, $states.input.absent, 2] %}", [1, 2]),
        # Step Functions' own functions (the transforming-data guide's examples).
        ("{% $partition([1,2,3,4], 2) %}", [[1, 2], [3, 4]]),
        ("{% $partition([1,2,3], 2) %}", [[1, 2], [3]]),
        ("{% $range(0, 10, 2) %}", [0, 2, 4, 6, 8, 10]),
        ("{% $range(0, 1, 0.25) %}", [0, 0.25, 0.5, 0.75, 1]),
        ("{% $hash('input data', 'SHA-1') %}", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ("{% $hash('x', 'SHA-256') %}", hashlib.sha256(b"x").hexdigest()),
        ("{% $random() %}", 0.25),
        ("{% $uuid() %}", "11111111-2222-4333-8444-555555555555"),
        ("{% $parse('{\"a\": [1, null]}') %}", {"a": [1, None]}),
        # Values that are not wholly an expression are literal.
        ("plain", "plain"),
        ("{% 1 + 1 %} and more", "{% 1 + 1 %} and more"),
        (42, 42),
        (None, None),
        (
            {"total": "{% $count($states.input.items) %}", "list": ["{% 1 %}", "x", {"y": 2}]},
            {"total": 2, "list": [1, "x", {"y": 2}]},
        ),
    ],
)
def test_evaluate(value: Any, expected: Any) -> None:
    assert evaluate(value) == expected


def test_seeded_random_is_repeatable() -> None:
    first = evaluate("{% $random(7) %}")
    assert first == evaluate("{% $random(7) %}") and 0 <= first < 1


def test_is_expression() -> None:
    assert jsonata_eval.is_expression("{% $x %}")
    assert jsonata_eval.is_expression("{%$x%}")
    assert not jsonata_eval.is_expression(" {% $x %}")
    assert not jsonata_eval.is_expression("{% $x")
    assert not jsonata_eval.is_expression({"a": "{% 1 %}"})


@pytest.mark.parametrize(
    ("value", "field", "cause"),
    [
        # Recorded on AWS: each position names its field, nested with /key.
        (
            "{% $states.input.missing %}",
            "Output",
            "The JSONata expression '$states.input.missing' specified for the field 'Output' "
            "returned nothing (undefined).",
        ),
        (
            {"v": "{% $states.input.missing %}"},
            "Output",
            "The JSONata expression '$states.input.missing' specified for the field 'Output/v' "
            "returned nothing (undefined).",
        ),
        (
            {"a": {"b": "{% $states.input.missing %}"}},
            "Output",
            "The JSONata expression '$states.input.missing' specified for the field "
            "'Output/a/b' returned nothing (undefined).",
        ),
        (
            {"x": "{% $states.input.missing %}"},
            "Assign",
            "The JSONata expression '$states.input.missing' specified for the field 'Assign/x' "
            "returned nothing (undefined).",
        ),
        (
            {"Items": [1, "{% $nothere %}"]},
            "Arguments",
            "The JSONata expression '$nothere' specified for the field 'Arguments/Items[1]' "
            "returned nothing (undefined).",
        ),
        (
            "{% $abs('x') %}",
            "Output",
            "The JSONata expression '$abs('x')' specified for the field 'Output' threw an error "
            'during evaluation. T0410: Argument 1 of function "abs" does not match function '
            "signature",
        ),
        (
            "{% 'a' + 1 %}",
            "Output",
            "The JSONata expression ''a' + 1' specified for the field 'Output' threw an error "
            "during evaluation. T2001: The left side of the + operator must evaluate to a number",
        ),
        (
            "{% $eval('1 + 1') %}",
            "Output",
            "The JSONata expression '$eval('1 + 1')' specified for the field 'Output' threw an "
            "error during evaluation. T1006: Attempted to invoke a non-function",
        ),
    ],
)
def test_failures(value: Any, field: str, cause: str) -> None:
    assert failure(value, field) == cause


@pytest.mark.parametrize(
    "value",
    [
        "{% 1 + %}",
        "{% $partition('x', 2) %}",
        "{% $partition([1], 0) %}",
        "{% $range(0, 10, 0) %}",
        "{% $range(0, 5000, 1) %}",
        "{% $hash('x', 'SHA-999') %}",
        "{% $parse('not json') %}",
        "{% $parse(1) %}",
    ],
)
def test_function_and_syntax_errors(value: str) -> None:
    cause = failure(value)
    assert cause.startswith(f"The JSONata expression '{value[2:-2].strip()}' specified for")
    assert "threw an error during evaluation" in cause


def test_inputs_are_not_changed() -> None:
    before = repr(STATES)
    evaluate({"a": "{% $states.input %}"})
    assert repr(STATES) == before
