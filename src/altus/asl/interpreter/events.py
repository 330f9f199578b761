"""The details of the history events the interpreter writes, as AWS writes them: JSON
values as compact JSON text (``{"a":1}``, no spaces, non-ASCII kept), each with its
``inputDetails``/``outputDetails`` ``{"truncated": false}``, and no ``cause`` where
there is none (a Fail state without Cause, a task's time-out).

Each builder returns what goes in the event's ``<lowerCamelType>EventDetails`` member;
the service names the member (``stateEnteredEventDetails`` for every ``*StateEntered``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from altus.asl.errors import StatesError

_NOT_TRUNCATED: Mapping[str, bool] = {"truncated": False}


def text(value: Any) -> str:
    """``value`` as JSON text the way Step Functions prints it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def parse(value: str) -> Any:
    return json.loads(value)


def state_event(state_type: str, what: str) -> str:
    """``TaskStateEntered``, ``PassStateExited``..."""
    return f"{state_type}State{what}"


def entered(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "input": text(value), "inputDetails": dict(_NOT_TRUNCATED)}


def exited(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "output": text(value), "outputDetails": dict(_NOT_TRUNCATED)}


def with_input(value: Any, **fields: Any) -> dict[str, Any]:
    return {**fields, "input": text(value), "inputDetails": dict(_NOT_TRUNCATED)}


def with_output(value: Any, **fields: Any) -> dict[str, Any]:
    return {**fields, "output": text(value), "outputDetails": dict(_NOT_TRUNCATED)}


def with_error(error: StatesError, **fields: Any) -> dict[str, Any]:
    details = dict(fields)
    if error.error:
        details["error"] = error.error
    if error.cause:
        details["cause"] = error.cause
    return details


def error_of(details: Mapping[str, Any]) -> StatesError:
    """The error a ``*Failed``/``*TimedOut`` event's details carry."""
    return StatesError(str(details.get("error", "")), str(details.get("cause", "")))


def execution_started(
    value: Any, role_arn: str, *, alias_arn: str | None, version_arn: str | None
) -> dict[str, Any]:
    details = {**with_input(value), "roleArn": role_arn}
    if alias_arn:
        details["stateMachineAliasArn"] = alias_arn
    if version_arn:
        details["stateMachineVersionArn"] = version_arn
    return details
