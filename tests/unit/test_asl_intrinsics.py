"""The 18 intrinsic functions with the examples of AWS's intrinsic-functions guide, the
rounding AWS's executions show for MathAdd, string escapes, nesting, and failures."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from altus.asl import intrinsics
from altus.asl.errors import INTRINSIC_FAILURE, RUNTIME, StatesError


class FixedChance:
    def __init__(self, draw: float = 0.5) -> None:
        self.draw = draw

    def random(self) -> float:
        return self.draw

    def uuid(self) -> str:
        return "0b6f3c4e-1b5a-4e3b-9b57-7c4f2a1e9d10"


DATA: dict[str, Any] = {
    "name": "Arnav",
    "template": "Hello, my name is {}.",
    "escapedJsonString": '{"foo": "bar"}',
    "unescapedJson": {"foo": "bar"},
    "Id": 123456,
    "inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    "lookingFor": 5,
    "index": 5,
    "duplicates": [1, 2, 3, 3, 3, 3, 3, 3, 4],
    "input": "Data to encode",
    "base64": "RGF0YSB0byBlbmNvZGU=",
    "Data": "input data",
    "Algorithm": "SHA-1",
    "json1": {"a": {"a1": 1, "a2": 2}, "b": 2},
    "json2": {"a": {"a3": 1, "a4": 2}, "c": 3},
    "value1": 111,
    "step": -1,
    "inputString": "1,2,3,4,5",
    "splitter": ",",
    "other": "This.is+a,test=string",
    "ImageRecipe": {
        "Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/myrecipe.x/1.0.0"
    },
}


def call(expression: str, data: Any = DATA, draw: float = 0.5) -> Any:
    return intrinsics.call(
        expression,
        data,
        context={"Execution": {"Name": "run-1"}},
        variables={"greeting": "hi", "numbers": [3, 1]},
        chance=FixedChance(draw),
    )


def failure(expression: str, data: Any = DATA) -> StatesError:
    with pytest.raises(StatesError) as raised:
        call(expression, data)
    return raised.value


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # The guide's examples, function by function.
        ("States.Format('Hello, my name is {}.', $.name)", "Hello, my name is Arnav."),
        ("States.Format($.template, $.name)", "Hello, my name is Arnav."),
        ("States.StringToJson($.escapedJsonString)", {"foo": "bar"}),
        ("States.JsonToString($.unescapedJson)", '{"foo":"bar"}'),
        ("States.Array($.Id)", [123456]),
        ("States.ArrayPartition($.inputArray,4)", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ("States.ArrayContains($.inputArray, $.lookingFor)", True),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayGetItem($.inputArray, $.index)", 6),
        ("States.ArrayLength($.inputArray)", 9),
        ("States.ArrayUnique($.duplicates)", [1, 2, 3, 4]),
        ("States.Base64Encode($.input)", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode($.base64)", "Data to encode"),
        ("States.Hash($.Data, $.Algorithm)", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        (
            "States.JsonMerge($.json1, $.json2, false)",
            {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3},
        ),
        ("States.MathAdd($.value1, $.step)", 110),
        ("States.StringSplit($.inputString, $.splitter)", ["1", "2", "3", "4", "5"]),
        ("States.StringSplit($.other, '.+,=')", ["This", "is", "a", "test", "string"]),
        ("States.UUID()", "0b6f3c4e-1b5a-4e3b-9b57-7c4f2a1e9d10"),
        # Nine nested calls, as in the guide's ARN example.
        (
            "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
            "States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem("
            "States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'),"
            " 2), '.'), 1))",
            "1.0",
        ),
        # Literals of every kind, context paths and variables as arguments.
        ("States.Array('a', 1, -2.5, true, false, null)", ["a", 1, -2.5, True, False, None]),
        ("States.Array()", []),
        ("States.Format('{} ran', $$.Execution.Name)", "run-1 ran"),
        ("States.Format('{} {}', $greeting, $numbers[0])", "hi 3"),
        ("States.ArrayLength($numbers)", 2),
        ("States.Format('{}|{}|{}|{}', 1, 2.5, true, null)", "1|2.5|true|null"),
        ("States.Format('{}', $.unescapedJson)", '{"foo":"bar"}'),
        ("States.JsonToString($.inputArray[0:2])", "[1,2]"),
        ("States.ArrayContains($.inputArray, 10)", False),
        ("States.ArrayContains(States.Array(1, 'a'), '1')", False),
        ("States.ArrayContains(States.Array(1.0, true), 1)", True),
        ("States.ArrayUnique(States.Array(1, true, 1.0, 'a', 'a'))", [1, True, "a"]),
        ("States.ArrayPartition(States.Array(), 2)", []),
        ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
        ("States.ArrayRange(1, 5, -1)", []),
        ("States.ArrayRange(0, 999, 1)", list(range(1000))),
        ("States.StringSplit(',a,,b,', ',')", ["a", "b"]),
        ("States.MathAdd(2147483647, -1)", 2147483646),
    ],
)
def test_functions(expression: str, expected: Any) -> None:
    assert call(expression) == expected


@pytest.mark.parametrize(
    ("first", "second", "total"),
    # Recorded on AWS: each argument rounded half up, as Java's Math.round does.
    [(-9, 3, -6), (1.49, 1.5, 3), (1.5, 1.51, 4), (-1.49, -1.5, -2), (-1.5, -1.51, -3)],
)
def test_math_add_rounds_like_aws(first: float, second: float, total: int) -> None:
    assert call("States.MathAdd($.fst, $.snd)", {"fst": first, "snd": second}) == total


def test_math_random() -> None:
    assert call("States.MathRandom(1, 999)", draw=0.0) == 1
    assert call("States.MathRandom(1, 999)", draw=0.999999) == 998
    assert call("States.MathRandom(12.5, 44.51)", draw=0.0) == 13
    seeded = call("States.MathRandom(0, 999, 3)")
    assert seeded == call("States.MathRandom(0, 999, 3)") and 0 <= seeded < 999


@pytest.mark.parametrize(
    ("algorithm", "name"),
    [
        ("MD5", "md5"),
        ("SHA-1", "sha1"),
        ("SHA-256", "sha256"),
        ("SHA-384", "sha384"),
        ("SHA-512", "sha512"),
    ],
)
def test_hash_algorithms(algorithm: str, name: str) -> None:
    expected = hashlib.new(name, b"input data").hexdigest()
    assert call(f"States.Hash($.Data, '{algorithm}')") == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # \' \{ \} \\ in a literal stand for ' { } \ ; an escaped {} is no placeholder.
        (r"States.Format('It\'s {}', 'me')", "It's me"),
        (r"States.Format('\{\} is {}', 'x')", "{} is x"),
        (r"States.Format('a\\b {}', 1)", "a\\b 1"),
        (r"""States.StringToJson('\{"a": 1\}')""", {"a": 1}),
        ("States.Format('{} and {}', 'a,b', ')')", "a,b and )"),
    ],
)
def test_escapes(expression: str, expected: Any) -> None:
    assert call(expression) == expected


def test_paths_with_commas_and_brackets_are_one_argument() -> None:
    data = {"a": [{"k": 1, "v": "x"}, {"k": 2, "v": "y"}], "b,c": 5}
    assert call("States.Array($.a[?(@.k == 2)].v, $['b,c'])", data) == [["y"], 5]


def test_nesting_limit() -> None:
    ten = "States.Array(" * 10 + ")" * 10
    assert call(ten) == [[[[[[[[[[]]]]]]]]]]
    eleven = "States.Array(" * 11 + ")" * 11
    assert intrinsics.check(eleven) is not None
    assert failure(eleven).error == INTRINSIC_FAILURE


@pytest.mark.parametrize(
    "expression",
    [
        "States.Nope()",
        "States.Array(1,",
        "States.Array(1) trailing",
        "States.UUID(1)",
        "States.Format()",
        "States.JsonMerge($.a, $.b)",
        r"States.Format('\n')",
        "States.Format('unterminated)",
        "States.Array(bare)",
        "States.Array($.a[?()",
    ],
)
def test_syntax_errors(expression: str) -> None:
    assert intrinsics.check(expression) is not None


def test_is_intrinsic() -> None:
    assert intrinsics.is_intrinsic("States.Format('{}', $.a)")
    assert intrinsics.is_intrinsic("  States.UUID ()")
    assert not intrinsics.is_intrinsic("$.States")
    assert not intrinsics.is_intrinsic("States.Format")
    assert len(intrinsics.NAMES) == 18


def test_missing_path_argument_is_a_runtime_error() -> None:
    problem = failure("States.Format('Run for {} to {}', $.fromDate, $.toDate)", {"toDate": 1})
    assert problem.error == RUNTIME
    assert problem.cause == (
        "The function 'States.Format('Run for {} to {}', $.fromDate, $.toDate)' had the "
        "following error: The JsonPath argument for the field '$.fromDate' could not be "
        "found in the input '{\"toDate\":1}'"
    )


@pytest.mark.parametrize(
    "expression",
    [
        "States.Format('{} {}', 1)",
        "States.Format('{}', 1, 2)",
        "States.StringToJson('not json')",
        "States.StringToJson($.Id)",
        "States.ArrayPartition($.inputArray, 0)",
        "States.ArrayPartition($.inputArray, 1.5)",
        "States.ArrayPartition($.name, 2)",
        "States.ArrayRange(1, 9, 0)",
        "States.ArrayRange(0, 1000, 1)",
        "States.ArrayRange(1.5, 9, 1)",
        "States.ArrayGetItem($.inputArray, 9)",
        "States.ArrayGetItem($.inputArray, -1)",
        "States.ArrayLength($.name)",
        "States.ArrayUnique($.Id)",
        "States.Base64Encode($.Id)",
        "States.Base64Decode('%%%')",
        "States.Hash($.Data, 'SHA-999')",
        "States.JsonMerge($.json1, $.json2, true)",
        "States.JsonMerge($.json1, $.inputArray, false)",
        "States.JsonMerge($.json1, $.json2, 'false')",
        "States.MathRandom(5, 5)",
        "States.MathRandom('1', 5)",
        "States.MathAdd(2147483648, 1)",
        "States.MathAdd('1', 1)",
        "States.StringSplit($.Id, ',')",
    ],
)
def test_argument_failures(expression: str) -> None:
    problem = failure(expression)
    assert problem.error == INTRINSIC_FAILURE
    assert problem.cause.startswith("The function 'States.")
    assert " had the following error: " in problem.cause


def test_input_limits() -> None:
    at_limit = {"s": "a" * 10_000}
    assert len(call("States.Base64Encode($.s)", at_limit)) > 0
    assert len(call("States.Hash($.s, 'MD5')", at_limit)) == 32
    over = {"s": "a" * 10_001}
    assert failure("States.Base64Encode($.s)", over).error == INTRINSIC_FAILURE
    assert failure("States.Hash($.s, 'MD5')", over).error == INTRINSIC_FAILURE
    assert failure("States.Base64Decode($.s)", over).error == INTRINSIC_FAILURE


def test_failure_names_the_innermost_call() -> None:
    problem = failure("States.Format('{}', States.ArrayGetItem($.inputArray, 99))")
    assert problem.cause.startswith("The function 'States.ArrayGetItem($.inputArray, 99)'")
