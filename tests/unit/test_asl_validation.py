"""State machine definition validation: AWS's documented examples pass, and each rule's
diagnostic has AWS's code, location and (where recorded against AWS) message."""

import json

import pytest

from altus.asl.definition import Definition, DefinitionError
from altus.asl.diagnostics import Diagnostic
from altus.asl.validation import check, diagnose

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:"
LAMBDA = FUNCTION + "HelloWorld"
BAD_TYPE = (
    "The field 'Type' should have one of these values: "
    "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]"
)


def text(definition):
    return definition if isinstance(definition, str) else json.dumps(definition)


def found(definition, **options):
    return [
        (item.code, item.location, item.message)
        for item in diagnose(text(definition), **options)[0]
    ]


def one(state, name="X", **top):
    """A machine of one state (and a terminal ``Done``, if the state goes Next to it)."""
    states = {name: state}
    if '"Done"' in json.dumps(state):
        states["Done"] = {"Type": "Succeed"}
    return {**top, "StartAt": name, "States": states}


def task(**fields):
    return {"Type": "Task", "Resource": LAMBDA, "End": True, **fields}


def wrap(inner):
    """``inner`` (states) as the ItemProcessor of a Map ``M``."""
    return one({"Type": "Map", "End": True, "ItemProcessor": inner}, "M")


# --- AWS's documented examples: must pass --------------------------------------------------

