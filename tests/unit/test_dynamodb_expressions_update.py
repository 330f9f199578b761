"""DynamoDB's UpdateExpression: parsed with DynamoDB's refusals and their texts, and
applied to items (before, expression, after).

The cases are the Developer Guide's ("Update expressions", on its ProductCatalog item
789, in the guide's order) and DynamoDB's answers as recorded by dynalite's and ScyllaDB
Alternator's tests, which run against DynamoDB."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from altus.dynamodb.expressions import ExpressionProblem, apply_update, parse_update
from altus.dynamodb.expressions.ast import Path


def S(text: str) -> dict[str, Any]:
    return {"S": text}


def N(text: str) -> dict[str, Any]:
    return {"N": text}


def L(*elements: Any) -> dict[str, Any]:
    return {"L": list(elements)}


def M(**members: Any) -> dict[str, Any]:
    return {"M": members}


def updated(item: Any, expression: str, names: Any = None, values: Any = None) -> dict[str, Any]:
    update, _ = parse_update(expression, names, values)
    return apply_update(update, item)


# Message prefixes DynamoDB repeats.
MISUSED = "The function is not allowed to be used this way in an expression; function: "
OPERANDS = "Incorrect number of operands for operator or function; operator or function: "
TYPE = "Incorrect operand type for operator or function; operator or function: "
CLAUSE_TYPE = "Incorrect operand type for operator or function; operator: "
NO_NAME = "An expression attribute name used in the document path is not defined; attribute name: "
NO_VALUE = "An expression attribute value used in expression is not defined; attribute value: "
NEEDS_PATH = "Operator or function requires a document path; operator or function: "
RESERVED = "Attribute name is a reserved keyword; reserved keyword: "
OVERLAP = "Two document paths overlap with each other; must remove or rewrite one of these paths; "
CONFLICT = (
    "Two document paths conflict with each other; must remove or rewrite one of these paths; "
)

# dynalite's nested update (its test "should update nested attributes").
DYNALITE_NESTED = (
    "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a"
)


def problem(call: Any, *args: Any) -> str:
    with pytest.raises(ExpressionProblem) as raised:
        call(*args)
    return raised.value.message


def test_the_guides_examples_in_order():
    item: dict[str, Any] = {
        "Id": N("789"),
        "ProductCategory": S("Home Improvement"),
        "Price": N("52"),
        "InStock": {"BOOL": True},
        "Brand": S("Acme"),
    }
    item = updated(
        item, "SET ProductCategory = :c, Price = :p", None, {":c": S("Hardware"), ":p": N("60")}
    )
    assert item["ProductCategory"] == S("Hardware") and item["Price"] == N("60")

    item = updated(
        item,
        "SET RelatedItems = :ri, ProductReviews = :pr",
        None,
        {":ri": L(S("Hammer")), ":pr": M(FiveStar=L(S("Best product ever!")))},
    )
    item = updated(item, "SET RelatedItems[1] = :ri", None, {":ri": S("Nails")})
    assert item["RelatedItems"] == L(S("Hammer"), S("Nails"))

    item = updated(
        item,
        "SET #pr.#5star[1] = :r5, #pr.#3star = :r3",
        {"#pr": "ProductReviews", "#5star": "FiveStar", "#3star": "ThreeStar"},
        {":r5": S("Very happy with my purchase"), ":r3": L(S("Just OK - not that great"))},
    )
    assert item["ProductReviews"] == M(
        FiveStar=L(S("Best product ever!"), S("Very happy with my purchase")),
        ThreeStar=L(S("Just OK - not that great")),
    )

    item = updated(item, "SET Price = Price - :p", None, {":p": N("15")})
    assert item["Price"] == N("45")

    item = updated(
        item,
        "SET #ri = list_append(#ri, :vals)",
        {"#ri": "RelatedItems"},
        {":vals": L(S("Screwdriver"), S("Hacksaw"))},
    )
    item = updated(
        item,
        "SET #ri = list_append(:vals, #ri)",
        {"#ri": "RelatedItems"},
        {":vals": L(S("Chisel"))},
    )
    assert item["RelatedItems"] == L(
        S("Chisel"), S("Hammer"), S("Nails"), S("Screwdriver"), S("Hacksaw")
    )

    item = updated(item, "SET Price = if_not_exists(Price, :p)", None, {":p": N("100")})
    assert item["Price"] == N("45")

    item = updated(item, "REMOVE Brand, InStock, QuantityOnHand")
    assert "Brand" not in item and "InStock" not in item

    item = updated(item, "REMOVE RelatedItems[1], RelatedItems[2]")
    assert item["RelatedItems"] == L(S("Chisel"), S("Screwdriver"), S("Hacksaw"))

    item = updated(item, "ADD QuantityOnHand :q", None, {":q": N("5")})
    assert item["QuantityOnHand"] == N("5")

    item = updated(item, "ADD Color :c", None, {":c": {"SS": ["Orange", "Purple"]}})
    item = updated(item, "DELETE Color :p", None, {":p": {"SS": ["Yellow", "Purple"]}})
    assert item["Color"] == {"SS": ["Orange"]}


LIST = L(N("2"), N("3"), N("4"), N("5"), N("6"), N("7"))


@pytest.mark.parametrize(
    ("before", "expression", "names", "values", "after"),
    [
        # SET: new and existing attributes, copies, nested members of any type.
        ({"p": S("k")}, "SET b = :v", None, {":v": N("4")}, {"p": S("k"), "b": N("4")}),
        ({"a": S("hi")}, "SET b = a", None, None, {"a": S("hi"), "b": S("hi")}),
        ({"a": S("hi")}, "SET a = a", None, None, {"a": S("hi")}),
        (
            {"a": S("hi")},
            "SET #one = #two",
            {"#one": "c", "#two": "a"},
            None,
            {"a": S("hi"), "c": S("hi")},
        ),
        ({}, "SET #a = :v", {"#a": "a.b"}, {":v": N("3")}, {"a.b": N("3")}),
        (
            {"a": M(b=N("3"), c=M(one=N("1")))},
            "SET a.c = :v",
            None,
            {":v": N("7")},
            {"a": M(b=N("3"), c=N("7"))},
        ),
        ({"a": M(b=N("3"))}, "SET a.d = :v", None, {":v": N("3")}, {"a": M(b=N("3"), d=N("3"))}),
        (
            {"a": L(S("one"), S("two"), S("three"))},
            "SET a[1] = :v",
            None,
            {":v": S("hello")},
            {"a": L(S("one"), S("hello"), S("three"))},
        ),
        (
            {"a": M(b=N("3"), c=L(S("hi"), M(x=M(y=L(N("3"), N("5"), N("7"))))))},
            "SET a.c[1].#name.y[1] = :v",
            {"#name": "x"},
            {":v": N("9")},
            {"a": M(b=N("3"), c=L(S("hi"), M(x=M(y=L(N("3"), N("9"), N("7"))))))},
        ),
        (
            {"a": M(c=M(x=N("7")))},
            "SET z = a.c.x",
            None,
            None,
            {"a": M(c=M(x=N("7"))), "z": N("7")},
        ),
        # An index past the end appends; several appends go in index order.
        (
            {"a": L(S("one"), S("two"), S("three"))},
            "SET a[7] = :v",
            None,
            {":v": S("hello")},
            {"a": L(S("one"), S("two"), S("three"), S("hello"))},
        ),
        ({"a": L()}, "SET a[0] = :v", None, {":v": S("first")}, {"a": L(S("first"))}),
        (
            {"a": L(S("x"))},
            "SET a[84] = :a1, a[37] = :a2, a[17] = :a3, a[50] = :a4",
            None,
            {":a1": S("a1"), ":a2": S("a2"), ":a3": S("a3"), ":a4": S("a4")},
            {"a": L(S("x"), S("a3"), S("a2"), S("a4"), S("a1"))},
        ),
        # Arithmetic on numbers.
        ({"a": N("2")}, "SET a = a + :v", None, {":v": N("3")}, {"a": N("5")}),
        ({"a": N("5")}, "SET a = :v + a", None, {":v": N("4")}, {"a": N("9")}),
        (
            {"n": N("2")},
            "SET #nn = :seven - #n",
            {"#nn": "nn", "#n": "n"},
            {":seven": N("7")},
            {"n": N("2"), "nn": N("5")},
        ),
        ({}, "SET b = :a + :b", None, {":a": N("0.1"), ":b": N("0.2")}, {"b": N("0.3")}),
        (
            {"m": M(counter=N("10"))},
            "SET #m.#c = #m.#c + :inc",
            {"#m": "m", "#c": "counter"},
            {":inc": N("5")},
            {"m": M(counter=N("15"))},
        ),
        (
            {},
            "SET b = if_not_exists(b, :one)+:two",
            None,
            {":one": N("2"), ":two": N("3")},
            {"b": N("5")},
        ),
        ({"b": N("2")}, "SET a = ((b) + (:v))", None, {":v": N("1")}, {"b": N("2"), "a": N("3")}),
        # if_not_exists: the attribute's value if it has one.
        ({}, "SET a = if_not_exists(a, :v)", None, {":v": N("2")}, {"a": N("2")}),
        ({"a": N("2")}, "SET a = if_not_exists(a, :v)", None, {":v": N("3")}, {"a": N("2")}),
        (
            {"a": N("2")},
            "SET b = if_not_exists(a, :v)",
            None,
            {":v": N("6")},
            {"a": N("2"), "b": N("2")},
        ),
        ({}, "SET a = if_not_exists(b, if_not_exists(c, :v))", None, {":v": N("3")}, {"a": N("3")}),
        (
            {},
            "SET a = list_append(if_not_exists(a, :empty), :v)",
            None,
            {":empty": L(), ":v": L(N("1"))},
            {"a": L(N("1"))},
        ),
        # list_append joins lists either way round.
        (
            {},
            "SET a = list_append(:v1, :v2)",
            None,
            {":v1": L(N("4"), S("hello")), ":v2": L(S("hi"), N("7"))},
            {"a": L(N("4"), S("hello"), S("hi"), N("7"))},
        ),
        (
            {"a": L(S("hi"))},
            "SET a = list_append(a, :v)",
            None,
            {":v": L(N("4"))},
            {"a": L(S("hi"), N("4"))},
        ),
        (
            {"a": L(S("hi"))},
            "SET a = list_append(:v, a)",
            None,
            {":v": L(S("dog"))},
            {"a": L(S("dog"), S("hi"))},
        ),
        (
            {"a": L(S("hi"))},
            "SET c = list_append(a, a)",
            None,
            None,
            {"a": L(S("hi")), "c": L(S("hi"), S("hi"))},
        ),
        # Every SET value is read from the item as it was.
        ({"a": S("hello")}, "REMOVE a SET b = a", None, None, {"b": S("hello")}),
        ({"b": S("hello")}, "SET c = b REMOVE b", None, None, {"c": S("hello")}),
        ({"a": N("1"), "b": N("2")}, "SET a = b, b = a", None, None, {"a": N("2"), "b": N("1")}),
        # REMOVE: attributes, map members, list elements (at their positions before).
        ({"a": S("hello"), "b": S("hi")}, "REMOVE a", None, None, {"b": S("hi")}),
        ({"a": S("x")}, "REMOVE c", None, None, {"a": S("x")}),
        ({"a": M(b=N("1"))}, "REMOVE a.b", None, None, {"a": M()}),
        ({"a": L(N("1"))}, "REMOVE a[0]", None, None, {"a": L()}),
        (
            {"a": M(x=N("3")), "b": L(S("hi"))},
            "REMOVE a.y, b[7]",
            None,
            None,
            {"a": M(x=N("3")), "b": L(S("hi"))},
        ),
        (
            {"a": LIST},
            "REMOVE a[1] SET a[3] = :v",
            None,
            {":v": N("17")},
            {"a": L(N("2"), N("4"), N("17"), N("6"), N("7"))},
        ),
        (
            {"a": LIST},
            "SET a[3] = :v REMOVE a[1]",
            None,
            {":v": N("17")},
            {"a": L(N("2"), N("4"), N("17"), N("6"), N("7"))},
        ),
        ({"a": LIST}, "REMOVE a[1], a[2]", None, None, {"a": L(N("2"), N("5"), N("6"), N("7"))}),
        (
            {"a": L(N("1"), N("2"), N("3"))},
            "REMOVE a[3] SET a[9] = :v",
            None,
            {":v": N("4")},
            {"a": L(N("1"), N("2"), N("3"), N("4"))},
        ),
        (
            {"a": M(b=N("3"), c=L(S("hi"), M(x=M(y=L(N("3"), N("5"), N("7"))), q=N("2"))))},
            "REMOVE a.c[1].x.y[1], a.c[1].q",
            None,
            None,
            {"a": M(b=N("3"), c=L(S("hi"), M(x=M(y=L(N("3"), N("7"))))))},
        ),
        # ADD: numbers (from 0) and sets (from empty).
        ({"a": N("3")}, "ADD a :v", None, {":v": N("4")}, {"a": N("7")}),
        ({}, "ADD b :v", None, {":v": N("7")}, {"b": N("7")}),
        ({"a": N("1")}, "ADD a :v", None, {":v": N("-1")}, {"a": N("0")}),
        (
            {"a": {"SS": ["dog", "cat"]}},
            "ADD a :v",
            None,
            {":v": {"SS": ["cat", "pig"]}},
            {"a": {"SS": ["dog", "cat", "pig"]}},
        ),
        (
            {"a": {"NS": ["1", "2"]}},
            "ADD a :v",
            None,
            {":v": {"NS": ["2.0", "3"]}},
            {"a": {"NS": ["1", "2", "3"]}},
        ),
        (
            {"a": {"BS": [b"\x01\x02", b"\x02"]}},
            "ADD a :v",
            None,
            {":v": {"BS": [b"\x02", b"\x01"]}},
            {"a": {"BS": [b"\x01\x02", b"\x02", b"\x01"]}},
        ),
        ({}, "ADD b :v", None, {":v": {"SS": ["dog"]}}, {"b": {"SS": ["dog"]}}),
        ({"m": M(tally=N("1"))}, "ADD m.tally :v", None, {":v": N("1")}, {"m": M(tally=N("2"))}),
        # DELETE: set members out; nothing left removes the attribute.
        (
            {"a": {"SS": ["dog", "cat", "mouse"]}},
            "DELETE a :v",
            None,
            {":v": {"SS": ["cat", "mouse"]}},
            {"a": {"SS": ["dog"]}},
        ),
        (
            {"a": {"SS": ["dog"]}},
            "DELETE a :v",
            None,
            {":v": {"SS": ["pig"]}},
            {"a": {"SS": ["dog"]}},
        ),
        (
            {"a": {"SS": ["dog"]}, "b": S("hi")},
            "DELETE a :v",
            None,
            {":v": {"SS": ["dog"]}},
            {"b": S("hi")},
        ),
        ({"b": S("hi")}, "DELETE a :v", None, {":v": {"SS": ["dog"]}}, {"b": S("hi")}),
        (
            {"a": {"NS": ["1", "2", "3"]}},
            "DELETE a :v",
            None,
            {":v": {"NS": ["1.0", "4"]}},
            {"a": {"NS": ["2", "3"]}},
        ),
        # A list element emptied by DELETE goes, after the writes by position.
        (
            {"l": L({"SS": ["a"]}, N("1"), N("2"))},
            "DELETE l[0] :a ADD l[2] :one",
            None,
            {":a": {"SS": ["a"]}, ":one": N("1")},
            {"l": L(N("1"), N("3"))},
        ),
        # Several clauses, any order, any case.
        (
            {"a": S("x")},
            "REMOVE b DELETE c :c ADD d :d, e :e SET f = :f",
            None,
            {
                ":c": {"SS": ["a", "b"]},
                ":d": N("5"),
                ":e": {"SS": ["a", "b"]},
                ":f": L(S("a"), N("1")),
            },
            {"a": S("x"), "d": N("5"), "e": {"SS": ["a", "b"]}, "f": L(S("a"), N("1"))},
        ),
        ({}, "  sEt   b=:v  ", None, {":v": N("5")}, {"b": N("5")}),
        (
            {"x": M(a=N("3"), y=N("4"), c=M(y=N("3"))), "b": M(x=N("1"), y=N("2"))},
            "SET x.b = :v1, x.c.d = :v2, b.x = :v3 REMOVE x.a, b.y",
            None,
            {":v1": N("10"), ":v2": S("dog"), ":v3": N("17")},
            {"x": M(y=N("4"), c=M(y=N("3"), d=S("dog")), b=N("10")), "b": M(x=N("17"))},
        ),
    ],
)
def test_updates(before, expression, names, values, after):
    original = copy.deepcopy(before)
    assert updated(before, expression, names, values) == after
    assert before == original  # the item given is not changed


def test_dynalites_nested_update():
    before = {"a": S("k"), "b": M(a=N("1"), b=N("2"), c=N("3")), "c": L(N("1"), N("3"))}
    after = updated(
        before,
        DYNALITE_NESTED,
        None,
        {":a": N("2"), ":b": {"SS": ["a"]}},
    )
    assert after == {
        "a": S("k"),
        "b": M(a=S("k"), b=N("2"), c=N("4")),
        "c": L(N("1"), S("k"), N("3"), N("-1"), N("2"), {"SS": ["a"]}),
    }


def test_a_missing_item_is_built_from_nothing():
    update, _ = parse_update("SET a = :v ADD n :one", None, {":v": S("x"), ":one": N("1")})
    assert apply_update(update, None) == {"a": S("x"), "n": N("1")}
    # REMOVE of anything from an item that does not exist is ignored.
    update, _ = parse_update("REMOVE x.y, w[0], z", None, None)
    assert apply_update(update, None) == {}


def test_targets_and_attributes():
    update, _ = parse_update("SET a.b = :v, c[1] = :v REMOVE d ADD e :v", None, {":v": N("1")})
    assert update.targets == (Path(("a", "b")), Path(("c", 1)), Path(("d",)), Path(("e",)))
    assert update.attributes == frozenset({"a", "c", "d", "e"})


# -- refusals against the item -------------------------------------------------------

INVALID_PATH = "The document path provided in the update expression is invalid for update"
WRONG_TYPE = "An operand in the update expression has an incorrect data type"
MISSING = "The provided expression refers to an attribute that does not exist in the item"
ITEM = {
    "a": S("k"),
    "b": S("k"),
    "c": M(**{"1": S("a")}),
    "d": L(S("a"), S("b")),
    "e": {"NS": ["1"]},
}


@pytest.mark.parametrize(
    ("expression", "values", "message"),
    [
        ("SET z = y", None, MISSING),
        ("SET x = :v, y = x", {":v": N("4")}, MISSING),
        ("SET z = z", None, MISSING),
        ("SET e = list_append(y, :l)", {":l": L()}, MISSING),
        ("SET z = list_append(:l, y)", {":l": L()}, MISSING),
        ("SET z = y + :v", {":v": N("1")}, MISSING),
        ("SET b.a = :v", {":v": S("x")}, INVALID_PATH),
        ("SET b[1] = :v", {":v": S("x")}, INVALID_PATH),
        ("SET y.a = :v", {":v": S("x")}, INVALID_PATH),
        ("SET y[1] = :v", {":v": S("x")}, INVALID_PATH),
        ("SET c[1] = :v", {":v": S("x")}, INVALID_PATH),
        ("SET d.x = :v", {":v": S("x")}, INVALID_PATH),
        ("SET a.#x.y = :v", {":v": S("x")}, INVALID_PATH),
        ("REMOVE b.a", None, INVALID_PATH),
        ("REMOVE y.a", None, INVALID_PATH),
        ("REMOVE y[1]", None, INVALID_PATH),
        ("REMOVE c[1]", None, INVALID_PATH),
        ("REMOVE d.x", None, INVALID_PATH),
        ("ADD y.a :v", {":v": N("1")}, INVALID_PATH),
        ("DELETE y[1] :v", {":v": {"SS": ["a"]}}, INVALID_PATH),
        ("ADD b :v", {":v": N("1")}, WRONG_TYPE),
        ("ADD e :v", {":v": N("1")}, WRONG_TYPE),
        ("ADD e :v", {":v": {"SS": ["1"]}}, WRONG_TYPE),
        ("ADD d :v", {":v": {"SS": ["1"]}}, WRONG_TYPE),
        ("DELETE e :v", {":v": {"SS": ["1"]}}, WRONG_TYPE),
        ("DELETE c :v", {":v": {"NS": ["1"]}}, WRONG_TYPE),
        ("DELETE a :v", {":v": {"NS": ["1"]}}, WRONG_TYPE),
        ("SET z = a + :v", {":v": N("1")}, WRONG_TYPE),
        ("SET z = :v - e", {":v": N("1")}, WRONG_TYPE),
        ("SET z = list_append(a, :l)", {":l": L()}, WRONG_TYPE),
        ("SET z = list_append(e, if_not_exists(f, :l))", {":l": L()}, WRONG_TYPE),
        ("SET z = list_append(:l, c)", {":l": L()}, WRONG_TYPE),
    ],
)
def test_refusals_against_the_item(expression, values, message):
    update, _ = parse_update(expression, {"#x": "x"} if "#x" in expression else None, values)
    assert problem(apply_update, update, ITEM) == message


def test_a_sum_out_of_range_is_refused_with_the_number_text():
    update, _ = parse_update("SET a = a + :v", None, {":v": N("1E125")})
    message = problem(apply_update, update, {"a": N("9.9E125")})
    assert message.startswith("Number overflow")


# -- refusals when parsing -----------------------------------------------------------

SYNTAX_ERRORS = [
    "whatever",
    "set a",
    "add a",
    "delete a",
    "set a=set",
    "remove a = b",
    "add a = b",
    "delete a = b",
    "delete a b",
    "delete a if_not_exist(b)",
    "add abort b",
    "add a if_not_exist(b)",
    "remove a b",
    "set a b",
    "set :a = b",
    "add :a b",
    "delete :a b",
    "remove :a",
    "set a = b / c",
    "set a = b * c",
    'set a[1] = "eight"',
    "set a[1] = 1",
    "SET a = if_not_exist(a, 100)",
    "SET if_not_exist(a, b) = a",
    "set (a = (b + c))",
    "set a = (b.c).d + e",
    "set a = (b.c)[0] + e",
    "set a = b + c + d",
    "SET a = _f(b,c,d)",
    "SET c = if_not_exists(c, :v1+:v2)",
    "SET a[:xyz] = :v",
    "SET a[#xyz] = :v",
    "SET hi-there = :v",
    "SET # = :v",
    "SET a = :",
    "HELLO b = :v",
    "SET a = :v,",
]


@pytest.mark.parametrize("expression", SYNTAX_ERRORS)
def test_syntax_errors(expression):
    assert problem(parse_update, expression, None, None).startswith(
        "Invalid UpdateExpression: Syntax error; token: "
    )


@pytest.mark.parametrize(
    ("expression", "names", "values", "message"),
    [
        ("", None, None, "The expression can not be empty;"),
        (
            "INVALID SYNTAX HERE",
            None,
            None,
            'Syntax error; token: "INVALID", near: "INVALID SYNTAX"',
        ),
        ("ADD hits : incr", None, None, 'Syntax error; token: ":", near: "hits : incr"'),
        ("SET _123 = :val1", None, None, 'Syntax error; token: "_", near: "SET _123"'),
        ("SET a = ((b))", None, None, "The expression has redundant parentheses;"),
        (
            "set #c = if_not_exist(:c) set c = d",
            None,
            None,
            "Invalid function name; function: if_not_exist",
        ),
        ("SET a = LIST_APPEND(:v, :v)", None, None, "Invalid function name; function: LIST_APPEND"),
        ("SET a = f123_hi(b,c,d)", None, None, "Invalid function name; function: f123_hi"),
        (
            "SET a = size(b)",
            None,
            None,
            "The function is not allowed in an update expression; function: size",
        ),
        (
            "SET a = contains(b, :v)",
            None,
            None,
            "The function is not allowed in an update expression; function: contains",
        ),
        (
            "SET a = list_append(list_append(:v1, :v2), :v3)",
            None,
            None,
            MISUSED + "list_append",
        ),
        (
            " set #c = :c set abOrt = true ",
            None,
            None,
            RESERVED + "abOrt",
        ),
        (
            " remove Absolute ",
            None,
            None,
            RESERVED + "Absolute",
        ),
        (
            "SET status = :v, name = :n",
            None,
            None,
            RESERVED + "status",
        ),
        (
            "set a = #c set c = :d",
            None,
            None,
            'The "SET" section can only be used once in an update expression;',
        ),
        (
            "remove #d set a = b remove e",
            None,
            None,
            'The "REMOVE" section can only be used once in an update expression;',
        ),
        (
            "add #d :e set a = b add e :f",
            None,
            None,
            'The "ADD" section can only be used once in an update expression;',
        ),
        (
            "delete #d :e set a = b delete #e :f",
            None,
            None,
            'The "DELETE" section can only be used once in an update expression;',
        ),
        (
            "SET #c = if_not_exists(:c)",
            {"#a": "a"},
            None,
            NO_NAME + "#c",
        ),
        (
            "SET #a = if_not_exists(:c)",
            {"#a": "a"},
            {":a": S("a")},
            NO_VALUE + ":c",
        ),
        (
            "SET b = if_not_exists(:val2, :val1)",
            None,
            {":val1": N("6")},
            NO_VALUE + ":val2",
        ),
        # ADD and DELETE take numbers and sets (DELETE sets only), by their long names.
        (
            "set b = list_append(:a, a), c = if_not_exists(a) add a.b :a",
            None,
            {":a": S("a")},
            CLAUSE_TYPE + "ADD, operand type: STRING",
        ),
        (
            "delete a.b :a",
            None,
            {":a": S("a")},
            CLAUSE_TYPE + "DELETE, operand type: STRING",
        ),
        (
            "add a.b :a",
            None,
            {":a": {"NULL": True}},
            CLAUSE_TYPE + "ADD, operand type: NULL",
        ),
        (
            "add a.b :a",
            None,
            {":a": {"BOOL": False}},
            CLAUSE_TYPE + "ADD, operand type: BOOLEAN",
        ),
        (
            "delete a.b :a",
            None,
            {":a": {"B": b"a"}},
            CLAUSE_TYPE + "DELETE, operand type: BINARY",
        ),
        (
            "add a.b :a",
            None,
            {":a": M(a=L(N("1")))},
            CLAUSE_TYPE + "ADD, operand type: MAP",
        ),
        (
            "add a.b :a",
            None,
            {":a": L(N("1"))},
            CLAUSE_TYPE + "ADD, operand type: LIST",
        ),
        (
            "delete a.b :a",
            None,
            {":a": N("1")},
            CLAUSE_TYPE + "DELETE, operand type: NUMBER",
        ),
        # Overlapping paths (before SET's operand checks), then conflicting ones.
        (
            "set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)",
            {"#c": "c", "#d": "[3]"},
            None,
            OVERLAP + "path one: [c, [1], a], path two: [c]",
        ),
        (
            "set c.b.#c = a, c = a, #d = a",
            {"#c": "c", "#d": "[3]"},
            None,
            OVERLAP + "path one: [c, b, c], path two: [c]",
        ),
        (
            "set a = b remove a, #c, #d",
            {"#c": "c", "#d": "[3]"},
            None,
            OVERLAP + "path one: [a], path two: [a]",
        ),
        (
            "set #c[3].#d = a, #c[3] = a",
            {"#c": "c", "#d": "[3]"},
            None,
            OVERLAP + "path one: [c, [3], [3]], path two: [c, [3]]",
        ),
        (
            "remove c, #c.a, #d",
            {"#c": "c", "#d": "[3]"},
            None,
            OVERLAP + "path one: [c], path two: [c, a]",
        ),
        (
            "remove a, #c, a, #d",
            {"#c": "c", "#d": "[3]"},
            None,
            OVERLAP + "path one: [a], path two: [a]",
        ),
        (
            "SET #a1 = :v1, #a2 = :v2",
            {"#a1": "a", "#a2": "a"},
            {":v1": N("1"), ":v2": N("2")},
            OVERLAP + "path one: [a], path two: [a]",
        ),
        (
            "set #c[3].#d = a, #c.#d[3] = if_not_exists(a)",
            {"#c": "c", "#d": "[3]"},
            None,
            CONFLICT + "path one: [c, [3], [3]], path two: [c, [3], [3]]",
        ),
        (
            "remove a.#c set a[1] = #d",
            {"#c": "c", "#d": "[3]"},
            None,
            CONFLICT + "path one: [a, c], path two: [a, [1]]",
        ),
        # SET's functions and arithmetic.
        (
            "set a = if_not_exists(c)",
            None,
            None,
            OPERANDS + "if_not_exists, number of operands: 1",
        ),
        (
            "set a = list_append(c)",
            None,
            None,
            OPERANDS + "list_append, number of operands: 1",
        ),
        (
            "set a = list_append(:a, :b, :c)",
            None,
            {":a": L(), ":b": L(), ":c": L()},
            OPERANDS + "list_append, number of operands: 3",
        ),
        (
            "set a = if_not_exists(:a, c)",
            None,
            {":a": S("a")},
            NEEDS_PATH + "if_not_exists",
        ),
        (
            "set a = if_not_exists(if_not_exists(a, b), c)",
            None,
            None,
            NEEDS_PATH + "if_not_exists",
        ),
        (
            "set a = list_append(:a, a)",
            None,
            {":a": S("a")},
            TYPE + "list_append, operand type: S",
        ),
        (
            "set a = list_append(a, :b)",
            None,
            {":b": N("1")},
            TYPE + "list_append, operand type: N",
        ),
        (
            "set a = list_append(:i, a)",
            None,
            {":i": M()},
            TYPE + "list_append, operand type: M",
        ),
        (
            "set a = a + :a",
            None,
            {":a": S("a")},
            TYPE + "+, operand type: S",
        ),
        (
            "set a = :a + :c",
            None,
            {":a": S("a"), ":c": {"B": b"a"}},
            TYPE + "+, operand type: S",
        ),
        (
            "set a = :c + a",
            None,
            {":c": {"B": b"a"}},
            TYPE + "+, operand type: B",
        ),
        (
            "set a = a - :g",
            None,
            {":g": {"NS": ["1"]}},
            TYPE + "-, operand type: NS",
        ),
        (
            "set a = a - :j",
            None,
            {":j": L()},
            TYPE + "-, operand type: L",
        ),
    ],
)
def test_parse_refusals(expression, names, values, message):
    assert (
        problem(parse_update, expression, names, values) == f"Invalid UpdateExpression: {message}"
    )


@pytest.mark.parametrize(
    "expression",
    [
        "SET a = :v1, a.b = :v2",
        "SET a.b = :v1, a = :v2",
        "SET a.b = :v1, a.b.c = :v2",
        "SET a.b.c.d.e = :v1, a.b = :v2",
        "SET a = :v1, a[1] = :v2",
        "SET a[1][1] = :v1, a[1] = :v2",
        "SET a[1][1][1][1] = :v1, a[1][1][1][1] = :v2",
        "SET a = :v1 REMOVE a",
        "REMOVE a SET a = :v1",
    ],
)
def test_overlaps_are_found_before_the_item_is_read(expression):
    assert "Two document paths overlap" in problem(
        parse_update, expression, None, {":v1": N("1"), ":v2": N("2")}
    )


@pytest.mark.parametrize(
    "expression",
    ["SET a.b = :v1, a[1] = :v2", "SET a.b.c = :v1, a.b[2] = :v2"],
)
def test_conflicts(expression):
    assert "Two document paths conflict" in problem(
        parse_update, expression, None, {":v1": N("1"), ":v2": N("2")}
    )


@pytest.mark.parametrize(
    "expression",
    [
        "SET a.b = :v, a.c = :v",
        "SET a[1] = :v, a[2] = :v",
        "SET a.b.d = :v, a.b.e = :v",
        "SET a.b = :v, a.c[2] = :v",
    ],
)
def test_siblings_do_not_overlap(expression):
    parse_update(expression, None, {":v": N("1")})


def test_name_placeholders_follow_the_token_rules():
    silly = "3can include any character!.#="
    for placeholder in ("#Alpha_Numeric_123", "#123a", "#123", "#_"):
        update, _ = parse_update(f"SET {placeholder} = :v", {placeholder: silly}, {":v": N("4")})
        assert apply_update(update, {}) == {silly: N("4")}
    for placeholder in (":Alpha_Numeric_123", ":123a", ":123", ":_"):
        update, _ = parse_update(f"SET a = {placeholder}", None, {placeholder: N("8")})
        assert apply_update(update, {}) == {"a": N("8")}
