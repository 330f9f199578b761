"""The AWS::LanguageExtensions transform: Fn::ForEach, Fn::Length, Fn::ToJsonString, Ref and
GetAtt of functions, FindInMap defaults and intrinsic policies."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from altus.cloudformation.errors import TemplateError
from altus.cloudformation.language_extensions import expand, expand_with
from altus.cloudformation.templates import check, parse

EXT = "AWS::LanguageExtensions"


def message(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error)


def test_a_template_without_the_transform_is_a_copy_unchanged():
    template = {"Resources": {"Fn::ForEach::X": ["I", ["a"], {"R${I}": {"Type": "T"}}]}}
    result = expand(template)
    assert result == template
    assert result is not template


def test_the_input_is_not_changed():
    template = {
        "Transform": EXT,
        "Resources": {
            "Fn::ForEach::T": ["Id", ["A", "B"], {"Topic${Id}": {"Type": "AWS::SNS::Topic"}}]
        },
    }
    before = copy.deepcopy(template)
    expand(template)
    assert template == before


@pytest.mark.parametrize(
    ("declared", "left"),
    [
        (EXT, None),
        ([EXT], None),
        ([EXT, "AWS::Serverless-2016-10-31"], ["AWS::Serverless-2016-10-31"]),
    ],
)
def test_the_transform_is_taken_out(declared, left):
    result = expand({"Transform": declared, "Resources": {"B": {"Type": "AWS::S3::Bucket"}}})
    assert result.get("Transform") == left


def test_for_each_replicates_resources():
    template = parse(
        "AWSTemplateFormatVersion: 2010-09-09\n"
        "Transform: AWS::LanguageExtensions\n"
        "Resources:\n"
        "  'Fn::ForEach::Topics':\n"
        "    - TopicName\n"
        "    - [Success, Failure]\n"
        "    - 'SnsTopic${TopicName}':\n"
        "        Type: AWS::SNS::Topic\n"
        "        Properties:\n"
        "          TopicName: !Sub '${TopicName}.fifo'\n"
        "          DisplayName: !Ref TopicName\n"
        "          FifoTopic: true\n"
    )
    result = expand(template)
    assert result == {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "SnsTopicSuccess": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "TopicName": {"Fn::Sub": "Success.fifo"},
                    "DisplayName": "Success",
                    "FifoTopic": True,
                },
            },
            "SnsTopicFailure": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "TopicName": {"Fn::Sub": "Failure.fifo"},
                    "DisplayName": "Failure",
                    "FifoTopic": True,
                },
            },
        },
    }
    check(result)


def test_ampersand_form_drops_non_alphanumeric_characters():
    template = {
        "Transform": EXT,
        "Resources": {
            "Fn::ForEach::Subnets": [
                "Cidr",
                ["10.0.0.0/24", "10.0.1.0/24"],
                {
                    "Subnet&{Cidr}": {
                        "Type": "AWS::EC2::Subnet",
                        "Properties": {"CidrBlock": {"Ref": "Cidr"}, "Tag": "${Cidr}"},
                    }
                },
            ]
        },
    }
    assert expand(template)["Resources"] == {
        "Subnet1000024": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"CidrBlock": "10.0.0.0/24", "Tag": "10.0.0.0/24"},
        },
        "Subnet1001024": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"CidrBlock": "10.0.1.0/24", "Tag": "10.0.1.0/24"},
        },
    }


def test_nested_loops_and_ref_of_sub():
    template = parse(
        "Transform: AWS::LanguageExtensions\n"
        "Resources:\n"
        "  Vpc: {Type: AWS::EC2::VPC}\n"
        "  'Fn::ForEach::SubnetResources':\n"
        "    - Prefix\n"
        "    - [Transit, Public]\n"
        "    - 'Nacl${Prefix}Subnet':\n"
        "        Type: AWS::EC2::NetworkAcl\n"
        "        Properties: {VpcId: !Ref Vpc}\n"
        "      'Fn::ForEach::LoopInner':\n"
        "        - Suffix\n"
        "        - [A, B]\n"
        "        - '${Prefix}Subnet${Suffix}':\n"
        "            Type: AWS::EC2::Subnet\n"
        "          'Nacl${Prefix}Subnet${Suffix}Association':\n"
        "            Type: AWS::EC2::SubnetNetworkAclAssociation\n"
        "            Properties:\n"
        "              SubnetId: !Ref\n"
        "                'Fn::Sub': '${Prefix}Subnet${Suffix}'\n"
        "              NetworkAclId: !GetAtt [!Sub 'Nacl${Prefix}Subnet', Id]\n"
    )
    resources = expand(template)["Resources"]
    assert list(resources) == [
        "Vpc",
        "NaclTransitSubnet",
        "TransitSubnetA",
        "NaclTransitSubnetAAssociation",
        "TransitSubnetB",
        "NaclTransitSubnetBAssociation",
        "NaclPublicSubnet",
        "PublicSubnetA",
        "NaclPublicSubnetAAssociation",
        "PublicSubnetB",
        "NaclPublicSubnetBAssociation",
    ]
    assert resources["NaclPublicSubnetBAssociation"]["Properties"] == {
        "SubnetId": {"Ref": "PublicSubnetB"},
        "NetworkAclId": {"Fn::GetAtt": ["NaclPublicSubnet", "Id"]},
    }


def test_for_each_in_properties_with_find_in_map_defaults():
    template = {
        "Transform": EXT,
        "Mappings": {
            "InstanceA": {"Properties": {"ImageId": "ami-1", "InstanceType": "m5.xlarge"}},
            "InstanceB": {"Properties": {"ImageId": "ami-2"}},
        },
        "Resources": {
            "Fn::ForEach::Instances": [
                "Id",
                ["InstanceA", "InstanceB"],
                {
                    "${Id}": {
                        "Type": "AWS::EC2::Instance",
                        "Properties": {
                            "Keep": True,
                            "Fn::ForEach::Properties": [
                                "Property",
                                ["ImageId", "InstanceType"],
                                {
                                    "${Property}": {
                                        "Fn::FindInMap": [
                                            {"Ref": "Id"},
                                            "Properties",
                                            {"Ref": "Property"},
                                            {"DefaultValue": {"Ref": "AWS::NoValue"}},
                                        ]
                                    }
                                },
                            ],
                        },
                    }
                },
            ]
        },
    }
    resources = expand(template)["Resources"]
    assert resources["InstanceB"]["Properties"] == {
        "Keep": True,
        "ImageId": {
            "Fn::FindInMap": [
                "InstanceB",
                "Properties",
                "ImageId",
                {"DefaultValue": {"Ref": "AWS::NoValue"}},
            ]
        },
        "InstanceType": {
            "Fn::FindInMap": [
                "InstanceB",
                "Properties",
                "InstanceType",
                {"DefaultValue": {"Ref": "AWS::NoValue"}},
            ]
        },
    }


def test_conditions_and_outputs_loops():
    template = {
        "Transform": EXT,
        "Parameters": {"ParamA": {"Type": "String"}, "ParamB": {"Type": "String"}},
        "Conditions": {
            "Fn::ForEach::CheckTrue": [
                "Identifier",
                ["A", "B"],
                {
                    "IsParam${Identifier}Enabled": {
                        "Fn::Equals": [{"Ref": {"Fn::Sub": "Param${Identifier}"}}, "true"]
                    }
                },
            ]
        },
        "Mappings": {"Buckets": {"Properties": {"Identifiers": ["A", "B"]}}},
        "Resources": {
            "BucketA": {"Type": "AWS::S3::Bucket"},
            "BucketB": {"Type": "AWS::S3::Bucket"},
        },
        "Outputs": {
            "Fn::ForEach::BucketOutputs": [
                "Identifier",
                {"Fn::FindInMap": ["Buckets", "Properties", "Identifiers"]},
                {
                    "Fn::ForEach::GetAttLoop": [
                        "Property",
                        ["Arn", "DomainName"],
                        {
                            "Bucket${Identifier}${Property}": {
                                "Value": {
                                    "Fn::GetAtt": [
                                        {"Fn::Sub": "Bucket${Identifier}"},
                                        {"Ref": "Property"},
                                    ]
                                }
                            }
                        },
                    ]
                },
            ]
        },
    }
    result = expand(template)
    assert result["Conditions"] == {
        "IsParamAEnabled": {"Fn::Equals": [{"Ref": "ParamA"}, "true"]},
        "IsParamBEnabled": {"Fn::Equals": [{"Ref": "ParamB"}, "true"]},
    }
    assert result["Outputs"] == {
        "BucketAArn": {"Value": {"Fn::GetAtt": ["BucketA", "Arn"]}},
        "BucketADomainName": {"Value": {"Fn::GetAtt": ["BucketA", "DomainName"]}},
        "BucketBArn": {"Value": {"Fn::GetAtt": ["BucketB", "Arn"]}},
        "BucketBDomainName": {"Value": {"Fn::GetAtt": ["BucketB", "DomainName"]}},
    }
    check(result)


def test_collection_from_a_comma_delimited_list_parameter():
    template = {
        "Transform": EXT,
        "Parameters": {"Names": {"Type": "CommaDelimitedList", "Default": "X, Y"}},
        "Resources": {
            "Fn::ForEach::Queues": [
                "Name",
                {"Ref": "Names"},
                {"Queue${Name}": {"Type": "AWS::SQS::Queue"}},
            ]
        },
    }
    assert list(expand(template)["Resources"]) == ["QueueX", "QueueY"]
    given = expand_with(template, {"Names": ["P", "Q", "R"], "AWS::Region": "us-east-1"})
    assert list(given["Resources"]) == ["QueueP", "QueueQ", "QueueR"]


def test_collection_items_may_be_numbers():
    template = {
        "Transform": EXT,
        "Resources": {"Fn::ForEach::N": ["N", [1, 2], {"Q${N}": {"Type": "AWS::SQS::Queue"}}]},
    }
    assert list(expand(template)["Resources"]) == ["Q1", "Q2"]


@pytest.mark.parametrize(
    "collection",
    [
        {"Ref": "Names"},
        {"Fn::GetAtt": ["Bucket", "Arn"]},
        ["A", {"Ref": "Bucket"}],
        "A,B",
        ["A", ["B"]],
    ],
)
def test_collections_must_be_known_lists(collection):
    template = {
        "Transform": EXT,
        "Parameters": {"Names": {"Type": "CommaDelimitedList"}},
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Fn::ForEach::L": ["I", collection, {"Q${I}": {"Type": "AWS::SQS::Queue"}}],
        },
    }
    with pytest.raises(TemplateError) as caught:
        expand(template)
    assert message(caught.value) == (
        "Template format error: the collection of Fn::ForEach::L must be a list of strings known "
        "before any "
        "resource is created"
    )


@pytest.mark.parametrize(
    ("resources", "problem"),
    [
        (
            {"Fn::ForEach::L": ["I", ["A"]]},
            "must be a list of an identifier, a collection and an object",
        ),
        ({"Fn::ForEach::L": "x"}, "must be a list of an identifier"),
        (
            {"QueueA": {"Type": "T"}, "Fn::ForEach::L": ["I", ["A"], {"Queue${I}": {"Type": "T"}}]},
            "generates the key QueueA, which already exists",
        ),
        (
            {"Fn::ForEach::L": ["I", ["A"], {"Queue${I}": {"Type": "T"}}], "QueueA": {"Type": "T"}},
            "generates the key QueueA, which already exists",
        ),
        (
            {"Fn::ForEach::L": ["I", ["A", "A"], {"Queue${I}": {"Type": "T"}}]},
            "generates the key QueueA more than once",
        ),
        (
            {"Fn::ForEach::L": ["I", ["A", "B"], {"Queue": {"Type": "T"}}]},
            "generates the key Queue more than once",
        ),
        (
            {"Fn::ForEach::L": ["P", ["A"], {"Q${P}": {"Type": "T"}}]},
            "the identifier P of Fn::ForEach::L must differ",
        ),
        (
            {"Fn::ForEach::P": ["I", ["A"], {"Q${I}": {"Type": "T"}}]},
            "the loop name P of Fn::ForEach::P must be unique",
        ),
        (
            {"Q": {"Type": "T"}, "Fn::ForEach::Q": ["I", ["A"], {"R${I}": {"Type": "T"}}]},
            "the loop name Q",
        ),
        (
            {
                "Fn::ForEach::L": [
                    "I",
                    ["A"],
                    {"Fn::ForEach::M": ["I", ["B"], {"R${I}": {"Type": "T"}}]},
                ]
            },
            "the identifier I of Fn::ForEach::M must differ",
        ),
    ],
)
def test_loops_cloudformation_refuses(resources, problem):
    template = {"Transform": EXT, "Parameters": {"P": {"Type": "String"}}, "Resources": resources}
    with pytest.raises(TemplateError) as caught:
        expand(template)
    assert problem in message(caught.value)


def test_loop_names_must_be_unique_across_sections():
    template = {
        "Transform": EXT,
        "Resources": {"Fn::ForEach::L": ["I", ["A"], {"R${I}": {"Type": "T"}}]},
        "Outputs": {"Fn::ForEach::L": ["I", ["A"], {"O${I}": {"Value": "x"}}]},
    }
    with pytest.raises(TemplateError, match="the loop name L"):
        expand(template)


def test_nesting_is_bounded():
    fragment: dict[str, Any] = {"R${I0}${I1}${I2}${I3}${I4}${I5}${I6}": {"Type": "T"}}
    for depth in reversed(range(7)):
        fragment = {f"Fn::ForEach::L{depth}": [f"I{depth}", ["a"], fragment]}
    with pytest.raises(TemplateError, match="nests loops deeper than 6"):
        expand({"Transform": EXT, "Resources": fragment})


def test_length_and_to_json_string_over_what_is_known():
    template = {
        "Transform": EXT,
        "Parameters": {"Names": {"Type": "CommaDelimitedList"}, "Env": {"Type": "String"}},
        "Resources": {
            "Q": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "Count": {"Fn::Length": [1, 2, 3]},
                    "Later": {"Fn::Length": {"Ref": "Names"}},
                    "Doc": {"Fn::ToJsonString": {"a": [1, "b"], "c": {"d": True}}},
                    "Dynamic": {"Fn::ToJsonString": {"arn": {"Fn::GetAtt": ["Other", "Arn"]}}},
                    "WithParam": {"Fn::ToJsonString": {"env": {"Ref": "Env"}}},
                },
            }
        },
    }
    properties = expand(template)["Resources"]["Q"]["Properties"]
    assert properties == {
        "Count": 3,
        "Later": {"Fn::Length": {"Ref": "Names"}},
        "Doc": '{"a":[1,"b"],"c":{"d":true}}',
        "Dynamic": {"Fn::ToJsonString": {"arn": {"Fn::GetAtt": ["Other", "Arn"]}}},
        "WithParam": {"Fn::ToJsonString": {"env": {"Ref": "Env"}}},
    }
    given = expand_with(template, {"Names": ["a", "b"], "Env": "prod"})["Resources"]["Q"][
        "Properties"
    ]
    assert given["Later"] == 2
    assert given["WithParam"] == '{"env":"prod"}'


def test_a_condition_from_find_in_map_with_a_novalue_default():
    template = {
        "Transform": EXT,
        "Mappings": {"NatGateway": {"Condition": {"B": "TwoNatGateways"}}},
        "Conditions": {"TwoNatGateways": {"Fn::Equals": ["a", "a"]}},
        "Resources": {
            "Fn::ForEach::Nat": [
                "Id",
                ["A", "B"],
                {
                    "Nat${Id}": {
                        "Type": "AWS::EC2::NatGateway",
                        "Condition": {
                            "Fn::FindInMap": [
                                "NatGateway",
                                "Condition",
                                {"Ref": "Id"},
                                {"DefaultValue": {"Ref": "AWS::NoValue"}},
                            ]
                        },
                    }
                },
            ]
        },
    }
    resources = expand(template)["Resources"]
    assert resources == {
        "NatA": {"Type": "AWS::EC2::NatGateway"},
        "NatB": {"Type": "AWS::EC2::NatGateway", "Condition": "TwoNatGateways"},
    }


def test_policies_from_parameters_and_conditions():
    template = {
        "Transform": EXT,
        "Parameters": {
            "Policy": {"Type": "String", "Default": "Retain"},
            "Env": {"Type": "String"},
        },
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        "Resources": {
            "A": {"Type": "AWS::S3::Bucket", "DeletionPolicy": {"Ref": "Policy"}},
            "B": {
                "Type": "AWS::S3::Bucket",
                "UpdateReplacePolicy": {"Fn::If": ["IsProd", "Retain", "Delete"]},
            },
            "C": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "Delete"]},
            },
        },
    }
    # Without values, the policies are left for the deployer to resolve.
    assert expand(template)["Resources"]["A"]["DeletionPolicy"] == {"Ref": "Policy"}
    resources = expand_with(template, {"Policy": "Snapshot", "Env": "prod"})["Resources"]
    assert resources == {
        "A": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Snapshot"},
        "B": {"Type": "AWS::S3::Bucket", "UpdateReplacePolicy": "Retain"},
        "C": {"Type": "AWS::S3::Bucket"},
    }
    dev = expand_with(template, {"Policy": "Delete", "Env": "dev"})["Resources"]
    assert dev["B"]["UpdateReplacePolicy"] == "Delete"
    assert dev["C"]["DeletionPolicy"] == "Delete"


def test_policies_must_resolve_to_a_name():
    template: dict[str, Any] = {
        "Transform": EXT,
        "Resources": {
            "A": {"Type": "AWS::S3::Bucket", "DeletionPolicy": {"Fn::Select": [0, [["Retain"]]]}}
        },
    }
    with pytest.raises(TemplateError, match="Unrecognized DeletionPolicy"):
        expand_with(template, {})
    template["Resources"]["A"]["DeletionPolicy"] = {"Ref": "Other"}
    with pytest.raises(TemplateError, match="must be resolvable from parameters and conditions"):
        expand_with(template, {})


def test_expanded_short_form_template_passes_check():
    template = parse(
        "Transform: [AWS::LanguageExtensions]\n"
        "Parameters:\n"
        "  Envs: {Type: CommaDelimitedList, Default: 'dev,prod'}\n"
        "Resources:\n"
        "  'Fn::ForEach::Buckets':\n"
        "    - Env\n"
        "    - !Ref Envs\n"
        "    - 'Bucket${Env}':\n"
        "        Type: AWS::S3::Bucket\n"
        "        DeletionPolicy: Retain\n"
        "        Properties:\n"
        "          BucketName: !Sub '${AWS::StackName}-${Env}'\n"
        "Outputs:\n"
        "  'Fn::ForEach::Names':\n"
        "    - Env\n"
        "    - !Ref Envs\n"
        "    - 'Name${Env}':\n"
        "        Value: !Ref\n"
        "          'Fn::Sub': 'Bucket${Env}'\n"
    )
    result = expand(template)
    check(result)
    assert result["Outputs"] == {
        "Namedev": {"Value": {"Ref": "Bucketdev"}},
        "Nameprod": {"Value": {"Ref": "Bucketprod"}},
    }
    assert result["Resources"]["Bucketprod"]["Properties"] == {
        "BucketName": {"Fn::Sub": "${AWS::StackName}-prod"}
    }
    assert "Transform" not in result
