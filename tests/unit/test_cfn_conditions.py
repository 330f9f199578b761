"""The Conditions section evaluated, and the Rules section checked, for parameter values."""

from __future__ import annotations

from typing import Any

import pytest

from altus.cloudformation.conditions import check_rules, evaluate
from altus.cloudformation.errors import TemplateError, ValidationError

PARAMETERS = {
    "Env": "prod",
    "Size": "3",
    "Zones": ["a", "b"],
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "1",
}


def template(conditions: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {
        "Parameters": {
            "Env": {"Type": "String"},
            "Size": {"Type": "Number"},
            "Zones": {"Type": "CommaDelimitedList"},
        },
        "Mappings": {"Envs": {"prod": {"Big": "true"}, "dev": {"Big": "false"}}},
        "Conditions": conditions,
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
        **sections,
    }


def message(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error)


def refused(conditions: dict[str, Any], parameters: dict[str, Any] = PARAMETERS) -> str:
    with pytest.raises(TemplateError) as caught:
        evaluate(template(conditions), parameters)
    return message(caught.value)


def test_every_condition_in_template_order():
    result = evaluate(
        template(
            {
                "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                "IsDev": {"Fn::Equals": ["dev", {"Ref": "Env"}]},
                "InUsEast": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
            }
        ),
        PARAMETERS,
    )
    assert result == {"IsProd": True, "IsDev": False, "InUsEast": True}
    assert list(result) == ["IsProd", "IsDev", "InUsEast"]


def test_no_conditions():
    assert evaluate({"Resources": {}}, PARAMETERS) == {}


def test_conditions_refer_to_conditions_declared_later():
    result = evaluate(
        template(
            {
                "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "Big"}]},
                "Either": {"Fn::Or": [{"Condition": "Never"}, {"Condition": "Both"}]},
                "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
                "Alias": {"Condition": "NotProd"},
                "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                "Big": {"Fn::Equals": [{"Fn::FindInMap": ["Envs", {"Ref": "Env"}, "Big"]}, "true"]},
                "Never": {"Fn::Equals": ["a", "b"]},
            }
        ),
        PARAMETERS,
    )
    assert result == {
        "Both": True,
        "Either": True,
        "NotProd": False,
        "Alias": False,
        "IsProd": True,
        "Big": True,
        "Never": False,
    }


def test_values_compare_as_text():
    result = evaluate(
        template(
            {
                "Three": {"Fn::Equals": [{"Ref": "Size"}, 3]},
                "True": {"Fn::Equals": [True, "true"]},
                "Zones": {"Fn::Equals": [{"Ref": "Zones"}, ["a", "b"]]},
                "First": {"Fn::Equals": [{"Fn::Select": [0, {"Ref": "Zones"}]}, "a"]},
                "Joined": {"Fn::Equals": [{"Fn::Join": [",", {"Ref": "Zones"}]}, "a,b"]},
                "Subbed": {"Fn::Equals": [{"Fn::Sub": "${Env}-${AWS::Region}"}, "prod-us-east-1"]},
                "Nested": {"Fn::Equals": [{"Fn::Equals": ["x", "x"]}, "true"]},
            }
        ),
        PARAMETERS,
    )
    assert all(result.values()), result


@pytest.mark.parametrize(
    ("conditions", "cycle"),
    [
        ({"A": {"Condition": "A"}}, "[A]"),
        (
            {"A": {"Fn::Not": [{"Condition": "B"}]}, "B": {"Fn::Not": [{"Condition": "A"}]}},
            "[A, B]",
        ),
        (
            {
                "X": {"Fn::Not": [{"Condition": "A"}]},
                "A": {"Fn::And": [{"Condition": "B"}, {"Fn::Equals": ["a", "a"]}]},
                "B": {"Fn::Or": [{"Condition": "C"}, {"Fn::Equals": ["a", "a"]}]},
                "C": {"Fn::Not": [{"Condition": "A"}]},
            },
            "[A, B, C]",
        ),
    ],
)
def test_cycles_are_refused(conditions, cycle):
    assert refused(conditions) == f"Template error: Circular dependency between conditions: {cycle}"


def test_unknown_conditions_are_refused():
    assert refused({"A": {"Fn::Not": [{"Condition": "Missing"}]}}) == (
        "Template format error: Unresolved condition dependencies [Missing] in the Conditions "
        "block of the template"
    )


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ({"Fn::Equals": [{"Ref": "Bucket"}, "x"]}, "[Bucket]"),
        ({"Fn::Equals": [{"Fn::GetAtt": ["Bucket", "Arn"]}, "x"]}, "[Bucket]"),
        ({"Fn::Equals": [{"Fn::Sub": "${Bucket.Arn}-${Nowhere}"}, "x"]}, "[Bucket, Nowhere]"),
        ({"Fn::Equals": [{"Ref": "Undeclared"}, "x"]}, "[Undeclared]"),
    ],
)
def test_conditions_cannot_refer_to_resources(expression, names):
    assert refused({"C": expression}) == (
        f"Template format error: Unresolved dependencies {names}. Cannot reference resources in "
        "the "
        "Conditions block of the template"
    )


