"""The API Gateway V2 component: what the platform builds, starts and closes, and the
``ApiDirectory`` the front door (``altus.executeapi``) asks for HTTP and WebSocket APIs'
stages, answered from memory."""

from __future__ import annotations

from typing import Any

from altus.api.spec import Context
from altus.apigatewayv2.model import API
from altus.apigatewayv2.sql_store import SqlRecordStore
from altus.apigatewayv2.state import Core
from altus.apigatewayv2.store import RecordStore
from altus.gateway import deployed as d


class ApiGatewayV2:
    def __init__(self, context: Context, store: RecordStore | None = None) -> None:
        self.settings = context.settings
        self.account = context.account
        self.core = Core(
            context.account, context.clock, store or SqlRecordStore(context.storage.database())
        )

    async def start(self) -> None:
        """Load every record; build the stages served."""
        snapshot = await self.core.store.load()
        # Each API's own record first: its children follow it in.
        records = sorted(snapshot.records, key=lambda r: (r.api_id, r.kind != API))
        self.core.load(records)

    def interrupt(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def health(self) -> dict[str, Any]:
        served = sum(len(stages) for stages in self.core.stages.values())
        return {"apis": len(self.core.apis), "stages_served": served}

    # --- ApiDirectory ------------------------------------------------------------------

    def protocol(self, api_id: str) -> str | None:
        state = self.core.apis.get(api_id)
        return str(state.api.body["ProtocolType"]) if state is not None else None

    def stage(self, api_id: str, stage: str) -> d.Stage | None:
        return self.core.stages.get(api_id, {}).get(stage)

    def api_key(self, value: str) -> d.ApiKey | None:
        return None

    def usage_plan(self, api_id: str, stage: str, key_id: str) -> d.UsagePlan | None:
        return None

    def count_request(self, plan_id: str, key_id: str, now: float) -> bool:
        return True
