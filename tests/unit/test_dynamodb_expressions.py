"""DynamoDB's condition expressions (ConditionExpression, FilterExpression): parsed with
DynamoDB's refusals in DynamoDB's words and order, and evaluated against items.

The cases are the Developer Guide's (the Expressions chapter, on its ProductCatalog
item) and DynamoDB's answers as recorded by test suites run against DynamoDB (dynalite,
ScyllaDB Alternator, the nubo-db conformance suite)."""

from __future__ import annotations

from typing import Any

import pytest

from altus.dynamodb.expressions import (
    ExpressionProblem,
    Usage,
    check_placeholders,
    check_unused,
    evaluate,
    parse_condition,
    parse_projection,
    parse_update,
    paths_of,
)
from altus.dynamodb.expressions.ast import And, Comparison, Not, Or, Path
from altus.dynamodb.expressions.build import MAX_DEPTH
from altus.dynamodb.expressions.reserved import RESERVED, is_reserved

# The Developer Guide's ProductCatalog item (its "Projection expressions" page).
PRODUCT: dict[str, Any] = {
    "Id": {"N": "123"},
    "Title": {"S": "Bicycle 123"},
    "Description": {"S": "123 description"},
    "BicycleType": {"S": "Hybrid"},
    "Brand": {"S": "Brand-Company C"},
    "Price": {"N": "500"},
    "Color": {"SS": ["Red", "Black"]},
    "ProductCategory": {"S": "Bicycle"},
    "InStock": {"BOOL": True},
    "QuantityOnHand": {"NULL": True},
    "RelatedItems": {"L": [{"N": "341"}, {"N": "472"}, {"N": "649"}]},
    "Pictures": {
        "M": {
            "FrontView": {"S": "http://example.com/products/123_front.jpg"},
            "RearView": {"S": "http://example.com/products/123_rear.jpg"},
            "SideView": {"S": "http://example.com/products/123_left_side.jpg"},
        }
    },
    "ProductReviews": {
        "M": {
            "FiveStar": {
                "L": [
                    {"S": "Excellent! Can't recommend it highly enough! Buy it!"},
                    {"S": "Do yourself a favor and buy this."},
                ]
            },
            "OneStar": {"L": [{"S": "Terrible product! Do not buy this."}]},
        }
    },
    "Comment": {"S": "This product sells out quickly during the summer"},
    "Safety.Warning": {"S": "Always wear a helmet"},
}


def S(text: str) -> dict[str, Any]:
    return {"S": text}


def N(text: str) -> dict[str, Any]:
    return {"N": text}


# Message prefixes DynamoDB repeats.
MISUSED = "The function is not allowed to be used this way in an expression; function: "
OPERANDS = "Incorrect number of operands for operator or function; operator or function: "
TYPE = "Incorrect operand type for operator or function; operator or function: "
DISTINCT = (
    "The first operand must be distinct from the remaining operands "
    "for this operator or function; operator: "
)
NO_NAME = "An expression attribute name used in the document path is not defined; attribute name: "
NO_VALUE = "An expression attribute value used in expression is not defined; attribute value: "
NEEDS_PATH = "Operator or function requires a document path; operator or function: "
RESERVED_WORD = "Attribute name is a reserved keyword; reserved keyword: "
BETWEEN_TYPES = "The BETWEEN operator requires same data type for lower and upper bounds; "
BETWEEN_ORDER = (
    "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
)


def problem(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ExpressionProblem) as raised:
        call(*args, **kwargs)
    return raised.value.message


def holds(expression: str, item: Any, names: Any = None, values: Any = None) -> bool:
    condition, _ = parse_condition(expression, names, values)
    return evaluate(condition, item)