@pytest.mark.parametrize("function", ["Fn::ImportValue", "Fn::If", "Fn::GetAtt"])
def test_functions_conditions_cannot_use(function):
    argument: Any = {
        "Fn::ImportValue": "x",
        "Fn::If": ["C", "a", "b"],
        "Fn::GetAtt": [{"Ref": "Env"}, "x"],
    }[function]
    assert refused({"C": {"Fn::Equals": [{function: argument}, "x"]}}) == (
        f"Template error: {function} cannot be used in the Conditions block of the template"
    )


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        (
            {"Fn::And": [{"Fn::Equals": ["a", "a"]}]},
            "every Fn::And object requires a list of between 2 and 10",
        ),
        (
            {"Fn::Or": [{"Fn::Equals": ["a", "a"]}] * 11},
            "every Fn::Or object requires a list of between 2 and 10",
        ),
        ({"Fn::Not": []}, "every Fn::Not object requires a list of 1 parameters"),
        (
            {"Fn::Not": {"Fn::Equals": ["a", "a"]}},
            "every Fn::Not object requires a list of 1 parameters",
        ),
        (
            {"Fn::Equals": ["a", "b", "c"]},
            "every Fn::Equals object requires a list of 2 parameters",
        ),
        ({"Ref": "Env"}, "every condition must be a condition function"),
        (
            {"Fn::And": ["true", {"Fn::Equals": ["a", "a"]}]},
            "every condition must be a condition function",
        ),
        ({"Condition": 5}, "every Condition reference must be a string"),
    ],
)
def test_malformed_conditions(expression, problem):
    assert refused({"C": expression}).startswith(f"Template error: {problem}")


def test_and_or_take_up_to_ten():
    ten = [{"Fn::Equals": ["a", "a"]}] * 10
    assert evaluate(template({"A": {"Fn::And": ten}, "O": {"Fn::Or": ten}}), PARAMETERS) == {
        "A": True,
        "O": True,
    }


def test_find_in_map_errors_surface():
    assert refused({"C": {"Fn::Equals": [{"Fn::FindInMap": ["Envs", "qa", "Big"]}, "x"]}}) == (
        "Template error: Unable to get mapping for Envs::qa::Big"
    )


# Rules

CDK = {
    "CheckBootstrapVersion": {
        "Assertions": [
            {
                "Assert": {
                    "Fn::Not": [
                        {"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}
                    ]
                },
                "AssertDescription": (
                    "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a "
                    "recent version of the CDK CLI."
                ),
            }
        ]
    }
}


def rules_template(rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "Parameters": {
            "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"},
            "Env": {"Type": "String"},
            "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"},
            "Other": {"Type": "List<AWS::EC2::Subnet::Id>"},
            "Vpc": {"Type": "AWS::EC2::VPC::Id"},
        },
        "Rules": rules,
        "Resources": {"B": {"Type": "AWS::S3::Bucket"}},
    }


RULE_VALUES = {
    "BootstrapVersion": "21",
    "Env": "prod",
    "Subnets": ["subnet-1", "subnet-2"],
    "Other": ["subnet-3"],
    "Vpc": "vpc-1",
    "AWS::Region": "us-east-1",
}


def test_cdk_bootstrap_rule():
    check_rules(rules_template(CDK), RULE_VALUES)
    with pytest.raises(ValidationError) as caught:
        check_rules(rules_template(CDK), {**RULE_VALUES, "BootstrapVersion": "5"})
    assert message(caught.value) == (
        "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent "
        "version of the CDK CLI."
    )
    assert not isinstance(caught.value, TemplateError)


def test_no_rules():
    check_rules({"Resources": {}}, {})


def test_a_false_rule_condition_skips_the_assertions():
    rules = {
        "ProdOnly": {
            "RuleCondition": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "Assertions": [
                {
                    "Assert": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]},
                    "AssertDescription": "prod runs in eu-west-1",
                }
            ],
        }
    }
    check_rules(rules_template(rules), {**RULE_VALUES, "Env": "dev"})
    with pytest.raises(ValidationError, match="prod runs in eu-west-1"):
        check_rules(rules_template(rules), RULE_VALUES)


