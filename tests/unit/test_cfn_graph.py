"""The dependency graph of a template's resources, and the references CloudFormation refuses."""

from __future__ import annotations

from typing import Any

import pytest

from altus.cloudformation.errors import TemplateError
from altus.cloudformation.graph import dependencies, reverse

ATTRIBUTES = {
    "AWS::SQS::Queue": frozenset({"Arn", "QueueName", "QueueUrl"}),
    "AWS::IAM::Role": frozenset({"Arn", "RoleId"}),
    "AWS::Lambda::Function": frozenset({"Arn", "SnapStartResponse.*"}),
    "AWS::CloudFormation::Stack": frozenset(),
}


def attributes_of(kind: str) -> frozenset[str] | None:
    return ATTRIBUTES.get(kind)


CONDITIONS = {"Yes": True, "No": False}


def graph(
    resources: dict[str, Any],
    outputs: dict[str, Any] | None = None,
    conditions: dict[str, bool] = CONDITIONS,
) -> dict[str, frozenset[str]]:
    template = {
        "Parameters": {"Env": {"Type": "String"}},
        "Conditions": {
            name: {"Fn::Equals": ["a", "a" if value else "b"]} for name, value in conditions.items()
        },
        "Resources": resources,
        "Outputs": outputs or {},
    }
    return dependencies(template, conditions, attributes_of)


def refused(resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> str:
    with pytest.raises(TemplateError) as caught:
        graph(resources, outputs)
    return str(getattr(caught.value, "message", None) or caught.value)


def queue(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": properties}


def test_edges_from_every_kind_of_reference():
    result = graph(
        {
            "Role": {"Type": "AWS::IAM::Role"},
            "Dlq": queue(),
            "Other": queue(),
            "Stack": {"Type": "AWS::CloudFormation::Stack"},
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": "Other",
                "Properties": {
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Dead": {"Fn::Sub": "${Dlq.Arn}"},
                    "Url": {"Fn::GetAtt": "Stack.Outputs.Url"},
                    "Region": {"Ref": "AWS::Region"},
                    "Env": {"Ref": "Env"},
                },
            },
            "Plain": queue(
                Name={"Fn::Sub": ["${Q}", {"Q": {"Ref": "Dlq"}}]}, Nested=[{"X": {"Ref": "Role"}}]
            ),
        }
    )
    assert result == {
        "Role": frozenset(),
        "Dlq": frozenset(),
        "Other": frozenset(),
        "Stack": frozenset(),
        "Fn": frozenset({"Role", "Dlq", "Stack", "Other"}),
        "Plain": frozenset({"Dlq", "Role"}),
    }


def test_depends_on_lists_and_other_attributes():
    result = graph(
        {
            "A": queue(),
            "B": queue(),
            "C": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": ["A", "B"],
                "Metadata": {"Uses": {"Ref": "A"}},
                "CreationPolicy": {"X": {"Fn::GetAtt": ["B", "Arn"]}},
            },
        }
    )
    assert result["C"] == frozenset({"A", "B"})


def test_skipped_resources_take_no_part():
    result = graph(
        {
            "On": queue(),
            "Off": {**queue(), "Condition": "No"},
            "Also": {**queue(), "Condition": "Yes"},
        }
    )
    assert result == {"On": frozenset(), "Also": frozenset()}


def test_only_the_taken_branch_of_fn_if_makes_edges():
    result = graph(
        {
            "A": queue(),
            "Off": {**queue(), "Condition": "No"},
            "User": queue(
                X={"Fn::If": ["Yes", {"Ref": "A"}, {"Ref": "Off"}]},
                Y={"Fn::If": ["No", {"Fn::GetAtt": ["Off", "Arn"]}, "literal"]},
                Z={"Fn::If": ["No", {"Fn::Sub": "${Off}"}, {"Ref": "AWS::NoValue"}]},
            ),
        }
    )
    assert result["User"] == frozenset({"A"})