# -- the Developer Guide's examples --------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "names", "values", "expected"),
    [
        ("attribute_not_exists(Price)", None, None, False),
        ("attribute_not_exists(Id)", None, None, False),
        ("attribute_exists(ProductReviews.OneStar)", None, None, True),
        ("attribute_exists(ProductReviews.ThreeStar)", None, None, False),
        ("Price > :limit", None, {":limit": N("500")}, False),
        ("Price > :limit", None, {":limit": N("400")}, True),
        ("attribute_type(Color, :v_sub)", None, {":v_sub": S("SS")}, True),
        ("attribute_type(Color, :v_sub)", None, {":v_sub": S("S")}, False),
        ("begins_with(Pictures.FrontView, :v_sub)", None, {":v_sub": S("http://")}, True),
        ("contains(Color, :v_sub)", None, {":v_sub": S("Red")}, True),
        ("contains(Color, :v_sub)", None, {":v_sub": S("Blue")}, False),
        ("size(VideoClip) > :v_sub", None, {":v_sub": N("64000")}, False),
        ("size(Brand) <= :v_sub", None, {":v_sub": N("20")}, True),
        ("Price between :lo and :hi", None, {":lo": N("500"), ":hi": N("600")}, True),
        ("Price between :lo and :hi", None, {":lo": N("501"), ":hi": N("600")}, False),
        (
            "ProductCategory IN (:cat1, :cat2) and Price between :lo and :hi",
            None,
            {
                ":cat1": S("Sporting Goods"),
                ":cat2": S("Gardening Supplies"),
                ":lo": N("0"),
                ":hi": N("1000"),
            },
            False,
        ),
        (
            "ProductCategory IN (:cat1, :cat2) and Price between :lo and :hi",
            None,
            {":cat1": S("Bicycle"), ":cat2": S("Car"), ":lo": N("0"), ":hi": N("1000")},
            True,
        ),
        # An expression attribute name for a name with a dot is one top-level name.
        ("#sw = :v", {"#sw": "Safety.Warning"}, {":v": S("Always wear a helmet")}, True),
        ("attribute_exists(Safety.Warning)", None, None, False),
        ("#c = :v", {"#c": "Comment"}, {":v": S("nothing")}, False),
        (
            "attribute_exists(#pr.#1star)",
            {"#pr": "ProductReviews", "#1star": "OneStar"},
            None,
            True,
        ),
        ("RelatedItems[1] = :v", None, {":v": N("472")}, True),
        ("size(ProductReviews.FiveStar) = :two", None, {":two": N("2")}, True),
        (
            "InStock = :t AND QuantityOnHand = :null",
            None,
            {":t": {"BOOL": True}, ":null": {"NULL": True}},
            True,
        ),
    ],
)
def test_the_guides_conditions(expression, names, values, expected):
    assert holds(expression, PRODUCT, names, values) is expected


# -- evaluation rules ----------------------------------------------------------------