VALID = {
    "hello-world": {
        "Comment": "A simple minimal example of the States language",
        "StartAt": "Hello World",
        "States": {"Hello World": {"Type": "Task", "Resource": LAMBDA, "End": True}},
    },
    "pass": {
        "StartAt": "No-op",
        "States": {
            "No-op": {
                "Type": "Pass",
                "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
                "ResultPath": "$.coords",
                "Next": "End",
            },
            "End": {"Type": "Succeed"},
        },
    },
    "activity-task": {
        "StartAt": "ActivityState",
        "States": {
            "ActivityState": {
                "Type": "Task",
                "Resource": "arn:aws:states:us-east-1:123456789012:activity:HelloWorld",
                "TimeoutSeconds": 300,
                "HeartbeatSeconds": 60,
                "Next": "NextState",
            },
            "NextState": {"Type": "Succeed"},
        },
    },
    "choice": {
        "StartAt": "ChoiceStateX",
        "States": {
            "ChoiceStateX": {
                "Type": "Choice",
                "Choices": [
                    {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                    {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
                    {
                        "And": [
                            {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                            {"Variable": "$.value", "NumericLessThan": 30},
                        ],
                        "Next": "ValueInTwenties",
                    },
                    {"Variable": "$.value", "NumericLessThan": 0, "Next": "ValueIsNegative"},
                ],
                "Default": "DefaultState",
            },
            "Public": {"Type": "Pass", "Next": "DefaultState"},
            "ValueIsZero": {"Type": "Pass", "Next": "DefaultState"},
            "ValueInTwenties": {"Type": "Pass", "Next": "DefaultState"},
            "ValueIsNegative": {"Type": "Fail", "Error": "NegativeValue"},
            "DefaultState": {"Type": "Succeed"},
        },
    },
    "choice-operators": one(
        {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.a", "IsPresent": True, "Next": "Done"},
                {"Variable": "$.b", "StringMatches": "log-*.txt", "Next": "Done"},
                {"Variable": "$.c", "BooleanEquals": True, "Next": "Done"},
                {"Variable": "$.d", "TimestampGreaterThan": "2016-03-14T01:59:00Z", "Next": "Done"},
                {"Variable": "$.e", "NumericLessThanPath": "$.f", "Next": "Done"},
                {
                    "Or": [
                        {"Variable": "$.g", "IsNull": True},
                        {"Variable": "$.g", "IsString": False},
                    ],
                    "Next": "Done",
                },
                {"Variable": "$$.Execution.Name", "StringEquals": "x", "Next": "Done"},
                {"Variable": "$myVariable", "NumericEquals": 1, "Next": "Done"},
            ],
            "Default": "Done",
        },
        "C",
    ),
    "wait-seconds": one({"Type": "Wait", "Seconds": 10, "Next": "Done"}, "wait_ten_seconds"),
    "wait-timestamp": one({"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "Done"}),
    "wait-timestamp-path": one({"Type": "Wait", "TimestampPath": "$.expirydate", "Next": "Done"}),
    "wait-seconds-path": one({"Type": "Wait", "SecondsPath": "$.expiryseconds", "Next": "Done"}),
    "succeed": one({"Type": "Succeed"}, "SuccessState"),
    "fail": one({"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}, "FailState"),
    "fail-paths": one(
        {"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "States.Format('{}', $.Cause)"}
    ),
    "parallel": {
        "Comment": "Parallel Example.",
        "StartAt": "LookupCustomerInfo",
        "States": {
            "LookupCustomerInfo": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {
                        "StartAt": "LookupAddress",
                        "States": {
                            "LookupAddress": {
                                "Type": "Task",
                                "Resource": FUNCTION + "AddressFinder",
                                "End": True,
                            }
                        },
                    },
                    {
                        "StartAt": "LookupPhone",
                        "States": {
                            "LookupPhone": {
                                "Type": "Task",
                                "Resource": FUNCTION + "PhoneFinder",
                                "End": True,
                            }
                        },
                    },
                ],
            }
        },
    },
    "map-inline": {
        "StartAt": "Validate-All",
        "States": {
            "Validate-All": {
                "Type": "Map",
                "InputPath": "$.detail",
                "ItemsPath": "$.shipped",
                "MaxConcurrency": 0,
                "ItemSelector": {
                    "parcel.$": "$$.Map.Item.Value",
                    "courier.$": "$.delivery-partner",
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Validate",
                    "States": {
                        "Validate": {
                            "Type": "Task",
                            "Resource": FUNCTION + "ship-val",
                            "End": True,
                        }
                    },
                },
                "ResultPath": "$.detail.shipped",
                "End": True,
            }
        },
    },
    "map-iterator": {
        "StartAt": "Validate-All",
        "States": {
            "Validate-All": {
                "Type": "Map",
                "InputPath": "$.detail",
                "ItemsPath": "$.shipped",
                "MaxConcurrency": 0,
                "Iterator": {
                    "StartAt": "Validate",
                    "States": {
                        "Validate": {
                            "Type": "Task",
                            "Resource": FUNCTION + "ship-val",
                            "End": True,
                        }
                    },
                },
                "ResultPath": "$.detail.shipped",
                "End": True,
            }
        },
    },
    "map-distributed": {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                    "Parameters": {
                        "Bucket": "amzn-s3-demo-bucket",
                        "Key": "csvDataset/ratings.csv",
                    },
                },
                "ItemBatcher": {"MaxItemsPerBatch": 100},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "LambdaTask",
                    "States": {
                        "LambdaTask": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "OutputPath": "$.Payload",
                            "Parameters": {"Payload.$": "$", "FunctionName": LAMBDA},
                            "End": True,
                        }
                    },
                },
                "MaxConcurrency": 1000,
                "Label": "Map",
                "ToleratedFailurePercentage": 5,
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {
                        "Bucket": "amzn-s3-demo-destination-bucket",
                        "Prefix": "csvProcessJobs",
                    },
                },
                "End": True,
            }
        },
    },
    "retry-catch": {
        "Comment": "A Hello World example of the Amazon States Language using an AWS Lambda "
        "function",
        "StartAt": "HelloWorld",
        "States": {
            "HelloWorld": {
                "Type": "Task",
                "Resource": FUNCTION + "FailFunction",
                "Retry": [
                    {
                        "ErrorEquals": ["CustomError"],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 2,
                        "BackoffRate": 2.0,
                    },
                    {
                        "ErrorEquals": ["States.TaskFailed"],
                        "IntervalSeconds": 30,
                        "MaxAttempts": 2,
                        "BackoffRate": 2.0,
                        "MaxDelaySeconds": 60,
                        "JitterStrategy": "FULL",
                    },
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": 5,
                        "MaxAttempts": 5,
                        "BackoffRate": 2.0,
                    },
                ],
                "Catch": [
                    {"ErrorEquals": ["CustomError"], "Next": "CustomErrorFallback"},
                    {"ErrorEquals": ["States.TaskFailed"], "Next": "ReservedTypeFallback"},
                    {
                        "ErrorEquals": ["States.ALL"],
                        "ResultPath": "$.error",
                        "Next": "CatchAllFallback",
                    },
                ],
                "End": True,
            },
            "CustomErrorFallback": {
                "Type": "Pass",
                "Result": "This is a fallback from a custom Lambda function exception",
                "End": True,
            },
            "ReservedTypeFallback": {
                "Type": "Pass",
                "Result": "This is a fallback from a reserved error code",
                "End": True,
            },
            "CatchAllFallback": {
                "Type": "Pass",
                "Result": "This is a fallback from any error code",
                "End": True,
            },
        },
    },
    "callback-sqs": one(
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {
                "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue",
                "MessageBody": {
                    "Message": "Hello from Step Functions!",
                    "TaskToken.$": "$$.Task.Token",
                },
            },
            "HeartbeatSecondsPath": "$.heartbeat",
            "Next": "Done",
        },
        "Send message to SQS",
    ),
    "sync-and-sdk": {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {
                    "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child",
                    "Input": {"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"},
                },
                "Next": "List",
            },
            "List": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets",
                "Parameters": {},
                "ResultSelector": {"names.$": "$.Buckets[*].Name"},
                "End": True,
            },
        },
    },
    "intrinsics-and-variables": one(
        {
            "Type": "Pass",
            "Parameters": {
                "greeting.$": "States.Format('Hello, {}', $.name)",
                "id.$": "States.UUID()",
            },
            "Assign": {"productName.$": "$.product.name", "count": 1},
            "Next": "Done",
        }
    ),
    "credentials": one(
        task(
            Credentials={"RoleArn": "arn:aws:iam::111122223333:role/LambdaRole"},
            Resource="arn:aws:states:::lambda:invoke",
            Parameters={"FunctionName": LAMBDA},
        )
    ),
    "timeouts-top": {"Comment": "x", "Version": "1.0", "TimeoutSeconds": 3600, **one(task())},
    "jsonata": {
        "Comment": "JSONata example",
        "QueryLanguage": "JSONata",
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": LAMBDA, "Payload": "{% $states.input %}"},
                "Output": "{% $states.result.Payload %}",
                "Assign": {"total": "{% $states.result.Payload.total %}"},
                "TimeoutSeconds": "{% $timeout %}",
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Output": "{% $states.errorOutput %}",
                        "Next": "Failed",
                    }
                ],
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $total > 10 %}", "Next": "Wait", "Assign": {"big": True}}
                ],
                "Default": "Done",
            },
            "Wait": {"Type": "Wait", "Seconds": "{% $total %}", "Next": "Items"},
            "Items": {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "MaxConcurrency": "{% $states.input.limit %}",
                "ItemProcessor": {
                    "StartAt": "Each",
                    "States": {"Each": {"Type": "Pass", "End": True}},
                },
                "Next": "Done",
            },
            "Failed": {"Type": "Fail", "Error": "{% $states.input.Error %}", "Cause": "failed"},
            "Done": {"Type": "Succeed", "Output": {"total": "{% $total %}"}},
        },
    },
    "mixed-languages": {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Pass",
                "QueryLanguage": "JSONata",
                "Output": {"v": "{% 1 %}"},
                "Next": "B",
            },
            "B": {"Type": "Pass", "QueryLanguage": "JSONPath", "InputPath": "$.a", "End": True},
        },
    },
    "nested-loop-is-fine": wrap(
        {
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
        }
    ),
    "large-max-concurrency": one(
        {
            "Type": "Map",
            "MaxConcurrency": 9223372036854775807,
            "End": True,
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        },
        "M",
    ),
}


@pytest.mark.parametrize("name", VALID)
def test_documented_examples_pass(name):
    assert found(VALID[name]) == []
    definition = check(text(VALID[name]))
    assert definition.states == VALID[name]["States"]


