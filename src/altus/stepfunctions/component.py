"""The Step Functions service's component: what the platform builds, starts, interrupts
and closes. It holds the configuration (``state.Core``), the task-token desk and the
``Runtime`` that runs executions.

It is also the target of ``states`` ARNs (``target.StateMachineTarget``): an EventBridge
rule's or a Scheduler schedule's state machine starts an execution through it.

The runtime is the interpreter's (``runner.Runner``), or a part given to the platform as
``stepfunctions.runtime`` (a function of this component: tests give the
``RecordingRuntime``, which runs nothing).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from altus.api.spec import Context
from altus.stepfunctions.integrations import Integrations
from altus.stepfunctions.runner import Children, Runner
from altus.stepfunctions.runtime_api import Runtime
from altus.stepfunctions.sql_store import SqlStepFunctionsStore
from altus.stepfunctions.state import Core
from altus.stepfunctions.store import StepFunctionsStore
from altus.stepfunctions.target import StateMachineTarget
from altus.stepfunctions.tokens import TokenDesk

#: GetActivityTask's long poll, as AWS's (seconds).
ACTIVITY_POLL = 60.0


class StepFunctions:
    def __init__(
        self,
        context: Context,
        store: StepFunctionsStore | None = None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        store = store or SqlStepFunctionsStore(context.storage.database())
        self.core = Core(context.account, context.clock, store)
        self.store = store
        self.clock = context.clock
        self.desk = TokenDesk(store, context.clock)
        #: Random draws: which version of an alias an execution runs (tests replace it).
        self.draw = draw
        self.activity_poll = ACTIVITY_POLL
        #: Who may call (a parent's role starting a nested execution is asked here).
        self.identity = context.identity
        children = Children()
        self.integrations = Integrations.for_service(context, children)
        given = context.provided("stepfunctions.runtime")
        runner = Runner(self, self.integrations, context.settings.stepfunctions_time_scale)
        children.runner = runner
        self.runtime: Runtime = given(self) if given is not None else runner
        context.targets.register("states", StateMachineTarget(self))

    async def start(self) -> None:
        """Load the configuration, then let the runtime resume what was running."""
        core = self.core
        snapshot = await core.store.load()
        core.machines = {m.arn: m for m in snapshot.machines}
        core.versions = {v.arn: v for v in snapshot.versions}
        core.aliases = {a.arn: a for a in snapshot.aliases}
        core.activities = {a.arn: a for a in snapshot.activities}
        await self.runtime.resume()

    def interrupt(self) -> None:
        self.desk.interrupt()
        self.runtime.interrupt()

    async def close(self) -> None:
        await self.runtime.close()
        self.integrations.close()

    def health(self) -> dict[str, Any]:
        return {
            "state_machines": len(self.core.machines),
            "activities": len(self.core.activities),
        }