def test_the_first_failing_assertion_is_reported():
    rules = {
        "R": {
            "Assertions": [
                {"Assert": {"Fn::Equals": ["a", "a"]}, "AssertDescription": "first"},
                {"Assert": {"Fn::Equals": ["a", "b"]}, "AssertDescription": "second"},
                {"Assert": {"Fn::Equals": ["a", "c"]}, "AssertDescription": "third"},
            ]
        }
    }
    with pytest.raises(ValidationError) as caught:
        check_rules(rules_template(rules), RULE_VALUES)
    assert message(caught.value) == "second"


def test_an_assertion_without_description():
    rules = {"Named": {"Assertions": [{"Assert": {"Fn::Equals": ["a", "b"]}}]}}
    with pytest.raises(ValidationError) as caught:
        check_rules(rules_template(rules), RULE_VALUES)
    assert message(caught.value) == "Template error: assertion of rule Named failed"


@pytest.mark.parametrize(
    ("assertion", "holds"),
    [
        ({"Fn::Contains": [["a", "prod"], {"Ref": "Env"}]}, True),
        ({"Fn::Contains": [{"Ref": "Subnets"}, "subnet-9"]}, False),
        ({"Fn::EachMemberEquals": [{"Ref": "Subnets"}, "subnet-1"]}, False),
        ({"Fn::EachMemberEquals": [["x", "x"], "x"]}, True),
        ({"Fn::EachMemberIn": [{"Ref": "Subnets"}, ["subnet-1", "subnet-2", "subnet-3"]]}, True),
        ({"Fn::EachMemberIn": [{"Ref": "Subnets"}, {"Ref": "Other"}]}, False),
        (
            {
                "Fn::EachMemberIn": [
                    {"Fn::RefAll": "List<AWS::EC2::Subnet::Id>"},
                    ["subnet-1", "subnet-2", "subnet-3"],
                ]
            },
            True,
        ),
        ({"Fn::Contains": [{"Fn::RefAll": "AWS::EC2::VPC::Id"}, {"Ref": "Vpc"}]}, True),
        (
            {"Fn::And": [{"Fn::Equals": ["a", "a"]}, {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}]},
            True,
        ),
        ({"Fn::Or": [{"Fn::Equals": ["a", "b"]}, {"Fn::Contains": [["1"], 1]}]}, True),
        ({"Fn::Equals": [{"Fn::Select": [0, {"Ref": "Subnets"}]}, "subnet-1"]}, True),
    ],
)
def test_rule_functions(assertion, holds):
    rules = {"R": {"Assertions": [{"Assert": assertion, "AssertDescription": "no"}]}}
    if holds:
        check_rules(rules_template(rules), RULE_VALUES)
    else:
        with pytest.raises(ValidationError, match=r"^no$"):
            check_rules(rules_template(rules), RULE_VALUES)


@pytest.mark.parametrize(
    ("assertion", "problem"),
    [
        (
            {"Fn::Equals": [{"Fn::ValueOf": ["Vpc", "Tags"]}, "x"]},
            "Template error: Fn::ValueOf is not supported",
        ),
        (
            {"Fn::ValueOf": ["Vpc", "Tags"]},
            "Template error: Fn::ValueOf is not a rule function that gives a boolean",
        ),
        (
            {"Fn::Contains": [{"Fn::ValueOfAll": ["AWS::EC2::VPC::Id", "Tags"]}, "x"]},
            "Template error: Fn::ValueOfAll is not supported",
        ),
        ({"Ref": "Env"}, "Template error: Ref is not a rule function"),
        ("true", "Template error: every rule condition and assertion must be a rule function"),
        ({"Fn::Equals": [{"Ref": "Bucket"}, "x"]}, "Unresolved dependencies [Bucket]"),
        ({"Fn::Contains": [["a"]]}, "every Fn::Contains object requires a list of 2 parameters"),
    ],
)
def test_rules_cloudformation_refuses(assertion, problem):
    rules = {"R": {"Assertions": [{"Assert": assertion}]}}
    with pytest.raises(TemplateError) as caught:
        check_rules(rules_template(rules), RULE_VALUES)
    assert problem in message(caught.value)


def test_malformed_rules():
    with pytest.raises(TemplateError, match="Rule R must have an Assertions list"):
        check_rules(
            rules_template({"R": {"RuleCondition": {"Fn::Equals": ["a", "a"]}}}), RULE_VALUES
        )
    with pytest.raises(TemplateError, match="every assertion of rule R needs an Assert"):
        check_rules(
            rules_template({"R": {"Assertions": [{"AssertDescription": "x"}]}}), RULE_VALUES
        )


def test_rule_values_may_be_tests_themselves():
    rules = {
        "R": {
            "Assertions": [
                {"Assert": {"Fn::Equals": [{"Fn::Contains": [["a"], "a"]}, "true"]}},
                {"Assert": {"Fn::Equals": [{"Fn::Equals": ["a", "a"]}, True]}},
            ]
        }
    }
    check_rules(rules_template(rules), RULE_VALUES)