ITEM: dict[str, Any] = {
    "n": N("1"),
    "n2": N("2"),
    "s": S("hello"),
    "b": {"B": b"hi there"},
    "low": {"B": bytes([127])},
    "high": {"B": bytes([128])},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["2", "4", "7"]},
    "bs": {"BS": [b"x", b"y"]},
    "l": {"L": [N("2"), S("dog"), {"NS": ["1", "2"]}, {"L": [N("3")]}]},
    "m": {"M": {"x": N("2"), "y": {"M": {"z": N("3")}}}},
    "t": {"BOOL": True},
    "nul": {"NULL": True},
    "n1": N("1.0"),
}
VALUES: dict[str, Any] = {
    ":one": N("1"),
    ":two": N("2"),
    ":s": S("hello"),
    ":str1": S("1"),
    ":ell": S("ell"),
    ":he": S("he"),
    ":hi": {"B": b"hi"},
    ":here": {"B": b"here"},
    ":a": S("a"),
    ":four": N("4"),
    ":x": {"B": b"x"},
    ":dog": S("dog"),
    ":set12": {"NS": ["2", "1"]},
    ":list3": {"L": [N("3")]},
    ":ssba": {"SS": ["b", "a"]},
    ":m": {"M": {"x": N("2"), "y": {"M": {"z": N("3")}}}},
    ":true": {"BOOL": True},
    ":S": S("S"),
    ":NULL": S("NULL"),
    ":five": N("5"),
    ":eight": N("8"),
    ":b127": {"B": bytes([127])},
    ":b128": {"B": bytes([128])},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # = and <> compare any two values; different types are unequal.
        ("n = :one", True),
        ("n1 = :one", True),  # numbers by value
        ("n = :str1", False),
        ("n <> :str1", True),
        ("ss = :ssba", True),  # sets as sets
        ("ns = :set12", False),
        ("m = :m", True),  # maps deeply
        ("t = :true", True),
        # A missing attribute: = false, <> true, even against another missing one.
        ("absent = :one", False),
        ("absent <> :one", True),
        ("absent = gone", False),
        ("absent <> gone", True),
        ("absent < :one", False),
        (":one < absent", False),
        ("absent between gone and lost", False),
        ("absent IN (:one, :two)", False),
        # Ordering: S, N and B of one type only; anything else from the item is false.
        ("n < :two", True),
        ("n <= :one", True),
        ("n > :one", False),
        ("n >= :one", True),
        ("s > :he", True),
        ("n < :str1", False),
        ("l < :one", False),
        (":one < l", False),
        ("low < :b128", True),  # blobs as unsigned bytes
        ("high > :b127", True),
        ("low between :b127 and :b128", True),
        ("n between :one and :two", True),
        ("n2 between :one and :one", False),
        ("n between n and n2", True),
        ("n between :str1 and s", False),
        ("n2 between n2 and n", False),  # bounds from the item in the wrong order
        # IN: equality with any listed value, of any type.
        ("n IN (:s, :one)", True),
        ("l IN (:one)", False),
        # Functions.
        ("attribute_exists(m.y.z)", True),
        ("attribute_exists(m.y.q)", False),
        ("attribute_exists(l[3][0])", True),
        ("attribute_exists(l[4])", False),
        ("attribute_exists(m[0])", False),
        ("attribute_exists(l.x)", False),
        ("attribute_not_exists(nothing)", True),
        ("attribute_type(s, :S)", True),
        ("attribute_type(nul, :NULL)", True),
        ("attribute_type(:s, :S)", True),  # a value may be the first operand
        ("attribute_type(absent, :S)", False),
        ("begins_with(s, :he)", True),
        ("begins_with(:s, s)", True),
        ("begins_with(b, :hi)", True),
        ("begins_with(b, :he)", False),  # a blob against a string
        ("begins_with(n, :he)", False),  # a number from the item: false, no error
        ("contains(s, :ell)", True),
        ("contains(b, :here)", True),
        ("contains(ss, :a)", True),
        ("contains(ns, :four)", True),
        ("contains(bs, :x)", True),
        ("contains(l, :dog)", True),
        ("contains(l, :set12)", True),
        ("contains(l, :list3)", True),
        ("contains(b, :set12)", False),
        ("contains(s, :one)", False),
        ("contains(absent, :a)", False),
        ("size(s) = :five", True),
        ("size(b) = :eight", True),
        ("size(ns) = :two", False),
        ("size(l) = :four", True),
        ("size(m) = :two", True),
        ("size(m.y) = :one", True),
        ("size(n) = :one", False),  # no size: as a missing attribute
        ("size(t) = :one", False),
        ("size(s) = :s", False),
        ("size(s) = s", False),
        ("size(s) > n", True),
        ("size(s) <> :four", True),
        # AND, OR, NOT, their precedence (NOT, then AND, then OR) and parentheses.
        ("n < n2 AND n2 < :five", True),
        ("n < n2 aNd n2 > :five", False),
        ("n2 < n OR n < n2", True),
        ("n2 < n oR n2 < n", False),
        ("NOT n2 < n", True),
        ("nOt n < n2", False),
        ("NOT NOT NOT NOT n < n2", True),
        ("n < n2 OR n2 < n AND n2 < n", True),
        ("(n < n2 OR n2 < n) AND n2 < n", False),
        ("NOT n < n2 AND n2 < n", False),
        ("n2 BETWEEN n AND :five AND n < n2", True),
        ("(n < n2 OR n2 < n) AND (n2 < :five AND (n < n2 OR n2 < n))", True),
    ],
)
def test_evaluation(expression, expected):
    condition, _ = parse_condition(expression, None, VALUES, kind="FilterExpression")
    assert evaluate(condition, ITEM) is expected


def test_a_missing_item_has_no_attributes():
    values = {":p": S("x")}
    assert holds("attribute_not_exists(p)", None)
    assert holds("p <> :p", None, values=values)
    assert not holds("p = :p", None, values=values)
    assert not holds("attribute_exists(p)", None)


# -- parsed forms --------------------------------------------------------------------


def test_placeholders_are_resolved_and_recorded():
    condition, usage = parse_condition("#a.#b[2] = :v", {"#a": "and", "#b": "or"}, {":v": N("1")})
    assert isinstance(condition, Comparison)
    assert condition.left == Path(("and", "or", 2))
    assert str(condition.left) == "[and, or, [2]]"
    assert usage == Usage(frozenset({"#a", "#b"}), frozenset({":v"}))