# --- each rule's diagnostic ----------------------------------------------------------------

S = "SCHEMA_VALIDATION_FAILED"
T = "MISSING_TRANSITION_TARGET"


def jsonpath_only(field):
    return (
        f"The QueryLanguage is set to 'JSONata', but field '{field}' is only supported "
        "for the 'JSONPath' QueryLanguage"
    )


def jsonata_only(field):
    return (
        f"The QueryLanguage is set to 'JSONPath', but field '{field}' is only supported "
        "for the 'JSONata' QueryLanguage"
    )


PASS_END = {"Type": "Pass", "End": True}

#: (definition, every diagnostic expected, in order). Those marked AWS are recorded answers.
EXACT = {
    # AWS
    "empty": ("", [(S, None, "Definition must be a valid JSON object")]),
    "not-an-object": ("[1, 2]", [(S, None, "Definition must be a valid JSON object")]),
    # AWS
    "empty-object": ({}, [(S, "/", "These fields are required: [States, StartAt]")]),
    # AWS
    "no-start-at": (
        {"States": {"X": PASS_END}},
        [(S, "/", "These fields are required: [StartAt]")],
    ),
    "unknown-top-field": ({**one(PASS_END), "Foo": 1}, [(S, "/", "Field 'Foo' is not supported")]),
    # AWS
    "no-terminal": (
        {
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
        },
        [("MISSING_END_STATE", None, "Workflow has no terminal state")],
    ),
    # AWS: MISSING_END_STATE hides the unreachable states
    "no-terminal-hides-unreachable": (
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Pass", "Next": "A"},
                "Unused": {"Type": "Pass", "Next": "A"},
            },
        },
        [("MISSING_END_STATE", None, "Workflow has no terminal state")],
    ),
    # AWS
    "unreachable-terminal": (
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Pass", "Next": "A"},
                "C": PASS_END,
            },
        },
        [(T, "/States/C", 'State "C" is not reachable.')],
    ),
    # AWS
    "dangling-next": (
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "NOPE"}}},
        [
            (T, "/States/A/Next", "Missing 'Next' target: NOPE"),
            ("MISSING_END_STATE", None, "Workflow has no terminal state"),
        ],
    ),
    # AWS
    "dangling-start-at": (
        {"StartAt": "Nope", "States": {"A": PASS_END}},
        [
            (T, "/StartAt", "Missing 'Next' target: Nope"),
            (T, "/States/A", 'State "A" is not reachable.'),
        ],
    ),
    # AWS
    "dangling-choice": (
        one(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Ghost"}],
                "Default": "Done",
            },
            "C",
        ),
        [(T, "/States/C/Choices[0]/Next", "Missing 'Next' target: Ghost")],
    ),
    # AWS
    "dangling-default": (
        {
            "StartAt": "A",
            "States": {
                "A": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Z"}],
                    "Default": "Ghost",
                },
                "Z": PASS_END,
            },
        },
        [(T, "/States/A/Default", "Missing 'Next' target: Ghost")],
    ),
    # AWS
    "dangling-catch": (
        one(task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Ghost"}]), "T"),
        [(T, "/States/T/Catch[0]/Next", "Missing 'Next' target: Ghost")],
    ),
    # AWS
    "unreachable-in-item-processor": (
        wrap({"StartAt": "W", "States": {"W": PASS_END, "Ghost": PASS_END}}),
        [(T, "/States/M/ItemProcessor/States/Ghost", 'State "Ghost" is not reachable.')],
    ),
    # AWS
    "unreachable-in-branch": (
        one(
            {
                "Type": "Parallel",
                "End": True,
                "Branches": [{"StartAt": "W", "States": {"W": PASS_END, "Ghost": PASS_END}}],
            },
            "P",
        ),
        [(T, "/States/P/Branches[0]/States/Ghost", 'State "Ghost" is not reachable.')],
    ),
    # AWS: the name is kept whole, and not escaped in the location
    "slash-in-name": (
        {"StartAt": "Start", "States": {"Start": PASS_END, "a/b": PASS_END}},
        [(T, "/States/a/b", 'State "a/b" is not reachable.')],
    ),
    # AWS
    "dangling-start-in-map": (
        wrap({"StartAt": "Nope", "States": {"A": PASS_END}}),
        [
            (T, "/States/M/ItemProcessor/StartAt", "Missing 'Next' target: Nope"),
            (T, "/States/M/ItemProcessor/States/A", 'State "A" is not reachable.'),
        ],
    ),
    # AWS
    "timeout-on-map": (
        one(
            {
                "Type": "Map",
                "TimeoutSeconds": 5,
                "End": True,
                "ItemProcessor": {"StartAt": "W", "States": {"W": PASS_END}},
            },
            "M",
        ),
        [(S, "/States/M", "Field 'TimeoutSeconds' is not supported")],
    ),
    # AWS
    "timeout-on-parallel": (
        one(
            {
                "Type": "Parallel",
                "TimeoutSeconds": 5,
                "End": True,
                "Branches": [{"StartAt": "W", "States": {"W": PASS_END}}],
            },
            "P",
        ),
        [(S, "/States/P", "Field 'TimeoutSeconds' is not supported")],
    ),
    # AWS
    "catch-on-pass-jsonata": (
        one(
            {**PASS_END, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "X"}]},
            QueryLanguage="JSONata",
        ),
        [(S, "/States/X", "Field 'Catch' is not supported")],
    ),
    # AWS
    "retry-on-wait": (
        one(
            {"Type": "Wait", "Seconds": 1, "End": True, "Retry": [{"ErrorEquals": ["States.ALL"]}]}
        ),
        [(S, "/States/X", "Field 'Retry' is not supported")],
    ),
    # AWS
    "jsonpath-fields-in-jsonata": (
        one(
            {**PASS_END, "InputPath": "$.a", "OutputPath": "$.b", "ResultPath": "$.c"},
            QueryLanguage="JSONata",
        ),
        [
            (S, "/States/X", jsonpath_only("InputPath")),
            (S, "/States/X", jsonpath_only("OutputPath")),
            (S, "/States/X", jsonpath_only("ResultPath")),
        ],
    ),
    # AWS
    "arguments-in-jsonpath": (
        one(task(Resource="arn:aws:states:::lambda:invoke", Arguments={"payload": "literal"}), "T"),
        [(S, "/States/T", jsonata_only("Arguments"))],
    ),
    # AWS
    "items-in-jsonpath": (
        one(
            {
                "Type": "Map",
                "Items": [{"n": 1}],
                "End": True,
                "ItemProcessor": {"StartAt": "P", "States": {"P": PASS_END}},
            },
            "M",
        ),
        [(S, "/States/M", jsonata_only("Items"))],
    ),
    # AWS: a Map's own QueryLanguage does not reach its ItemProcessor's states
    "map-language-not-inherited": (
        one(
            {
                "Type": "Map",
                "QueryLanguage": "JSONata",
                "End": True,
                "ItemProcessor": {
                    "StartAt": "P",
                    "States": {"P": {**PASS_END, "Output": {"v": 1}}},
                },
            },
            "M",
        ),
        [(S, "/States/M/ItemProcessor/States/P", jsonata_only("Output"))],
    ),
    # AWS
    "downgrade": (
        one(
            {**PASS_END, "QueryLanguage": "JSONPath", "Output": {"v": "{% 1 %}"}},
            QueryLanguage="JSONata",
        ),
        [
            (
                S,
                "/States/X",
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            )
        ],
    ),
    # AWS
    "downgrade-keeps-other-checks": (
        one(
            {
                "Type": "Map",
                "QueryLanguage": "JSONPath",
                "MaxConcurrency": -1,
                "End": True,
                "ItemProcessor": {"StartAt": "P", "States": {"P": PASS_END}},
            },
            "M",
            QueryLanguage="JSONata",
        ),
        [
            (
                S,
                "/States/M",
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            ),
            (S, "/States/M/MaxConcurrency", "Minimum value is 0"),
        ],
    ),
    # AWS
    "processor-language": (
        wrap({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": PASS_END}}),
        [(S, "/States/M/ItemProcessor", "Field 'QueryLanguage' is not supported")],
    ),
    # AWS
    "branch-language": (
        one(
            {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": PASS_END}}
                ],
            },
            "PAR",
        ),
        [(S, "/States/PAR/Branches[0]", "Field 'QueryLanguage' is not supported")],
    ),
    # AWS: the misspelt language still resolves to JSONata
    "lowercase-language": (
        one(
            {**PASS_END, "QueryLanguage": "jsonata", "Output": {"v": "{% 1 %}"}, "InputPath": "$.a"}
        ),
        [
            (S, "/States/X", jsonpath_only("InputPath")),
            (
                S,
                "/States/X/QueryLanguage",
                "Value should be one of the following: [JSONPath, JSONata]",
            ),
        ],
    ),
    # AWS
    "top-language-enum": (
        one({**PASS_END, "InputPath": "$.a"}, QueryLanguage="jsonpath"),
        [
            (S, "/QueryLanguage", "Value should be one of the following: [JSONPath, JSONata]"),
            (S, "/States/X", jsonpath_only("InputPath")),
        ],
    ),
    # AWS
    "top-language-type": (
        one(PASS_END, QueryLanguage=5),
        [(S, "/QueryLanguage", "Expected value of type [STRING]")],
    ),
    # AWS
    "bad-type": (
        one({"Type": "TypeThatDoesNotExist", "End": True}),
        [
            (
                S,
                "/States/X/Type",
                BAD_TYPE,
            )
        ],
    ),
    "type-as-expression": (
        one({"Type": "{% 'Pass' %}", "End": True}, QueryLanguage="JSONata"),
        [
            (
                S,
                "/States/X/Type",
                BAD_TYPE,
            )
        ],
    ),
    "no-type": (one({"End": True}), [(S, "/States/X", "These fields are required: [Type]")]),
    # AWS
    "wait-maximum": (
        one({"Type": "Wait", "Seconds": 10000000000000000, "Next": "Done"}, "Wait"),
        [(S, "/States/Wait/Seconds", "Maximum value is 99999999")],
    ),
    # AWS
    "choice-rule-without-next": (
        one(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "StringMatches": "Test"}],
                "Default": "Done",
            },
            "Choice",
        ),
        [(S, "/States/Choice/Choices[0]", "These fields are required: [Next]")],
    ),
    # AWS
    "duplicate-state": (
        '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"A":{"Type":"Pass","End":true}}}',
        [("DUPLICATE_STATE_NAME", "/States/A", "Duplicate State name: A")],
    ),
    "duplicate-across-scopes": (
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "Next": "Final State",
                    "ItemProcessor": {
                        "StartAt": "Final State",
                        "States": {"Final State": {"Type": "Wait", "Seconds": 20, "End": True}},
                    },
                },
                "Final State": PASS_END,
            },
        },
        [("DUPLICATE_STATE_NAME", "/States/Final State", "Duplicate State name: Final State")],
    ),
    "jsonata-parse-error": (
        one({**PASS_END, "Output": "{% 1 + %}"}, QueryLanguage="JSONata"),
        [("INVALID_JSONATA_EXPRESSION", "/States/X/Output", "Unexpected end of expression")],
    ),
    # AWS
    "jsonata-double-dollar": (
        one({**PASS_END, "Output": "{% $$ %}"}, QueryLanguage="JSONata"),
        [
            (
                "UNSUPPORTED_JSONATA_EXPRESSION",
                "/States/X/Output",
                "Reference to '$$' is not supported.",
            )
        ],
    ),
    "jsonata-unterminated": (
        one({**PASS_END, "Output": {"v": ["{% 1"]}}, QueryLanguage="JSONata"),
        [
            (
                "INVALID_JSONATA_EXPRESSION",
                "/States/X/Output/v[0]",
                "The JSONata expression must be enclosed in '{%' and '%}'",
            )
        ],
    ),
}


