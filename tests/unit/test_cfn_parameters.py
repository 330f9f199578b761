"""Parameters bound to the values given: defaults, previous values, types, constraints, SSM."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from altus.cloudformation.errors import TemplateError, ValidationError
from altus.cloudformation.parameters import MASK, Bound, bind, masked, parameter_type

SSM = {"/cdk-bootstrap/hnb659fds/version": "21", "/app/zones": "a, b ,c", "/app/ami": "ami-123"}


class FakeSsm:
    def __init__(self, values: dict[str, str] = SSM) -> None:
        self.values = values
        self.asked: list[str] = []

    async def __call__(self, name: str) -> str | None:
        self.asked.append(name)
        return self.values.get(name)


def run(
    parameters: dict[str, Any],
    given: dict[str, str | None] | None = None,
    previous: dict[str, str] | None = None,
    ssm: FakeSsm | None = None,
) -> tuple[list[Bound], dict[str, Any]]:
    template = {"Parameters": parameters, "Resources": {"B": {"Type": "AWS::S3::Bucket"}}}
    return asyncio.run(bind(template, given or {}, previous or {}, ssm or FakeSsm()))


def message(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error)


def refused(
    parameters: dict[str, Any], given: dict[str, str | None] | None = None, **options: Any
) -> str:
    with pytest.raises(ValidationError) as caught:
        run(parameters, given, **options)
    return message(caught.value)


def test_values_defaults_and_template_order():
    bound, values = run(
        {
            "B": {"Type": "String", "Default": "b-default"},
            "A": {"Type": "String"},
            "N": {"Type": "Number", "Default": 5},
            "Flag": {"Type": "String", "Default": True},
        },
        {"A": "given"},
    )
    assert [item.key for item in bound] == ["B", "A", "N", "Flag"]
    assert values == {"B": "b-default", "A": "given", "N": "5", "Flag": "true"}
    assert bound[1] == Bound("A", "given", None, False)


def test_no_parameters():
    assert asyncio.run(bind({"Resources": {}}, {}, {}, FakeSsm())) == ([], {})


def test_list_types_are_split_and_trimmed():
    _, values = run(
        {
            "Names": {"Type": "CommaDelimitedList"},
            "Ports": {"Type": "List<Number>", "Default": "80, 443"},
            "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"},
            "Empty": {"Type": "CommaDelimitedList", "Default": ""},
        },
        {"Names": " a ,b,, c ", "Subnets": "subnet-1,subnet-2"},
    )
    assert values == {
        "Names": ["a", "b", "", "c"],
        "Ports": ["80", "443"],
        "Subnets": ["subnet-1", "subnet-2"],
        "Empty": [""],
    }


def test_aws_specific_values_are_taken_as_given():
    _, values = run(
        {"Vpc": {"Type": "AWS::EC2::VPC::Id"}, "Key": {"Type": "AWS::EC2::KeyPair::KeyName"}},
        {"Vpc": "vpc-1", "Key": "k"},
    )
    assert values == {"Vpc": "vpc-1", "Key": "k"}


def test_use_previous_value():
    bound, values = run({"A": {"Type": "String", "Default": "d"}}, {"A": None}, {"A": "before"})
    assert values == {"A": "before"}
    assert bound[0].value == "before"


def test_use_previous_value_without_one():
    assert refused({"A": {"Type": "String"}}, {"A": None}) == (
        "Invalid input for parameter key A. Cannot specify usePreviousValue as true for a "
        "parameter key "
        "not in the previous template"
    )


def test_unknown_keys():
    assert refused(
        {"A": {"Type": "String", "Default": "x"}}, {"Nope": "1", "A": "2", "Other": "3"}
    ) == ("Parameters: [Nope, Other] do not exist in the template")


def test_missing_values():
    assert refused(
        {"A": {"Type": "String"}, "B": {"Type": "String", "Default": "x"}, "C": {"Type": "Number"}}
    ) == ("Parameters: [A, C] must have values")


def test_empty_string_is_a_value():
    _, values = run({"A": {"Type": "String"}}, {"A": ""})
    assert values == {"A": ""}


def test_allowed_values():
    parameters = {"Env": {"Type": "String", "AllowedValues": ["dev", "prod", 3]}}
    assert run(parameters, {"Env": "prod"})[1] == {"Env": "prod"}
    assert run(parameters, {"Env": "3"})[1] == {"Env": "3"}
    assert refused(parameters, {"Env": "qa"}) == "Parameter 'Env' must be one of AllowedValues"
    assert (
        refused({**parameters, "Env": {**parameters["Env"], "Default": "qa"}})
        == "Parameter 'Env' must be one of AllowedValues"
    )


def test_allowed_values_apply_to_each_member_of_a_list():
    parameters = {"Zones": {"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]}}
    assert run(parameters, {"Zones": "a, b"})[1] == {"Zones": ["a", "b"]}
    assert refused(parameters, {"Zones": "a,c"}) == "Parameter 'Zones' must be one of AllowedValues"


def test_constraint_description_replaces_the_problem():
    parameters = {
        "Env": {"Type": "String", "AllowedValues": ["dev"], "ConstraintDescription": "must be dev"}
    }
    assert (
        refused(parameters, {"Env": "qa"})
        == "Parameter 'Env' failed to satisfy constraint: must be dev"
    )


def test_allowed_pattern_matches_the_whole_value():
    parameters = {"Name": {"Type": "String", "AllowedPattern": "[a-z]+"}}
    assert run(parameters, {"Name": "abc"})[1] == {"Name": "abc"}
    assert (
        refused(parameters, {"Name": "abc1"})
        == "Malformed input-Parameter Name must match pattern [a-z]+"
    )
    assert (
        refused(parameters, {"Name": ""})
        == "Malformed input-Parameter Name must match pattern [a-z]+"
    )


def test_allowed_pattern_with_constraint_description():
    parameters = {
        "Name": {
            "Type": "String",
            "AllowedPattern": "[A-Za-z0-9]+",
            "ConstraintDescription": "must contain only letters and numbers",
        }
    }
    assert (
        refused(parameters, {"Name": "a-b"})
        == "Malformed input-Parameter Name must contain only letters and numbers"
    )


def test_allowed_pattern_applies_to_each_list_member():
    parameters = {"Ids": {"Type": "CommaDelimitedList", "AllowedPattern": "id-[0-9]+"}}
    assert run(parameters, {"Ids": "id-1, id-22"})[1] == {"Ids": ["id-1", "id-22"]}
    assert (
        refused(parameters, {"Ids": "id-1,x"})
        == "Malformed input-Parameter Ids must match pattern id-[0-9]+"
    )


def test_a_pattern_that_backtracks_for_ages_does_not_match():
    parameters = {"P": {"Type": "String", "AllowedPattern": "(a|aa)+b"}}
    assert (
        refused(parameters, {"P": "a" * 64})
        == "Malformed input-Parameter P must match pattern (a|aa)+b"
    )


def test_invalid_patterns_are_template_errors():
    with pytest.raises(TemplateError, match="AllowedPattern must be a valid regular expression"):
        run({"P": {"Type": "String", "AllowedPattern": "([a-z"}}, {"P": "a"})
    with pytest.raises(TemplateError, match="AllowedPattern must be a string"):
        run({"P": {"Type": "String", "AllowedPattern": 5}}, {"P": "a"})


def test_lengths():
    parameters = {"P": {"Type": "String", "MinLength": 2, "MaxLength": "4"}}
    assert run(parameters, {"P": "abcd"})[1] == {"P": "abcd"}
    assert refused(parameters, {"P": "a"}) == "Parameter 'P' must contain at least 2 characters"
    assert refused(parameters, {"P": "abcde"}) == "Parameter 'P' must contain at most 4 characters"
    lists = {"L": {"Type": "CommaDelimitedList", "MaxLength": 2}}
    assert run(lists, {"L": "ab,cd"})[1] == {"L": ["ab", "cd"]}
    assert refused(lists, {"L": "ab,cde"}) == "Parameter 'L' must contain at most 2 characters"


@pytest.mark.parametrize("value", ["1", "-2", "3.5", "1e3", "+4", ".5", "10."])
def test_numbers(value):
    assert run({"N": {"Type": "Number"}}, {"N": value})[1] == {"N": value}


@pytest.mark.parametrize("value", ["", "one", "1,2", "0x10", "NaN", "Infinity", " 1"])
def test_not_numbers(value):
    assert refused({"N": {"Type": "Number"}}, {"N": value}) == "Parameter 'N' must be a number"


def test_number_bounds():
    parameters = {"N": {"Type": "Number", "MinValue": 1, "MaxValue": "10.5"}}
    assert run(parameters, {"N": "10.5"})[1] == {"N": "10.5"}
    assert refused(parameters, {"N": "0.99"}) == "Parameter 'N' must be a number not less than 1"
    assert (
        refused(parameters, {"N": "11"}) == "Parameter 'N' must be a number not greater than 10.5"
    )
    lists = {"L": {"Type": "List<Number>", "MinValue": 0}}
    assert run(lists, {"L": "1, 2"})[1] == {"L": ["1", "2"]}
    assert refused(lists, {"L": "1,-1"}) == "Parameter 'L' must be a number not less than 0"
    assert refused(lists, {"L": "1,x"}) == "Parameter 'L' must be a number"
    with pytest.raises(TemplateError, match="MinValue must be a number"):
        run({"N": {"Type": "Number", "MinValue": "low"}}, {"N": "1"})


def test_value_limit_in_bytes():
    run({"P": {"Type": "String"}}, {"P": "x" * 4096})
    assert refused({"P": {"Type": "String"}}, {"P": "é" * 2049}) == (
        "Parameter 'P' exceeds the maximum parameter value length of 4096 bytes"
    )


def test_ssm_value_types_fetch_the_value():
    ssm = FakeSsm()
    bound, values = run(
        {
            "BootstrapVersion": {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": "/cdk-bootstrap/hnb659fds/version",
            },
            "Zones": {"Type": "AWS::SSM::Parameter::Value<List<String>>"},
            "Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"},
            "Name": {"Type": "AWS::SSM::Parameter::Name"},
        },
        {"Zones": "/app/zones", "Ami": "/app/ami", "Name": "/app/ami"},
        ssm=ssm,
    )
    assert values == {
        "BootstrapVersion": "21",
        "Zones": ["a", "b", "c"],
        "Ami": "ami-123",
        "Name": "/app/ami",
    }
    assert bound[0] == Bound("BootstrapVersion", "/cdk-bootstrap/hnb659fds/version", "21", False)
    assert bound[1] == Bound("Zones", "/app/zones", "a, b ,c", False)
    assert bound[3] == Bound("Name", "/app/ami", None, False)
    assert ssm.asked == ["/cdk-bootstrap/hnb659fds/version", "/app/zones", "/app/ami", "/app/ami"]


def test_use_previous_value_refetches_ssm():
    ssm = FakeSsm({"/v": "2"})
    _, values = run(
        {"V": {"Type": "AWS::SSM::Parameter::Value<String>"}}, {"V": None}, {"V": "/v"}, ssm=ssm
    )
    assert values == {"V": "2"}
    assert ssm.asked == ["/v"]


def test_missing_ssm_parameters():
    parameters = {
        "A": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/missing/a"},
        "B": {"Type": "AWS::SSM::Parameter::Name", "Default": "/missing/b"},
        "C": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/ami"},
    }
    assert (
        refused(parameters)
        == "Unable to fetch parameters [/missing/a, /missing/b] from parameter store for this "
        "account."
    )


def test_unsupported_ssm_types():
    assert refused(
        {"S": {"Type": "AWS::SSM::Parameter::Value<SecureString>", "Default": "/x"}}
    ) == ("Parameters [S] referenced by template have types not supported by CloudFormation.")


def test_parameter_types():
    assert (
        parameter_type("P", "List<Number>").number and parameter_type("P", "List<Number>").is_list
    )
    assert parameter_type("P", "AWS::SSM::Parameter::Value<CommaDelimitedList>").is_list
    assert not parameter_type("P", "AWS::SSM::Parameter::Value<String>").is_list
    with pytest.raises(TemplateError, match="Unrecognized parameter type: Strng"):
        parameter_type("P", "Strng")
    with pytest.raises(
        TemplateError, match=r"Every Parameters object must contain a Type member\."
    ):
        parameter_type("P", None)


def test_malformed_declarations():
    with pytest.raises(TemplateError, match=r"Every Default member must be a string\."):
        run({"P": {"Type": "String", "Default": ["a"]}})
    with pytest.raises(
        TemplateError, match=r"Every AllowedValues member must be a list of strings\."
    ):
        run({"P": {"Type": "String", "AllowedValues": "a"}}, {"P": "a"})
    with pytest.raises(TemplateError, match=r"Any Parameters member must be a JSON object\."):
        run({"P": "String"})


def test_no_echo_and_masking():
    bound, values = run(
        {
            "Secret": {"Type": "String", "NoEcho": True},
            "Quoted": {"Type": "String", "NoEcho": "true"},
            "Plain": {"Type": "String", "NoEcho": "false"},
        },
        {"Secret": "s3cr3t", "Quoted": "q", "Plain": "p"},
    )
    assert [item.no_echo for item in bound] == [True, True, False]
    assert [masked(item) for item in bound] == [MASK, "****", "p"]
    assert values["Secret"] == "s3cr3t"
