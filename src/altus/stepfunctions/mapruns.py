"""``altus.asl.host.MapRunBoard`` on the store: what a STANDARD execution's distributed
Maps report of their Map Runs, read back by DescribeMapRun and ListMapRuns
(``maprun_api``), whose UpdateMapRun settings the run takes at its next report."""

from __future__ import annotations

from altus.asl.host import MAP_RUN_RUNNING, MapRunCounts, MapRunSettings, MapRunStart
from altus.stepfunctions.model import MapRun
from altus.stepfunctions.store import StepFunctionsStore


class StoreMapRuns:
    def __init__(self, store: StepFunctionsStore) -> None:
        self._store = store

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
