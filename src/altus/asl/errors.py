"""Failures in the States Language's own terms: an error name and a cause, which Retry and
Catch match by name (``States.ALL``, ``States.TaskFailed``, a function's ``errorType``)."""

from __future__ import annotations

#: The wildcard: everything but ``States.Runtime`` and ``States.DataLimitExceeded``.
ALL = "States.ALL"
#: Everything but ``States.Timeout``.
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
PERMISSIONS = "States.Permissions"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
#: Not retriable, not caught by ``States.ALL``: the execution fails.
RUNTIME = "States.Runtime"
#: Terminal: a payload over 256 KiB.
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"

#: Errors no retrier or catcher handles.
TERMINAL = frozenset({RUNTIME, DATA_LIMIT_EXCEEDED})


class StatesError(Exception):
    """An ASL failure: what a state raises and Retry/Catch see as ``{"Error", "Cause"}``.

    ``error`` is the name matched against ``ErrorEquals``; ``cause`` the text (often a
    JSON document, as AWS writes it) put in the history and the error output."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause

    def output(self) -> dict[str, str]:
        """The error output Catch places with its ResultPath."""
        return {"Error": self.error, "Cause": self.cause}
