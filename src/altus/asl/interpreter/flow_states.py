"""The states that do no work outside: Pass, Choice, Wait, Succeed and Fail.

A Wait records when it wakes before it sleeps, so a resumed Wait wakes at the moment it
first meant to (its duration scaled by ``Host.time_scale``)."""

from __future__ import annotations

import datetime
from typing import Any

from altus.asl import choice, errors
from altus.asl.errors import StatesError
from altus.asl.interpreter.dataflow import DataFlow
from altus.asl.interpreter.failures import Failed, Fatal, raised
from altus.asl.interpreter.frames import Exit, Visit
from altus.asl.interpreter.walk import next_of

WAKE = "~wake"


async def run_pass(visit: Visit) -> Exit:
    flow = DataFlow(visit, visit.context())
    if flow.jsonata:
        output, assign = flow.finish()
        return Exit(output, next_of(visit.state), assign)
    effective = flow.effective_input()
    result = visit.state["Result"] if "Result" in visit.state else flow.arguments(effective)
    output, assign = flow.finish(result)
    return Exit(output, next_of(visit.state), assign)


async def run_succeed(visit: Visit) -> Exit:
    output, assign = DataFlow(visit, visit.context()).finish()
    return Exit(output, None, assign)


async def run_fail(visit: Visit) -> Exit:
    flow = DataFlow(visit, visit.context())
    state = visit.state
    error = cause = None
    if flow.jsonata:
        if "Error" in state:
            error = flow.expression(state["Error"], "Error", input=visit.input)
        if "Cause" in state:
            cause = flow.expression(state["Cause"], "Cause", input=visit.input)
    else:
        error = state.get("Error")
        cause = state.get("Cause")
        if "ErrorPath" in state:
            error = flow.path_or_template(state["ErrorPath"], visit.input, "ErrorPath")
        if "CausePath" in state:
            cause = flow.path_or_template(state["CausePath"], visit.input, "CausePath")
    raise Failed(StatesError(_text(error), _text(cause)))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


async def run_choice(visit: Visit) -> Exit:
    flow = DataFlow(visit, visit.context())
    state = visit.state
    effective = flow.effective_input()
    for rule in state.get("Choices", []):
        if _matches(flow, rule, effective):
            output, _ = flow.finish()
            return Exit(output, rule["Next"], flow.choose(rule, effective))
    if "Default" in state:
        output, _ = flow.finish()
        return Exit(output, state["Default"], flow.choose(state, effective))
    raise Failed(
        visit.error(StatesError(errors.NO_CHOICE_MATCHED, "No Choice Rule matched the input."))
    )


def _matches(flow: DataFlow, rule: Any, effective: Any) -> bool:
    if flow.jsonata:
        verdict = flow.expression(rule["Condition"], "Condition", input=flow.visit.input)
        if not isinstance(verdict, bool):
            raise Failed(
                flow.visit.error(
                    StatesError(
                        errors.QUERY_EVALUATION_ERROR,
                        f"The Condition evaluated to {verdict!r}, not a boolean.",
                    )
                )
            )
        return verdict
    try:
        return choice.matches(rule, effective, context=flow.context, variables=flow.visit.variables)
    except StatesError as error:
        raise raised(flow.visit.error(error)) from None


async def run_wait(visit: Visit) -> Exit:
    flow = DataFlow(visit, visit.context())
    woken = visit.find(":wake")
    if woken is None:
        # Counted from the state's entry, which is on record: a restart between the
        # entry and this note still wakes at the same time.
        until = _until(flow, visit.entered.timestamp, visit.run.scale)
        woken = await visit.note(":wake", WAKE, {"until": until})
    await visit.run.host.sleep_until(float(woken.details["until"]))
    output, assign = flow.finish()
    return Exit(output, next_of(visit.state), assign)


def _until(flow: DataFlow, entered: float, scale: float) -> float:
    """When the Wait ends: its wait (scaled), counted from when it was entered."""
    return entered + _seconds(flow, entered) * scale


def _seconds(flow: DataFlow, since: float) -> float:
    """How long the Wait waits from ``since`` (a timestamp before it: no time)."""
    state = flow.state
    effective = flow.effective_input()
    if "Seconds" in state or "SecondsPath" in state:
        seconds = flow.number("Seconds", effective)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise Fatal(
                flow.visit.error(
                    StatesError(
                        errors.RUNTIME,
                        f"The Seconds value '{seconds}' is not a non-negative integer.",
                    )
                )
            )
        return float(seconds)
    if "Timestamp" in state and not flow.jsonata:
        stamp = state["Timestamp"]
    elif "Timestamp" in state:
        stamp = flow.expression(state["Timestamp"], "Timestamp", input=flow.visit.input)
    else:
        stamp = flow.read(state["TimestampPath"], effective, "TimestampPath")
    moment = _parse_timestamp(stamp)
    if moment is None:
        raise Fatal(
            flow.visit.error(
                StatesError(errors.RUNTIME, f"The Timestamp value '{stamp}' is not valid.")
            )
        )
    return max(0.0, moment - since)


def _parse_timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()
