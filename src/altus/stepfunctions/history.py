"""History events as GetExecutionHistory shows them, from the journal's public records.

An event is ``timestamp``, ``type``, ``id``, ``previousEventId`` and, for most types, one
details member holding the record's details. The member is named after the type
(``executionStartedEventDetails``) except that every ``*StateEntered`` type shares
``stateEnteredEventDetails`` and every ``*StateExited`` type ``stateExitedEventDetails``;
some types have none (``TaskStateAborted``, ``ParallelStateStarted``, ``MapRunSucceeded``
...). The table below is botocore's model (``HistoryEventType`` against
``HistoryEvent``'s members); a unit test holds it to the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.asl.host import Record

_ENTERED = "stateEnteredEventDetails"
_EXITED = "stateExitedEventDetails"

#: History event type -> the HistoryEvent member its details go in (None: no details).
DETAILS_MEMBER: Mapping[str, str | None] = {
    "ActivityFailed": "activityFailedEventDetails",
    "ActivityScheduled": "activityScheduledEventDetails",
    "ActivityScheduleFailed": "activityScheduleFailedEventDetails",
    "ActivityStarted": "activityStartedEventDetails",
    "ActivitySucceeded": "activitySucceededEventDetails",
    "ActivityTimedOut": "activityTimedOutEventDetails",
    "ChoiceStateEntered": _ENTERED,
    "ChoiceStateExited": _EXITED,
    "ExecutionAborted": "executionAbortedEventDetails",
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionStarted": "executionStartedEventDetails",
    "ExecutionSucceeded": "executionSucceededEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "FailStateEntered": _ENTERED,
    "LambdaFunctionFailed": "lambdaFunctionFailedEventDetails",
    "LambdaFunctionScheduled": "lambdaFunctionScheduledEventDetails",
    "LambdaFunctionScheduleFailed": "lambdaFunctionScheduleFailedEventDetails",
    "LambdaFunctionStarted": None,
    "LambdaFunctionStartFailed": "lambdaFunctionStartFailedEventDetails",
    "LambdaFunctionSucceeded": "lambdaFunctionSucceededEventDetails",
    "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
    "MapIterationAborted": "mapIterationAbortedEventDetails",
    "MapIterationFailed": "mapIterationFailedEventDetails",
    "MapIterationStarted": "mapIterationStartedEventDetails",
    "MapIterationSucceeded": "mapIterationSucceededEventDetails",
    "MapStateAborted": None,
    "MapStateEntered": _ENTERED,
    "MapStateExited": _EXITED,
    "MapStateFailed": None,
    "MapStateStarted": "mapStateStartedEventDetails",
    "MapStateSucceeded": None,
    "ParallelStateAborted": None,
    "ParallelStateEntered": _ENTERED,
    "ParallelStateExited": _EXITED,
    "ParallelStateFailed": None,
    "ParallelStateStarted": None,
    "ParallelStateSucceeded": None,
    "PassStateEntered": _ENTERED,
    "PassStateExited": _EXITED,
    "SucceedStateEntered": _ENTERED,
    "SucceedStateExited": _EXITED,
    "TaskFailed": "taskFailedEventDetails",
    "TaskScheduled": "taskScheduledEventDetails",
    "TaskStarted": "taskStartedEventDetails",
    "TaskStartFailed": "taskStartFailedEventDetails",
    "TaskStateAborted": None,
    "TaskStateEntered": _ENTERED,
    "TaskStateExited": _EXITED,
    "TaskSubmitFailed": "taskSubmitFailedEventDetails",
    "TaskSubmitted": "taskSubmittedEventDetails",
    "TaskSucceeded": "taskSucceededEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
    "WaitStateAborted": None,
    "WaitStateEntered": _ENTERED,
    "WaitStateExited": _EXITED,
    "MapRunAborted": None,
    "MapRunFailed": "mapRunFailedEventDetails",
    "MapRunStarted": "mapRunStartedEventDetails",
    "MapRunSucceeded": None,
    "ExecutionRedriven": "executionRedrivenEventDetails",
    "MapRunRedriven": "mapRunRedrivenEventDetails",
    "EvaluationFailed": "evaluationFailedEventDetails",
}

#: The details members that carry an execution's data (dropped when GetExecutionHistory
#: is asked not to include it).
DATA_MEMBERS = ("input", "output")


def event(record: Record, include_data: bool = True) -> dict[str, Any]:
    """The history event of a public record (one with an id)."""
    if record.id is None:
        raise ValueError(f"record {record.key!r} is not a history event")
    shown: dict[str, Any] = {
        "timestamp": record.timestamp,
        "type": record.type,
        "id": record.id,
        "previousEventId": record.previous_id,
    }
    member = DETAILS_MEMBER.get(record.type)
    if member is not None:
        details = dict(record.details)
        if not include_data:
            for name in DATA_MEMBERS:
                details.pop(name, None)
        shown[member] = details
    return shown