def test_the_paths_a_condition_reads():
    condition, _ = parse_condition(
        "a.b = :v AND (size(c[1]) > :v OR NOT d BETWEEN e AND :v) AND f IN (:v, g)",
        None,
        {":v": N("1")},
    )
    assert paths_of(condition) == (
        Path(("a", "b")),
        Path(("c", 1)),
        Path(("d",)),
        Path(("e",)),
        Path(("f",)),
        Path(("g",)),
    )


def test_and_or_chains_flatten():
    condition, _ = parse_condition(
        "a = :v AND (b = :v AND c = :v) AND NOT (d = :v OR e = :v)", None, {":v": N("1")}
    )
    assert isinstance(condition, And)
    assert len(condition.conditions) == 4
    last = condition.conditions[3]
    assert isinstance(last, Not) and isinstance(last.condition, Or)


def test_keywords_are_case_insensitive_and_names_only_whole():
    # "andy", "ORDERLY", "Inbox" and "Nottingham" are names: keywords and reserved words
    # are judged whole.
    condition, _ = parse_condition(
        "andy = :v aNd ORDERLY = :v oR Inbox = :v AND Nottingham = :v", None, {":v": N("1")}
    )
    assert isinstance(condition, Or)


def test_whitespace_is_free():
    assert holds("  attribute_exists ( n )\t\r\nAND\tn=:one ", ITEM, values=VALUES)


