"""What the Step Functions API needs from whatever runs executions: the ``Runtime``.

The API owns the records a call is about and writes them before it calls the runtime:
StartExecution stores the execution (RUNNING) before ``start``; RedriveExecution hands
its redriven state (RUNNING again, ``redriveCount`` + 1) to ``redrive``, which stores it
with its ``ExecutionRedriven`` event in one write. The runtime owns everything an
execution writes as it runs: its journal (``ExecutionStarted`` first), its closing (the
stored execution and the last event together: ``StepFunctionsStore.finish_execution``)
and its task tokens.

Every method may be called on any frontend; a STANDARD execution's state is the store's,
so a runtime that keeps tasks in memory finds what it does not hold there. Errors a
caller should see are ``altus.stepfunctions.errors``' (TaskDoesNotExist, InvalidToken,
TaskTimedOut, InvalidOutput); anything else is reported as an internal failure.
"""

from __future__ import annotations

from typing import Protocol

from altus.stepfunctions.model import Execution


class Runtime(Protocol):
    async def resume(self) -> None:
        """Called once when the component starts, after the configuration is loaded:
        resume every RUNNING STANDARD execution from its journal (each step already
        recorded is taken from it, not done again)."""
        ...

    def interrupt(self) -> None:
        """A shutdown began: end long polls (GetActivityTask answers with no task)."""
        ...

    async def close(self) -> None:
        """Stop running executions where they are (they resume from their journals at
        the next start); no call follows."""
        ...

    async def start(self, execution: Execution) -> None:
        """Begin running ``execution`` and return once it is under way (not when it
        ends). A STANDARD one is already stored, RUNNING, and its journal is empty: the
        runtime appends ``ExecutionStarted`` first. An EXPRESS one (started
        asynchronously) is not stored and has no history anyone can read: the runtime
        runs it in memory. The definition to run is ``execution.version_arn``'s if it
        has one, else the machine's revision ``execution.revision_key``
        (``StepFunctionsStore.revision``)."""
        ...

    async def stop(self, execution: Execution, error: str | None, cause: str | None) -> Execution:
        """StopExecution of a RUNNING STANDARD execution: durably close it ABORTED with
        its ``ExecutionAborted`` event (``error`` and ``cause`` in its details), both in
        one write (``finish_execution`` expecting RUNNING), then cancel whatever runs it
        (open task tokens are closed: a late SendTask* says TaskTimedOut). Returns the
        execution as stored afterwards: if it closed meanwhile by itself, as it closed."""
        ...

    async def redrive(self, execution: Execution, expect: str) -> bool:
        """Redrive ``execution`` (RUNNING again, with its new ``redriveCount`` and
        ``redriveDate``): stored in place of the closed one if that is still ``expect``,
        with ``ExecutionRedriven`` appended in the same write (a crash keeps both or
        neither), then rerun from the journal, the steps that failed (and what follows
        them) afresh. Returns once under way; False when the stored status was no
        longer ``expect`` (nothing written)."""
        ...

    async def run_sync(self, execution: Execution) -> Execution:
        """StartSyncExecution: run the EXPRESS ``execution`` (not stored) to its end and
        return it closed: status SUCCEEDED, FAILED or TIMED_OUT, with ``stop`` and
        ``output`` or ``error`` / ``cause``. The caller's disconnecting cancels it."""
        ...

    async def send_success(self, token: str, output: str) -> None:
        """SendTaskSuccess; ``output`` is JSON text already checked (else the API raised
        InvalidOutput). Raises InvalidToken for a token that is not one, TaskTimedOut
        for one no longer answerable (answered, timed out, its execution ended),
        TaskDoesNotExist for an activity task that no longer exists."""
        ...

    async def send_failure(self, token: str, error: str | None, cause: str | None) -> None:
        """SendTaskFailure, with the errors of ``send_success``."""
        ...

    async def send_heartbeat(self, token: str) -> None:
        """SendTaskHeartbeat: restart the token's heartbeat timer (no history event);
        the errors of ``send_success``."""
        ...

    async def get_activity_task(
        self, activity_arn: str, worker_name: str | None, timeout: float
    ) -> tuple[str, str] | None:
        """GetActivityTask (the activity exists: the API checked): the oldest activity
        task no worker took, taken for ``worker_name`` (``ActivityStarted`` is recorded
        with it), as ``(token, input)``; or None once ``timeout`` seconds pass (60, as
        AWS's long poll) or the server shuts down with none."""
        ...
