"""SNS filter policies: what SNS refuses beyond the event pattern language's own checks
(keys, combinations, numbers, wildcard, nesting under the attribute scope), and how a
message's attributes or body are matched."""

from __future__ import annotations

import json
from typing import Any

import pytest

from altus.sns import filtering
from altus.sns.filtering import ATTRIBUTES_SCOPE, BODY_SCOPE, PolicyError


def refusal(policy: Any, scope: str = ATTRIBUTES_SCOPE) -> str:
    text = policy if isinstance(policy, str) else json.dumps(policy)
    with pytest.raises(PolicyError) as raised:
        filtering.check(text, scope)
    return str(raised.value)


def test_sns_limits() -> None:
    assert refusal({f"k{i}": ["v"] for i in range(6)}) == (
        "Filter policy can not have more than 5 keys"
    )
    filtering.check(json.dumps({f"k{i}": ["v"] for i in range(5)}), ATTRIBUTES_SCOPE)
    assert refusal({"a": list(range(15)), "b": list(range(11))}) == "Filter policy is too complex"
    filtering.check(json.dumps({"a": list(range(15)), "b": list(range(10))}), ATTRIBUTES_SCOPE)
    # A $or adds its branches' combinations.
    many = {"$or": [{"a": list(range(100))}, {"b": list(range(51))}]}
    assert refusal(many) == "Filter policy is too complex"
    assert refusal({"n": [{"numeric": [">", 1_000_000_001]}]}) == (
        "Value must be between -1.0E9 and 1.0E9, inclusive"
    )
    assert refusal({"n": [{"numeric": ["=", 0.000001]}]}) == (
        "Only values upto 5 decimals are supported"
    )
    assert refusal({"n": [{"wildcard": "a*"}]}) == "Unrecognized match type wildcard"
    # A field named like an operator is a field.
    filtering.check(json.dumps({"wildcard": ["a"]}), ATTRIBUTES_SCOPE)


def test_the_languages_own_refusals_in_event_ruler_words() -> None:
    assert refusal({"key": [{"wrong-operator": True}]}) == "Unrecognized match type wrong-operator"
    assert refusal({"key": "value"}) == '"key" must be an object or an array'
    assert refusal({"key": [{"suffix": 100}]}) == "suffix match pattern must be a string"
    assert refusal({"key": [{"exists": "no"}]}) == (
        "exists match pattern must be either true or false."
    )
    assert refusal("[1]") == "Filter is not an object"
    assert refusal("{nope").startswith("failed to parse JSON.")


def test_nesting_is_for_the_body_scope() -> None:
    nested = {"order": {"kind": ["big"]}}
    with pytest.raises(PolicyError) as raised:
        filtering.check(json.dumps(nested), ATTRIBUTES_SCOPE)
    assert raised.value.nested and str(raised.value) == filtering.NESTED
    filtering.check(json.dumps(nested), BODY_SCOPE)
    # $or branches at the top are no nesting.
    filtering.check(json.dumps({"$or": [{"a": ["1"]}, {"b": ["2"]}]}), ATTRIBUTES_SCOPE)


def test_attributes_are_matched_by_their_data_type() -> None:
    def passes(policy: dict[str, Any], **attributes: tuple[str, str]) -> bool:
        given = {name: {"Type": kind, "Value": value} for name, (kind, value) in attributes.items()}
        return filtering.compiled(json.dumps(policy), ATTRIBUTES_SCOPE).matches("", given)

    price = {"price": [{"numeric": [">=", 100]}]}
    assert passes(price, price=("Number", "150.5"))
    assert not passes(price, price=("String", "150.5"))  # a string is no number
    assert not passes(price)
    assert passes({"tags": ["b"]}, tags=("String.Array", '["a", "b"]'))
    assert not passes({"tags": ["c"]}, tags=("String.Array", '["a", "b"]'))
    assert passes({"n": [5]}, n=("String.Array", "[5, 6]"))
    # Binary attributes are never matched, not even by exists.
    assert not passes({"b": [{"exists": True}]}, b=("Binary", "AAE="))
    assert passes({"b": [{"exists": False}]}, b=("Binary", "AAE="))
    assert passes({"s": [{"prefix": "ab"}]}, s=("String.custom", "abc"))
    assert passes({"s": [{"anything-but": "x"}]}, s=("String", "y"))


def test_bodies_are_matched_as_json_objects() -> None:
    policy = filtering.compiled(json.dumps({"a": {"b": [1]}}), BODY_SCOPE)
    assert policy.matches('{"a": {"b": 1}}', {})
    assert not policy.matches('{"a": {"b": 2}}', {})
    assert not policy.matches("not json", {})
    assert not policy.matches("[1]", {})
    absent = filtering.compiled(json.dumps({"a": [{"exists": False}]}), BODY_SCOPE)
    assert absent.matches("not json", {})
