"""One state: its Type, its language, the fields its type allows, Next/End, and the rules of
each type (Task's Resource and timeouts, Wait's one duration, Fail's error and cause,
Pass's result); Choice, Map and Parallel have modules of their own.

AWS's recorded texts used here: ``The field 'Type' should have one of these values: [Task,
Wait, Pass, Succeed, Fail, Choice, Parallel, Map]`` at ``/States/X/Type``; ``'QueryLanguage'
can not be 'JSONPath' if set to 'JSONata' for whole state machine`` at the state, which
then gets no other-language field check; ``Maximum value is 99999999`` at
``/States/Wait/Seconds``; ``Express state machine does not support '.waitForTaskToken'
service integration `` (its trailing space included) at the Task's Resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.asl import diagnostics as d
from altus.asl.definition import JSONATA, JSONPATH, QUERY_LANGUAGES, resolve_language
from altus.asl.resources import ACTIVITY, SYNC, SYNC2, TOKEN, parse_resource
from altus.asl.validation_choice import check_choice, is_timestamp
from altus.asl.validation_context import Context, is_expression
from altus.asl.validation_fields import (
    COMMON,
    FIELDS,
    STATE_TYPES,
    check_catch,
    check_common,
    check_language_fields,
    check_retry,
)
from altus.asl.validation_map import check_map, check_parallel
from altus.asl.validation_values import (
    check_reference_path,
    check_static_result,
    warn_no_path,
)

#: State names are at most 80 characters (a quota of Step Functions).
MAX_NAME = 80
_NO_FLOW = ("Choice", "Succeed", "Fail")
_WAITS = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")


def check_state(ctx: Context, name: str, state: object, location: str) -> None:
    if len(name) > MAX_NAME:
        ctx.error(
            f"State name '{name}' is longer than {MAX_NAME} characters",
            location,
            d.INVALID_STATE_NAME,
        )
    if not ctx.type_is(state, "OBJECT", location):
        return
    assert isinstance(state, Mapping)
    kind = _check_type(ctx, state, location)
    language, downgraded = _check_language(ctx, state, location)
    if kind is None:
        return
    allowed = FIELDS[kind] | COMMON
    ctx.allowed(state, allowed, location)
    if not downgraded:
        check_language_fields(
            ctx, {key: None for key in state if key in allowed}, language, location
        )
    if "QueryLanguage" in state:  # after the fields it decided on, as AWS lists them
        ctx.one_of(state["QueryLanguage"], QUERY_LANGUAGES, f"{location}/QueryLanguage")
    if kind not in _NO_FLOW:
        _check_flow(ctx, state, location)
    check_common(ctx, state, language, location)
    if kind == "Task":
        _check_task(ctx, state, language, location)
    elif kind == "Pass":
        _check_pass(ctx, state, language, location)
    elif kind == "Wait":
        _check_wait(ctx, state, language, location)
    elif kind == "Fail":
        _check_fail(ctx, state, language, location)
    elif kind == "Choice":
        check_choice(ctx, state, language, location)
    elif kind == "Parallel":
        check_parallel(ctx, state, location)
    elif kind == "Map":
        check_map(ctx, state, language, location)
    if kind in ("Task", "Parallel", "Map"):
        if "Retry" in state:
            check_retry(ctx, state["Retry"], f"{location}/Retry")
        if "Catch" in state:
            check_catch(ctx, state["Catch"], language, f"{location}/Catch")


def _check_type(ctx: Context, state: Mapping[str, Any], location: str) -> str | None:
    if not ctx.required(state, ("Type",), location):
        return None
    kind = state["Type"]
    if kind in STATE_TYPES:
        return str(kind)
    listed = ", ".join(STATE_TYPES)
    ctx.error(f"The field 'Type' should have one of these values: [{listed}]", f"{location}/Type")
    return None


def _check_language(ctx: Context, state: Mapping[str, Any], location: str) -> tuple[str, bool]:
    """The state's language, and whether it declares JSONPath under a JSONata machine."""
    declared = state.get("QueryLanguage")
    language = resolve_language(declared, ctx.language)
    if declared is None:
        return language, False
    if declared == JSONPATH and ctx.language == JSONATA:
        ctx.error(
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            location,
        )
        return language, True
    return language, False