# -- refusals, in DynamoDB's words ---------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "values", "message"),
    [
        ("", None, "The expression can not be empty;"),
        # Syntax errors: the token stopped at, and the text around it.
        (
            "contains (themes, :theme",
            {":theme": S("x")},
            'Syntax error; token: "<EOF>", near: ":theme"',
        ),
        ("a = :v AND __typename = :v", {":v": S("x")}, 'Syntax error; token: "_", near: "AND __"'),
        ("a", None, 'Syntax error; token: "<EOF>", near: "a"'),
        ("NOT a", None, 'Syntax error; token: "<EOF>", near: "a"'),
        ("(a) AND b = :v", {":v": S("x")}, 'Syntax error; token: ")", near: "a) AND"'),
        ("a > 4", None, 'Syntax error; token: "4", near: "> 4"'),
        ("a < b < c", None, 'Syntax error; token: "<", near: "b < c"'),
        ("a IN ()", None, 'Syntax error; token: ")", near: "()"'),
        ("a in (b,c,)", None, 'Syntax error; token: ")", near: ",)"'),
        ("a < b[-25]", None, 'Syntax error; token: "-", near: "[-25"'),
        ("b[:a] > a", None, 'Syntax error; token: ":a", near: "[:a]"'),
        ("size(a).b > a", None, 'Syntax error; token: ".", near: ").b"'),
        ("a = b + c", None, 'Syntax error; token: "+", near: "b + c"'),
        ("set = :v", {":v": S("x")}, 'Syntax error; token: "set", near: "set ="'),
        ("ü > a", None, 'Syntax error; token: "ü", near: "ü >"'),
        # Parentheses around parentheses.
        ("a=a and a > ((views))", None, "The expression has redundant parentheses;"),
        ("a > whatever((:things), ((a)))", None, "The expression has redundant parentheses;"),
        ("a=a AND ((a=a AND a=a)) AND a=a", None, "The expression has redundant parentheses;"),
        ("((attribute_not_exists(pk)))", None, "The expression has redundant parentheses;"),
        # Functions: unknown (names are case-sensitive), then misplaced.
        ("a=a and whatever((:things)) > a", None, "Invalid function name; function: whatever"),
        (
            "attRIbute_exIsts((views), #a)",
            None,
            "Invalid function name; function: attRIbute_exIsts",
        ),
        (
            "attribute_not_exists(things) > b",
            None,
            MISUSED + "attribute_not_exists",
        ),
        (
            "size(contains(a, b)) > a",
            None,
            MISUSED + "contains",
        ),
        (
            "size(things)",
            None,
            MISUSED + "size",
        ),
        (
            "a in (b, attribute_exists(things))",
            None,
            MISUSED + "attribute_exists",
        ),
        (
            "if_not_exists(a, a) = b",
            None,
            "The function is not allowed in a condition expression; function: if_not_exists",
        ),
        # Reserved words, anywhere in a path, as written.
        (
            "attribute_exists(views, #a)",
            None,
            RESERVED_WORD + "views",
        ),
        (":a < abOrT", None, RESERVED_WORD + "abOrT"),
        ("a.COMMENT = b", None, RESERVED_WORD + "COMMENT"),
        (
            "status = :v",
            {":v": S("x")},
            RESERVED_WORD + "status",
        ),
        # Placeholders, in the order written.
        (
            "attribute_exists(#Pictures.RearView, :a) and a=a",
            None,
            NO_NAME + "#Pictures",
        ),
        (
            "(#P between :lo and :hi) and (#PC in (:cat1, :cat2))",
            None,
            NO_NAME + "#P",
        ),
        (
            "begins_with(:hello, #a, #b)",
            None,
            NO_VALUE + ":hello",
        ),
        (
            ":_ > a",
            None,
            NO_VALUE + ":_",
        ),
        # Operand counts.
        (
            "attribute_exists(things, a) and a=a",
            None,
            OPERANDS + "attribute_exists, number of operands: 2",
        ),
        (
            "begins_with(things, size(a), b)",
            None,
            OPERANDS + "begins_with, number of operands: 3",
        ),
        (
            "size(things, a) > b",
            None,
            OPERANDS + "size, number of operands: 2",
        ),
        # A path compared with itself.
        (
            "a = a AND #a = b",
            None,
            DISTINCT + "=, first operand: [a]",
        ),
        (
            "contains(ab.bc[1].a, ab.bc[1].a)",
            None,
            DISTINCT + "contains, first operand: [ab, bc, [1], a]",
        ),
        (
            "((a=a) OR (a=a))",
            None,
            DISTINCT + "=, first operand: [a]",
        ),
        # Operand types of values in the request.
        (
            "attribute_type(a, :n)",
            {":n": N("1")},
            TYPE + "attribute_type, operand type: N",
        ),
        (
            "attribute_type(a, size(a)) and a=:n",
            {":n": N("1")},
            TYPE + "attribute_type, operand type: N",
        ),
        (
            "attribute_type(a, b)",
            None,
            TYPE + "attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}",
        ),
        (
            "attribute_type(a, :s)",
            {":s": S("DOG")},
            "Invalid attribute type name found; type: DOG, "
            "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
        ),
        (
            "begins_with(a, :n)",
            {":n": N("1")},
            TYPE + "begins_with, operand type: N",
        ),
        (
            "begins_with(:l, a)",
            {":l": {"L": []}},
            TYPE + "begins_with, operand type: L",
        ),
        (
            "size(size(a)) > :n",
            {":n": N("1")},
            TYPE + "size, operand type: N",
        ),
        (
            "size(:t) > a",
            {":t": {"BOOL": True}},
            TYPE + "size, operand type: BOOL",
        ),
        (
            "attribute_not_exists(size(:n))",
            {":n": N("1")},
            TYPE + "size, operand type: N",
        ),
        (
            "attribute_not_exists(size(:s))",
            {":s": S("1")},
            NEEDS_PATH + "attribute_not_exists",
        ),
        (
            "attribute_exists(:s) and a=a",
            {":s": S("1")},
            NEEDS_PATH + "attribute_exists",
        ),
        (
            "a < :l",
            {":l": {"L": [N("1")]}},
            TYPE + "<, operand type: L",
        ),
        (
            "a between :b and :a",
            {":a": S("a"), ":b": N("1")},
            BETWEEN_TYPES + "lower bound operand: AttributeValue: {N:1}, "
            "upper bound operand: AttributeValue: {S:a}",
        ),
        (
            "a between :b and :a",
            {":a": S("a"), ":b": S("b")},
            BETWEEN_ORDER + "lower bound operand: AttributeValue: {S:b}, "
            "upper bound operand: AttributeValue: {S:a}",
        ),
    ],
)
def test_refusals(expression, values, message):
    assert problem(parse_condition, expression, None, values, kind="FilterExpression") == (
        f"Invalid FilterExpression: {message}"
    )


def test_the_kind_names_the_parameter():
    assert problem(parse_condition, "", None, None) == (
        "Invalid ConditionExpression: The expression can not be empty;"
    )


def test_in_takes_99_listed_values_not_100():
    values = {f":v{i}": N(str(i)) for i in range(100)}
    listed = ", ".join(list(values)[:99])
    condition, _ = parse_condition(f"a IN ({listed})", None, values)
    assert evaluate(condition, {"a": N("74")})
    assert problem(parse_condition, f"a IN ({', '.join(values)})", None, values) == (
        "Invalid ConditionExpression: The IN operator is provided with too many operands; "
        "number of operands: 101"
    )