@pytest.mark.parametrize("name", EXACT)
def test_diagnostics(name):
    definition, expected = EXACT[name]
    assert found(definition) == expected


#: (definition, code, location, message): the diagnostic is among those reported.
RULES = {
    "next-and-end": (
        one({"Type": "Pass", "Next": "Done", "End": True}),
        S,
        "/States/X/Next",
        "Only one of these fields is allowed: [Next, End]",
    ),
    "neither-next-nor-end": (
        one({"Type": "Pass"}),
        S,
        "/States/X",
        "One of these fields is required: [Next, End]",
    ),
    "end-on-choice": (
        one(
            {
                "Type": "Choice",
                "End": True,
                "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "X"}],
            }
        ),
        S,
        "/States/X",
        "Field 'End' is not supported",
    ),
    "next-on-succeed": (
        one({"Type": "Succeed", "Next": "Done"}),
        S,
        "/States/X",
        "Field 'Next' is not supported",
    ),
    "end-not-boolean": (
        one({"Type": "Pass", "End": "yes", "Next": "Done"}),
        S,
        "/States/X/End",
        "Expected value of type [BOOLEAN]",
    ),
    "wait-none": (
        one({"Type": "Wait", "End": True}),
        S,
        "/States/X",
        "One of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath]",
    ),
    "wait-two": (
        one({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}),
        S,
        "/States/X/Seconds",
        "Only one of these fields is allowed: [Seconds, Timestamp, SecondsPath, TimestampPath]",
    ),
    "wait-negative": (
        one({"Type": "Wait", "Seconds": -1, "End": True}),
        S,
        "/States/X/Seconds",
        "Minimum value is 0",
    ),
    "wait-bad-timestamp": (
        one({"Type": "Wait", "Timestamp": "2016-03-14 01:59", "End": True}),
        S,
        "/States/X/Timestamp",
        "The value for the field 'Timestamp' must be a valid timestamp",
    ),
    "wait-seconds-path": (
        one({"Type": "Wait", "SecondsPath": "$.a[*]", "End": True}),
        S,
        "/States/X/SecondsPath",
        "The value for the field 'SecondsPath' must be a valid ReferencePath",
    ),
    "fail-error-both": (
        one({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}),
        S,
        "/States/X/Error",
        "Only one of these fields is allowed: [Error, ErrorPath]",
    ),
    "fail-cause-both": (
        one({"Type": "Fail", "Cause": "C", "CausePath": "$.c"}),
        S,
        "/States/X/Cause",
        "Only one of these fields is allowed: [Cause, CausePath]",
    ),
    "fail-input-path": (
        one({"Type": "Fail", "InputPath": "$"}),
        S,
        "/States/X",
        "Field 'InputPath' is not supported",
    ),
    "task-no-resource": (
        one({"Type": "Task", "End": True}),
        S,
        "/States/X",
        "These fields are required: [Resource]",
    ),
    "task-bad-resource": (
        one(task(Resource="create")),
        "INVALID_RESOURCE",
        "/States/X/Resource",
        "The resource provided create is not recognized. The value is not a valid resource "
        "ARN, or the resource is not available in this region.",
    ),
    "task-resource-expression": (
        one(task(Resource="{% $arn %}"), QueryLanguage="JSONata"),
        "INVALID_RESOURCE",
        "/States/X/Resource",
        "The resource provided {% $arn %} is not recognized. The value is not a valid "
        "resource ARN, or the resource is not available in this region.",
    ),
    "task-timeout-both": (
        one(task(TimeoutSeconds=5, TimeoutSecondsPath="$.t")),
        S,
        "/States/X/TimeoutSeconds",
        "Only one of these fields is allowed: [TimeoutSeconds, TimeoutSecondsPath]",
    ),
    "task-heartbeat-both": (
        one(task(HeartbeatSeconds=5, HeartbeatSecondsPath="$.t")),
        S,
        "/States/X/HeartbeatSeconds",
        "Only one of these fields is allowed: [HeartbeatSeconds, HeartbeatSecondsPath]",
    ),
    "task-timeout-zero": (
        one(task(TimeoutSeconds=0)),
        S,
        "/States/X/TimeoutSeconds",
        "Minimum value is 1",
    ),
    "task-timeout-type": (
        one(task(TimeoutSeconds="5")),
        S,
        "/States/X/TimeoutSeconds",
        "Expected value of type [INTEGER]",
    ),
    "task-heartbeat-too-long": (
        one(task(TimeoutSeconds=60, HeartbeatSeconds=60)),
        S,
        "/States/X/HeartbeatSeconds",
        "The value of 'HeartbeatSeconds' must be less than the value of 'TimeoutSeconds'",
    ),
    "express-sync": (
        one(task(Resource="arn:aws:states:::states:startExecution.sync")),
        S,
        "/States/X/Resource",
        "Express state machine does not support '.sync' service integration ",
    ),
    "result-path": (
        one(task(ResultPath="$.a[*]")),
        S,
        "/States/X/ResultPath",
        "The value for the field 'ResultPath' must be a valid ReferencePath",
    ),
    "result-path-context": (
        one(task(ResultPath="$$.Execution")),
        S,
        "/States/X/ResultPath",
        "The value for the field 'ResultPath' must be a valid ReferencePath",
    ),
    "input-path": (
        one(task(InputPath="a.b")),
        S,
        "/States/X/InputPath",
        "The value for the field 'InputPath' must be a valid JSONPath",
    ),
    "parameters-dollar": (
        one(task(Parameters={"a.$": "not a path"})),
        S,
        "/States/X/Parameters/a.$",
        "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call",
    ),
    "parameters-bad-intrinsic": (
        one(task(Parameters={"a.$": "States.Nope(1)"})),
        S,
        "/States/X/Parameters/a.$",
        "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call",
    ),
    "parameters-type": (
        one(task(Parameters=[1])),
        S,
        "/States/X/Parameters",
        "Expected value of type [OBJECT]",
    ),
    "assign-type": (
        one(task(Assign=[1])),
        S,
        "/States/X/Assign",
        "Expected value of type [OBJECT]",
    ),
    "assign-on-succeed": (
        one({"Type": "Succeed", "Assign": {"a": 1}}),
        S,
        "/States/X",
        "Field 'Assign' is not supported",
    ),
    "assign-on-fail": (
        one({"Type": "Fail", "Assign": {"a": 1}}),
        S,
        "/States/X",
        "Field 'Assign' is not supported",
    ),
    "unknown-field": (one(task(Foo=1)), S, "/States/X", "Field 'Foo' is not supported"),
    "state-not-object": (one([1]), S, "/States/X", "Expected value of type [OBJECT]"),
    "long-name": (
        one(PASS_END, "N" * 81),
        "INVALID_STATE_NAME",
        "/States/" + "N" * 81,
        "State name '" + "N" * 81 + "' is longer than 80 characters",
    ),
    # Retry and Catch
    "retry-no-error-equals": (
        one(task(Retry=[{"MaxAttempts": 1}])),
        S,
        "/States/X/Retry[0]",
        "These fields are required: [ErrorEquals]",
    ),
    "retry-empty-error-equals": (
        one(task(Retry=[{"ErrorEquals": []}])),
        S,
        "/States/X/Retry[0]/ErrorEquals",
        "Minimum number of items is 1",
    ),
    "retry-interval": (
        one(task(Retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 0}])),
        S,
        "/States/X/Retry[0]/IntervalSeconds",
        "Minimum value is 1",
    ),
    "retry-attempts": (
        one(task(Retry=[{"ErrorEquals": ["E"], "MaxAttempts": -1}])),
        S,
        "/States/X/Retry[0]/MaxAttempts",
        "Minimum value is 0",
    ),
    "retry-backoff": (
        one(task(Retry=[{"ErrorEquals": ["E"], "BackoffRate": 0.5}])),
        S,
        "/States/X/Retry[0]/BackoffRate",
        "Minimum value is 1",
    ),
    "retry-jitter": (
        one(task(Retry=[{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}])),
        S,
        "/States/X/Retry[0]/JitterStrategy",
        "Value should be one of the following: [FULL, NONE]",
    ),
    "retry-unknown": (
        one(task(Retry=[{"ErrorEquals": ["E"], "Next": "X"}])),
        S,
        "/States/X/Retry[0]",
        "Field 'Next' is not supported",
    ),
    "retry-all-not-alone": (
        one(task(Retry=[{"ErrorEquals": ["States.ALL", "E"]}])),
        S,
        "/States/X/Retry[0]/ErrorEquals",
        "'States.ALL' must appear alone in 'ErrorEquals'",
    ),
    "retry-all-not-last": (
        one(task(Retry=[{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}])),
        S,
        "/States/X/Retry[0]/ErrorEquals",
        "'States.ALL' must appear in the last retrier",
    ),
    "catch-all-not-last": (
        one(
            task(
                Catch=[
                    {"ErrorEquals": ["States.ALL"], "Next": "X"},
                    {"ErrorEquals": ["E"], "Next": "X"},
                ]
            )
        ),
        S,
        "/States/X/Catch[0]/ErrorEquals",
        "'States.ALL' must appear in the last catcher",
    ),
    "catch-no-next": (
        one(task(Catch=[{"ErrorEquals": ["E"]}])),
        S,
        "/States/X/Catch[0]",
        "These fields are required: [Next]",
    ),
    "catch-output-jsonpath": (
        one(task(Catch=[{"ErrorEquals": ["E"], "Next": "X", "Output": 1}])),
        S,
        "/States/X/Catch[0]",
        jsonata_only("Output"),
    ),
    # Choice rules
    "choices-empty": (
        one({"Type": "Choice", "Choices": []}),
        S,
        "/States/X/Choices",
        "Minimum number of items is 1",
    ),
    "choices-missing": (
        one({"Type": "Choice", "Default": "Done"}),
        S,
        "/States/X",
        "These fields are required: [Choices]",
    ),
    "nested-next": (
        one(
            {
                "Type": "Choice",
                "Choices": [
                    {"Not": {"Variable": "$.a", "IsNull": True, "Next": "Done"}, "Next": "Done"}
                ],
            }
        ),
        S,
        "/States/X/Choices[0]/Not",
        "Field 'Next' is not supported",
    ),
    "string-equals-number": (
        one(
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": 1, "Next": "Done"}]}
        ),
        S,
        "/States/X/Choices[0]/StringEquals",
        "Expected value of type [STRING]",
    ),
    "numeric-equals-string": (
        one(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "NumericEquals": "1", "Next": "Done"}],
            }
        ),
        S,
        "/States/X/Choices[0]/NumericEquals",
        "Expected value of type [NUMBER]",
    ),
    "boolean-equals-string": (
        one(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "BooleanEquals": "true", "Next": "Done"}],
            }
        ),
        S,
        "/States/X/Choices[0]/BooleanEquals",
        "Expected value of type [BOOLEAN]",
    ),
    "timestamp-equals-bad": (
        one(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "TimestampEquals": "yesterday", "Next": "Done"}],
            }
        ),
        S,
        "/States/X/Choices[0]/TimestampEquals",
        "The value for the field 'TimestampEquals' must be a valid timestamp",
    ),
    "equals-path-bad": (
        one(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "StringEqualsPath": "b", "Next": "Done"}],
            }
        ),
        S,
        "/States/X/Choices[0]/StringEqualsPath",
        "The value for the field 'StringEqualsPath' must be a valid ReferencePath",
    ),
    "two-operators": (
        one(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "IsNull": True, "IsString": True, "Next": "Done"}],
            }
        ),
        S,
        "/States/X/Choices[0]",
        "A Choice Rule must have exactly one comparison operator or one of [And, Or, Not], "
        "found [IsNull, IsString]",
    ),
    "no-operator": (
        one({"Type": "Choice", "Choices": [{"Variable": "$.a", "Next": "Done"}]}),
        S,
        "/States/X/Choices[0]",
        "A Choice Rule must have exactly one comparison operator or one of [And, Or, Not]",
    ),
    "no-variable": (
        one({"Type": "Choice", "Choices": [{"StringEquals": "a", "Next": "Done"}]}),
        S,
        "/States/X/Choices[0]",
        "These fields are required: [Variable]",
    ),
    "and-empty": (
        one({"Type": "Choice", "Choices": [{"And": [], "Next": "Done"}]}),
        S,
        "/States/X/Choices[0]/And",
        "Minimum number of items is 1",
    ),
    "not-array": (
        one({"Type": "Choice", "Choices": [{"Not": [], "Next": "Done"}]}),
        S,
        "/States/X/Choices[0]/Not",
        "Expected value of type [OBJECT]",
    ),
    "variable-bad": (
        one({"Type": "Choice", "Choices": [{"Variable": "a", "IsNull": True, "Next": "Done"}]}),
        S,
        "/States/X/Choices[0]/Variable",
        "The value for the field 'Variable' must be a valid ReferencePath",
    ),
    "jsonata-rule-variable": (
        one(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "Condition": "{% true %}", "Next": "Done"}],
            },
            QueryLanguage="JSONata",
        ),
        S,
        "/States/X/Choices[0]",
        jsonpath_only("Variable"),
    ),
    "jsonata-rule-no-condition": (
        one({"Type": "Choice", "Choices": [{"Next": "Done"}]}, QueryLanguage="JSONata"),
        S,
        "/States/X/Choices[0]",
        "These fields are required: [Condition]",
    ),
    "jsonpath-rule-condition": (
        one({"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "Done"}]}),
        S,
        "/States/X/Choices[0]",
        jsonata_only("Condition"),
    ),
    # Map and Parallel
    "map-no-processor": (
        one({"Type": "Map", "End": True}),
        S,
        "/States/X",
        "These fields are required: [ItemProcessor]",
    ),
    "map-processor-and-iterator": (
        one(
            {
                "Type": "Map",
                "End": True,
                "ItemProcessor": {"StartAt": "P", "States": {"P": PASS_END}},
                "Iterator": {"StartAt": "Q", "States": {"Q": PASS_END}},
            }
        ),
        S,
        "/States/X/ItemProcessor",
        "Only one of these fields is allowed: [ItemProcessor, Iterator]",
    ),
    "map-bad-mode": (
        wrap({"ProcessorConfig": {"Mode": "FAST"}, "StartAt": "P", "States": {"P": PASS_END}}),
        S,
        "/States/M/ItemProcessor/ProcessorConfig/Mode",
        "Value should be one of the following: [INLINE, DISTRIBUTED]",
    ),
    "map-distributed-no-type": (
        wrap(
            {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "P", "States": {"P": PASS_END}}
        ),
        S,
        "/States/M/ItemProcessor/ProcessorConfig",
        "These fields are required: [ExecutionType]",
    ),
    "map-reader-inline": (
        one(
            {
                "Type": "Map",
                "End": True,
                "ItemReader": {"Resource": "arn:aws:states:::s3:getObject"},
                "ItemProcessor": {"StartAt": "P", "States": {"P": PASS_END}},
            },
            "M",
        ),
        S,
        "/States/M",
        "Field 'ItemReader' is only supported when the ProcessorConfig Mode is 'DISTRIBUTED'",
    ),
    "map-concurrency-both": (
        one(
            {
                "Type": "Map",
                "End": True,
                "MaxConcurrency": 2,
                "MaxConcurrencyPath": "$.limit",
                "ItemProcessor": {"StartAt": "P", "States": {"P": PASS_END}},
            },
            "M",
        ),
        S,
        "/States/M/MaxConcurrency",
        "Only one of these fields is allowed: [MaxConcurrency, MaxConcurrencyPath]",
    ),
    "map-concurrency-path": (
        one(
            {
                "Type": "Map",
                "End": True,
                "MaxConcurrencyPath": "$.limits[*]",
                "ItemProcessor": {"StartAt": "P", "States": {"P": PASS_END}},
            },
            "M",
        ),
        S,
        "/States/M/MaxConcurrencyPath",
        "The value for the field 'MaxConcurrencyPath' must be a valid ReferencePath",
    ),
    "map-concurrency-path-jsonata": (
        one(
            {
                "Type": "Map",
                "End": True,
                "MaxConcurrencyPath": "$.limit",
                "ItemProcessor": {"StartAt": "P", "States": {"P": PASS_END}},
            },
            "M",
            QueryLanguage="JSONata",
        ),
        S,
        "/States/M",
        jsonpath_only("MaxConcurrencyPath"),
    ),
    "map-nested-concurrency": (
        wrap(
            {
                "StartAt": "Inner",
                "States": {
                    "Inner": {
                        "Type": "Map",
                        "MaxConcurrency": -1,
                        "End": True,
                        "ItemProcessor": {"StartAt": "P", "States": {"P": PASS_END}},
                    }
                },
            }
        ),
        S,
        "/States/M/ItemProcessor/States/Inner/MaxConcurrency",
        "Minimum value is 0",
    ),
    "map-reader-input-type": (
        one(
            {
                "Type": "Map",
                "End": True,
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "XML"},
                    "Parameters": {"Bucket": "b", "Key": "k"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": PASS_END},
                },
            },
            "M",
        ),
        S,
        "/States/M/ItemReader/ReaderConfig/InputType",
        "Value should be one of the following: [CSV, JSON, JSONL, MANIFEST, PARQUET]",
    ),
    "map-reader-resource": (
        one(
            {
                "Type": "Map",
                "End": True,
                "ItemReader": {"Resource": "arn:aws:states:::s3:unknownOperation"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": PASS_END},
                },
            },
            "M",
        ),
        S,
        "/States/M/ItemReader/Resource",
        "The resource 'arn:aws:states:::s3:unknownOperation' is not supported for the ItemReader",
    ),
    "map-tolerated": (
        one(
            {
                "Type": "Map",
                "End": True,
                "ToleratedFailurePercentage": 101,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": PASS_END},
                },
            },
            "M",
        ),
        S,
        "/States/M/ToleratedFailurePercentage",
        "Maximum value is 100",
    ),
    "parallel-empty": (
        one({"Type": "Parallel", "End": True, "Branches": []}),
        S,
        "/States/X/Branches",
        "Minimum number of items is 1",
    ),
    "parallel-branch-fields": (
        one({"Type": "Parallel", "End": True, "Branches": [{"States": {"P": PASS_END}}]}),
        S,
        "/States/X/Branches[0]",
        "These fields are required: [StartAt]",
    ),
}


