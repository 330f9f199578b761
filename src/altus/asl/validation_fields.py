"""Which fields each state type takes, which of them belong to one query language only,
and the checks several state types share: the input/output fields, Assign, Retry and
Catch.

The field lists are the union of both languages; the language lists then say which of them
a JSONPath or a JSONata state may not carry. AWS reports a field of the wrong language
``The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the
'JSONPath' QueryLanguage`` at the state, not at the field (recorded against AWS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.asl import errors
from altus.asl.definition import JSONATA, JSONPATH
from altus.asl.validation_context import Context
from altus.asl.validation_values import (
    check_jsonata,
    check_path,
    check_reference_path,
    check_template,
)

_IO = ("InputPath", "OutputPath", "Output")
_RESULT = ("Parameters", "Arguments", "ResultPath", "ResultSelector")
_ERRORS = ("Retry", "Catch")
_FLOW = ("Next", "End")

#: Every field a state of each type may have (in either language), but Type, Comment and
#: QueryLanguage, which all have.
FIELDS: Mapping[str, frozenset[str]] = {
    "Pass": frozenset((*_IO, *_FLOW, "Parameters", "ResultPath", "Result", "Assign")),
    "Task": frozenset(
        (
            *_IO,
            *_FLOW,
            *_RESULT,
            *_ERRORS,
            "Resource",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
            "Assign",
        )
    ),
    "Choice": frozenset((*_IO, "Choices", "Default", "Assign")),
    "Wait": frozenset(
        (*_IO, *_FLOW, "Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Assign")
    ),
    "Succeed": frozenset(_IO),
    "Fail": frozenset(("Error", "ErrorPath", "Cause", "CausePath")),
    "Parallel": frozenset((*_IO, *_FLOW, *_RESULT, *_ERRORS, "Branches", "Assign")),
    "Map": frozenset(
        (
            *_IO,
            *_FLOW,
            *_ERRORS,
            "Parameters",
            "ResultPath",
            "ResultSelector",
            "ItemProcessor",
            "Iterator",
            "ItemsPath",
            "Items",
            "ItemSelector",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "Label",
            "Assign",
        )
    ),
}
STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
COMMON = frozenset(("Type", "Comment", "QueryLanguage"))

#: Fields only a JSONPath state may have, and only a JSONata one.
JSONPATH_ONLY = frozenset(
    (
        "InputPath",
        "OutputPath",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "Result",
        "ItemsPath",
        "SecondsPath",
        "TimestampPath",
        "TimeoutSecondsPath",
        "HeartbeatSecondsPath",
        "ErrorPath",
        "CausePath",
        "MaxConcurrencyPath",
        "ToleratedFailurePercentagePath",
        "ToleratedFailureCountPath",
        "Variable",
    )
)
JSONATA_ONLY = frozenset(("Arguments", "Output", "Items", "Condition"))

#: Fields whose values are structure, never a JSONata expression's place.
_STRUCTURAL = frozenset(
    (
        "Type",
        "Comment",
        "QueryLanguage",
        "Resource",
        "Next",
        "End",
        "Default",
        "Branches",
        "ItemProcessor",
        "Iterator",
        "Label",
        "Choices",
        "Retry",
        "Catch",
    )
)


def check_language_fields(
    ctx: Context, obj: Mapping[str, Any], language: str, location: str
) -> None:
    """Report each field of ``obj`` that belongs to the other language, at ``location``."""
    other, only = (JSONATA, JSONATA_ONLY) if language == JSONPATH else (JSONPATH, JSONPATH_ONLY)
    for name in obj:
        if name in only:
            ctx.error(
                f"The QueryLanguage is set to '{language}', but field '{name}' is only "
                f"supported for the '{other}' QueryLanguage",
                location,
            )


def check_common(ctx: Context, state: Mapping[str, Any], language: str, location: str) -> None:
    """The input/output fields, the payload templates and Assign, in the state's language."""
    if language == JSONPATH:
        for name in ("InputPath", "OutputPath"):
            if name in state:
                check_path(ctx, state[name], name, f"{location}/{name}", nullable=True)
        if "ResultPath" in state:
            here = f"{location}/ResultPath"
            check_reference_path(
                ctx, state["ResultPath"], "ResultPath", here, nullable=True, root_only=True
            )
        for name in ("Parameters", "ResultSelector", "ItemSelector", "Credentials"):
            if name in state and ctx.type_is(state[name], "OBJECT", f"{location}/{name}"):
                check_template(ctx, state[name], f"{location}/{name}")
    else:
        if "Arguments" in state:
            value = state["Arguments"]
            if not isinstance(value, str) and not isinstance(value, Mapping):
                ctx.type_is(value, "OBJECT", f"{location}/Arguments")
        for name, value in state.items():
            if name not in _STRUCTURAL:
                check_jsonata(ctx, value, f"{location}/{name}")
    if "Assign" in state:
        check_assign(ctx, state["Assign"], language, f"{location}/Assign")