def test_the_taken_branch_cannot_name_a_skipped_resource():
    assert refused(
        {
            "Off": {**queue(), "Condition": "No"},
            "User": queue(X={"Fn::If": ["Yes", {"Ref": "Off"}, "x"]}),
        }
    ) == (
        "Template format error: Unresolved resource dependencies [Off] in the Resources block of "
        "the template"
    )


@pytest.mark.parametrize(
    "reference",
    [
        {"Ref": "Off"},
        {"Fn::GetAtt": ["Off", "Arn"]},
        {"Fn::Sub": "${Off.Arn}"},
        {"Fn::Join": ["", [{"Ref": "Off"}]]},
    ],
)
def test_references_to_skipped_resources_outside_fn_if(reference):
    assert refused({"Off": {**queue(), "Condition": "No"}, "User": queue(X=reference)}) == (
        "Template format error: Unresolved resource dependencies [Off] in the Resources block of "
        "the template"
    )


def test_depends_on_a_skipped_resource():
    assert "[Off]" in refused(
        {"Off": {**queue(), "Condition": "No"}, "User": {**queue(), "DependsOn": "Off"}}
    )


def test_unresolved_names_are_gathered():
    assert refused(
        {
            "A": queue(X={"Ref": "Nope"}, Y={"Fn::Sub": "${AWS::Resion}-${Nope}"}),
            "B": {
                **queue(),
                "DependsOn": ["Ghost"],
                "Properties": {"Z": {"Fn::If": ["No", {"Ref": "Missing"}, 1]}},
            },
        }
    ) == (
        "Template format error: Unresolved resource dependencies [Nope, AWS::Resion, Ghost, "
        "Missing] in the "
        "Resources block of the template"
    )


def test_sub_variables_from_its_map_are_not_references():
    result = graph(
        {"A": queue(X={"Fn::Sub": ["${Local}-${Local2.Attr}", {"Local": "x", "Local2.Attr": "y"}]})}
    )
    assert result == {"A": frozenset()}


def test_getatt_of_an_undefined_resource():
    assert refused({"A": queue(X={"Fn::GetAtt": ["Nope", "Arn"]})}) == (
        "Template error: instance of Fn::GetAtt references undefined resource Nope"
    )
    assert refused({"A": queue(X={"Fn::GetAtt": ["Env", "Arn"]})}) == (
        "Template error: instance of Fn::GetAtt references undefined resource Env"
    )


def test_getatt_attributes_are_checked_against_the_type():
    assert refused({"Q": queue(), "A": queue(X={"Fn::GetAtt": ["Q", "Url"]})}) == (
        "Template error: resource Q does not support attribute type Url in Fn::GetAtt"
    )
    assert "attribute type Nope" in refused({"Q": queue(), "A": queue(X={"Fn::Sub": "${Q.Nope}"})})
    # A family of attributes, a nested stack's outputs, and unknown types.
    graph(
        {
            "Fn": {"Type": "AWS::Lambda::Function"},
            "S": {"Type": "AWS::CloudFormation::Stack"},
            "Custom": {"Type": "Custom::Thing"},
            "A": queue(
                X={"Fn::GetAtt": ["Fn", "SnapStartResponse.ApplyOn"]},
                Y={"Fn::GetAtt": ["S", "Outputs.Anything"]},
                Z={"Fn::GetAtt": ["Custom", "Whatever"]},
                W={"Fn::GetAtt": ["Fn", {"Ref": "Env"}]},
            ),
        }
    )
    assert "attribute type SnapStartResponse." in refused(
        {
            "Fn": {"Type": "AWS::Lambda::Function"},
            "A": queue(X={"Fn::GetAtt": ["Fn", "SnapStartResponse."]}),
        }
    )
    assert "attribute type Outputs." in refused(
        {
            "S": {"Type": "AWS::CloudFormation::Stack"},
            "A": queue(X={"Fn::GetAtt": ["S", "Outputs."]}),
        }
    )


