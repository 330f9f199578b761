"""The EventBridge event pattern language (altus.events.patterns): what matches, what is
refused and why, the documented examples, and that matching never raises."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altus.events.patterns import MAX_OR_COMBINATIONS, Pattern, PatternError


def case(name: str, pattern: Any, event: Any, expected: bool) -> Any:
    """A table row; a pattern given as str is JSON text as written (for number forms
    json.dumps would rewrite), anything else is dumped."""
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    return pytest.param(text, event, expected, id=name)


def check(rows: list[Any]) -> Any:
    return pytest.mark.parametrize(("pattern", "event", "expected"), rows)


# --- exact values, AND/OR, absence ---------------------------------------------------

EXACT = [
    case("string", {"a": ["x"]}, {"a": "x"}, True),
    case("string is case-sensitive", {"a": ["x"]}, {"a": "X"}, False),
    case("one of the listed values", {"a": ["x", "y"]}, {"a": "y"}, True),
    case("none of the listed values", {"a": ["x", "y"]}, {"a": "z"}, False),
    case("fields AND: both hold", {"a": ["x"], "b": ["y"]}, {"a": "x", "b": "y"}, True),
    case("fields AND: one fails", {"a": ["x"], "b": ["y"]}, {"a": "x", "b": "n"}, False),
    case("a named field must exist", {"a": ["x"], "b": ["y"]}, {"a": "x"}, False),
    case("unnamed fields are ignored", {"a": ["x"]}, {"a": "x", "z": {"q": [1]}}, True),
    case("integer", {"a": [300]}, {"a": 300}, True),
    case("300 equals 300.0", {"a": [300]}, {"a": 300.0}, True),
    case("3.0e2 equals 300.0", '{"a": [3.0e2]}', {"a": 300.0}, True),
    case("300.0 equals 300", '{"a": [300.0]}', {"a": 300}, True),
    case("decimal", '{"a": [3.018e2]}', {"a": 301.8}, True),
    case("other number", {"a": [300]}, {"a": 301}, False),
    case("account-sized integer", {"a": [123456789012]}, {"a": 123456789012}, True),
    case("number is not its string", {"a": [5]}, {"a": "5"}, False),
    case("string is not its number", {"a": ["5"]}, {"a": 5}, False),
    case("true is a boolean", {"a": [True]}, {"a": True}, True),
    case("true is not 1", {"a": [True]}, {"a": 1}, False),
    case("1 is not true", {"a": [1]}, {"a": True}, False),
    case("0 is not false", {"a": [0]}, {"a": False}, False),
    case("false is not 0", {"a": [False]}, {"a": 0}, False),
    case("true is not 'true'", {"a": [True]}, {"a": "true"}, False),
    case("null matches null", {"a": [None]}, {"a": None}, True),
    case("null does not match absence", {"a": [None]}, {}, False),
    case("null does not match empty string", {"a": [None]}, {"a": ""}, False),
    case("empty string does not match null", {"a": [""]}, {"a": None}, False),
    case("empty string", {"a": [""]}, {"a": ""}, True),
    case("IP literal, written another way", {"a": ["::1"]}, {"a": "0:0:0:0:0:0:0:1"}, True),
    case("IP literal, other address", {"a": ["10.0.0.1"]}, {"a": "10.0.0.2"}, False),
    case("exactly", {"a": [{"exactly": "x"}]}, {"a": "x"}, True),
    case("repeated key keeps the last", '{"a": ["x"], "a": ["y"]}', {"a": "y"}, True),
    case("repeated key drops the first", '{"a": ["x"], "a": ["y"]}', {"a": "x"}, False),
]

NESTING_AND_ARRAYS = [
    case("nested object", {"d": {"s": ["x"]}}, {"d": {"s": "x"}}, True),
    case("nested field missing", {"d": {"s": ["x"]}}, {"d": {"t": "x"}}, False),
    case("nested object missing", {"d": {"s": ["x"]}}, {"s": "x"}, False),
    case("object pattern over a scalar", {"d": {"s": ["x"]}}, {"d": "x"}, False),
    case("leaf pattern over an object", {"d": ["x"]}, {"d": {"s": "x"}}, False),
    case("event array shares a value", {"a": ["x", "y"]}, {"a": ["q", "y"]}, True),
    case("event array shares nothing", {"a": ["x", "y"]}, {"a": ["q", "r"]}, False),
    case("empty event array", {"a": ["x"]}, {"a": []}, False),
    case("nested event arrays flatten", {"a": [3]}, {"a": [[1, 2], [[3]]]}, True),
    case(
        "array of objects: one element",
        {"e": {"n": ["Anna"]}},
        {"e": [{"n": "J"}, {"n": "Anna"}]},
        True,
    ),
    case(
        "array of objects: none", {"e": {"n": ["Bob"]}}, {"e": [{"n": "J"}, {"n": "Anna"}]}, False
    ),
    case(
        "array of objects: fields from one element",
        {"e": {"f": ["Anna"], "l": ["Smith"]}},
        {"e": [{"f": "John", "l": "Smith"}, {"f": "Anna", "l": "Smith"}]},
        True,
    ),
    case(
        "array of objects: never across elements",
        {"e": {"f": ["Anna"], "l": ["Jones"]}},
        {"e": [{"f": "Anna", "l": "Smith"}, {"f": "Peter", "l": "Jones"}]},
        False,
    ),
    case(
        "arrays of arrays of objects",
        {"e": {"f": ["P"]}},
        {"e": [[{"f": "J"}], [{"f": "P"}]]},
        True,
    ),
    case("scalars beside objects", {"e": {"f": ["P"]}}, {"e": [1, "x", {"f": "P"}]}, True),
    case(
        "mixed array: exact", {"a": ["a", {"prefix": "b"}, {"numeric": [">", 3]}]}, {"a": "a"}, True
    ),
    case(
        "mixed array: prefix",
        {"a": ["a", {"prefix": "b"}, {"numeric": [">", 3]}]},
        {"a": "bz"},
        True,
    ),
    case(
        "mixed array: numeric", {"a": ["a", {"prefix": "b"}, {"numeric": [">", 3]}]}, {"a": 4}, True
    ),
    case(
        "mixed array: none", {"a": ["a", {"prefix": "b"}, {"numeric": [">", 3]}]}, {"a": 2}, False
    ),
]

# --- operators -------------------------------------------------------------------------

STRING_OPERATORS = [
    case("prefix", {"a": [{"prefix": "us-"}]}, {"a": "us-east-1"}, True),
    case("prefix fails", {"a": [{"prefix": "us-"}]}, {"a": "eu-west-1"}, False),
    case("prefix is case-sensitive", {"a": [{"prefix": "us-"}]}, {"a": "US-east-1"}, False),
    case("prefix on a number", {"a": [{"prefix": "1"}]}, {"a": 12}, False),
    case("empty prefix matches any string", {"a": [{"prefix": ""}]}, {"a": "x"}, True),
    case("empty prefix needs a string", {"a": [{"prefix": ""}]}, {"a": None}, False),
    case(
        "prefix ignoring case",
        {"a": [{"prefix": {"equals-ignore-case": "EventB"}}]},
        {"a": "eventbridge"},
        True,
    ),
    case(
        "prefix ignoring case fails",
        {"a": [{"prefix": {"equals-ignore-case": "x"}}]},
        {"a": "eventbridge"},
        False,
    ),
    case("suffix", {"a": [{"suffix": ".png"}]}, {"a": "cat.png"}, True),
    case("suffix fails", {"a": [{"suffix": ".png"}]}, {"a": "cat.PNG"}, False),
    case(
        "suffix ignoring case",
        {"a": [{"suffix": {"equals-ignore-case": ".png"}}]},
        {"a": "cat.PNG"},
        True,
    ),
    case("suffix on null", {"a": [{"suffix": "l"}]}, {"a": None}, False),
    case("equals-ignore-case", {"a": [{"equals-ignore-case": "alice"}]}, {"a": "ALICE"}, True),
    case(
        "equals-ignore-case is still equality",
        {"a": [{"equals-ignore-case": "alice"}]},
        {"a": "alicex"},
        False,
    ),
    case("equals-ignore-case on a number", {"a": [{"equals-ignore-case": "1"}]}, {"a": 1}, False),
    case("wildcard", {"a": [{"wildcard": "*/lib/*"}]}, {"a": "/usr/lib/x.so"}, True),
    case("wildcard fails", {"a": [{"wildcard": "*/lib/*"}]}, {"a": "/usr/bin/x"}, False),
    case("wildcard star may be empty", {"a": [{"wildcard": "a*b"}]}, {"a": "ab"}, True),
    case("wildcard stars at both ends", {"a": [{"wildcard": "*x*"}]}, {"a": "x"}, True),
    case("wildcard lone star", {"a": [{"wildcard": "*"}]}, {"a": ""}, True),
    case("wildcard without star is equality", {"a": [{"wildcard": "ab"}]}, {"a": "abc"}, False),
    case("wildcard many stars", {"a": [{"wildcard": "a*a*a*b"}]}, {"a": "aaab"}, True),
    case("wildcard many stars fail", {"a": [{"wildcard": "a*a*a*b"}]}, {"a": "a" * 5000}, False),
    case("wildcard overlapping ends", {"a": [{"wildcard": "ab*ba"}]}, {"a": "aba"}, False),
    case("wildcard escaped star", {"a": [{"wildcard": "a\\*b"}]}, {"a": "a*b"}, True),
    case("wildcard escaped star is literal", {"a": [{"wildcard": "a\\*b"}]}, {"a": "axb"}, False),
    case("wildcard escaped backslash", {"a": [{"wildcard": "a\\\\*"}]}, {"a": "a\\bc"}, True),
    case("wildcard on a number", {"a": [{"wildcard": "*"}]}, {"a": 1}, False),
]

ANYTHING_BUT = [
    case("string excluded", {"a": [{"anything-but": "init"}]}, {"a": "init"}, False),
    case("string passes", {"a": [{"anything-but": "init"}]}, {"a": "running"}, True),
    case("absent never matches", {"a": [{"anything-but": "init"}]}, {}, False),
    case("null passes", {"a": [{"anything-but": "init"}]}, {"a": None}, True),
    case("number passes a string exclusion", {"a": [{"anything-but": "1"}]}, {"a": 1}, True),
    case("number excluded", {"a": [{"anything-but": 123}]}, {"a": 123}, False),
    case("number excluded by value", {"a": [{"anything-but": 123}]}, {"a": 123.0}, False),
    case("number passes", {"a": [{"anything-but": 123}]}, {"a": 124}, True),
    case(
        "list of strings",
        {"a": [{"anything-but": ["stopped", "overloaded"]}]},
        {"a": "stopped"},
        False,
    ),
    case(
        "list of strings passes",
        {"a": [{"anything-but": ["stopped", "overloaded"]}]},
        {"a": "ok"},
        True,
    ),
    case("list of numbers", {"a": [{"anything-but": [100, 200, 300]}]}, {"a": 200}, False),
    case(
        "list of numbers passes a string", {"a": [{"anything-but": [100, 200]}]}, {"a": "100"}, True
    ),
    case(
        "event array: one element passes", {"a": [{"anything-but": "x"}]}, {"a": ["x", "y"]}, True
    ),
    case("event array: all excluded", {"a": [{"anything-but": "x"}]}, {"a": ["x", "x"]}, False),
    case("prefix", {"a": [{"anything-but": {"prefix": "us-"}}]}, {"a": "us-east-1"}, False),
    case("prefix passes", {"a": [{"anything-but": {"prefix": "us-"}}]}, {"a": "eu-west-1"}, True),
    case(
        "prefix list",
        {"a": [{"anything-but": {"prefix": ["us-", "eu-"]}}]},
        {"a": "eu-west-1"},
        False,
    ),
    case("suffix", {"a": [{"anything-but": {"suffix": ".png"}}]}, {"a": "x.png"}, False),
    case("suffix passes", {"a": [{"anything-but": {"suffix": ".png"}}]}, {"a": "x.jpg"}, True),
    case(
        "ignore case",
        {"a": [{"anything-but": {"equals-ignore-case": "init"}}]},
        {"a": "INIT"},
        False,
    ),
    case(
        "ignore case list",
        {"a": [{"anything-but": {"equals-ignore-case": ["a", "b"]}}]},
        {"a": "B"},
        False,
    ),
    case(
        "ignore case passes",
        {"a": [{"anything-but": {"equals-ignore-case": "init"}}]},
        {"a": "run"},
        True,
    ),
    case(
        "wildcard", {"a": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"a": "/usr/lib/x"}, False
    ),
    case(
        "wildcard passes",
        {"a": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"a": "/usr/bin/x"},
        True,
    ),
    case("empty set excludes nothing", {"a": [{"anything-but": {"prefix": []}}]}, {"a": "x"}, True),
]

NUMERIC = [
    case("range inside", {"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 5}, True),
    case("range open bottom", {"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 0}, False),
    case("range closed bottom", {"a": [{"numeric": [">=", 0, "<", 5]}]}, {"a": 0}, True),
    case("range open top", {"a": [{"numeric": [">=", 0, "<", 5]}]}, {"a": 5}, False),
    case("range above", {"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 5.5}, False),
    case("less than", {"a": [{"numeric": ["<", 10]}]}, {"a": -3}, True),
    case("less or equal", {"a": [{"numeric": ["<=", 10]}]}, {"a": 10}, True),
    case("greater than", {"a": [{"numeric": [">", 10]}]}, {"a": 10}, False),
    case("equals", '{"a": [{"numeric": ["=", 3.018e2]}]}', {"a": 301.8}, True),
    case("equals another", {"a": [{"numeric": ["=", 5]}]}, {"a": 5.0}, True),
    case("equals fails", {"a": [{"numeric": ["=", 5]}]}, {"a": 6}, False),
    case("decimal bounds", {"a": [{"numeric": [">", 0.1, "<", 0.3]}]}, {"a": 0.2}, True),
    case("a numeric string is not a number", {"a": [{"numeric": [">", 0]}]}, {"a": "5"}, False),
    case("a boolean is not a number", {"a": [{"numeric": [">", 0]}]}, {"a": True}, False),
    case("null is not a number", {"a": [{"numeric": ["<", 0]}]}, {"a": None}, False),
    case("beyond 5e9 never matches", {"a": [{"numeric": [">", 0]}]}, {"a": 6e9}, False),
    case("5e9 itself matches", {"a": [{"numeric": [">", 0]}]}, {"a": 5_000_000_000}, True),
    case("event array", {"a": [{"numeric": [">", 10]}]}, {"a": [1, 20]}, True),
    case("absent", {"a": [{"numeric": [">", 0]}]}, {}, False),
]

EXISTS_AND_CIDR = [
    case("exists true", {"a": [{"exists": True}]}, {"a": "x"}, True),
    case("exists true on null", {"a": [{"exists": True}]}, {"a": None}, True),
    case("exists true on absence", {"a": [{"exists": True}]}, {}, False),
    case(
        "exists true on an object (not a leaf)", {"a": [{"exists": True}]}, {"a": {"b": 1}}, False
    ),
    case("exists true on an empty array", {"a": [{"exists": True}]}, {"a": []}, False),
    case("exists false on absence", {"a": [{"exists": False}]}, {}, True),
    case("exists false on a value", {"a": [{"exists": False}]}, {"a": 0}, False),
    case("exists false on null", {"a": [{"exists": False}]}, {"a": None}, False),
    case(
        "exists false on an object (not a leaf)", {"a": [{"exists": False}]}, {"a": {"b": 1}}, True
    ),
    case("exists false under an absent parent", {"d": {"a": [{"exists": False}]}}, {}, True),
    case("exists false under a scalar parent", {"d": {"a": [{"exists": False}]}}, {"d": 3}, True),
    case(
        "exists false beside a required field",
        {"d": {"a": [{"exists": False}], "b": [1]}},
        {},
        False,
    ),
    case("exists false or a value: value", {"a": [{"exists": False}, "x"]}, {"a": "x"}, True),
    case("exists false or a value: absent", {"a": [{"exists": False}, "x"]}, {}, True),
    case("cidr v4", {"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.255"}, True),
    case("cidr v4 outside", {"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.1.0"}, False),
    case(
        "cidr v4 from the written address",
        {"ip": [{"cidr": "10.0.0.5/24"}]},
        {"ip": "10.0.0.4"},
        False,
    ),
    case("cidr v6", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8:ffff::1"}, True),
    case("cidr v6 outside", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db9::1"}, False),
    case("cidr v6 range, v4 address", {"ip": [{"cidr": "::/0"}]}, {"ip": "10.0.0.1"}, False),
    case("cidr on a non-address", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "10.0.0.x"}, False),
    case("cidr on a number", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": 10}, False),
]

OR = [
    case("$or first branch", {"$or": [{"a": ["x"]}, {"b": ["y"]}]}, {"a": "x"}, True),
    case("$or second branch", {"$or": [{"a": ["x"]}, {"b": ["y"]}]}, {"b": "y"}, True),
    case("$or no branch", {"$or": [{"a": ["x"]}, {"b": ["y"]}]}, {"a": "y", "b": "x"}, False),
    case(
        "$or ANDs with siblings",
        {"s": ["z"], "$or": [{"a": ["x"]}, {"b": ["y"]}]},
        {"a": "x"},
        False,
    ),
    case(
        "$or and siblings hold",
        {"s": ["z"], "$or": [{"a": ["x"]}, {"b": ["y"]}]},
        {"s": "z", "b": "y"},
        True,
    ),
    case(
        "$or branch with AND inside",
        {"$or": [{"a": ["x"]}, {"b": ["y"], "c": ["z"]}]},
        {"b": "y", "c": "n"},
        False,
    ),
    case(
        "$or nested in an object", {"d": {"$or": [{"a": [1]}, {"b": [2]}]}}, {"d": {"b": 2}}, True
    ),
    case(
        "$or nested in $or",
        {"$or": [{"a": [1]}, {"b": [2], "$or": [{"c": [3]}, {"d": [4]}]}]},
        {"b": 2, "d": 4},
        True,
    ),
    case(
        "$or nested in $or fails",
        {"$or": [{"a": [1]}, {"b": [2], "$or": [{"c": [3]}, {"d": [4]}]}]},
        {"b": 2, "e": 4},
        False,
    ),
    case(
        "$or over an array of objects, one element",
        {"e": {"$or": [{"a": [1]}, {"b": [2]}], "c": [3]}},
        {"e": [{"a": 1}, {"b": 2, "c": 3}]},
        True,
    ),
    case(
        "$or over an array of objects, across elements",
        {"e": {"$or": [{"a": [1]}, {"b": [9]}], "c": [3]}},
        {"e": [{"a": 1}, {"c": 3}]},
        False,
    ),
    case(
        "$or with exists false, absent", {"$or": [{"a": [1]}, {"b": [{"exists": False}]}]}, {}, True
    ),
    case(
        "parallel $or",
        {"$or": [{"m": ["CPU"]}, {"n": ["EC2"]}], "d": {"$or": [{"s": ["cw"]}, {"t": ["alarm"]}]}},
        {"n": "EC2", "d": {"t": "alarm"}},
        True,
    ),
]


@check(EXACT + NESTING_AND_ARRAYS)
def test_values_fields_and_arrays(pattern, event, expected):
    assert Pattern.parse(pattern).matches(event) is expected


@check(STRING_OPERATORS + ANYTHING_BUT)
def test_string_operators_and_anything_but(pattern, event, expected):
    assert Pattern.parse(pattern).matches(event) is expected


@check(NUMERIC + EXISTS_AND_CIDR)
def test_numeric_exists_and_cidr(pattern, event, expected):
    assert Pattern.parse(pattern).matches(event) is expected


@check(OR)
def test_or(pattern, event, expected):
    assert Pattern.parse(pattern).matches(event) is expected


# --- AWS's documented examples -------------------------------------------------------

# The sample event of the AWS guide's content filtering pages and event-ruler's README.
EC2 = {
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}

# The null-and-empty-string page's event.
AUTOSCALING = {
    "version": "0",
    "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "account": "123456789012",
    "time": "2015-11-11T21:31:47Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}

# The exists-matching section's two events (its JSON fixed: a comma was missing).
EXISTS_EVENTS = [
    {
        "detail-type": ["EC2 Instance State-change Notification"],
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
        "detail": {"state": ["initializing", "running"]},
    },
    {
        "detail-type": ["EC2 Instance State-change Notification"],
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
        "detail": {"state": ["initializing", "running"], "c-count": {"c1": 100}},
    },
]

DOCUMENTED = [
    case(
        "simple matching",
        {
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
            "detail": {"state": ["initializing", "running"]},
        },
        EC2,
        True,
    ),
    case("prefix on time", {"time": [{"prefix": "2017-10-02"}]}, EC2, True),
    case("suffix on source", {"source": [{"suffix": "ec2"}]}, EC2, True),
    case(
        "equals-ignore-case on source", {"source": [{"equals-ignore-case": "AWS.EC2"}]}, EC2, True
    ),
    case(
        "anything-but a state", {"detail": {"state": [{"anything-but": "initializing"}]}}, EC2, True
    ),
    case("anything-but a number", {"detail": {"x-limit": [{"anything-but": 123}]}}, EC2, True),
    case(
        "anything-but a list of strings",
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        EC2,
        True,
    ),
    case(
        "anything-but a list of numbers",
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        EC2,
        True,
    ),
    case(
        "anything-but a prefix",
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        EC2,
        True,
    ),
    case(
        "anything-but aws sources", {"source": [{"anything-but": {"prefix": "aws."}}]}, EC2, False
    ),
    case(
        "anything-but ec2 or s3", {"source": [{"anything-but": ["aws.ec2", "aws.s3"]}]}, EC2, False
    ),
    case(
        "numeric matching",
        '{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}],'
        ' "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"numeric": ["=", 3.018e2]}]}}',
        EC2,
        True,
    ),
    case("IP address matching", {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, EC2, True),
    case("exists", {"detail": {"c-count": [{"exists": True}]}}, EC2, True),
    case("does not exist", {"detail": {"c-count": [{"exists": False}]}}, EC2, False),
    case(
        "complex example",
        {
            "time": [{"prefix": "2017-10-02"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
                "source-ip": [{"cidr": "10.0.0.0/8"}],
            },
        },
        EC2,
        True,
    ),
    case("empty string", {"detail": {"eventVersion": [""]}}, AUTOSCALING, True),
    case("null value", {"detail": {"responseElements": [None]}}, AUTOSCALING, True),
    case("empty string is not null", {"detail": {"responseElements": [""]}}, AUTOSCALING, False),
    case("null is not an empty string", {"detail": {"eventVersion": [None]}}, AUTOSCALING, False),
    case(
        "exists false, no such leaf",
        {"detail": {"c-count": [{"exists": False}]}},
        EXISTS_EVENTS[0],
        True,
    ),
    case(
        "exists false, c-count not a leaf",
        {"detail": {"c-count": [{"exists": False}]}},
        EXISTS_EVENTS[1],
        True,
    ),
    case(
        "arrays: intersection",
        {
            "resources": [
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
            ]
        },
        {
            "resources": [
                "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-"
                "b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            ]
        },
        True,
    ),
    case(
        "$or: source and (metricName or namespace)",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization", "ReadLatency"]},
                {"namespace": ["AWS/EC2", "AWS/ES"]},
            ],
        },
        {"source": "aws.cloudwatch", "namespace": "AWS/ES"},
        True,
    ),
    case(
        "$or: nested or and and",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization", "ReadLatency"]},
                {
                    "metricType": ["MetricType"],
                    "namespace": ["AWS/EC2", "AWS/ES"],
                    "$or": [{"metricId": [1234]}, {"spaceId": [1000]}],
                },
                {"scope": ["Service"]},
            ],
        },
        {
            "source": "aws.cloudwatch",
            "metricType": "MetricType",
            "namespace": "AWS/EC2",
            "spaceId": 1000,
        },
        True,
    ),
    case(
        "$or: nested or and and, inner or fails",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization", "ReadLatency"]},
                {
                    "metricType": ["MetricType"],
                    "namespace": ["AWS/EC2", "AWS/ES"],
                    "$or": [{"metricId": [1234]}, {"spaceId": [1000]}],
                },
            ],
        },
        {
            "source": "aws.cloudwatch",
            "metricType": "MetricType",
            "namespace": "AWS/EC2",
            "spaceId": 1,
        },
        False,
    ),
    case(
        "dots in keys compile alike (a match the nesting also gives)",
        {"detail": {"state": {"status": ["running"]}}},
        {"detail": {"state": {"status": "running"}}},
        True,
    ),
]


@check(DOCUMENTED)
def test_documented_examples(pattern, event, expected):
    assert Pattern.parse(pattern).matches(event) is expected


# --- validation --------------------------------------------------------------------------

MIXED = (
    "Inside anything but list, either all values are number or string, mixed type is not supported"
)

ERRORS = [
    ('{"a": ["x"]', "Invalid JSON: Expecting ',' delimiter: line 1 column 12 (char 11)"),
    ('{"a": [NaN]}', "Invalid JSON: NaN is not a JSON value"),
    ('["a"]', "Filter is not an object"),
    ("null", "Filter is not an object"),
    ("{}", "Empty objects are not allowed"),
    ('{"d": {}}', "Empty objects are not allowed"),
    ('{"a": "x"}', '"a" must be an object or an array'),
    ('{"a": 1}', '"a" must be an object or an array'),
    ('{"a": []}', "Empty arrays are not allowed"),
    ('{"a": [["x"]]}', "Match value must be String, number, true, false, or null"),
    ('{"a": [{}]}', "Match expression name not found"),
    ('{"a": [{"prefx": "x"}]}', "Unrecognized match type prefx"),
    ('{"a": [{"$or": "x"}]}', "Unrecognized match type $or"),
    ('{"a": [{"prefix": "x", "suffix": "y"}]}', "Only one key allowed in match expression"),
    ('{"a": [{"prefix": 1}]}', "prefix match pattern must be a string"),
    ('{"a": [{"prefix": {}}]}', "Prefix expression name not found"),
    ('{"a": [{"prefix": {"wildcard": "x"}}]}', "Unsupported prefix pattern: wildcard"),
    (
        '{"a": [{"prefix": {"equals-ignore-case": 1}}]}',
        "equals-ignore-case match pattern must be a string",
    ),
    (
        '{"a": [{"prefix": {"equals-ignore-case": "a", "x": 1}}]}',
        "Only one key allowed in match expression",
    ),
    ('{"a": [{"suffix": null}]}', "suffix match pattern must be a string"),
    ('{"a": [{"suffix": {"prefix": "x"}}]}', "Unsupported suffix pattern: prefix"),
    ('{"a": [{"equals-ignore-case": ["x"]}]}', "equals-ignore-case match pattern must be a string"),
    ('{"a": [{"exactly": 1}]}', "exact match pattern must be a string"),
    ('{"a": [{"wildcard": 1}]}', "wildcard match pattern must be a string"),
    ('{"a": [{"wildcard": "a**b"}]}', "Consecutive wildcard characters at pos 2"),
    ('{"a": [{"wildcard": "a\\\\xb"}]}', "Invalid escape character at pos 2"),
    ('{"a": [{"wildcard": "ab\\\\"}]}', "Invalid escape character at pos 3"),
    ('{"a": [{"exists": "false"}]}', "exists match pattern must be either true or false."),
    ('{"a": [{"exists": true, "prefix": "x"}]}', "Only one key allowed in match expression"),
    ('{"a": [{"numeric": 5}]}', "Value of numeric must be an array."),
    ('{"a": [{"numeric": []}]}', "Invalid member in numeric match: ]"),
    ('{"a": [{"numeric": [5]}]}', "Invalid member in numeric match: 5"),
    ('{"a": [{"numeric": ["!=", 5]}]}', "Unrecognized numeric range operator: !="),
    ('{"a": [{"numeric": ["=", "5"]}]}', "Value of equals must be numeric"),
    ('{"a": [{"numeric": [">"]}]}', "Value of > must be numeric"),
    ('{"a": [{"numeric": ["<=", true]}]}', "Value of <= must be numeric"),
    ('{"a": [{"numeric": ["=", 5, "<", 6]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": ["<", 10, ">", 0]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": [">", 0, 5]}]}', "Bad value in numeric range: 5"),
    ('{"a": [{"numeric": [">", 0, ">", 5]}]}', "Bad numeric range operator: >"),
    ('{"a": [{"numeric": [">", 0, "<", "5"]}]}', "Value of < must be numeric"),
    ('{"a": [{"numeric": [">", 0, "<", 5, 6]}]}', "Too many terms in numeric range expression"),
    ('{"a": [{"numeric": [">", 5, "<=", 5]}]}', "Bottom must be less than top"),
    ('{"a": [{"numeric": [">", 1e10]}]}', "Value must be between -5.0E9 and 5.0E9, inclusive"),
    ('{"a": [{"numeric": ["=", 0.1234567]}]}', "Only values upto 6 decimals are supported"),
    ('{"a": [{"numeric": [">", 0], "x": 1}]}', "Too many elements in numeric expression"),
    (
        '{"a": [{"anything-but": null}]}',
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        '{"a": [{"anything-but": true}]}',
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        '{"a": [{"anything-but": [null]}]}',
        "Inside anything but list, start|null|boolean is not supported.",
    ),
    (
        '{"a": [{"anything-but": [1, "a"]}]}',
        MIXED,
    ),
    (
        '{"a": [{"anything-but": []}]}',
        MIXED,
    ),
    ('{"a": [{"anything-but": [6e9]}]}', "Value must be between -5.0E9 and 5.0E9, inclusive"),
    ('{"a": [{"anything-but": {}}]}', "Anything-But expression name not found"),
    (
        '{"a": [{"anything-but": {"numeric": [">", 1]}}]}',
        "Unsupported anything-but pattern: numeric",
    ),
    ('{"a": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"),
    ('{"a": [{"anything-but": {"suffix": ["x", ""]}}]}', "Null prefix/suffix not allowed"),
    ('{"a": [{"anything-but": {"prefix": 1}}]}', "prefix/suffix match pattern must be a string"),
    (
        '{"a": [{"anything-but": {"prefix": null}}]}',
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        '{"a": [{"anything-but": {"equals-ignore-case": [1]}}]}',
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
    ),
    ('{"a": [{"anything-but": {"wildcard": [1]}}]}', "wildcard match pattern must be a string"),
    ('{"a": [{"anything-but": {"wildcard": "a**"}}]}', "Consecutive wildcard characters at pos 2"),
    (
        '{"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}',
        "Too many elements in numeric expression",
    ),
    ('{"a": [{"anything-but": "x", "prefix": "y"}]}', "Too many elements in numeric expression"),
    ('{"a": [{"cidr": 10}]}', "prefix match pattern must be a string"),
    ('{"a": [{"cidr": "10.0.0.0"}]}', "Malformed CIDR, one '/' required"),
    ('{"a": [{"cidr": "10.0.0.0/"}]}', "Malformed CIDR, one '/' required"),
    ('{"a": [{"cidr": "10.0.0.0/8/8"}]}', "Malformed CIDR, one '/' required"),
    ('{"a": [{"cidr": "10.0.0.0/x"}]}', "Malformed CIDR, mask bits must be an integer"),
    ('{"a": [{"cidr": "10.0.0.0/-1"}]}', "Malformed CIDR, mask bits must not be negative"),
    ('{"a": [{"cidr": "10.0.0.0/32"}]}', "IPv4 mask bits must be < 32"),
    ('{"a": [{"cidr": "::/128"}]}', "IPv6 mask bits must be < 128"),
    ('{"a": [{"cidr": "host.example/8"}]}', "Nonstandard IP address: host.example"),
    ('{"a": [{"cidr": "300.0.0.0/8"}]}', "Invalid IP address: 300.0.0.0"),
    ('{"$or": {"a": [1]}}', "It must be an Array followed with $or."),
    ('{"$or": [{"a": [1]}, "b"]}', "Only JSON object is allowed in array of $or relationship."),
    ('{"$or": [{"a": [1]}]}', "There must have at least 2 Objects in $or relationship."),
    (
        '{"$or": [{"a": [1]}, {"prefix": [2]}]}',
        "prefix is Ruler reserved fieldName which cannot be used inside $or.",
    ),
    (
        '{"$or": [{"a": [1]}, {"b": {"numeric": [2]}}]}',
        "numeric is Ruler reserved fieldName which cannot be used inside $or.",
    ),
    ('{"$or": [{"a": [1]}, {}]}', "Empty objects are not allowed"),
    ('{"$or": [{"a": ["x"]}, {"b": [{"prefx": "y"}]}]}', "Unrecognized match type prefx"),
]


@pytest.mark.parametrize(("text", "reason"), ERRORS)
def test_each_invalid_pattern_is_refused_with_its_reason(text, reason):
    with pytest.raises(PatternError) as raised:
        Pattern.parse(text)
    assert str(raised.value) == reason


def test_a_pattern_error_is_a_value_error():
    assert issubclass(PatternError, ValueError)


def test_operator_names_outside_or_are_plain_field_names():
    # Only inside $or are they reserved; elsewhere "prefix" is just a field.
    assert Pattern.parse('{"prefix": ["x"]}').matches({"prefix": "x"})


def _or_of(n: int) -> dict[str, Any]:
    return {"$or": [{f"f{i}": [i]} for i in range(n)]}


def test_or_combinations_past_the_limit_are_refused():
    # 10 * 10 * 10 = 1000 combinations is allowed; one more branch makes 1100.
    allowed = {**_or_of(10), "b": _or_of(10), "c": _or_of(10)}
    Pattern.parse(json.dumps(allowed))
    refused = {**_or_of(10), "b": _or_of(10), "c": _or_of(11)}
    with pytest.raises(PatternError) as raised:
        Pattern.parse(json.dumps(refused))
    assert str(raised.value) == (
        f"Event pattern is too complex: its $or clauses expand to more than "
        f"{MAX_OR_COMBINATIONS} combinations"
    )


def test_nesting_past_the_limit_is_refused():
    deep = '{"a": ' * 101 + '["x"]' + "}" * 101
    with pytest.raises(PatternError, match="nested more than 100 levels"):
        Pattern.parse(deep)
    very_deep = '{"a": ' * 100_000 + '["x"]' + "}" * 100_000  # past json's own recursion
    with pytest.raises(PatternError, match="nested more than 100 levels"):
        Pattern.parse(very_deep)
    Pattern.parse('{"a": ' * 99 + '["x"]' + "}" * 99)


def test_a_pattern_is_a_value_keeping_its_source():
    text = '{"source": ["aws.ec2"]}'
    assert Pattern.parse(text) == Pattern.parse(text)
    assert Pattern.parse(text).source == text
    with pytest.raises(AttributeError):
        Pattern.parse(text).source = "{}"  # type: ignore[misc]


def test_anything_but_an_object_event_matches_only_a_pattern_needing_no_field():
    assert Pattern.parse('{"a": [{"exists": false}]}').matches([1, 2])  # type: ignore[arg-type]
    assert not Pattern.parse('{"a": ["x"]}').matches("x")  # type: ignore[arg-type]


def test_deeply_nested_event_arrays_do_not_exhaust_the_stack():
    nested: Any = "x"
    for _ in range(50_000):
        nested = [nested]
    assert Pattern.parse('{"a": ["x"]}').matches({"a": nested})
    assert not Pattern.parse('{"a": {"b": ["x"]}}').matches({"a": nested})


# --- matching never raises -------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["10.0.0.7", "::1", "2001:db8::1", "x.png", "aws.ec2", "1.2.3", ":::"])
)
KEYS = st.sampled_from(["a", "b", "c", "d", "$or", "prefix", "x"])
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)

PATTERNS = [
    Pattern.parse(text)
    for text in (
        '{"a": ["x", 1, true, null, "10.0.0.7"], "b": {"c": [{"exists": false}]}}',
        '{"a": [{"prefix": {"equals-ignore-case": "X"}}, {"suffix": ".png"},'
        ' {"wildcard": "*a*b"}]}',
        '{"a": [{"anything-but": [1, 2]}, {"anything-but": {"wildcard": ["*x*", "y*"]}}]}',
        '{"a": [{"numeric": [">", -1e9, "<=", 5.5]}, {"cidr": "10.0.0.0/8"}, {"cidr": "::/1"}]}',
        '{"$or": [{"a": {"b": [{"exists": true}]}}, {"c": [{"equals-ignore-case": "Q"}]}],'
        ' "d": {"$or": [{"a": [{"anything-but": "z"}]}, {"b": [{"numeric": ["=", 3]}]}]}}',
    )
]


@settings(max_examples=300, deadline=None)
@given(event=st.dictionaries(KEYS, json_values, max_size=5), nested=json_values)
def test_matching_never_raises_on_any_json_event(event, nested):
    for pattern in PATTERNS:
        assert pattern.matches(event) in (True, False)
        assert pattern.matches({"a": nested, "d": nested}) in (True, False)
