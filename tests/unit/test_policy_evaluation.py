"""IAM's evaluation of identity policies: an explicit deny wins, an allow grants,
nothing else does; actions and resources with wildcards and their Not forms; conditions
that must hold, and unknown ones that never grant."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from altus.identity.evaluation import (
    ALLOW,
    DENY,
    IMPLICIT,
    conditions,
    evaluate,
    evaluate_resource,
)

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
            "Condition": {"DateAfter": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
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


# --- the condition language -------------------------------------------------------------------

V2012 = "2012-10-17"
EVERYTHING = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def told(
    condition: Any, context: dict[str, Any] | None = None, version: str | None = V2012
) -> bool | None:
    """What a condition comes to, read through ``evaluate``: True (an Allow with it grants,
    a Deny with it denies), False (neither applies) or None (cannot be told: the Allow
    does not grant, the Deny still denies)."""
    head = {"Version": version} if version is not None else {}
    allow = {**head, "Statement": [{**EVERYTHING, "Condition": condition}]}
    deny = {
        **head,
        "Statement": [EVERYTHING, {**EVERYTHING, "Effect": "Deny", "Condition": condition}],
    }
    granted = evaluate([allow], "sqs:SendMessage", QUEUE, context)
    denied = evaluate([deny], "sqs:SendMessage", QUEUE, context)
    if granted == ALLOW:
        assert denied == DENY, condition
        return True
    return False if denied == ALLOW else None


def test_string_operators_that_ignore_case() -> None:
    team = {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "Blue"}}
    assert told(team, {"aws:PrincipalTag/team": "bLUE"}) is True
    assert told(team, {"aws:PrincipalTag/team": "green"}) is False
    assert told(team, {}) is False
    assert (
        told({"StringEquals": {"aws:PrincipalTag/team": "Blue"}}, {"aws:principaltag/TEAM": "bLUE"})
        is False
    )
    others = {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": ["blue", "red"]}}
    assert told(others, {"aws:PrincipalTag/team": "RED"}) is False
    assert told(others, {"aws:PrincipalTag/team": "green"}) is True
    assert told(others, {}) is True  # a negated operator holds on an absent key


@pytest.mark.parametrize(
    ("operator", "policy_value", "request_value", "expected"),
    [
        ("NumericLessThanEquals", "10", "10", True),
        ("NumericLessThanEquals", "10", "10.0", True),
        ("NumericLessThanEquals", "10", "9.5", True),
        ("NumericLessThanEquals", "10", "-1", True),
        ("NumericLessThanEquals", "10", "11", False),
        ("NumericLessThan", "10", "10", False),
        ("NumericGreaterThan", "1.2", "1.3", True),
        ("NumericGreaterThan", "1.2", "1.2", False),
        ("NumericGreaterThanEquals", ".5", "0.50", True),
        ("NumericEquals", "1.5", "1.50", True),
        ("NumericEquals", 10, "10", True),  # a JSON number in the policy
        ("NumericEquals", "1e3", "1000", False),  # no exponents: not a number to IAM
        ("NumericEquals", "NaN", "NaN", False),
        ("NumericNotEquals", "10", "11", True),
        ("NumericNotEquals", "10", "10.00", False),
        # A value that is not a number never matches; a negated operator cannot tell.
        ("NumericEquals", "10", "ten", False),
        ("NumericGreaterThan", "10", "ten", False),
        ("NumericLessThan", "ten", "5", False),
        ("NumericNotEquals", "10", "ten", None),
        ("NumericNotEquals", "ten", "10", None),
    ],
)
def test_numbers_as_iam_reads_them(
    operator: str, policy_value: Any, request_value: str, expected: bool | None
) -> None:
    assert (
        told({operator: {"s3:max-keys": policy_value}}, {"s3:max-keys": request_value}) is expected
    )


def test_numeric_operators_on_an_absent_key() -> None:
    assert told({"NumericEquals": {"s3:max-keys": "10"}}) is False
    assert told({"NumericNotEquals": {"s3:max-keys": "10"}}) is True
    assert told({"NumericLessThanIfExists": {"s3:max-keys": "10"}}) is True


@pytest.mark.parametrize(
    ("operator", "policy_value", "request_value", "expected"),
    [
        ("DateGreaterThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", True),
        ("DateGreaterThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
        ("DateGreaterThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
        ("DateLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", True),
        ("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", False),
        # Epoch seconds on either side (1577836800 is 2020-01-01T00:00:00Z).
        ("DateGreaterThan", "2020-01-01T00:00:00Z", "1577836801", True),
        ("DateLessThan", "1577836800", "2019-12-31T23:59:59Z", True),
        ("DateEquals", "1577836800", "2020-01-01T00:00:00Z", True),
        # Zones, the profile's shorter forms, fractions of a second.
        ("DateEquals", "2020-01-01T01:00:00+01:00", "2020-01-01T00:00:00Z", True),
        ("DateEquals", "2019-12-31T18:30:00-05:30", "2020-01-01T00:00:00Z", True),
        ("DateEquals", "2020-01-01T10:30Z", "2020-01-01T10:30:00Z", True),
        ("DateGreaterThanEquals", "2020-01-01", "2020-01-01T00:00:00Z", True),
        ("DateLessThan", "2020-01", "2019-12-31T23:59:59.999Z", True),
        ("DateGreaterThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.5Z", True),
        ("DateNotEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.000Z", False),
        ("DateNotEquals", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", True),
        # Not dates: never a match, and a negated operator cannot tell.
        ("DateLessThan", "2020-02-30", "2020-01-01T00:00:00Z", False),
        ("DateLessThan", "2021-01-01T00:00:00Z", "2020-01-01T25:00:00Z", False),
        ("DateLessThan", "2021-01-01T00:00:00Z", "yesterday", False),
        ("DateLessThan", "2021-01-01T00:00:00Z", "2020-01-01T00:00:00", False),  # no zone
        ("DateLessThan", "2021-01-01T00:00:00Z", "9" * 5000, False),
        ("DateNotEquals", "2021-01-01T00:00:00Z", "yesterday", None),
    ],
)
def test_dates_in_iso_8601_or_epoch_seconds(
    operator: str, policy_value: str, request_value: str, expected: bool | None
) -> None:
    condition = {operator: {"aws:CurrentTime": policy_value}}
    assert told(condition, {"aws:CurrentTime": request_value}) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("203.0.113.7", True),
        ("203.0.114.1", False),
        ("2001:db8:1234:5678::1", True),
        ("2001:db8:1234:5679::1", False),
        ("::ffff:203.0.113.9", True),  # IPv4 as a dual-stack socket reports it
        ("not-an-address", False),
    ],
)
def test_ip_address_ranges_in_ipv4_and_ipv6(source: str, expected: bool) -> None:
    ranges = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}
    assert told(ranges, {"aws:SourceIp": source}) is expected


def test_ip_address_edges_and_not_ip_address() -> None:
    one = {"IpAddress": {"aws:SourceIp": "10.1.2.3"}}  # no prefix: /32
    assert told(one, {"aws:SourceIp": "10.1.2.3"}) is True
    assert told(one, {"aws:SourceIp": "10.1.2.4"}) is False
    assert (
        told({"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}, {"aws:SourceIp": "10.0.0.1"}) is False
    )
    outside = {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}
    assert told(outside, {"aws:SourceIp": "172.16.0.1"}) is True
    assert told(outside, {"aws:SourceIp": "10.2.3.4"}) is False
    assert told(outside, {"aws:SourceIp": "192.168.1.1"}) is False
    assert told(outside, {}) is True
    assert told(outside, {"aws:SourceIp": "somewhere"}) is None


def test_binary_equals_compares_bytes() -> None:
    condition = {"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}
    same = base64.b64encode(b"BinaryValueInBase64").decode()
    assert told(condition, {"key": same}) is True
    assert told(condition, {"key": base64.b64encode(b"other").decode()}) is False
    assert told(condition, {"key": "***"}) is False
    assert told(condition, {}) is False
    assert told({"BinaryEquals": {"key": "***"}}, {"key": same}) is False


def test_null_checks_whether_a_key_is_there() -> None:
    temporary = {"Null": {"aws:TokenIssueTime": "true"}}
    assert told(temporary) is True
    assert told(temporary, {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}) is False
    present = {"Null": {"aws:TagKeys": "false"}}
    assert told(present, {"aws:TagKeys": ["a"]}) is True
    assert told(present) is False
    assert told(present, {"aws:TagKeys": []}) is False  # an empty value is null
    assert told({"Null": {"aws:TagKeys": "maybe"}}, {"aws:TagKeys": ["a"]}) is False
    # Null takes neither IfExists nor a set operator: not IAM's, cannot be told.
    assert told({"NullIfExists": {"aws:TagKeys": "true"}}) is None
    assert told({"ForAnyValue:Null": {"aws:TagKeys": "true"}}) is None


def test_bool_reads_true_and_false_only() -> None:
    secure = {"Bool": {"aws:SecureTransport": "true"}}
    assert told(secure, {"aws:SecureTransport": "True"}) is True
    assert told(secure, {"aws:SecureTransport": "false"}) is False
    assert told(secure, {"aws:SecureTransport": "yes"}) is False
    assert told({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "true"}) is True


def test_values_are_ored_and_keys_and_operators_anded() -> None:
    regions = {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-west-2"]}}
    assert told(regions, {"aws:RequestedRegion": "eu-west-2"}) is True
    assert told(regions, {"aws:RequestedRegion": "us-east-1"}) is False
    two_keys = {"StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": "1"}}
    assert told(two_keys, {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": "1"}) is True
    assert (
        told(two_keys, {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": "2"}) is False
    )
    two_operators = {
        "StringEquals": {"aws:RequestedRegion": "eu-west-1"},
        "NumericLessThan": {"s3:max-keys": "10"},
    }
    assert told(two_operators, {"aws:RequestedRegion": "eu-west-1", "s3:max-keys": "5"}) is True
    assert told(two_operators, {"aws:RequestedRegion": "eu-west-1", "s3:max-keys": "50"}) is False
    # A negated operator's values: the request's must be none of them.
    neither = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-west-2"]}}
    assert told(neither, {"aws:RequestedRegion": "eu-west-1"}) is False
    assert told(neither, {"aws:RequestedRegion": "us-east-1"}) is True
    # One condition that fails settles the statement, whatever another cannot tell.
    failing = {"DateAfter": {"k": "x"}, "StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    assert told(failing, {"aws:RequestedRegion": "us-east-1"}) is None
    assert told({**two_keys, "NumericNotEquals": {"k": "1"}}, {"k": "one"}) is False


ALLOWED_ATTRIBUTES = {
    "ForAllValues:StringLike": {"dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"]}
}
FORBIDDEN_ATTRIBUTES = {
    "ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}
}


@pytest.mark.parametrize(
    ("condition", "attributes", "expected"),
    [
        # The IAM User Guide's DynamoDB examples.
        (ALLOWED_ATTRIBUTES, ["PostDateTime", "Message"], True),
        (ALLOWED_ATTRIBUTES, ["PostDateTime", "UserName"], False),
        (FORBIDDEN_ATTRIBUTES, ["UserName", "Message", "PostDateTime"], True),
        (FORBIDDEN_ATTRIBUTES, ["UserName"], False),
        # An absent key, or an empty set: ForAllValues holds, ForAnyValue does not.
        (ALLOWED_ATTRIBUTES, None, True),
        (ALLOWED_ATTRIBUTES, [], True),
        (ALLOWED_ATTRIBUTES, "", True),
        (FORBIDDEN_ATTRIBUTES, None, False),
        (FORBIDDEN_ATTRIBUTES, [], False),
        # A single value is a set of one.
        (FORBIDDEN_ATTRIBUTES, "ID", True),
    ],
)
def test_set_operators_over_multivalued_keys(
    condition: dict[str, Any], attributes: Any, expected: bool
) -> None:
    context = {} if attributes is None else {"dynamodb:requestedAttributes": attributes}
    assert told(condition, context) is expected


@pytest.mark.parametrize(
    ("operator", "values", "tag_keys", "expected"),
    [
        # The IAM User Guide's table for ForAllValues:StringNotLike "key1*".
        ("ForAllValues:StringNotLike", "key1*", ["key1:legal"], False),
        ("ForAllValues:StringNotLike", "key1*", ["key1:hr", "key1:personnel"], False),
        ("ForAllValues:StringNotLike", "key1*", ["key2:audit"], True),
        ("ForAllValues:StringNotLike", "key1*", None, True),
        ("ForAllValues:StringNotLike", "key1*", ["key1:a", "key2:b"], False),
        # Negated under ForAnyValue: some request value matches none of the policy's.
        ("ForAnyValue:StringNotEquals", ["DataClass", "Owner"], None, False),
        ("ForAnyValue:StringNotEquals", ["DataClass", "Owner"], ["DataClass", "Owner"], False),
        ("ForAnyValue:StringNotEquals", ["DataClass", "Owner"], ["Dept", "DataClass"], True),
        ("ForAnyValue:StringNotEquals", ["DataClass", "Owner"], ["Dept", "SIC"], True),
        # Negated under ForAllValues: no request value matches any of the policy's.
        ("ForAllValues:StringNotEquals", ["DataClass", "Owner"], ["Dept", "SIC"], True),
        ("ForAllValues:StringNotEquals", ["DataClass", "Owner"], ["Dept", "DataClass"], False),
        ("ForAllValues:StringNotEquals", ["DataClass", "Owner"], None, True),
        # IfExists: an absent key holds.
        ("ForAnyValue:StringEqualsIfExists", "a", None, True),
        ("ForAnyValue:StringEqualsIfExists", "a", ["b"], False),
        # Other operators under a set operator.
        ("ForAnyValue:NumericLessThan", "10", ["5", "50"], True),
        ("ForAllValues:NumericLessThan", "10", ["5", "50"], False),
        ("ForAllValues:NumericNotEquals", "5", ["6", "x"], None),
        ("ForAllValues:NumericNotEquals", "5", ["5", "x"], False),
        ("ForAnyValue:StringEqualsIgnoreCase", "KEY", ["other", "key"], True),
        # A set operator IAM does not have.
        ("ForSomeValues:StringEquals", "a", ["a"], None),
    ],
)
def test_set_operators_with_negated_and_other_operators(
    operator: str, values: Any, tag_keys: list[str] | None, expected: bool | None
) -> None:
    context = {} if tag_keys is None else {"AWS:tagkeys": tag_keys}  # keys ignore case
    assert told({operator: {"aws:TagKeys": values}}, context) is expected


def test_a_multivalued_key_needs_a_set_operator() -> None:
    plain = {"StringEquals": {"aws:TagKeys": "a"}}
    assert told(plain, {"aws:TagKeys": ["a", "b"]}) is None
    assert told(plain, {"aws:TagKeys": ["a"]}) is True
    assert told(plain, {"aws:TagKeys": []}) is False  # empty: as if absent
    assert told({"StringNotEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": []}) is True


def test_arn_operators_match_part_by_part() -> None:
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    # The IAM User Guide's example: StringLike's * spans colons, ArnLike's does not.
    assert told({"StringLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": value}) is True
    assert told({"ArnLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": value}) is False
    queue = {"ArnEquals": {"aws:SourceArn": "arn:aws:sqs:*:123456789012:ord*"}}
    assert told(queue, {"aws:SourceArn": QUEUE}) is True
    bucket = {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket"}}
    assert told(bucket, {"aws:SourceArn": "arn:aws:s3:::bucket"}) is True
    assert told(bucket, {"aws:SourceArn": "arn:aws:s3:::bucket2"}) is False
    # Not ARNs (six parts): never a match; a negated operator cannot tell.
    assert told({"ArnLike": {"aws:SourceArn": "*"}}, {"aws:SourceArn": QUEUE}) is False
    assert told(bucket, {"aws:SourceArn": "bucket"}) is False
    assert told({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::b"}}, {"aws:SourceArn": "b"}) is None
    assert (
        told({"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:::b"}}, {"aws:SourceArn": QUEUE})
        is True
    )


def own_queue(resource: str, version: str | None = V2012, key: str = "Resource") -> dict[str, Any]:
    head = {"Version": version} if version is not None else {}
    return {**head, "Statement": [{"Effect": "Allow", "Action": "sqs:*", key: resource}]}


def queue(name: str) -> str:
    return QUEUE.replace("orders", name)


def test_policy_variables_in_resources() -> None:
    mine = own_queue("arn:aws:sqs:us-east-1:123456789012:${aws:username}-queue")
    alice = {"aws:username": "alice"}
    assert evaluate([mine], "sqs:SendMessage", queue("alice-queue"), alice) == ALLOW
    assert evaluate([mine], "sqs:SendMessage", queue("bob-queue"), alice) == IMPLICIT
    # A key the request lacks: the entry names nothing, so it allows nothing ...
    assert evaluate([mine], "sqs:SendMessage", queue("-queue")) == IMPLICIT
    # ... and denies nothing.
    deny = {**mine, "Statement": [EVERYTHING, {**mine["Statement"][0], "Effect": "Deny"}]}
    assert evaluate([deny], "sqs:SendMessage", queue("alice-queue")) == ALLOW
    assert evaluate([deny], "sqs:SendMessage", queue("alice-queue"), alice) == DENY
    tagged = own_queue("arn:aws:sqs:*:*:${AWS:principaltag/TEAM}-*")  # keys ignore case
    blue = {"aws:PrincipalTag/team": "blue"}
    assert evaluate([tagged], "sqs:SendMessage", queue("blue-orders"), blue) == ALLOW
    assert evaluate([tagged], "sqs:SendMessage", queue("red-orders"), blue) == IMPLICIT
    shared = own_queue("arn:aws:sqs:*:*:${aws:username, 'shared'}-queue")
    assert evaluate([shared], "sqs:SendMessage", queue("shared-queue")) == ALLOW
    assert evaluate([shared], "sqs:SendMessage", queue("alice-queue"), alice) == ALLOW
    assert evaluate([shared], "sqs:SendMessage", queue("shared-queue"), alice) == IMPLICIT


def test_policy_variable_escapes_and_values_are_plain_characters() -> None:
    star = own_queue("arn:aws:sqs:*:*:literal${*}")
    assert evaluate([star], "sqs:SendMessage", queue("literal*")) == ALLOW
    assert evaluate([star], "sqs:SendMessage", queue("literalX")) == IMPLICIT
    question = own_queue("arn:aws:sqs:*:*:q${?}")
    assert evaluate([question], "sqs:SendMessage", queue("q?")) == ALLOW
    assert evaluate([question], "sqs:SendMessage", queue("qa")) == IMPLICIT
    dollar = own_queue("arn:aws:sqs:*:*:cost${$}")
    assert evaluate([dollar], "sqs:SendMessage", queue("cost$")) == ALLOW
    # A variable's value never widens the pattern.
    named = own_queue("arn:aws:sqs:*:*:${aws:username}")
    assert evaluate([named], "sqs:SendMessage", queue("abc"), {"aws:username": "a*"}) == IMPLICIT
    assert evaluate([named], "sqs:SendMessage", queue("a*"), {"aws:username": "a*"}) == ALLOW
    # Never closed: plain text. A default not in quotes, or a multivalued key: unresolved.
    unclosed = own_queue("arn:aws:sqs:*:*:${aws:username")
    assert evaluate([unclosed], "sqs:SendMessage", queue("${aws:username"), {}) == ALLOW
    unquoted = own_queue("arn:aws:sqs:*:*:${aws:username, shared}")
    assert evaluate([unquoted], "sqs:SendMessage", queue("shared"), {}) == IMPLICIT
    listed_key = own_queue("arn:aws:sqs:*:*:${aws:TagKeys}")
    assert evaluate([listed_key], "sqs:SendMessage", queue("a"), {"aws:TagKeys": ["a"]}) == (
        IMPLICIT
    )


def test_policy_variables_are_text_before_2012_10_17() -> None:
    for version in ("2008-10-17", None):
        literal = own_queue("arn:aws:sqs:*:*:${aws:username}", version)
        alice = {"aws:username": "alice"}
        assert evaluate([literal], "sqs:SendMessage", queue("alice"), alice) == IMPLICIT
        assert evaluate([literal], "sqs:SendMessage", queue("${aws:username}"), alice) == ALLOW
        condition = {"StringEquals": {"k": "${aws:username}"}}
        assert told(condition, {"k": "${aws:username}", **alice}, version) is True
        assert told(condition, {"k": "alice", **alice}, version) is False


def test_a_not_resource_whose_variable_is_unresolved_cannot_be_told() -> None:
    private = "arn:aws:sqs:*:*:${aws:username}-private"
    allow = own_queue(private, key="NotResource")
    assert evaluate([allow], "sqs:SendMessage", QUEUE, {"aws:username": "alice"}) == ALLOW
    assert evaluate(
        [allow], "sqs:SendMessage", queue("alice-private"), {"aws:username": "alice"}
    ) == (IMPLICIT)
    assert evaluate([allow], "sqs:SendMessage", QUEUE) == IMPLICIT
    deny = {**allow, "Statement": [EVERYTHING, {**allow["Statement"][0], "Effect": "Deny"}]}
    assert evaluate([deny], "sqs:SendMessage", QUEUE) == DENY


def test_policy_variables_in_condition_values() -> None:
    home = {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}
    alice = {"aws:username": "alice"}
    assert told(home, {"s3:prefix": "home/alice/notes", **alice}) is True
    assert told(home, {"s3:prefix": "home/bob/notes", **alice}) is False
    assert told(home, {"s3:prefix": "", **alice}) is True
    owner = {"StringEquals": {"aws:ResourceTag/owner": "${aws:userid}"}}
    assert (
        told(owner, {"aws:ResourceTag/owner": "AIDAEXAMPLE", "aws:userid": "AIDAEXAMPLE"}) is True
    )
    # An unresolved value matches nothing, but the key's other values still may ...
    either = {"StringEquals": {"k": ["${aws:username}", "shared"]}}
    assert told(either, {"k": "shared"}) is True
    assert told(either, {"k": ""}) is False
    # ... and under a negated operator it cannot be told.
    assert told({"StringNotEquals": {"k": "${aws:username}"}}, {"k": "x"}) is None
    anonymous = {"StringEquals": {"k": "${aws:userid, 'anonymous'}"}}
    assert told(anonymous, {"k": "anonymous"}) is True
    assert told({"StringLike": {"k": "report${*}"}}, {"k": "report*"}) is True
    assert told({"StringLike": {"k": "report${*}"}}, {"k": "report1"}) is False
    team_role = {
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/${aws:PrincipalTag/team}-*"}
    }
    context = {
        "aws:PrincipalTag/team": "blue",
        "aws:PrincipalArn": "arn:aws:iam::123456789012:role/blue-ci",
    }
    assert told(team_role, context) is True
    assert (
        told(
            {"Bool": {"aws:SecureTransport": "${flag}"}},
            {"flag": "true", "aws:SecureTransport": "true"},
        )
        is True
    )
    # Numeric, date and IP values take no variables: the text is not of their type.
    assert told({"NumericEquals": {"k": "${n}"}}, {"n": "5", "k": "5"}) is False
    assert (
        told(
            {"IpAddress": {"aws:SourceIp": "${ip}"}}, {"ip": "10.0.0.1", "aws:SourceIp": "10.0.0.1"}
        )
        is False
    )


def test_conditions_reads_variables_only_when_told_to() -> None:
    block = {"StringEquals": {"k": "${v}"}}
    assert conditions(block, {"k": "x", "v": "x"}) is False
    assert conditions(block, {"k": "x", "v": "x"}, variables=True) is True
    assert conditions(block, {"k": "${v}"}) is True


def test_resource_policies_keep_their_version_for_variables() -> None:
    role = "arn:aws:iam::123456789012:role/r"
    document = {
        "Version": V2012,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": "sqs:*",
                "Resource": "arn:aws:sqs:*:*:${aws:PrincipalTag/team}",
            }
        ],
    }
    team = {"aws:PrincipalTag/team": "blue"}
    assert evaluate_resource([document], [role], "sqs:SendMessage", queue("blue"), team) == ALLOW
    assert evaluate_resource([document], [role], "sqs:SendMessage", queue("red"), team) == IMPLICIT


@pytest.mark.parametrize(
    "condition",
    [
        {"DateAfter": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
        {"IfExists": {"k": "a"}},
        {"StringEquals": "not a mapping"},
        "not a mapping",
        ["StringEquals"],
        {"ForAnyValue:": {"k": "a"}},
        {"stringequals": {"k": "a"}},  # operator names are IAM's, case and all
    ],
)
def test_unknown_operators_never_grant(condition: Any) -> None:
    assert told(condition, {"k": "a"}) is None


@pytest.mark.parametrize(
    ("condition", "context"),
    [
        ({"StringEquals": {"k": {"nested": 1}}}, {"k": "{'nested': 1}"}),
        ({"StringEquals": {"k": None}}, {"k": "None"}),
        ({"IpAddress": {"aws:SourceIp": ["::/0", 5, None, [1]]}}, {"aws:SourceIp": "10.0.0.1"}),
        ({"NumericEquals": {"k": float("nan")}}, {"k": "nan"}),
        ({"NumericEquals": {"k": "9" * 5000}}, {"k": "9" * 5000 + "1"}),
        ({"BinaryEquals": {"k": "é"}}, {"k": "é"}),
        ({"StringLike": {"k": "${" * 200}}, {"k": "x"}),
        ({"StringLike": {"k": "*?" * 50 + "X"}}, {"k": "a" * 500}),
        ({"ForAllValues:DateEquals": {"k": "2020-01-01"}}, {"k": [object(), "2021-01-01"]}),
    ],
)
def test_odd_values_never_grant_and_never_crash(condition: Any, context: dict[str, Any]) -> None:
    assert told(condition, context) is not True


def test_wildcards_match_as_a_regular_expression_of_them_would() -> None:
    """Every pattern of ``a``, ``b``, ``*`` and ``?`` up to five characters against every
    text of ``a`` and ``b`` up to six: the segment matcher agrees with a regular
    expression built from the pattern (safe at these sizes)."""
    import itertools
    import re

    from altus.identity.evaluation import glob

    texts = ["".join(t) for n in range(7) for t in itertools.product("ab", repeat=n)]
    for n in range(6):
        for chars in itertools.product("ab*?", repeat=n):
            pattern = "".join(chars)
            expected = re.compile(
                "".join(".*" if c == "*" else "." if c == "?" else c for c in pattern), re.S
            )
            matcher = glob(pattern, True)
            for text in texts:
                assert matcher.fullmatch(text) == bool(expected.fullmatch(text)), (pattern, text)
