"""Step Functions' shared state: the configuration in memory (mirroring the store), the
ARNs of this account's resources, and the one lock every configuration change takes.

A state machine being deleted (``DELETING``: executions of it were still running when
DeleteStateMachine came) is dropped, versions and aliases with it, the first time it is
looked at once none is running any more: no runtime has to tell.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from altus.arns import Account
from altus.clock import Clock
from altus.stepfunctions.errors import InternalError, state_machine_missing
from altus.stepfunctions.model import (
    DELETING,
    Activity,
    Alias,
    Change,
    DropMachine,
    StateMachine,
    Version,
)
from altus.stepfunctions.names import ACTIVITY, EXECUTION, EXPRESS, STATE_MACHINE
from altus.stepfunctions.store import StepFunctionsStore

log = logging.getLogger(__name__)


class Core:
    def __init__(self, account: Account, clock: Clock, store: StepFunctionsStore) -> None:
        self.account = account
        self.clock = clock
        self.store = store
        self.machines: dict[str, StateMachine] = {}
        self.versions: dict[str, Version] = {}
        self.aliases: dict[str, Alias] = {}
        self.activities: dict[str, Activity] = {}
        self.lock = asyncio.Lock()

    def now(self) -> float:
        return self.clock.now()

    # --- ARNs --------------------------------------------------------------------------------

    def arn(self, kind: str, rest: str) -> str:
        return self.account.arn("states", f"{kind}:{rest}")

    def machine_arn(self, name: str) -> str:
        return self.arn(STATE_MACHINE, name)

    def activity_arn(self, name: str) -> str:
        return self.arn(ACTIVITY, name)

    def execution_arn(self, machine: str, name: str) -> str:
        return self.arn(EXECUTION, f"{machine}:{name}")

    def express_arn(self, machine: str, name: str, run: str) -> str:
        return self.arn(EXPRESS, f"{machine}:{name}:{run}")

    # --- reading -------------------------------------------------------------------------------

    async def machine(self, arn: str) -> StateMachine | None:
        """The state machine of this unqualified ARN, if it exists (a DELETING one whose
        executions have all ended is dropped now)."""
        machine = self.machines.get(arn)
        if machine is None or machine.status != DELETING:
            return machine
        if await self.store.running(arn):
            return machine
        async with self.lock:
            if arn in self.machines and not await self.store.running(arn):
                await self.write([DropMachine(arn)], lambda: self.forget(arn))
        return self.machines.get(arn)

    async def existing(self, arn: str) -> StateMachine:
        """As ``machine``, or StateMachineDoesNotExist (AWS's text)."""
        machine = await self.machine(arn)
        if machine is None:
            raise state_machine_missing(arn)
        return machine

    def versions_of(self, machine_arn: str) -> list[Version]:
        return [v for v in self.versions.values() if v.machine_arn == machine_arn]

    def aliases_of(self, machine_arn: str) -> list[Alias]:
        return [a for a in self.aliases.values() if a.machine_arn == machine_arn]

    # --- writing -------------------------------------------------------------------------------

    def forget(self, machine_arn: str) -> None:
        """Memory follows a DropMachine: the machine, its versions and aliases."""
        self.machines.pop(machine_arn, None)
        for arn in [v.arn for v in self.versions_of(machine_arn)]:
            del self.versions[arn]
        for arn in [a.arn for a in self.aliases_of(machine_arn)]:
            del self.aliases[arn]

    async def write(self, plan: Sequence[Change], applied: Callable[[], object]) -> None:
        """Write ``plan``, then let memory follow (``applied``). InternalError when the
        store fails: then nothing of it was kept, in the store or in memory."""
        try:
            await self.store.apply(plan)
        except Exception:
            log.exception("writing a Step Functions change failed")
            raise InternalError("The change could not be stored; nothing was changed.") from None
        applied()
