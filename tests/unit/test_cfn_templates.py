"""Template bodies read (JSON, YAML with CloudFormation's short forms) and their structure
checked as CloudFormation checks it on validation."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from altus.cloudformation.errors import TemplateError, ValidationError
from altus.cloudformation.templates import SHORT_FORMS, check, parse

BUCKET = {"Type": "AWS::S3::Bucket"}


def minimal(**sections: Any) -> dict[str, Any]:
    template: dict[str, Any] = {"Resources": {"Bucket": copy.deepcopy(BUCKET)}}
    template.update(sections)
    return template


def refused(template: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        check(template)
    return caught.value.message if hasattr(caught.value, "message") else str(caught.value)


def message(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error)


# parse: JSON


def test_json_body_is_read_as_json():
    body = json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"B": BUCKET}})
    assert parse(body) == {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"B": BUCKET}}


def test_json_with_a_byte_order_mark_and_leading_space():
    assert parse('\ufeff  \n{"Resources": {}}') == {"Resources": {}}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('{"Resources": {,}}', "(line 1, column 16)"),
        ('{\n  "Resources": {\n    "B": }\n}', "(line 3, column 10)"),
        ('{"a": 1,}', "(line 1, column 9)"),
        ('{"a": 1} {}', "(line 1, column 10)"),
    ],
)
def test_malformed_json_names_line_and_column(body, where):
    with pytest.raises(TemplateError) as caught:
        parse(body)
    assert message(caught.value) == f"Template format error: JSON not well-formed. {where}"


def test_json_nan_and_infinity_are_not_json():
    with pytest.raises(TemplateError) as caught:
        parse('{"a":\n  NaN}')
    assert (
        message(caught.value) == "Template format error: JSON not well-formed. (line 2, column 3)"
    )
    with pytest.raises(TemplateError):
        parse('{"a": Infinity}')


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42", "", "   ", "- a\n- b\n", "just text"])
def test_a_body_that_is_not_a_mapping_is_an_unsupported_structure(body):
    with pytest.raises(TemplateError) as caught:
        parse(body)
    assert message(caught.value) == "Template format error: unsupported structure."


def test_deeply_nested_json_is_refused_not_crashed():
    with pytest.raises(TemplateError) as caught:
        parse('{"a":' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "JSON not well-formed" in message(caught.value)


# parse: YAML


def test_format_version_and_dates_stay_strings():
    template = parse("AWSTemplateFormatVersion: 2010-09-09\nWhen: 2001-12-14t21:59:43.10-05:00\n")
    assert template == {
        "AWSTemplateFormatVersion": "2010-09-09",
        "When": "2001-12-14t21:59:43.10-05:00",
    }


def test_yaml_1_1_scalars_as_yaml_1_1_gives_them():
    template = parse("a: yes\nb: No\nc: 010\nd: 1.5\ne: '0123'\nf: ~\ng: =\n")
    assert template == {"a": True, "b": False, "c": 8, "d": 1.5, "e": "0123", "f": None, "g": "="}


def test_scalar_keys_are_strings_as_in_json():
    template = parse(
        "Mappings:\n  Accounts:\n    123456789012: {Env: prod}\n    true: {x: 1}\n    1.5: {}\n"
    )
    assert template["Mappings"]["Accounts"] == {
        "123456789012": {"Env": "prod"},
        "true": {"x": 1},
        "1.5": {},
    }


@pytest.mark.parametrize(("tag", "key"), sorted(SHORT_FORMS.items()))
def test_every_short_form_maps_to_its_long_form(tag, key):
    assert parse(f"v: {tag} [a, b]\n") == {"v": {key: ["a", "b"]}}


def test_short_forms_of_scalars_and_mappings():
    template = parse(
        "a: !Ref Bucket\n"
        "b: !Condition IsProd\n"
        "c: !GetAZs ''\n"
        "d: !Base64 hello\n"
        "e: !Sub '${AWS::StackName}-x'\n"
        "f: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}\n"
    )
    assert template == {
        "a": {"Ref": "Bucket"},
        "b": {"Condition": "IsProd"},
        "c": {"Fn::GetAZs": ""},
        "d": {"Fn::Base64": "hello"},
        "e": {"Fn::Sub": "${AWS::StackName}-x"},
        "f": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}},
    }


def test_tagged_scalars_are_not_resolved_as_yaml_types():
    assert parse("a: !Ref 123\nb: !Base64 true\n") == {
        "a": {"Ref": "123"},
        "b": {"Fn::Base64": "true"},
    }


def test_getatt_string_splits_at_the_first_dot():
    assert parse("a: !GetAtt Stack.Outputs.Url\n") == {
        "a": {"Fn::GetAtt": ["Stack", "Outputs.Url"]}
    }
    assert parse("a: !GetAtt A.B\n") == {"a": {"Fn::GetAtt": ["A", "B"]}}
    assert parse("a: !GetAtt [A, !Ref Attr]\n") == {"a": {"Fn::GetAtt": ["A", {"Ref": "Attr"}]}}
    # No dot: left as written, for resolve to refuse.
    assert parse("a: !GetAtt Alone\n") == {"a": {"Fn::GetAtt": "Alone"}}


def test_sub_in_both_forms():
    template = parse(
        "a: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}'\n"
        "b: !Sub\n"
        "  - 'www.${Domain}'\n"
        "  - Domain: !Ref RootDomain\n"
    )
    assert template == {
        "a": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}"},
        "b": {"Fn::Sub": ["www.${Domain}", {"Domain": {"Ref": "RootDomain"}}]},
    }


def test_nested_if_with_novalue():
    template = parse(
        "Tags:\n"
        "  - !If\n"
        "    - IsProd\n"
        "    - !If [HasOwner, {Key: owner, Value: !Ref Owner}, !Ref AWS::NoValue]\n"
        "    - !Ref AWS::NoValue\n"
    )
    assert template == {
        "Tags": [
            {
                "Fn::If": [
                    "IsProd",
                    {
                        "Fn::If": [
                            "HasOwner",
                            {"Key": "owner", "Value": {"Ref": "Owner"}},
                            {"Ref": "AWS::NoValue"},
                        ]
                    },
                    {"Ref": "AWS::NoValue"},
                ]
            }
        ]
    }


def test_import_value_with_long_form_sub():
    template = parse("a: !ImportValue\n  Fn::Sub: '${Network}-VpcId'\n")
    assert template == {"a": {"Fn::ImportValue": {"Fn::Sub": "${Network}-VpcId"}}}


def test_import_value_cannot_wrap_short_form_sub():
    with pytest.raises(TemplateError) as caught:
        parse("a: !ImportValue !Sub '${Network}-VpcId'\n")
    assert message(caught.value).startswith("Template format error: YAML not well-formed. (line 1,")


def test_condition_functions_short_forms():
    template = parse(
        "C: !And [!Equals [!Ref A, x], !Not [!Condition B], !Or [!Condition C, !Condition D]]\n"
    )
    assert template == {
        "C": {
            "Fn::And": [
                {"Fn::Equals": [{"Ref": "A"}, "x"]},
                {"Fn::Not": [{"Condition": "B"}]},
                {"Fn::Or": [{"Condition": "C"}, {"Condition": "D"}]},
            ]
        }
    }


def test_select_cidr_findinmap_join_split():
    template = parse(
        "a: !Select [0, !GetAZs '']\n"
        "b: !Cidr [!GetAtt Vpc.CidrBlock, 6, 5]\n"
        "c: !FindInMap [Map, !Ref AWS::Region, Ami]\n"
        "d: !Join [',', !Split ['|', 'a|b']]\n"
    )
    assert template == {
        "a": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
        "b": {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 6, 5]},
        "c": {"Fn::FindInMap": ["Map", {"Ref": "AWS::Region"}, "Ami"]},
        "d": {"Fn::Join": [",", {"Fn::Split": ["|", "a|b"]}]},
    }


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("a: !Nope x\n", "(line 1, column 4)"),
        ("a: !Length [1]\n", "(line 1, column 4)"),  # LanguageExtensions have no short forms
        ("a: &anchor 1\nb: 2\n", "(line 1, column 4)"),
        ("a: 1\nb: *x\n", "(line 2, column 4)"),
        ("base: {x: 1}\nderived:\n  <<: {y: 2}\n", "(line 3, column 3)"),
        ("a: 1\nb: 2\na: 3\n", "(line 3, column 1)"),
        ("a: !!binary aGVsbG8=\n", "(line 1, column 4)"),
        ("a: !!set {x}\n", "(line 1, column 4)"),
        ("a: !!omap [x: 1]\n", "(line 1, column 4)"),
        ("a: !!pairs [x: 1]\n", "(line 1, column 4)"),
        ("a: !!timestamp 2001-12-14\n", "(line 1, column 4)"),
        ("a: [1, 2\n", "(line 2, column 1)"),
        ("a: 1\n---\nb: 2\n", "(line 2, column 1)"),
        ("a:\n\t- 1\n", "(line 2, column 1)"),
        ("? [a, b]\n: 1\n", "(line 1, column 3)"),
    ],
)
def test_yaml_cloudformation_does_not_read_is_not_well_formed(body, where):
    with pytest.raises(TemplateError) as caught:
        parse(body)
    assert message(caught.value) == f"Template format error: YAML not well-formed. {where}"


def test_yaml_flow_mapping_that_is_not_json_is_read_as_json():
    # A body that looks like JSON is JSON: YAML's flow style is not tried.
    with pytest.raises(TemplateError) as caught:
        parse("{Resources: {}}")
    assert message(caught.value).startswith("Template format error: JSON not well-formed.")


def test_yaml_and_json_of_one_template_agree():
    yaml_body = (
        "Resources:\n"
        "  Queue:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties:\n"
        "      QueueName: !Sub '${AWS::StackName}-q'\n"
        "      DelaySeconds: 5\n"
    )
    json_body = json.dumps(
        {
            "Resources": {
                "Queue": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {
                        "QueueName": {"Fn::Sub": "${AWS::StackName}-q"},
                        "DelaySeconds": 5,
                    },
                }
            }
        }
    )
    assert parse(yaml_body) == parse(json_body)


# check


def test_a_complete_template_passes():
    check(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": "d",
            "Metadata": {"x": 1},
            "Parameters": {
                "Env": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"},
                "Count": {"Type": "Number", "MinValue": 1, "Default": 2},
                "Version": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/v"},
                "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"},
            },
            "Mappings": {"Regions": {"us-east-1": {"Ami": "ami-1", "Zones": ["a", "b"]}}},
            "Conditions": {
                "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
            },
            "Rules": {"R": {"Assertions": [{"Assert": {"Fn::Equals": ["a", "a"]}}]}},
            "Resources": {
                "Bucket": {
                    "Type": "AWS::S3::Bucket",
                    "Condition": "IsProd",
                    "DeletionPolicy": "RetainExceptOnCreate",
                    "UpdateReplacePolicy": "Retain",
                    "DependsOn": "Queue",
                    "Metadata": {},
                    "Properties": {
                        "Tags": [
                            {
                                "Fn::If": [
                                    "IsProd",
                                    {"Key": "a", "Value": "b"},
                                    {"Ref": "AWS::NoValue"},
                                ]
                            }
                        ]
                    },
                },
                "Queue": {
                    "Type": "AWS::SQS::Queue",
                    "DependsOn": [],
                    "CreationPolicy": {},
                    "UpdatePolicy": {},
                },
            },
            "Outputs": {
                "Url": {
                    "Value": {"Ref": "Queue"},
                    "Description": "u",
                    "Condition": "NotProd",
                    "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-Url"}},
                },
                "Plain": {"Value": "x", "Export": {"Name": "stack:url-1"}},
            },
        }
    )


def test_unknown_sections_are_refused():
    assert refused(minimal(Bogus=1, Other=2)) == (
        "Template format error: Invalid template property or properties [Bogus, Other]"
    )


def test_globals_pass_where_the_serverless_transform_will_consume_them():
    check(minimal(Transform="AWS::Serverless-2016-10-31", Globals={"Function": {}}))
    assert "Globals" in refused(minimal(Globals={}))


@pytest.mark.parametrize("version", ["2010-09-10", 2010, "2010-09-09 "])
def test_only_one_format_version(version):
    assert refused(minimal(AWSTemplateFormatVersion=version)) == (
        "Template format error: Unsupported value for AWSTemplateFormatVersion."
    )


def test_description_limit_in_bytes():
    check(minimal(Description="x" * 1024))
    assert refused(minimal(Description="é" * 513)) == (
        "Template format error: Description must be no longer than 1024 bytes"
    )
    assert "must be a string" in refused(minimal(Description=["x"]))


@pytest.mark.parametrize("resources", [None, {}, [], "x"])
def test_at_least_one_resource(resources):
    template: dict[str, Any] = {} if resources is None else {"Resources": resources}
    assert (
        refused(template) == "Template format error: At least one Resources member must be defined."
    )


@pytest.mark.parametrize("name", ["My-Bucket", "my_bucket", "Bücket", "a b", ""])
def test_logical_ids_are_alphanumeric(name):
    assert refused({"Resources": {name: BUCKET}}) == (
        f"Template format error: Resource name {name} is non alphanumeric."
    )


def test_logical_ids_at_most_255_characters():
    check({"Resources": {"A" * 255: BUCKET}})
    assert "longer than 255" in refused({"Resources": {"A" * 256: BUCKET}})


def test_at_most_500_resources():
    check({"Resources": {f"R{i}": BUCKET for i in range(500)}})
    assert refused({"Resources": {f"R{i}": BUCKET for i in range(501)}}) == (
        "Template format error: Number of resources, 501, is greater than maximum allowed, 500"
    )


@pytest.mark.parametrize("resource", [{"Properties": {}}, {"Type": ""}, {"Type": 5}])
def test_every_resource_has_a_type(resource):
    assert refused({"Resources": {"B": resource}}) == (
        "Template format error: Every Resources object must contain a Type member."
    )


def test_a_resource_is_an_object():
    assert refused({"Resources": {"B": "AWS::S3::Bucket"}}) == (
        "Template format error: Any Resources member must be a JSON object."
    )


def test_unknown_resource_attributes_are_refused():
    assert refused({"Resources": {"B": {**BUCKET, "Propertie": {}}}}) == (
        "Invalid template resource property 'Propertie'"
    )


def test_properties_must_be_an_object():
    check({"Resources": {"B": {**BUCKET, "Properties": None}}})
    assert "Properties of resource B" in refused(
        {"Resources": {"B": {**BUCKET, "Properties": [1]}}}
    )


@pytest.mark.parametrize("depends_on", [5, [1], {"Ref": "X"}, ["A", None]])
def test_depends_on_is_a_string_or_strings(depends_on):
    assert "DependsOn of resource B" in refused(
        {"Resources": {"B": {**BUCKET, "DependsOn": depends_on}}}
    )


@pytest.mark.parametrize("policy", ["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"])
def test_deletion_policies(policy):
    check({"Resources": {"B": {**BUCKET, "DeletionPolicy": policy}}})


def test_unknown_policies_are_refused():
    assert refused({"Resources": {"B": {**BUCKET, "DeletionPolicy": "Keep"}}}) == (
        "Template format error: Unrecognized DeletionPolicy Keep for resource B"
    )
    assert refused(
        {"Resources": {"B": {**BUCKET, "UpdateReplacePolicy": "RetainExceptOnCreate"}}}
    ) == (
        "Template format error: Unrecognized UpdateReplacePolicy RetainExceptOnCreate for "
        "resource B"
    )


def test_policies_may_be_functions_for_language_extensions():
    check({"Resources": {"B": {**BUCKET, "DeletionPolicy": {"Ref": "Policy"}}}})
    check(
        {
            "Conditions": {"C": {"Fn::Equals": ["a", "a"]}},
            "Resources": {
                "B": {**BUCKET, "UpdateReplacePolicy": {"Fn::If": ["C", "Retain", "Delete"]}}
            },
        }
    )
    assert "Unrecognized DeletionPolicy" in refused(
        {"Resources": {"B": {**BUCKET, "DeletionPolicy": {"Fn::GetAtt": ["X", "Y"]}}}}
    )


def test_resource_condition_must_exist():
    assert refused({"Resources": {"B": {**BUCKET, "Condition": "Missing"}}}) == (
        "Template format error: Unresolved condition dependency Missing in the Resources block "
        "of the template (B)"
    )


def test_fn_if_conditions_must_exist_in_resources_and_outputs():
    template = {"Resources": {"B": {**BUCKET, "Properties": {"A": {"Fn::If": ["Nope", 1, 2]}}}}}
    assert refused(template) == "Template error: unresolved condition dependency Nope in Fn::If"
    template = minimal(Outputs={"O": {"Value": {"Fn::If": ["Gone", "a", "b"]}}})
    assert refused(template) == "Template error: unresolved condition dependency Gone in Fn::If"


def test_condition_references_inside_conditions_must_exist():
    template = minimal(Conditions={"A": {"Fn::Not": [{"Condition": "B"}]}})
    assert refused(template) == (
        "Template format error: Unresolved condition dependencies [B] in the Conditions block of "
        "the template"
    )
    assert "must be a condition function" in refused(minimal(Conditions={"A": "true"}))


def test_outputs_need_a_value():
    assert refused(minimal(Outputs={"O": {"Description": "x"}})) == (
        "Template format error: Every Outputs member must contain a Value object"
    )
    assert refused(minimal(Outputs={"O": "x"})) == (
        "Template format error: Every Outputs member must contain a Value object"
    )


def test_outputs_attributes_names_and_conditions():
    assert (
        refused(minimal(Outputs={"O": {"Value": 1, "Values": 2}}))
        == "Invalid template output property 'Values'"
    )
    assert "Output name O-1 is non alphanumeric" in refused(minimal(Outputs={"O-1": {"Value": 1}}))
    assert "Unresolved condition dependency X in the Outputs block" in refused(
        minimal(Outputs={"O": {"Value": 1, "Condition": "X"}})
    )


@pytest.mark.parametrize("export", [{}, {"Name": "bad name"}, {"Name": ""}, "name", {"Name": 5}])
def test_export_names(export):
    assert refused(minimal(Outputs={"O": {"Value": 1, "Export": export}})) == (
        "Template format error: Output O is malformed. The Name field of every Export member must "
        "be specified and consist only of alphanumeric characters, colons, or hyphens."
    )


def test_at_most_200_outputs_parameters_and_mappings():
    check(minimal(Outputs={f"O{i}": {"Value": "x"} for i in range(200)}))
    assert refused(minimal(Outputs={f"O{i}": {"Value": "x"} for i in range(201)})) == (
        "Template format error: Number of outputs, 201, is greater than maximum allowed, 200"
    )
    assert refused(minimal(Parameters={f"P{i}": {"Type": "String"} for i in range(201)})) == (
        "Template format error: Number of parameters, 201, is greater than maximum allowed, 200"
    )
    assert refused(minimal(Mappings={f"M{i}": {"k": {"a": "b"}} for i in range(201)})) == (
        "Template format error: Number of mappings, 201, is greater than maximum allowed, 200"
    )


def test_mappings_shape_and_attribute_limit():
    check(minimal(Mappings={"M": {"k": {f"a{i}": "x" for i in range(200)}}}))
    assert "Number of attributes in mapping M, 201" in refused(
        minimal(Mappings={"M": {"k": {f"a{i}": "x" for i in range(201)}}})
    )
    assert (
        refused(minimal(Mappings={"M": "x"}))
        == "Template format error: Every Mappings member M must be a map"
    )
    assert (
        refused(minimal(Mappings={"M": {"k": "x"}}))
        == "Template format error: Every Mappings member k must be a map"
    )
    assert refused(minimal(Mappings={"M": {"k": {"a": {"b": 1}}}})) == (
        "Template format error: Every Mappings attribute must be a String or a List."
    )
    assert "Mapping name M-1 is non alphanumeric" in refused(minimal(Mappings={"M-1": {}}))


@pytest.mark.parametrize(
    "kind",
    [
        "String",
        "Number",
        "List<Number>",
        "CommaDelimitedList",
        "AWS::EC2::VPC::Id",
        "AWS::EC2::KeyPair::KeyName",
        "AWS::Route53::HostedZone::Id",
        "List<AWS::EC2::Subnet::Id>",
        "List<AWS::EC2::SecurityGroup::Id>",
        "AWS::SSM::Parameter::Name",
        "AWS::SSM::Parameter::Value<String>",
        "AWS::SSM::Parameter::Value<List<String>>",
        "AWS::SSM::Parameter::Value<CommaDelimitedList>",
        "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
        "AWS::SSM::Parameter::Value<List<AWS::EC2::Image::Id>>",
    ],
)
def test_valid_parameter_types(kind):
    check(minimal(Parameters={"P": {"Type": kind}}))


@pytest.mark.parametrize(
    "kind",
    ["string", "Integer", "List<String>", "List<AWS::EC2::KeyPair::KeyName>", "AWS::S3::Bucket"],
)
def test_unknown_parameter_types(kind):
    assert refused(minimal(Parameters={"P": {"Type": kind}})) == (
        f"Template format error: Unrecognized parameter type: {kind}"
    )


@pytest.mark.parametrize(
    "kind", ["AWS::SSM::Parameter::Value<SecureString>", "AWS::SSM::Parameter::Value<Number>"]
)
def test_ssm_types_cloudformation_does_not_support(kind):
    assert refused(minimal(Parameters={"P": {"Type": kind}})) == (
        "Parameters [P] referenced by template have types not supported by CloudFormation."
    )


def test_parameter_declarations():
    assert refused(minimal(Parameters={"P": {}})) == (
        "Template format error: Every Parameters object must contain a Type member."
    )
    assert refused(minimal(Parameters={"P": {"Type": "String", "Defualt": "x"}})) == (
        "Invalid template parameter property 'Defualt'"
    )
    assert refused(minimal(Parameters={"P": {"Type": "String", "Default": ["a"]}})) == (
        "Template format error: Every Default member must be a string."
    )
    assert "AllowedValues" in refused(
        minimal(Parameters={"P": {"Type": "String", "AllowedValues": "a"}})
    )
    assert "Parameter name P_1 is non alphanumeric" in refused(
        minimal(Parameters={"P_1": {"Type": "String"}})
    )
    assert "Any Parameters member must be a JSON object" in refused(
        minimal(Parameters={"P": "String"})
    )


def test_a_name_is_a_parameter_or_a_resource_not_both():
    assert "[Bucket]" in refused(minimal(Parameters={"Bucket": {"Type": "String"}}))


def test_rules_need_assertions():
    check(minimal(Rules={"R": {"RuleCondition": {"Fn::Equals": ["a", "a"]}, "Assertions": []}}))
    assert "Rule R must have Assertions" in refused(minimal(Rules={"R": {}}))
    assert "Rule R must have Assertions" in refused(
        minimal(Rules={"R": {"Assertions": [{"AssertDescription": "x"}]}})
    )


def test_sections_must_be_objects():
    assert (
        refused(minimal(Parameters=["P"])) == "Template format error: Parameters must be an object"
    )


def test_for_each_keys_pass_only_where_language_extensions_will_expand_them():
    loop = {"Fn::ForEach::Topics": ["T", ["A", "B"], {"Topic${T}": {"Type": "AWS::SNS::Topic"}}]}
    check({"Transform": "AWS::LanguageExtensions", "Resources": {"B": BUCKET, **loop}})
    check({"Transform": ["AWS::LanguageExtensions"], "Resources": {"B": BUCKET}, "Outputs": loop})
    assert "non alphanumeric" in refused({"Resources": {"B": BUCKET, **loop}})


def test_a_null_key_is_the_key_null():
    assert parse("~: 1\n") == {"null": 1}