@pytest.mark.parametrize("name", RULES)
def test_rules(name):
    definition, code, location, message = RULES[name]
    options = {"machine_type": "EXPRESS"} if name.startswith("express") else {}
    assert (code, location, message) in found(definition, **options)


# --- warnings --------------------------------------------------------------------------------

WARNINGS = {
    "no-dollar": (
        one(task(Parameters={"name": "$.name"})),
        "NO_DOLLAR",
        "/States/X/Parameters/name",
    ),
    "no-dollar-intrinsic": (
        one(task(Parameters={"id": "States.UUID()"})),
        "NO_DOLLAR",
        "/States/X/Parameters/id",
    ),
    "no-path": (one({"Type": "Fail", "Error": "$.error"}), "NO_PATH", "/States/X/Error"),
    "static-result": (
        one({**PASS_END, "Result": {"a.$": "$.x"}}),
        "PASS_RESULT_IS_STATIC",
        "/States/X/Result/a.$",
    ),
}


@pytest.mark.parametrize("name", WARNINGS)
def test_warnings_do_not_fail_the_definition(name):
    definition, code, location = WARNINGS[name]
    diagnostics, truncated = diagnose(text(definition))
    assert [(item.severity, item.code, item.location) for item in diagnostics] == [
        ("WARNING", code, location)
    ]
    assert not truncated
    check(text(definition))  # no error: creating it succeeds
    assert diagnose(text(definition), severity="ERROR") == ([], False)


