"""``altus.asl.host.MapRunBoard`` on the store: what a STANDARD execution's distributed
Maps report of their Map Runs, read back by DescribeMapRun and ListMapRuns
(``maprun_api``), whose UpdateMapRun settings the run takes at its next report. Their
child executions are the runner's (``MapChildren``)."""

from __future__ import annotations

import json
from typing import Protocol

from altus.asl.host import (
    MAP_RUN_RUNNING,
    ChildOutcome,
    MapChild,
    MapRunCounts,
    MapRunSettings,
    MapRunStart,
)
from altus.stepfunctions.model import MapRun
from altus.stepfunctions.store import StepFunctionsStore


class MapChildren(Protocol):
    """Who runs a Map Run's child executions (the runner)."""

    async def run_map_child(self, child: MapChild) -> ChildOutcome:
        """As ``MapRunBoard.run_child``."""
        ...

    async def abort_map_children(self, map_run_arn: str) -> None:
        """As ``MapRunBoard.abort_children``."""
        ...

    async def abort_map_child(self, child: MapChild) -> None:
        """As ``MapRunBoard.abort_child``."""
        ...


class StoreMapRuns:
    def __init__(self, store: StepFunctionsStore, children: MapChildren) -> None:
        self._store = store
        self._children = children

    async def start(self, run: MapRunStart) -> tuple[str, MapRunSettings]:
        stored = await self._store.create_map_run(
            MapRun(
                arn=run.arn,
                execution_arn=run.execution_arn,
                status=MAP_RUN_RUNNING,
                start=run.start,
                settings=run.settings,
                items=run.items,
                executions=run.executions,
                definition=json.dumps(run.definition, separators=(",", ":")),
                label=run.label,
            )
        )
        return stored.status, stored.settings

    async def report(
        self,
        arn: str,
        items: MapRunCounts,
        executions: MapRunCounts,
        *,
        status: str | None = None,
        stop: float | None = None,
    ) -> MapRunSettings:
        stored = await self._store.report_map_run(arn, items, executions, status, stop)
        if stored is None:
            raise LookupError(f"the Map Run {arn} is not stored")
        return stored.settings

    async def redrive(self, arn: str, redrive_count: int, when: float) -> MapRunSettings:
        stored = await self._store.redrive_map_run(arn, redrive_count, when)
        if stored is None:
            raise LookupError(f"the Map Run {arn} is not stored")
        return stored.settings

    async def run_child(self, child: MapChild) -> ChildOutcome:
        return await self._children.run_map_child(child)

    async def abort_children(self, map_run_arn: str) -> None:
        await self._children.abort_map_children(map_run_arn)

    async def abort_child(self, child: MapChild) -> None:
        await self._children.abort_map_child(child)