def test_each_comparison_is_checked_before_the_next_is_read():
    # The first comparison's operand count comes before the second's undefined value,
    # and the first's undefined value before the second's operand count.
    assert "number of operands: 2" in problem(
        parse_condition, "attribute_exists(a, b) AND c = :nope", None, None
    )
    assert "attribute value: :nope" in problem(
        parse_condition, "c = :nope AND attribute_exists(a, b)", None, None
    )


def test_deep_nesting_is_refused_not_a_crash():
    deep = "NOT " * (MAX_DEPTH + 1) + "a = :v"
    assert problem(parse_condition, deep, None, {":v": N("1")}) == (
        "Invalid ConditionExpression: The expression is nested too deeply;"
    )
    # Parentheses around ANDs flatten: a boto3-style chain of 300 terms is fine.
    chain = "a = :v"
    for _ in range(300):
        chain = f"({chain} AND a = :v)"
    condition, _ = parse_condition(
        chain.replace("a = :v AND a", "b = :v AND a"), None, {":v": N("1")}
    )
    assert isinstance(condition, And)


# -- reserved words ------------------------------------------------------------------


def test_the_reserved_words_are_the_guides():
    assert len(RESERVED) == 573
    assert {"ABORT", "FLATTERN", "INNTER", "LOGED", "STATUS", "ZONE"} <= RESERVED
    assert is_reserved("Status") and is_reserved("data") and not is_reserved("Statuses")


@pytest.mark.parametrize("word", ["name", "data", "count", "items", "size", "comment", "year"])
def test_reserved_words_work_through_a_name_placeholder(word):
    assert problem(parse_projection, f"pk, {word}", None) == (
        f"Invalid ProjectionExpression: {RESERVED_WORD}{word}"
    )
    projection, _ = parse_projection("pk, #w", {"#w": word})
    assert projection.paths[1] == Path((word,))


# -- the placeholder maps across a request -------------------------------------------


@pytest.mark.parametrize(
    ("names", "values", "message"),
    [
        ({}, None, "ExpressionAttributeNames must not be empty"),
        (None, {}, "ExpressionAttributeValues must not be empty"),
        ({"a": "a"}, None, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
        (
            {"#sryLiyD8D-": "a"},
            None,
            'ExpressionAttributeNames contains invalid key: Syntax error; key: "#sryLiyD8D-"',
        ),
        ({"#": "a"}, None, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#"'),
        (
            None,
            {":b": S("x"), "b": S("a")},
            'ExpressionAttributeValues contains invalid key: Syntax error; key: "b"',
        ),
    ],
)
def test_placeholder_maps(names, values, message):
    assert problem(check_placeholders, names, values) == message


def test_placeholder_maps_well_formed():
    check_placeholders({"#Alpha_Numeric_123": "x", "#123": "y", "#_": "z"}, {":_": N("1")})
    check_placeholders(None, None)


def test_unused_placeholders_across_a_request():
    names = {"#a": "a", "#b": "b", "#unused": "x"}
    values = {":v": N("1"), ":w": N("2"), ":unused": N("3")}
    _, update_usage = parse_update("SET #a = :v", names, values)
    _, condition_usage = parse_condition("#b = :w", names, values)
    usage = update_usage | condition_usage
    assert problem(check_unused, usage, names, values) == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
    )
    assert problem(check_unused, usage, {"#a": "a", "#b": "b"}, values) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    )
    check_unused(usage, {"#a": "a", "#b": "b"}, {":v": N("1"), ":w": N("2")})


def test_unused_keys_are_listed_in_the_requests_order():
    assert problem(check_unused, Usage(), {"#b": "b", "#a": "a"}, None) == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #a}"
    )


def test_usage_counts_placeholders_short_circuiting_would_skip():
    # Checked from the text, not from evaluation: both sides of the OR count.
    _, usage = parse_condition(
        "#n1 = :v1 OR #n2 = :v2", {"#n1": "a", "#n2": "b"}, {":v1": N("1"), ":v2": N("2")}
    )
    assert usage == Usage(frozenset({"#n1", "#n2"}), frozenset({":v1", ":v2"}))