def _check_flow(ctx: Context, state: Mapping[str, Any], location: str) -> None:
    """Exactly one of Next and End (``"End": true``)."""
    if "End" in state:
        ctx.type_is(state["End"], "BOOLEAN", f"{location}/End")
    if "Next" in state:
        ctx.type_is(state["Next"], "STRING", f"{location}/Next")
    ends = state.get("End") is True
    if ends and "Next" in state:
        ctx.error("Only one of these fields is allowed: [Next, End]", f"{location}/Next")
    elif not ends and "Next" not in state:
        ctx.error("One of these fields is required: [Next, End]", location)


def _check_task(ctx: Context, state: Mapping[str, Any], language: str, location: str) -> None:
    if ctx.required(state, ("Resource",), location):
        _check_resource(ctx, state["Resource"], f"{location}/Resource")
    for seconds, minimum in (("TimeoutSeconds", 1), ("HeartbeatSeconds", 1)):
        path = f"{seconds}Path"
        ctx.exclusive(state, (seconds, path), location)
        if seconds in state:
            ctx.integer_or_expression(state[seconds], language, f"{location}/{seconds}", minimum)
        if path in state and language == JSONPATH:
            check_reference_path(ctx, state[path], path, f"{location}/{path}")
    timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
    if isinstance(timeout, int) and isinstance(heartbeat, int) and heartbeat >= timeout:
        ctx.error(
            "The value of 'HeartbeatSeconds' must be less than the value of 'TimeoutSeconds'",
            f"{location}/HeartbeatSeconds",
        )
    if "Credentials" in state and language == JSONATA:
        ctx.type_is(state["Credentials"], "OBJECT", f"{location}/Credentials")


def _check_resource(ctx: Context, value: object, location: str) -> None:
    if not ctx.type_is(value, "STRING", location):
        return
    assert isinstance(value, str)
    resource = parse_resource(value)
    if resource is None:
        ctx.error(
            f"The resource provided {value} is not recognized. The value is not a valid "
            "resource ARN, or the resource is not available in this region.",
            location,
            d.INVALID_RESOURCE,
        )
        return
    if ctx.machine_type != "EXPRESS":
        return
    if resource.kind == ACTIVITY:
        ctx.error("Express state machine does not support Activity ARN", location)
    elif resource.pattern == TOKEN:
        ctx.error(
            "Express state machine does not support '.waitForTaskToken' service integration ",
            location,
        )
    elif resource.pattern in (SYNC, SYNC2):
        ctx.error("Express state machine does not support '.sync' service integration ", location)


def _check_pass(ctx: Context, state: Mapping[str, Any], language: str, location: str) -> None:
    if language == JSONPATH and "Result" in state:
        check_static_result(ctx, state["Result"], f"{location}/Result")


def _check_wait(ctx: Context, state: Mapping[str, Any], language: str, location: str) -> None:
    present = [name for name in _WAITS if name in state]
    if not present:
        ctx.error(f"One of these fields is required: [{', '.join(_WAITS)}]", location)
    elif len(present) > 1:
        ctx.error(
            f"Only one of these fields is allowed: [{', '.join(_WAITS)}]",
            f"{location}/{present[0]}",
        )
    if "Seconds" in state:
        ctx.integer_or_expression(state["Seconds"], language, f"{location}/Seconds", 0)
    if "Timestamp" in state:
        value, here = state["Timestamp"], f"{location}/Timestamp"
        if not (language == JSONATA and is_expression(value)) and ctx.type_is(
            value, "STRING", here
        ):
            if language == JSONPATH:
                warn_no_path(ctx, value, "Timestamp", here)
            if not is_timestamp(value) and not (language == JSONPATH and value.startswith("$")):
                ctx.error("The value for the field 'Timestamp' must be a valid timestamp", here)
    if language == JSONPATH:
        for name in ("SecondsPath", "TimestampPath"):
            if name in state:
                check_reference_path(ctx, state[name], name, f"{location}/{name}")


def _check_fail(ctx: Context, state: Mapping[str, Any], language: str, location: str) -> None:
    for name in ("Error", "Cause"):
        path = f"{name}Path"
        ctx.exclusive(state, (name, path), location)
        if (
            name in state
            and ctx.type_is(state[name], "STRING", f"{location}/{name}")
            and language == JSONPATH
        ):
            warn_no_path(ctx, state[name], name, f"{location}/{name}")
        if path in state and language == JSONPATH:
            check_reference_path(ctx, state[path], path, f"{location}/{path}", intrinsic=True)