# --- the two entry points ----------------------------------------------------------------------


def test_invalid_definition_messages():
    # AWS (the same definitions on CreateStateMachine)
    cases = [
        (
            {
                "StartAt": "A",
                "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
            },
            "Invalid State Machine Definition: "
            "'MISSING_END_STATE: Workflow has no terminal state at null'",
        ),
        (
            one(
                {
                    "Type": "Parallel",
                    "TimeoutSeconds": 5,
                    "End": True,
                    "Branches": [{"StartAt": "W", "States": {"W": PASS_END}}],
                },
                "P",
            ),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: "
            "Field 'TimeoutSeconds' is not supported "
            "at /States/P'",
        ),
        (
            {
                "StartAt": "pass1",
                "States": {"pass1": {"Type": "Pass", "Next": "pass3"}, "pass2": PASS_END},
            },
            "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: "
            "Missing 'Next' target: pass3 at "
            "/States/pass1/Next, MISSING_TRANSITION_TARGET: "
            'State "pass2" is not reachable. at /States/pass2\'',
        ),
    ]
    for definition, message in cases:
        with pytest.raises(DefinitionError) as raised:
            check(text(definition))
        assert raised.value.message == message
        assert str(raised.value) == message
        assert all(item.severity == "ERROR" for item in raised.value.diagnostics)


