"""DynamoDB's KeyConditionExpression (checked against a key schema into a Query's plan)
and ProjectionExpression (applied to items in DynamoDB's shape).

The cases are the Developer Guide's and DynamoDB's answers as recorded by dynalite's,
ScyllaDB Alternator's and the nubo-db conformance suite's tests."""

from __future__ import annotations

from typing import Any

import pytest

from altus.dynamodb.expressions import (
    ExpressionProblem,
    KeyPlan,
    RangeCondition,
    apply_update,
    parse_key_condition,
    parse_projection,
    parse_update,
    plan_key_condition,
    project,
    project_paths,
)


def S(text: str) -> dict[str, Any]:
    return {"S": text}


def N(text: str) -> dict[str, Any]:
    return {"N": text}


def L(*elements: Any) -> dict[str, Any]:
    return {"L": list(elements)}


def M(**members: Any) -> dict[str, Any]:
    return {"M": members}


# Message prefixes DynamoDB repeats.
NO_NAME = "An expression attribute name used in the document path is not defined; attribute name: "
RESERVED = "Attribute name is a reserved keyword; reserved keyword: "
OVERLAP = "Two document paths overlap with each other; must remove or rewrite one of these paths; "
CONFLICT = (
    "Two document paths conflict with each other; must remove or rewrite one of these paths; "
)
KEY_CONDITION = "Invalid condition in KeyConditionExpression: "
KEY_OPERATOR = "Invalid operator used in KeyConditionExpression: "

# dynalite's nested update (its test "should update nested attributes").
DYNALITE_NESTED = (
    "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a"
)


def problem(call: Any, *args: Any) -> str:
    with pytest.raises(ExpressionProblem) as raised:
        call(*args)
    return raised.value.message


VALUES = {
    ":pk": S("p"),
    ":sk": S("s"),
    ":lo": S("a"),
    ":hi": S("m"),
    ":a": S("a"),
    ":b": S("b"),
    ":n": N("1"),
}
NAMES = {"#pk": "pk", "#sk": "sk"}
SCHEMA = ("pk", "sk")


def plan(text: str, schema: tuple[str, str | None] = SCHEMA) -> KeyPlan:
    names = {key: value for key, value in NAMES.items() if key in text}
    values = {key: value for key, value in VALUES.items() if key in text}
    condition, _ = parse_key_condition(text, names or None, values)
    return plan_key_condition(condition, schema)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pk = :pk", KeyPlan(S("p"), None)),
        ("#pk = :pk AND #sk = :sk", KeyPlan(S("p"), RangeCondition("=", (S("s"),)))),
        ("#sk < :hi AND #pk = :pk", KeyPlan(S("p"), RangeCondition("<", (S("m"),)))),
        # The value may stand left of the attribute.
        ("#pk = :pk AND :lo <= #sk", KeyPlan(S("p"), RangeCondition(">=", (S("a"),)))),
        (":pk = pk AND :lo > sk", KeyPlan(S("p"), RangeCondition("<", (S("a"),)))),
        (
            "pk = :pk AND sk BETWEEN :lo AND :hi",
            KeyPlan(S("p"), RangeCondition("BETWEEN", (S("a"), S("m")))),
        ),
        (
            "pk = :pk AND begins_with(sk, :a)",
            KeyPlan(S("p"), RangeCondition("begins_with", (S("a"),))),
        ),
        # Parentheses, even doubled: DynamoDB accepts them here.
        ("(#pk = :pk) AND (#sk = :sk)", KeyPlan(S("p"), RangeCondition("=", (S("s"),)))),
        ("(#pk = :pk AND #sk = :sk)", KeyPlan(S("p"), RangeCondition("=", (S("s"),)))),
        ("((#pk = :pk)) AND ((#sk = :sk))", KeyPlan(S("p"), RangeCondition("=", (S("s"),)))),
    ],
)
def test_plans(text, expected):
    assert plan(text) == expected


def test_a_hash_only_schema():
    assert plan("pk = :pk", ("pk", None)) == KeyPlan(S("p"), None)


