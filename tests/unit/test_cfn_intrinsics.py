"""Intrinsic functions evaluated against a stack's scope, with CloudFormation's errors."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from altus.cloudformation.errors import TemplateError, ValidationError
from altus.cloudformation.intrinsics import (
    NO_VALUE,
    Scope,
    Unresolvable,
    comparable,
    function,
    references,
    resolve,
    sub_names,
    zones,
)


class FakeResources:
    """Resources known by their refs and attributes; the rest not made yet."""

    def __init__(self, refs: dict[str, Any], attributes: dict[tuple[str, str], Any]) -> None:
        self.refs = refs
        self.attributes = attributes
        self.asked: list[str] = []

    def ref(self, logical_id: str) -> Any:
        self.asked.append(logical_id)
        if logical_id not in self.refs:
            raise Unresolvable(logical_id)
        return self.refs[logical_id]

    def attribute(self, logical_id: str, name: str) -> Any:
        self.asked.append(f"{logical_id}.{name}")
        if (logical_id, name) not in self.attributes:
            raise Unresolvable(f"{logical_id}.{name}")
        return self.attributes[(logical_id, name)]


EXPORTS = {"net-VpcId": "vpc-123"}


def exports(name: str) -> Any:
    if name not in EXPORTS:
        raise ValidationError(f"No export named {name} found")
    return EXPORTS[name]


PARAMETERS: dict[str, Any] = {
    "Env": "prod",
    "Count": "2",
    "Names": ["a", "b", "c"],
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "stack",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}
MAPPINGS: dict[str, Any] = {
    "Regions": {"us-east-1": {"Ami": "ami-1", "Zones": ["x", "y"]}, "eu-west-1": {"Ami": "ami-2"}},
    "Envs": {"prod": {"Size": "large"}},
}


def scope(**changes: Any) -> Scope:
    values: dict[str, Any] = {
        "parameters": PARAMETERS,
        "mappings": MAPPINGS,
        "conditions": {"IsProd": True, "IsDev": False},
        "resources": FakeResources(
            {"Bucket": "my-bucket", "Queue": "https://q/1"},
            {("Bucket", "Arn"): "arn:aws:s3:::my-bucket", ("Stack", "Outputs.Url"): "https://x"},
        ),
        "exports": exports,
    }
    values.update(changes)
    return Scope(**values)


def error(value: Any, **changes: Any) -> str:
    with pytest.raises(TemplateError) as caught:
        resolve(value, scope(**changes))
    return str(caught.value.message if hasattr(caught.value, "message") else caught.value)


def test_plain_values_pass_through():
    value = {"a": [1, 2.5, True, None, "x"], "b": {"c": "{{resolve:ssm:/p}}"}}
    assert resolve(value, scope()) == value


def test_resolve_does_not_change_or_share_its_input():
    value = {"A": {"Ref": "Names"}, "B": [{"Fn::FindInMap": ["Regions", "us-east-1", "Zones"]}]}
    before = copy.deepcopy(value)
    result = resolve(value, scope())
    result["A"].append("z")
    result["B"][0].append("z")
    assert value == before
    assert PARAMETERS["Names"] == ["a", "b", "c"]
    assert MAPPINGS["Regions"]["us-east-1"]["Zones"] == ["x", "y"]


def test_function_recognises_one_key_calls_only():
    assert function({"Ref": "X"}) == ("Ref", "X")
    assert function({"Ref": "X", "Other": 1}) is None
    assert function({"Fn::Nope": 1}) is None
    assert function({"Condition": "C"}) is None


# Ref


def test_ref_to_parameters_pseudo_parameters_and_resources():
    assert resolve({"Ref": "Env"}, scope()) == "prod"
    assert resolve({"Ref": "Names"}, scope()) == ["a", "b", "c"]
    assert resolve({"Ref": "AWS::Region"}, scope()) == "us-east-1"
    assert resolve({"Ref": "AWS::NotificationARNs"}, scope()) == []
    assert resolve({"Ref": "Bucket"}, scope()) == "my-bucket"


def test_ref_to_a_resource_not_made_yet_is_unresolvable():
    with pytest.raises(Unresolvable):
        resolve({"Ref": "Later"}, scope())


@pytest.mark.parametrize("argument", [["Env"], 5, "", None, {"a": 1, "b": 2}])
def test_ref_needs_a_single_string(argument):
    assert (
        error({"Ref": argument})
        == "Template error: every Ref object must have a single String value."
    )


def test_ref_to_a_function_that_gives_a_name():
    # LanguageExtensions: Ref's argument may be a function.
    assert (
        resolve(
            {"Ref": {"Fn::Sub": "Buck${Suffix}"}}, scope(parameters={**PARAMETERS, "Suffix": "et"})
        )
        == "my-bucket"
    )


# AWS::NoValue


def test_novalue_removes_the_key_or_the_item():
    value = {
        "Keep": 1,
        "Gone": {"Ref": "AWS::NoValue"},
        "List": [1, {"Ref": "AWS::NoValue"}, 2, {"Fn::If": ["IsDev", 3, {"Ref": "AWS::NoValue"}]}],
    }
    assert resolve(value, scope()) == {"Keep": 1, "List": [1, 2]}
    assert resolve({"Ref": "AWS::NoValue"}, scope()) is NO_VALUE
    assert repr(NO_VALUE) == "NO_VALUE"


def test_nested_if_with_novalue():
    value = {
        "Tags": [
            {
                "Fn::If": [
                    "IsProd",
                    {"Fn::If": ["IsDev", {"Key": "dev"}, {"Ref": "AWS::NoValue"}]},
                    {"Key": "other"},
                ]
            },
            {"Key": "always"},
        ]
    }
    assert resolve(value, scope()) == {"Tags": [{"Key": "always"}]}


# Fn::GetAtt


def test_getatt_list_and_string_forms():
    assert resolve({"Fn::GetAtt": ["Bucket", "Arn"]}, scope()) == "arn:aws:s3:::my-bucket"
    assert resolve({"Fn::GetAtt": "Bucket.Arn"}, scope()) == "arn:aws:s3:::my-bucket"
    assert resolve({"Fn::GetAtt": "Stack.Outputs.Url"}, scope()) == "https://x"


def test_getatt_attribute_may_be_a_ref():
    with_attr = scope(parameters={**PARAMETERS, "Attr": "Arn"})
    assert (
        resolve({"Fn::GetAtt": ["Bucket", {"Ref": "Attr"}]}, with_attr) == "arn:aws:s3:::my-bucket"
    )


def test_getatt_of_a_resource_not_made_yet_is_unresolvable():
    with pytest.raises(Unresolvable):
        resolve({"Fn::GetAtt": ["Queue", "Arn"]}, scope())


@pytest.mark.parametrize(
    "argument",
    ["Bucket", ["Bucket"], ["Bucket", "Arn", "X"], ["", "Arn"], ["Bucket", ""], 5, ["Bucket", 1]],
)
def test_getatt_needs_two_parameters(argument):
    assert (
        error({"Fn::GetAtt": argument})
        == "Template error: every Fn::GetAtt object requires two non-empty parameters"
    )


# Fn::Sub


def test_sub_string_form():
    assert (
        resolve({"Fn::Sub": "${AWS::StackName}-${Env}-${Bucket}"}, scope())
        == "stack-prod-my-bucket"
    )
    assert (
        resolve({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket.Arn}"}, scope())
        == "arn:aws:s3:::arn:aws:s3:::my-bucket"
    )
    assert resolve({"Fn::Sub": "no variables"}, scope()) == "no variables"
    assert resolve({"Fn::Sub": "${ Env }"}, scope()) == "prod"


def test_sub_literal_dollar_brace():
    assert resolve({"Fn::Sub": "${!Literal}-${!Env}-${Env}"}, scope()) == "${Literal}-${Env}-prod"


def test_sub_list_form_with_variables():
    value = {
        "Fn::Sub": [
            "${Domain}/${Env}/${AWS::Region}",
            {"Domain": {"Fn::Join": [".", ["www", "example", "com"]]}, "Env": "override"},
        ]
    }
    assert resolve(value, scope()) == "www.example.com/override/us-east-1"
    assert resolve({"Fn::Sub": ["plain"]}, scope()) == "plain"
    assert resolve({"Fn::Sub": ["${N}", {"N": 5}]}, scope()) == "5"


def test_sub_variables_of_resources_not_made_yet_are_unresolvable():
    with pytest.raises(Unresolvable):
        resolve({"Fn::Sub": "${Queue.Arn}"}, scope())


def test_sub_keeps_dynamic_references():
    value = {"Fn::Sub": "{{resolve:ssm:/app/${Env}/url}}"}
    assert resolve(value, scope()) == "{{resolve:ssm:/app/prod/url}}"


def test_sub_refuses_lists_as_values():
    assert (
        error({"Fn::Sub": "${Names}"})
        == "Template error: variable Names in Fn::Sub expression must be a string"
    )


@pytest.mark.parametrize("argument", [5, ["a", "b"], [], ["a", {}, "c"], [1], "${}"])
def test_sub_needs_a_string_and_an_optional_mapping(argument):
    assert error({"Fn::Sub": argument}).startswith(
        "Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments."
    )


def test_sub_names():
    assert sub_names("${A}-${B.C.D}-${!E}-${ F }") == [("A", None), ("B", "C.D"), ("F", None)]


# Fn::Join, Fn::Split, Fn::Select


def test_join():
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "Env"}, 3, True]]}, scope()) == "a-prod-3-true"
    assert resolve({"Fn::Join": [",", {"Ref": "Names"}]}, scope()) == "a,b,c"
    assert (
        resolve({"Fn::Join": [",", {"Fn::GetAZs": ""}]}, scope())
        == "us-east-1a,us-east-1b,us-east-1c"
    )
    assert resolve({"Fn::Join": ["", []]}, scope()) == ""
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "AWS::NoValue"}, "b"]]}, scope()) == "a-b"


@pytest.mark.parametrize(
    "argument",
    [["-"], [{"Ref": "Env"}, ["a"]], ["-", "abc"], ["-", [["nested"]]], "x", ["-", [{"k": "v"}]]],
)
def test_join_errors(argument):
    assert error({"Fn::Join": argument}).startswith(
        "Template error: every Fn::Join object requires two parameters"
    )


def test_split():
    assert resolve({"Fn::Split": [",", "a,b,,c"]}, scope()) == ["a", "b", "", "c"]
    assert resolve({"Fn::Split": ["|", {"Ref": "Env"}]}, scope()) == ["prod"]
    assert resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b"]}]}, scope()) == "b"


@pytest.mark.parametrize(
    "argument", [[",", ["a"]], ["", "abc"], [",", "a", "b"], "a,b", [{"Ref": "Env"}, "a"]]
)
def test_split_errors(argument):
    assert error({"Fn::Split": argument}).startswith(
        "Template error: every Fn::Split object requires two parameters"
    )


@given(st.text(min_size=1, max_size=3), st.lists(st.text(max_size=8), min_size=1, max_size=6))
def test_split_undoes_join(delimiter, items):
    joined = resolve({"Fn::Join": [delimiter, items]}, scope())
    if all(delimiter not in item for item in items):
        assert resolve({"Fn::Split": [delimiter, joined]}, scope()) == items


@given(st.text(min_size=1, max_size=3), st.text(max_size=30))
def test_join_undoes_split(delimiter, source):
    value = {"Fn::Join": [delimiter, {"Fn::Split": [delimiter, source]}]}
    assert resolve(value, scope()) == source


def test_select():
    assert resolve({"Fn::Select": [0, ["a", "b"]]}, scope()) == "a"
    assert resolve({"Fn::Select": ["1", {"Ref": "Names"}]}, scope()) == "b"
    assert resolve({"Fn::Select": [{"Ref": "Count"}, {"Ref": "Names"}]}, scope()) == "c"
    assert resolve({"Fn::Select": [0, [{"k": "v"}]]}, scope()) == {"k": "v"}


@pytest.mark.parametrize("index", [2, 5, -1, "3"])
def test_select_out_of_bounds(index):
    assert (
        error({"Fn::Select": [index, ["a", "b"]]})
        == f"Template error: Fn::Select cannot select nonexistent value at index {int(index)}"
    )


@pytest.mark.parametrize(
    "argument", [[0], ["x", ["a"]], [1.5, ["a"]], [True, ["a"]], [0, "a"], "a"]
)
def test_select_errors(argument):
    assert error({"Fn::Select": argument}).startswith(
        "Template error: every Fn::Select object requires two parameters"
    )


# Fn::FindInMap


def test_find_in_map():
    assert (
        resolve({"Fn::FindInMap": ["Regions", {"Ref": "AWS::Region"}, "Ami"]}, scope()) == "ami-1"
    )
    assert resolve({"Fn::FindInMap": ["Regions", "us-east-1", "Zones"]}, scope()) == ["x", "y"]
    nested = {"Fn::FindInMap": ["Envs", {"Fn::Select": [0, [{"Ref": "Env"}]]}, "Size"]}
    assert resolve(nested, scope()) == "large"


def test_find_in_map_missing():
    assert error({"Fn::FindInMap": ["Regions", "eu-west-1", "Zones"]}) == (
        "Template error: Unable to get mapping for Regions::eu-west-1::Zones"
    )
    assert (
        error({"Fn::FindInMap": ["Nope", "a", "b"]})
        == "Template error: Unable to get mapping for Nope::a::b"
    )
    assert error({"Fn::FindInMap": ["Regions", "us-east-1", "Ami", "x"]}).startswith(
        "Template error: the fourth parameter of Fn::FindInMap"
    )
    assert error({"Fn::FindInMap": ["Regions", "us-east-1"]}).startswith(
        "Template error: every Fn::FindInMap object requires three parameters"
    )


def test_find_in_map_default_value():
    value: dict[str, Any] = {
        "Fn::FindInMap": ["Regions", "eu-west-1", "Zones", {"DefaultValue": ["z"]}]
    }
    assert resolve(value, scope()) == ["z"]
    value = {"Fn::FindInMap": ["Regions", "us-east-1", "Ami", {"DefaultValue": "other"}]}
    assert resolve(value, scope()) == "ami-1"
    value = {"P": {"Fn::FindInMap": ["Nope", "a", "b", {"DefaultValue": {"Ref": "AWS::NoValue"}}]}}
    assert resolve(value, scope()) == {}
    value = {"Fn::FindInMap": ["Nope", "a", "b", {"DefaultValue": {"Ref": "Env"}}]}
    assert resolve(value, scope()) == "prod"


# Fn::If


def test_if_takes_its_branch_and_resolves_only_it():
    resources = FakeResources({"Bucket": "b"}, {})
    value = {"Fn::If": ["IsProd", {"Ref": "Bucket"}, {"Ref": "SkippedResource"}]}
    assert resolve(value, scope(resources=resources)) == "b"
    assert resources.asked == ["Bucket"]
    value = {"Fn::If": ["IsDev", {"Fn::GetAtt": ["Skipped", "Arn"]}, "fallback"]}
    assert resolve(value, scope(resources=resources)) == "fallback"


def test_if_errors():
    assert (
        error({"Fn::If": ["Nope", 1, 2]})
        == "Template error: unresolved condition dependency Nope in Fn::If"
    )
    assert error({"Fn::If": ["IsProd", 1]}).startswith(
        "Template error: every Fn::If object requires three parameters"
    )
    assert error({"Fn::If": [{"Condition": "IsProd"}, 1, 2]}).startswith(
        "Template error: every Fn::If object"
    )


# Fn::Base64, Fn::GetAZs, Fn::Cidr


def test_base64():
    assert resolve({"Fn::Base64": "hello"}, scope()) == base64.b64encode(b"hello").decode()
    assert (
        resolve({"Fn::Base64": {"Fn::Sub": "#!/bin/sh\necho ${Env}"}}, scope())
        == base64.b64encode(b"#!/bin/sh\necho prod").decode()
    )
    assert resolve({"Fn::Base64": "é"}, scope()) == base64.b64encode("é".encode()).decode()
    assert (
        error({"Fn::Base64": ["x"]})
        == "Template error: every Fn::Base64 object must have a String value"
    )


def test_get_azs():
    assert resolve({"Fn::GetAZs": ""}, scope()) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert resolve({"Fn::GetAZs": {"Ref": "AWS::Region"}}, scope()) == [
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
    ]
    assert resolve({"Fn::GetAZs": "eu-west-1"}, scope()) == [
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1c",
    ]
    assert resolve({"Fn::GetAZs": ""}, scope(azs=("z1", "z2"))) == ["z1", "z2"]
    assert zones("ap-south-1") == ("ap-south-1a", "ap-south-1b", "ap-south-1c")


def test_get_azs_needs_a_region():
    no_region = {key: value for key, value in PARAMETERS.items() if key != "AWS::Region"}
    assert scope(parameters=no_region).azs == ()
    assert error({"Fn::GetAZs": ""}, parameters=no_region).startswith("Template error: Fn::GetAZs")
    assert error({"Fn::GetAZs": ["x"]}).startswith("Template error: Fn::GetAZs requires a region")


def test_cidr_ipv4():
    assert resolve({"Fn::Cidr": ["192.168.0.0/24", 6, 5]}, scope()) == [
        "192.168.0.0/27",
        "192.168.0.32/27",
        "192.168.0.64/27",
        "192.168.0.96/27",
        "192.168.0.128/27",
        "192.168.0.160/27",
    ]
    assert resolve({"Fn::Cidr": ["10.0.0.0/16", "2", "8"]}, scope()) == [
        "10.0.0.0/24",
        "10.0.1.0/24",
    ]
    assert (
        resolve({"Fn::Select": [3, {"Fn::Cidr": ["10.0.0.0/16", 256, 8]}]}, scope())
        == "10.0.3.0/24"
    )


def test_cidr_ipv6():
    assert resolve({"Fn::Cidr": ["2600:1f18:abcd:ab00::/56", 2, 64]}, scope()) == [
        "2600:1f18:abcd:ab00::/64",
        "2600:1f18:abcd:ab01::/64",
    ]


@pytest.mark.parametrize(
    "argument",
    [
        ["10.0.0.0/16", 0, 8],
        ["10.0.0.0/16", 257, 8],
        ["10.0.0.0/16", "x", 8],
        ["10.0.0.0/16", 1],
        [["10.0.0.0/16"], 1, 8],
        ["not-a-cidr", 1, 8],
        ["10.0.0.0/24", 1, 9],
        ["10.0.0.0/24", 3, 7],
        ["10.0.0.0/24", 1, -1],
    ],
)
def test_cidr_errors(argument):
    assert error({"Fn::Cidr": argument}).startswith("Template error: ")


# Fn::ImportValue, Fn::Length, Fn::ToJsonString, Fn::Transform


def test_import_value():
    assert resolve({"Fn::ImportValue": "net-VpcId"}, scope()) == "vpc-123"
    assert (
        resolve(
            {"Fn::ImportValue": {"Fn::Sub": "net-${Kind}"}},
            scope(parameters={**PARAMETERS, "Kind": "VpcId"}),
        )
        == "vpc-123"
    )
    with pytest.raises(ValidationError, match="No export named missing found"):
        resolve({"Fn::ImportValue": "missing"}, scope())
    assert error({"Fn::ImportValue": ["x"]}).startswith(
        "Template error: every Fn::ImportValue object"
    )


def test_length():
    assert resolve({"Fn::Length": [1, 2, 3]}, scope()) == 3
    assert resolve({"Fn::Length": {"Ref": "Names"}}, scope()) == 3
    assert resolve({"Fn::Length": [1, {"Ref": "AWS::NoValue"}]}, scope()) == 1
    assert resolve({"Fn::Length": {"Fn::Split": [",", "a,b"]}}, scope()) == 2
    assert error({"Fn::Length": "abc"}).startswith("Template error: Fn::Length requires a list")


def test_to_json_string():
    value = {
        "Fn::ToJsonString": {
            "b": 1,
            "a": [{"Ref": "Env"}, True, None],
            "gone": {"Ref": "AWS::NoValue"},
            "é": "ü",
        }
    }
    result = resolve(value, scope())
    assert result == '{"b":1,"a":["prod",true,null],"é":"ü"}'
    assert json.loads(result) == {"b": 1, "a": ["prod", True, None], "é": "ü"}
    assert resolve({"Fn::ToJsonString": [1, "x"]}, scope()) == '[1,"x"]'
    assert (
        error({"Fn::ToJsonString": "text"})
        == "Template error: Fn::ToJsonString requires an object or a list"
    )
    assert error({"Fn::ToJsonString": [float("nan")]}).startswith(
        "Template error: Fn::ToJsonString:"
    )


def test_transform_must_have_run():
    assert error({"Fn::Transform": {"Name": "AWS::Include"}}).startswith(
        "Template error: Fn::Transform must be processed"
    )


# Condition functions


def test_condition_functions_where_they_appear():
    assert resolve({"Fn::Equals": [{"Ref": "Env"}, "prod"]}, scope()) is True
    assert resolve({"Fn::Equals": [{"Ref": "Count"}, 2]}, scope()) is True
    assert resolve({"Fn::Not": [{"Condition": "IsProd"}]}, scope()) is False
    assert (
        resolve({"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": ["a", "a"]}]}, scope()) is True
    )
    assert resolve({"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "IsDev"}]}, scope()) is False
    assert resolve({"Fn::Equals": [{"Ref": "Names"}, ["a", "b", "c"]]}, scope()) is True


def test_condition_function_errors():
    assert error({"Fn::And": [{"Condition": "IsProd"}]}) == (
        "Template error: every Fn::And object requires a list of between 2 and 10 parameters"
    )
    assert error({"Fn::Or": [{"Condition": "IsProd"}] * 11}).startswith(
        "Template error: every Fn::Or object"
    )
    assert error({"Fn::Not": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]}) == (
        "Template error: every Fn::Not object requires a list of 1 parameters"
    )
    assert error({"Fn::Equals": ["a"]}).startswith("Template error: every Fn::Equals object")
    assert (
        error({"Fn::Not": [{"Condition": "Nope"}]})
        == "Template error: unresolved condition dependency Nope"
    )
    assert error({"Fn::Not": ["text"]}).startswith(
        "Template error: every condition operand must be"
    )


def test_comparable_reads_scalars_as_text():
    assert comparable(1) == "1"
    assert comparable(True) == "true"
    assert comparable([1, "a", {"k": 2.5}]) == ["1", "a", {"k": "2.5"}]
    assert comparable(None) is None


# references


def test_references_of_every_kind():
    value = {
        "A": {"Ref": "Bucket"},
        "B": {"Fn::GetAtt": ["Queue", {"Ref": "AttrParam"}]},
        "C": {"Fn::GetAtt": "Stack.Outputs.Url"},
        "D": {"Fn::Sub": "${AWS::Region}-${Env}-${Role.Arn}-${!Literal}"},
        "E": {"Fn::Sub": ["${Local}-${Outer}", {"Local": {"Ref": "FromMap"}}]},
        "F": {"Fn::If": ["Cond", {"Ref": "InTrue"}, {"Ref": "InFalse"}]},
        "G": [{"Fn::Join": ["", [{"Ref": "InJoin"}]]}],
        "H": {"Ref": {"Fn::Sub": "${Dynamic}"}},
        "I": {"Fn::GetAtt": [{"Fn::Sub": "${Loop}"}, "Arn"]},
    }
    assert references(value) == {
        "Bucket",
        "Queue",
        "AttrParam",
        "Stack",
        "AWS::Region",
        "Env",
        "Role",
        "Outer",
        "FromMap",
        "InTrue",
        "InFalse",
        "InJoin",
        "Dynamic",
        "Loop",
    }


def test_references_of_plain_data_are_none():
    assert references({"Ref": 5}) == set()
    assert references({"a": ["x", 1, None], "Condition": "C"}) == set()