def test_not_json():
    diagnostics, _ = diagnose("not a definition")
    assert [(item.code, item.message) for item in diagnostics] == [
        ("INVALID_JSON_DESCRIPTION", "Expecting value")
    ]
    assert diagnostics[0].location == '[Source: (String)"not a definition"; line: 1, column: 1]'
    assert found('{"StartAt": NaN}')[0][0] == "INVALID_JSON_DESCRIPTION"
    with pytest.raises(DefinitionError) as raised:
        check("{")
    assert raised.value.message.startswith(
        "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: "
    )


def test_truncation_keeps_errors_first():
    definition = one(
        {**PASS_END, "InputPath": "$.a", "OutputPath": "$.b", "ResultPath": "$.c"},
        QueryLanguage="JSONata",
    )
    everything, truncated = diagnose(text(definition))
    assert len(everything) == 3 and not truncated
    assert diagnose(text(definition), max_results=1) == (everything[:1], True)
    assert diagnose(text(definition), max_results=0) == (everything, False)  # 0: the default
    assert diagnose(text(definition), max_results=3) == (everything, False)
    warned = one(task(Parameters={"a": "$.a", "b": "$.b"}, TimeoutSeconds=0))
    first, truncated = diagnose(text(warned), max_results=1)
    assert truncated and first[0].severity == "ERROR"


