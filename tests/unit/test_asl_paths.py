"""JSONPath paths as Step Functions reads them (definite paths give a value, indefinite
ones a list; the context object and variables as roots), the causes AWS gives when a
path selects nothing, ResultPath, and the context object itself."""

from __future__ import annotations

from typing import Any

import pytest

from altus.asl import paths
from altus.asl.context import context_object, iso_time
from altus.asl.errors import RESULT_PATH_MATCH_FAILURE, RUNTIME, StatesError
from altus.asl.host import ExecutionInfo

DATA: dict[str, Any] = {
    "a": {"b": 1, "n": None},
    "list": [0, 10, 20, 30, 40, 50],
    "users": [{"year": 1997, "status": 0, "name": "x"}, {"year": 1998, "status": 1, "name": "y"}],
    "odd key": "spaced",
}
CONTEXT: dict[str, Any] = {"Execution": {"Id": "arn:exec", "Input": {"k": "v"}}}
VARIABLES: dict[str, Any] = {"count": 3, "doc": {"items": [{"id": "i1"}, {"id": "i2"}]}}


def read(path: str, data: Any = DATA, field: str = "x.$") -> Any:
    return paths.read(path, data, context=CONTEXT, variables=VARIABLES, field=field)


def failure(path: str, data: Any = DATA, field: str = "x.$") -> StatesError:
    with pytest.raises(StatesError) as raised:
        read(path, data, field)
    return raised.value


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DATA),
        ("$.a", {"b": 1, "n": None}),
        ("$.a.b", 1),
        ("$.a.n", None),
        ("$['a']['b']", 1),
        ('$["a"].b', 1),
        ("$.['a']", {"b": 1, "n": None}),
        ("$['odd key']", "spaced"),
        # A single index is definite: the item, not a one-item list.
        ("$.list[0]", 0),
        ("$.list[-1]", 50),
        ("$.users[1].name", "y"),
        # Indefinite paths give lists, even of one item or none.
        ("$.list[*]", [0, 10, 20, 30, 40, 50]),
        ("$.list[3:]", [30, 40, 50]),
        ("$.list[1:3]", [10, 20]),
        ("$.list[0,2]", [0, 20]),
        ("$.users[*].name", ["x", "y"]),
        ("$..b", [1]),
        ("$.users[?(@.status == 0)]", [{"year": 1997, "status": 0, "name": "x"}]),
        ("$.users[?(@.year <= 1998)].name", ["x", "y"]),
        ("$.users.[?(@.year < 1998)].name", ["x"]),
        ("$.missing[*]", []),
        ("$.missing[*].id", []),
        # The context object and variables.
        ("$$", CONTEXT),
        ("$$.Execution.Id", "arn:exec"),
        ("$$.Execution.Input.k", "v"),
        ("$count", 3),
        ("$doc.items[1].id", "i2"),
        ("$doc.items[*].id", ["i1", "i2"]),
    ],
)
def test_read(path: str, expected: Any) -> None:
    assert read(path) == expected