@pytest.mark.parametrize(
    ("text", "schema", "message"),
    [
        ("sk = :sk", SCHEMA, "Query condition missed key schema element: pk"),
        ("attr1 = :a", SCHEMA, "Query condition missed key schema element: pk"),
        ("pk = :pk AND attr1 = :a", SCHEMA, "Query condition missed key schema element: sk"),
        ("pk = :pk AND attr1 = :a", ("pk", None), "Query key condition not supported"),
        ("pk = :pk OR sk = :a", SCHEMA, KEY_OPERATOR + "OR"),
        ("NOT pk = :pk", SCHEMA, KEY_OPERATOR + "NOT"),
        (
            "pk = :pk AND NOT sk = :a",
            SCHEMA,
            KEY_OPERATOR + "NOT",
        ),
        (
            "pk = :pk AND sk IN (:a, :b)",
            SCHEMA,
            KEY_OPERATOR + "IN",
        ),
        ("pk <> :pk", SCHEMA, KEY_OPERATOR + "<>"),
        (
            "attribute_exists(pk)",
            SCHEMA,
            KEY_OPERATOR + "attribute_exists",
        ),
        (
            "pk = :pk AND contains(sk, :a)",
            SCHEMA,
            KEY_OPERATOR + "contains",
        ),
        ("size(pk) = :n", SCHEMA, "KeyConditionExpressions cannot contain nested operations"),
        (
            "#pk = :pk AND #sk.foo = :a",
            SCHEMA,
            "KeyConditionExpressions cannot have conditions on nested attributes",
        ),
        (
            "pk = :pk AND sk[0] = :a",
            SCHEMA,
            "KeyConditionExpressions cannot have conditions on nested attributes",
        ),
        (
            "pk = sk",
            SCHEMA,
            KEY_CONDITION + "Multiple attribute names used in one condition",
        ),
        (
            ":a = :b",
            SCHEMA,
            KEY_CONDITION + "No key attribute specified",
        ),
        (
            "pk = :pk AND :a BETWEEN sk AND :b",
            SCHEMA,
            KEY_CONDITION + "BETWEEN operator must have the key attribute as its first operand",
        ),
        (
            "pk = :pk AND begins_with(:a, sk)",
            SCHEMA,
            KEY_CONDITION + "begins_with operator must have the key attribute as its first operand",
        ),
        (
            "sk > :a AND sk < :b",
            SCHEMA,
            "KeyConditionExpressions must only contain one condition per key",
        ),
        (
            "pk = :pk AND sk > :a AND sk < :b",
            SCHEMA,
            "KeyConditionExpressions must only contain one condition per key",
        ),
        ("pk = :pk AND sk > :a AND x < :b", SCHEMA, "Conditions can be of length 1 or 2 only"),
        ("pk > :a", SCHEMA, "Query key condition not supported"),
        ("pk BETWEEN :a AND :b", SCHEMA, "Query key condition not supported"),
        ("begins_with(pk, :a)", SCHEMA, "Query key condition not supported"),
        ("pk > :a AND sk < :b", SCHEMA, "Query key condition not supported"),
    ],
)
def test_plan_refusals(text, schema, message):
    assert problem(plan, text, schema) == message


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("", None, "Invalid KeyConditionExpression: The expression can not be empty;"),
        (
            "status = :v",
            {":v": S("x")},
            "Invalid KeyConditionExpression: Attribute name is a reserved keyword; "
            "reserved keyword: status",
        ),
        (
            "pk = :pk",
            None,
            "Invalid KeyConditionExpression: An expression attribute value used in expression "
            "is not defined; attribute value: :pk",
        ),
        (
            "pk = :pk AND a.__x = :pk",
            {":pk": S("x")},
            'Invalid KeyConditionExpression: Syntax error; token: "_", near: ".__"',
        ),
        (
            "pk = :pk AND begins_with(sk, :n)",
            {":pk": S("x"), ":n": N("1")},
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N",
        ),
        (
            "pk = :pk AND sk BETWEEN :b AND :a",
            {":pk": S("x"), ":a": S("a"), ":b": S("b")},
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
            "greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, "
            "upper bound operand: AttributeValue: {S:a}",
        ),
    ],
)
def test_parse_refusals(text, values, message):
    assert problem(parse_key_condition, text, None, values) == message


@pytest.mark.parametrize(
    ("condition", "key", "expected"),
    [
        (RangeCondition("=", (S("b"),)), S("b"), True),
        (RangeCondition("<", (S("b"),)), S("a"), True),
        (RangeCondition("<=", (N("10"),)), N("9.5"), True),
        (RangeCondition(">", (N("10"),)), N("9.5"), False),
        (RangeCondition(">=", (N("10"),)), N("10"), True),
        (RangeCondition("BETWEEN", (S("ab"), S("ac"))), S("abc"), True),
        (RangeCondition("BETWEEN", (S("ab"), S("ac"))), S("aca"), False),
        (RangeCondition("begins_with", (S("aa"),)), S("aab"), True),
        (RangeCondition("begins_with", (S("aa"),)), S("abc"), False),
        (RangeCondition("begins_with", ({"B": b"\x01"},)), {"B": b"\x01\x02"}, True),
        (RangeCondition("<", ({"B": bytes([128])},)), {"B": bytes([127])}, True),
        (RangeCondition("=", (S("1"),)), N("1"), False),
    ],
)
def test_range_conditions(condition, key, expected):
    assert condition.matches(key) is expected


# -- projections ---------------------------------------------------------------------

PRODUCT = {
    "Id": N("123"),
    "Description": S("123 description"),
    "RelatedItems": L(N("341"), N("472"), N("649")),
    "ProductReviews": M(
        FiveStar=L(
            S("Excellent! Can't recommend it highly enough! Buy it!"),
            S("Do yourself a favor and buy this."),
        ),
        OneStar=L(S("Terrible product! Do not buy this.")),
    ),
}
NESTED = {
    "p": S("k"),
    "a": M(b=L(N("2"), N("4"), M(x=S("hi"), y=S("yo"))), c=N("5")),
    "b": S("hello"),
}