def test_express_rules():
    token = one(
        task(Resource="arn:aws:states:::sqs:sendMessage.waitForTaskToken"), "SendMessageWithWait"
    )
    # AWS
    assert found(token, machine_type="EXPRESS") == [
        (
            "SCHEMA_VALIDATION_FAILED",
            "/States/SendMessageWithWait/Resource",
            "Express state machine does not support '.waitForTaskToken' service integration ",
        )
    ]
    assert found(token) == []
    activity = one(task(Resource="arn:aws:states:us-east-1:123456789012:activity:A"))
    assert (
        found(activity, machine_type="EXPRESS")[0][2]
        == "Express state machine does not support Activity ARN"
    )


def test_definition():
    definition = check(text(VALID["mixed-languages"]))
    assert isinstance(definition, Definition)
    assert definition.start_at == "A"
    assert definition.query_language == "JSONPath"
    assert definition.timeout_seconds is None
    assert definition.state_language(definition.states["A"]) == "JSONata"
    assert definition.state_language(definition.states["B"]) == "JSONPath"
    jsonata = check(text(VALID["jsonata"]))
    assert jsonata.query_language == "JSONata"
    assert jsonata.state_language(jsonata.states["Done"]) == "JSONata"
    assert check(text(VALID["timeouts-top"])).timeout_seconds == 3600


def test_diagnostic_rendering():
    assert Diagnostic("ERROR", "X", "m", "/a").render() == "X: m at /a"
    assert Diagnostic("ERROR", "X", "m").render() == "X: m at null"