def test_filter_on_a_list_input_from_aws_recorded_execution() -> None:
    # AWS: {"FromInput.$": "$.users[?(@.status == 0)]"} on two users keeps the list form.
    data = {"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]}
    assert read("$.users[?(@.status == 0)]", data) == [{"year": 1997, "status": 0}]
    assert read("$[?(@.year <= 1997)]", data["users"]) == [{"year": 1997, "status": 0}]


@pytest.mark.parametrize(
    ("path", "field", "cause"),
    [
        ("$.x", "InputPath", "Invalid path '$.x' : No results for path: $['x']"),
        ("$.a.c", "OutputPath", "Invalid path '$.a.c' : No results for path: $['a']['c']"),
        ("$.x.y", "OutputPath", "Invalid path '$.x.y' : Missing property in path $['x']"),
        ("$.list[9]", "ItemsPath", "Invalid path '$.list[9]' : No results for path: $['list'][9]"),
        (
            "$.ErrorX",
            "ErrorPath",
            "The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in "
            'the input \'{"Error":"error-value","Cause":"cause-value"}\'',
        ),
        (
            "$.nope.deep",
            "missing.$",
            "The JSONPath '$.nope.deep' specified for the field 'missing.$' could not be found "
            "in the input '{\"other\":1}'",
        ),
    ],
)
def test_not_found_causes(path: str, field: str, cause: str) -> None:
    data: Any = DATA
    if field == "ErrorPath":
        data = {"Error": "error-value", "Cause": "cause-value"}
    elif field == "missing.$":
        data = {"other": 1}
    problem = failure(path, data, field)
    assert (problem.error, problem.cause) == (RUNTIME, cause)


def test_context_and_variable_misses() -> None:
    assert failure("$$.Task.Token").cause.endswith(f"in the input '{paths.to_json(CONTEXT)}'")
    assert failure("$undefined").error == RUNTIME
    assert failure("$doc.nothing").error == RUNTIME


def test_resolve_reports_missing_without_raising() -> None:
    found = paths.resolve("$.a.zz", DATA, context=CONTEXT, variables=VARIABLES)
    assert isinstance(found, paths.Missing)
    assert found.reason == "No results for path: $['a']['zz']"
    assert paths.resolve("$.a.n", DATA, context={}, variables={}) is None


def test_compact_json_keeps_non_ascii() -> None:
    assert paths.to_json({"k": "é", "l": [1, 2.5, None, True]}) == (
        '{"k":"é","l":[1,2.5,null,true]}'
    )


@pytest.mark.parametrize(
    ("result_path", "data", "result", "expected"),
    [
        (None, {"a": 1}, {"r": 1}, {"a": 1}),
        ("$", {"a": 1}, {"r": 1}, {"r": 1}),
        ("$.r", {"a": 1}, 7, {"a": 1, "r": 7}),
        ("$.a", {"a": 1}, 7, {"a": 7}),
        ("$.x.y.z", {"a": 1}, 7, {"a": 1, "x": {"y": {"z": 7}}}),
        ("$.a.b", {"a": {"c": 1}}, 7, {"a": {"c": 1, "b": 7}}),
        ("$.list[1]", {"list": [0, 1]}, "new", {"list": [0, "new"]}),
        ("$['odd key']", {}, 1, {"odd key": 1}),
        # The AWS guide's example: the result under a new member, the input kept.
        (
            "$.taskresult",
            {"comment": "An input comment.", "data": {"val1": 23, "val2": 17}},
            "Hello, Step Functions!",
            {
                "comment": "An input comment.",
                "data": {"val1": 23, "val2": 17},
                "taskresult": "Hello, Step Functions!",
            },
        ),
    ],
)
def test_place(result_path: str | None, data: Any, result: Any, expected: Any) -> None:
    before = paths.to_json(data)
    assert paths.place(result_path, data, result) == expected
    assert paths.to_json(data) == before  # the input is never changed


@pytest.mark.parametrize(
    ("result_path", "data"),
    [
        ("$.r", "a string"),
        ("$.r", [1, 2]),
        ("$.a.b", {"a": 3}),
        ("$.list[5]", {"list": [0]}),
        ("$.list[0]", {"list": {"0": 1}}),
    ],
)
def test_place_failures(result_path: str, data: Any) -> None:
    with pytest.raises(StatesError) as raised:
        paths.place(result_path, data, 1)
    assert raised.value.error == RESULT_PATH_MATCH_FAILURE
    assert raised.value.cause == (
        f"Unable to apply ReferencePath {result_path} to input {paths.to_json(data)}"
    )


@pytest.mark.parametrize("result_path", ["$$.Execution", "$var", "$.a[*]", "$..a", "a"])
def test_place_refuses_what_is_not_a_reference_path(result_path: str) -> None:
    with pytest.raises(ValueError):
        paths.place(result_path, {}, 1)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", True),
        ("$.a.b", True),
        ("$['a'][0].b", True),
        ("$$.Execution.Id", True),
        ("$var.x", True),
        ("$.a[*]", False),
        ("$..a", False),
        ("$.a[?(@.b == 1)]", False),
        ("$.a[1:2]", False),
        ("$.a.*", False),
        ("a.b", False),
    ],
)
def test_is_reference_path(path: str, expected: bool) -> None:
    assert paths.is_reference_path(path) is expected


def test_is_reference_path_from_input_only() -> None:
    assert not paths.is_reference_path("$$.a", allow_context=False)
    assert not paths.is_reference_path("$v.a", allow_variables=False)
    assert paths.is_path("$.a[?(@.b == 1)]")
    assert not paths.is_path("$.a[?(")
    assert not paths.is_path("no")


# --- the context object ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("epoch", "text"),
    [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1704067200.123, "2024-01-01T00:00:00.123Z"),
        (1700547951.545, "2023-11-21T06:25:51.545Z"),
        (1704067199.9996, "2024-01-01T00:00:00.000Z"),
    ],
)
def test_iso_time(epoch: float, text: str) -> None:
    assert iso_time(epoch) == text


INFO = ExecutionInfo(
    arn="arn:aws:states:us-east-1:000000000000:execution:sm:run",
    name="run",
    state_machine_arn="arn:aws:states:us-east-1:000000000000:stateMachine:sm",
    state_machine_name="sm",
    role_arn="arn:aws:iam::000000000000:role/r",
    start_time=1704067200.0,
    input={"message": "TestMessage"},
)


def test_context_object_members() -> None:
    context = context_object(INFO, state_name="S", entered_time=1704067201.5, retry_count=0)
    assert context == {
        "Execution": {
            "Id": INFO.arn,
            "Input": {"message": "TestMessage"},
            "StartTime": "2024-01-01T00:00:00.000Z",
            "Name": "run",
            "RoleArn": INFO.role_arn,
            "RedriveCount": 0,
        },
        "StateMachine": {"Id": INFO.state_machine_arn, "Name": "sm"},
        "State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:01.500Z", "RetryCount": 0},
    }
    with_all = context_object(
        INFO,
        state_name="S",
        entered_time=1704067201.5,
        retry_count=2,
        token="tok",
        map_item=(3, {"v": 1}),
    )
    assert with_all["Task"] == {"Token": "tok"}
    assert with_all["Map"] == {"Item": {"Index": 3, "Value": {"v": 1}}}
    assert with_all["State"]["RetryCount"] == 2
