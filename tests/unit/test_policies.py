"""Policy statements as Lambda renders them (pure)."""

import json

import pytest

from altus.control import policies
from altus.control.errors import InvalidParameterValue, PreconditionFailed, ResourceConflict

ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


@pytest.mark.parametrize(
    ("given", "rendered"),
    [
        ("*", "*"),
        ("111122223333", {"AWS": "arn:aws:iam::111122223333:root"}),
        ("arn:aws:iam::111122223333:role/r", {"AWS": "arn:aws:iam::111122223333:role/r"}),
        ("sns.amazonaws.com", {"Service": "sns.amazonaws.com"}),
    ],
)
def test_principals(given, rendered):
    assert policies.principal(given) == rendered


def test_conditions_merge_by_operator():
    statement = policies.function_statement(
        {
            "StatementId": "s",
            "Action": "lambda:InvokeFunctionUrl",
            "Principal": "*",
            "SourceAccount": "111122223333",
            "FunctionUrlAuthType": "NONE",
            "SourceArn": "arn:aws:events:us-east-1:111122223333:rule/r",
            "InvokedViaFunctionUrl": True,
        },
        ARN,
    )
    assert statement["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": "111122223333", "lambda:FunctionUrlAuthType": "NONE"},
        "ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/r"},
        "Bool": {"lambda:InvokedViaFunctionUrl": "true"},
    }
    plain = policies.function_statement(
        {"StatementId": "p", "Action": "lambda:*", "Principal": "*"}, ARN
    )
    assert "Condition" not in plain and plain["Resource"] == ARN


def test_document_and_limits():
    first = policies.function_statement(
        {"StatementId": "a", "Action": "lambda:*", "Principal": "*"}, ARN
    )
    statements = policies.with_statement([], first)
    assert json.loads(policies.document(statements)) == {
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": [first],
    }
    with pytest.raises(ResourceConflict):
        policies.with_statement(statements, first)
    big = dict(first, Sid="big", Resource="x" * 21000)
    with pytest.raises(InvalidParameterValue):
        policies.with_statement(statements, big)
    with pytest.raises(PreconditionFailed):
        policies.check_revision("old", "new")
    policies.check_revision(None, "new")


def test_layer_statements():
    org = policies.layer_statement(
        {
            "StatementId": "o",
            "Action": "lambda:GetLayerVersion",
            "Principal": "*",
            "OrganizationId": "o-abc123",
        },
        "arn:l",
    )
    assert org["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}
    with pytest.raises(InvalidParameterValue):
        policies.layer_statement(
            {
                "StatementId": "o",
                "Action": "lambda:GetLayerVersion",
                "Principal": "111122223333",
                "OrganizationId": "o-a",
            },
            "arn:l",
        )