def test_unknown_conditions():
    assert refused({"A": {**queue(), "Condition": "Nope"}}) == (
        "Template format error: Unresolved condition dependency Nope in the Resources block of "
        "the template (A)"
    )
    assert refused({"A": queue(X={"Fn::If": ["Nope", 1, 2]})}) == (
        "Template error: unresolved condition dependency Nope in Fn::If"
    )


@pytest.mark.parametrize(
    ("resources", "cycle"),
    [
        ({"A": queue(X={"Ref": "A"})}, "[A]"),
        ({"A": queue(X={"Ref": "B"}), "B": {**queue(), "DependsOn": "A"}}, "[A, B]"),
        (
            {
                "Start": queue(X={"Ref": "A"}),
                "A": queue(X={"Fn::GetAtt": ["B", "Arn"]}),
                "B": queue(X={"Fn::Sub": "${C}"}),
                "C": queue(X={"Ref": "A"}),
                "End": queue(X={"Ref": "C"}),
            },
            "[A, B, C]",
        ),
    ],
)
def test_cycles(resources, cycle):
    assert refused(resources) == f"Circular dependency between resources: {cycle}"


def test_a_cycle_only_through_an_untaken_branch_is_none():
    result = graph(
        {"A": queue(X={"Ref": "B"}), "B": queue(X={"Fn::If": ["No", {"Ref": "A"}, "x"]})}
    )
    assert result == {"A": frozenset({"B"}), "B": frozenset()}


def test_outputs_are_checked():
    assert graph(
        {"A": queue()},
        {"O": {"Value": {"Fn::GetAtt": ["A", "Arn"]}}, "P": {"Value": {"Ref": "Env"}}},
    ) == {"A": frozenset()}
    assert refused({"A": queue()}, {"O": {"Value": {"Ref": "Nope"}}}) == (
        "Template format error: Unresolved resource dependencies [Nope] in the Outputs block of "
        "the template"
    )
    assert "attribute type Nope" in refused(
        {"A": queue()}, {"O": {"Value": {"Fn::GetAtt": ["A", "Nope"]}}}
    )
    off = {"Off": {**queue(), "Condition": "No"}}
    assert "[Off] in the Outputs block" in refused(off, {"O": {"Value": {"Ref": "Off"}}})
    # An output skipped by its condition, or naming the skipped resource in an untaken branch.
    graph(off, {"O": {"Value": {"Ref": "Off"}, "Condition": "No"}})
    graph(off, {"O": {"Value": {"Fn::If": ["No", {"Ref": "Off"}, "none"]}}})
    assert "Unresolved condition dependency Gone in the Outputs block" in refused(
        {"A": queue()}, {"O": {"Value": 1, "Condition": "Gone"}}
    )


def test_reverse():
    deps = {"A": frozenset(), "B": frozenset({"A"}), "C": frozenset({"A", "B"})}
    assert reverse(deps) == {"A": frozenset({"B", "C"}), "B": frozenset({"C"}), "C": frozenset()}
    assert reverse({}) == {}


def test_a_large_chain_has_no_recursion_limit():
    resources = {f"R{i}": queue(X={"Ref": f"R{i - 1}"}) if i else queue() for i in range(500)}
    result = graph(resources)
    assert result["R499"] == frozenset({"R498"})
    resources["R0"] = queue(X={"Ref": "R499"})
    assert refused(resources).startswith("Circular dependency between resources: [R0, R1, R2,")


def test_malformed_functions_are_walked_not_crashed_on():
    # Left for resolve to refuse in CloudFormation's words; the names inside still count.
    result = graph(
        {
            "A": queue(),
            "B": queue(
                X={"Fn::GetAtt": [{"Ref": "A"}]},
                Y={"Fn::If": ["Yes", {"Ref": "A"}]},
                Z={"Fn::Sub": [5, {"V": {"Ref": "A"}}]},
            ),
        }
    )
    assert result["B"] == frozenset({"A"})