def projected(item: Any, text: str, names: Any = None) -> dict[str, Any]:
    projection, _ = parse_projection(text, names)
    return project(item, projection)


def test_the_guides_projection():
    assert projected(PRODUCT, "Description, RelatedItems[0], ProductReviews.FiveStar") == {
        "Description": S("123 description"),
        "RelatedItems": L(N("341")),
        "ProductReviews": M(FiveStar=PRODUCT["ProductReviews"]["M"]["FiveStar"]),
    }


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("a", None, {"a": NESTED["a"]}),
        ("a.b", None, {"a": M(b=NESTED["a"]["M"]["b"])}),
        ("a.b[0]", None, {"a": M(b=L(N("2")))}),
        ("a.b[2]", None, {"a": M(b=L(M(x=S("hi"), y=S("yo"))))}),
        ("a.b[2].y", None, {"a": M(b=L(M(y=S("yo"))))}),
        ("#n1.#n2[0]", {"#n1": "a", "#n2": "b"}, {"a": M(b=L(N("2")))}),
        # Nothing found: nothing, not even the parents.
        ("x", None, {}),
        ("a.b[3]", None, {}),
        ("a.x", None, {}),
        ("a.x.y", None, {}),
        ("a.b[3].x", None, {}),
        ("a.b.x", None, {}),
        ("a[0]", None, {}),
        ("a.b[0].x", None, {}),
        ("a.b[0][0]", None, {}),
        # Several paths merge in the item's shape; list elements packed in index order.
        ("a.b[0],a.b[1]", None, {"a": M(b=L(N("2"), N("4")))}),
        ("a.b[2], a.b[0]", None, {"a": M(b=L(N("2"), M(x=S("hi"), y=S("yo"))))}),
        ("a.b[0],a.c", None, {"a": M(b=L(N("2")), c=N("5"))}),
        ("a.c,b", None, {"a": M(c=N("5")), "b": S("hello")}),
        ("a.x, a.b[0], x, a.b[3].x", None, {"a": M(b=L(N("2")))}),
        (" p  ,   b  ", None, {"p": S("k"), "b": S("hello")}),
    ],
)
def test_projections(text, names, expected):
    assert projected(NESTED, text, names) == expected


def test_a_dot_in_a_name_is_part_of_the_name():
    item = {"a.b": S("hi"), "a": M(b=S("yo"), c=S("jo"))}
    assert projected(item, "a.b") == {"a": M(b=S("yo"))}
    assert projected(item, "#name", {"#name": "a.b"}) == {"a.b": S("hi")}


def test_projected_values_are_copies():
    result = projected(NESTED, "a.b")
    result["a"]["M"]["b"]["L"].append(N("9"))
    assert len(NESTED["a"]["M"]["b"]["L"]) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The expression can not be empty;"),
        ("a,", 'Syntax error; token: "<EOF>", near: ","'),
        (",a", 'Syntax error; token: ",", near: ",a"'),
        ("a,,b", 'Syntax error; token: ",", near: ",,b"'),
        (
            "a.b, a.b",
            OVERLAP + "path one: [a, b], path two: [a, b]",
        ),
        (
            "a.b[0],a.b[0]",
            OVERLAP + "path one: [a, b, [0]], path two: [a, b, [0]]",
        ),
        (
            "a, a.b[2].c",
            OVERLAP + "path one: [a], path two: [a, b, [2], c]",
        ),
        (
            "a.b.d.e, a.b",
            OVERLAP + "path one: [a, b, d, e], path two: [a, b]",
        ),
        (
            "a.b, a[1]",
            CONFLICT + "path one: [a, b], path two: [a, [1]]",
        ),
        ("pk, status", RESERVED + "status"),
        (
            "#undef",
            NO_NAME + "#undef",
        ),
    ],
)
def test_projection_refusals(text, message):
    assert problem(parse_projection, text, None) == f"Invalid ProjectionExpression: {message}"


@pytest.mark.parametrize("text", ["a, b", "a.b, a.c", "a.b.d, a.b.e", "a[1], a[2]", "a.b, a.c[2]"])
def test_projections_that_do_not_overlap(text):
    parse_projection(text, None)


def test_an_updates_targets_project_its_updated_values():
    # ReturnValues UPDATED_NEW: the new item on the update's paths (dynalite's capture:
    # the list shows the elements now at the written indexes that exist).
    before = {"a": S("k"), "b": M(a=N("1"), b=N("2"), c=N("3")), "c": L(N("1"), N("3"))}
    update, _ = parse_update(
        DYNALITE_NESTED,
        None,
        {":a": N("2"), ":b": {"SS": ["a"]}},
    )
    after = apply_update(update, before)
    assert project_paths(after, update.targets) == {
        "b": M(c=N("4"), a=S("k")),
        "c": L(S("k"), N("3"), N("2")),
    }
    assert project_paths(before, update.targets) == {
        "b": M(c=N("3"), a=N("1")),
        "c": L(N("3")),
    }
