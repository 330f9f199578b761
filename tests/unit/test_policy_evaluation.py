"""IAM's evaluation of identity policies: an explicit deny wins, an allow grants,
nothing else does; actions and resources with wildcards and their Not forms; conditions
that must hold, and unknown ones that never grant."""

from __future__ import annotations

from typing import Any

from altus.identity.evaluation import ALLOW, DENY, IMPLICIT, evaluate

QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_allow_deny_and_nothing() -> None:
    allow = policy({"Effect": "Allow", "Action": "sqs:Send*", "Resource": QUEUE})
    assert evaluate([allow], "sqs:SendMessage", QUEUE) == ALLOW
    assert evaluate([allow], "SQS:sendmessage", QUEUE) == ALLOW  # actions ignore case
    assert evaluate([allow], "sqs:SendMessage", QUEUE.upper()) == IMPLICIT  # ARNs do not
    assert evaluate([allow], "sqs:DeleteMessage", QUEUE) == IMPLICIT
    assert evaluate([], "sqs:SendMessage", QUEUE) == IMPLICIT
    deny = policy({"Effect": "Deny", "Action": "*", "Resource": "arn:aws:sqs:*:*:ord?rs"})
    assert evaluate([allow, deny], "sqs:SendMessage", QUEUE) == DENY


def test_not_action_and_not_resource() -> None:
    everything_but = policy(
        {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:sqs:*:*:secret-*"}
    )
    assert evaluate([everything_but], "sqs:SendMessage", QUEUE) == ALLOW
    assert evaluate([everything_but], "iam:CreateRole", "*") == IMPLICIT
    assert evaluate([everything_but], "sqs:SendMessage", QUEUE.replace("orders", "secret-1")) == (
        IMPLICIT
    )


def test_conditions_hold_or_keep_the_statement_out() -> None:
    conditional = policy(
        {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
        }
    )
    assert (
        evaluate([conditional], "sqs:SendMessage", QUEUE, {"aws:PrincipalAccount": "123456789012"})
        == ALLOW
    )
    assert (
        evaluate([conditional], "sqs:SendMessage", QUEUE, {"aws:PrincipalAccount": "1"}) == IMPLICIT
    )
    assert evaluate([conditional], "sqs:SendMessage", QUEUE) == IMPLICIT
    unknown = policy(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    )
    assert evaluate([unknown], "sqs:SendMessage", QUEUE) == IMPLICIT
    unknown_deny = policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
        },
    )
    assert evaluate([unknown_deny], "sqs:SendMessage", QUEUE) == DENY


def test_wildcards_match_in_linear_time_as_iam_reads_them() -> None:
    from altus.identity.evaluation import glob

    cases = [
        ("a*b", "axxb", True),
        ("a?c", "ac", False),
        ("*a", "bab", False),
        ("a*b*c", "aXbYc", True),
        ("arn:aws:sqs:*:*:ord?rs", QUEUE, True),
    ]
    for pattern, text, expected in cases:
        assert glob(pattern, True).fullmatch(text) is expected, (pattern, text)
    # A pattern whose regular expression would backtrack for minutes.
    assert not glob("*?" * 12 + "X", True).fullmatch("a" * 200)


def test_negated_operators_and_missing_keys_follow_iam() -> None:
    deny_elsewhere = policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "lambda:DeleteFunction",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
        },
    )
    assert (
        evaluate(
            [deny_elsewhere], "lambda:DeleteFunction", "*", {"aws:requestedregion": "us-east-1"}
        )
        == DENY
    )
    assert (
        evaluate(
            [deny_elsewhere], "lambda:DeleteFunction", "*", {"aws:RequestedRegion": "eu-west-1"}
        )
        == ALLOW
    )
    # A negated operator passes on a key the request does not have.
    assert evaluate([deny_elsewhere], "lambda:DeleteFunction", "*") == DENY
