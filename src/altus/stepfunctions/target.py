"""A state machine as the target of a pushing service (an EventBridge rule's target, a
Scheduler schedule's): ``altus.targets.Target`` on Step Functions, registered for
``states`` ARNs.

What is handed over is the execution's input: the event a rule matched (or the
target's transformed input), the schedule's input. AWS's rules for it, as EventBridge
and Scheduler call StartExecution:

- The ARN names a state machine, a version or an alias of one (an alias picks its
  version by weight); anything else of ``states`` (an activity, an execution) is
  refused as StartExecution refuses it, and a machine that is not there is
  StateMachineDoesNotExist (not retried: the pushing service's ``NO_RESOURCE``).
- The execution gets a generated name (a UUID) and runs as the machine's own role;
  the pushing service's role, which must be allowed ``states:StartExecution``, is
  checked by the hand-off before this is called (``altus.events.handoff``).
- A STANDARD execution is durable once this returns (stored RUNNING, resumed after a
  restart); an EXPRESS one is started in memory, as AWS runs it (at least once).
- Input that is not JSON, or larger than 256 KiB, is InvalidExecutionInput (refused,
  not retried).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from altus.stepfunctions import executions_api

if TYPE_CHECKING:
    from altus.stepfunctions.component import StepFunctions


class StateMachineTarget:
    """``altus.targets.Target`` for ``arn:aws:states:...:stateMachine:...`` ARNs."""

    def __init__(self, sfn: StepFunctions) -> None:
        self._sfn = sfn

    async def deliver(
        self,
        arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
        *,
        trace: str | None = None,
    ) -> None:
        """Start an execution of ``arn`` with ``body`` as its input (``attributes`` are
        a queue's notion: not used). Raises the service's errors (``AltusError``):
        StateMachineDoesNotExist, InvalidArn, InvalidExecutionInput ..."""
        del attributes
        await executions_api.start(self._sfn, {"stateMachineArn": arn, "input": body})
