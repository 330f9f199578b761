"""Qualifier and ARN parsing."""

import pytest

from altus.arns import Account
from altus.control.arns import (
    FunctionRef,
    check_alias_name,
    is_version,
    parse_function_ref,
    parse_unqualified,
)
from altus.control.errors import InvalidParameterValue, ResourceNotFound, ValidationFailed

ACCOUNT = Account(region="us-east-1", account_id="123456789012")
ARN = "arn:aws:lambda:us-east-1:123456789012:function:my-fn"


@pytest.mark.parametrize(
    ("value", "query", "expected"),
    [
        ("my-fn", None, FunctionRef("my-fn", None)),
        ("my-fn:prod", None, FunctionRef("my-fn", "prod")),
        ("my-fn:3", None, FunctionRef("my-fn", "3")),
        ("my-fn:$LATEST", None, FunctionRef("my-fn", "$LATEST")),
        ("my-fn", "prod", FunctionRef("my-fn", "prod")),
        ("my-fn:prod", "prod", FunctionRef("my-fn", "prod")),
        ("my-fn", "", FunctionRef("my-fn", None)),
        (ARN, None, FunctionRef("my-fn", None)),
        (f"{ARN}:7", None, FunctionRef("my-fn", "7")),
        (ARN, "7", FunctionRef("my-fn", "7")),
        ("123456789012:function:my-fn", None, FunctionRef("my-fn", None)),
        ("123456789012:function:my-fn:live", None, FunctionRef("my-fn", "live")),
        ("function:my_fn", None, FunctionRef("my_fn", None)),
        ("us-east-1:123456789012:function:my-fn", None, FunctionRef("my-fn", None)),
    ],
)
def test_parse_function_ref(value, query, expected):
    assert parse_function_ref(value, ACCOUNT, query) == expected


@pytest.mark.parametrize("value", ["", "bad name", "a/b", "x" * 65, "fn:a:b", "arn:aws:s3:::b"])
def test_malformed_names_fail_validation(value):
    with pytest.raises(ValidationFailed):
        parse_function_ref(value, ACCOUNT)


def test_conflicting_qualifiers():
    with pytest.raises(InvalidParameterValue):
        parse_function_ref("my-fn:1", ACCOUNT, "2")


def test_bad_query_qualifier():
    with pytest.raises(ValidationFailed):
        parse_function_ref("my-fn", ACCOUNT, "a b")


@pytest.mark.parametrize(
    "value",
    ["arn:aws:lambda:eu-west-1:123456789012:function:my-fn", "999999999999:function:my-fn"],
)
def test_other_accounts_and_regions_are_not_found(value):
    with pytest.raises(ResourceNotFound):
        parse_function_ref(value, ACCOUNT)


def test_unqualified_operations_refuse_qualifiers():
    assert parse_unqualified(ARN, ACCOUNT) == "my-fn"
    with pytest.raises(InvalidParameterValue):
        parse_unqualified("my-fn:1", ACCOUNT)


def test_versions_and_aliases():
    assert is_version("$LATEST") and is_version("12")
    assert not is_version("prod") and not is_version("1a")
    check_alias_name("prod-2")
    with pytest.raises(ValidationFailed):
        check_alias_name("123")
    with pytest.raises(ValidationFailed):
        check_alias_name("$LATEST")


def test_account_formats():
    assert ACCOUNT.function_arn("f") == "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert ACCOUNT.function_arn("f", "1").endswith(":function:f:1")
