"""Payload templates (Parameters, ResultSelector, ItemSelector, Assign, Credentials) with
the examples of AWS's input and output processing guide."""

from __future__ import annotations

from typing import Any

import pytest

from altus.asl import templates
from altus.asl.errors import RUNTIME, StatesError


class FixedChance:
    def random(self) -> float:
        return 0.5

    def uuid(self) -> str:
        return "11111111-2222-4333-8444-555555555555"


CONTEXT = {"Execution": {"Id": "arn:exec", "Name": "run"}, "Map": {"Item": {"Index": 2}}}
VARIABLES = {"limit": 10, "names": ["a", "b"]}


def build(template: Any, data: Any, field: str = "Parameters") -> Any:
    return templates.evaluate(
        template, data, context=CONTEXT, variables=VARIABLES, chance=FixedChance(), field=field
    )


def test_guide_parameters_example() -> None:
    data = {
        "comment": "Example for Parameters.",
        "product": {
            "details": {"color": "blue", "size": "small", "material": "cotton"},
            "availability": "in stock",
            "sku": "2317",
            "cost": "$23",
        },
    }
    template = {
        "comment": "Selecting what I care about.",
        "MyDetails": {
            "size.$": "$.product.details.size",
            "exists.$": "$.product.availability",
            "StaticValue": "foo",
        },
    }
    assert build(template, data) == {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"},
    }


def test_guide_result_selector_example() -> None:
    result = {
        "resourceType": "elasticmapreduce",
        "resource": "createCluster.sync",
        "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"},
    }
    template = {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"}
    assert build(template, result, "ResultSelector") == {
        "ClusterId": "AKIAIOSFODNN7EXAMPLE",
        "ResourceType": "elasticmapreduce",
    }


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ({"id.$": "$$.Execution.Id"}, {"id": "arn:exec"}),
        ({"index.$": "$$.Map.Item.Index", "value.$": "$"}, {"index": 2, "value": {"k": [1, 2]}}),
        ({"limit.$": "$limit", "first.$": "$names[0]"}, {"limit": 10, "first": "a"}),
        ({"all.$": "$.k[*]"}, {"all": [1, 2]}),
        ({"s.$": "States.Format('{}-{}', $.k[0], $$.Execution.Name)"}, {"s": "1-run"}),
        ({"u.$": "States.UUID()"}, {"u": "11111111-2222-4333-8444-555555555555"}),
        # Nested objects and arrays are walked; other values are literal, "$" strings too.
        (
            {"list": [{"x.$": "$.k[1]"}, "$.k", 3, None], "deep": {"deeper": {"y.$": "$.k"}}},
            {"list": [{"x": 2}, "$.k", 3, None], "deep": {"deeper": {"y": [1, 2]}}},
        ),
        ([{"a.$": "$.k[0]"}, 1], [{"a": 1}, 1]),
        ("literal", "literal"),
        ({}, {}),
    ],
)
def test_templates(template: Any, expected: Any) -> None:
    assert build(template, {"k": [1, 2]}) == expected


def test_missing_path_cause_names_the_member() -> None:
    with pytest.raises(StatesError) as raised:
        build({"outer": {"missing.$": "$.nope.deep"}}, {"other": 1})
    assert raised.value.error == RUNTIME
    assert raised.value.cause == (
        "The JSONPath '$.nope.deep' specified for the field 'missing.$' could not be found in "
        "the input '{\"other\":1}'"
    )


def test_indefinite_path_with_nothing_is_an_empty_list() -> None:
    assert build({"types.$": "$[*].type"}, {}) == {"types": []}


def test_non_string_dynamic_value_is_a_definition_error() -> None:
    with pytest.raises(ValueError):
        build({"x.$": 3}, {})


def test_input_is_not_changed() -> None:
    data = {"k": [1, 2]}
    built = build({"k.$": "$.k"}, data)
    assert data == {"k": [1, 2]} and built == {"k": [1, 2]}