def check_assign(ctx: Context, value: object, language: str, location: str) -> None:
    if not ctx.type_is(value, "OBJECT", location):
        return
    if language == JSONPATH:
        check_template(ctx, value, location)


# --- Retry and Catch -----------------------------------------------------------------------

_RETRIER = frozenset(
    (
        "ErrorEquals",
        "IntervalSeconds",
        "MaxAttempts",
        "BackoffRate",
        "MaxDelaySeconds",
        "JitterStrategy",
        "Comment",
    )
)
_CATCHER = frozenset(("ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"))
#: MaxDelaySeconds's ceiling: a year and a day.
_MAX_DELAY = 31_622_400


def check_retry(ctx: Context, value: object, location: str) -> None:
    if not ctx.type_is(value, "ARRAY", location):
        return
    assert isinstance(value, list)
    for index, retrier in enumerate(value):
        here = f"{location}[{index}]"
        if not ctx.type_is(retrier, "OBJECT", here):
            continue
        ctx.allowed(retrier, _RETRIER, here)
        if ctx.required(retrier, ("ErrorEquals",), here):
            _check_error_equals(
                ctx,
                retrier["ErrorEquals"],
                f"{here}/ErrorEquals",
                index == len(value) - 1,
                "retrier",
            )
        if "IntervalSeconds" in retrier:
            ctx.integer(retrier["IntervalSeconds"], f"{here}/IntervalSeconds", 1)
        if "MaxAttempts" in retrier:
            ctx.integer(retrier["MaxAttempts"], f"{here}/MaxAttempts", 0)
        if "BackoffRate" in retrier:
            ctx.number(retrier["BackoffRate"], f"{here}/BackoffRate", 1.0)
        if "MaxDelaySeconds" in retrier:
            ctx.integer(retrier["MaxDelaySeconds"], f"{here}/MaxDelaySeconds", 1, _MAX_DELAY)
        if "JitterStrategy" in retrier:
            ctx.one_of(retrier["JitterStrategy"], ("FULL", "NONE"), f"{here}/JitterStrategy")


def check_catch(ctx: Context, value: object, language: str, location: str) -> None:
    if not ctx.type_is(value, "ARRAY", location):
        return
    assert isinstance(value, list)
    for index, catcher in enumerate(value):
        here = f"{location}[{index}]"
        if not ctx.type_is(catcher, "OBJECT", here):
            continue
        ctx.allowed(catcher, _CATCHER, here)
        check_language_fields(ctx, catcher, language, here)
        if "ErrorEquals" in catcher:
            last = index == len(value) - 1
            _check_error_equals(ctx, catcher["ErrorEquals"], f"{here}/ErrorEquals", last, "catcher")
        ctx.required(catcher, ("ErrorEquals", "Next"), here)
        if "Next" in catcher:
            ctx.type_is(catcher["Next"], "STRING", f"{here}/Next")
        if language == JSONPATH and "ResultPath" in catcher:
            check_reference_path(
                ctx,
                catcher["ResultPath"],
                "ResultPath",
                f"{here}/ResultPath",
                nullable=True,
                root_only=True,
            )
        if language == JSONATA:
            for name in ("Output", "Assign"):
                if name in catcher:
                    check_jsonata(ctx, catcher[name], f"{here}/{name}")
        if "Assign" in catcher:
            check_assign(ctx, catcher["Assign"], language, f"{here}/Assign")


def _check_error_equals(ctx: Context, value: object, location: str, last: bool, kind: str) -> None:
    if not ctx.type_is(value, "ARRAY", location):
        return
    assert isinstance(value, list)
    if not value:
        ctx.error("Minimum number of items is 1", location)
        return
    for index, name in enumerate(value):
        ctx.type_is(name, "STRING", f"{location}[{index}]")
    if errors.ALL in value:
        if len(value) > 1:
            ctx.error(f"'{errors.ALL}' must appear alone in 'ErrorEquals'", location)
        if not last:
            ctx.error(f"'{errors.ALL}' must appear in the last {kind}", location)
