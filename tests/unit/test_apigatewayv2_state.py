"""API Gateway V2's state (``apigatewayv2.state.Core``): a plan's stages are built before
it is written, so a plan that cannot be served is refused with nothing stored or
changed; a start with a record that cannot be served still starts; auto-deployments a
stage leaves are dropped; planning does not edit memory."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from altus.apigatewayv2 import snapshots
from altus.apigatewayv2.errors import InternalFailure
from altus.apigatewayv2.model import (
    API,
    DEPLOYMENT,
    ROUTE,
    STAGE,
    ApiState,
    Change,
    Drop,
    Put,
    Record,
    Snapshot,
    put,
)
from altus.apigatewayv2.state import Core
from altus.arns import Account
from altus.clock import FakeClock


class ListStore:
    """A RecordStore in a list (what the SQL store keeps, without the database)."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str, str], Record] = {}
        self.writes = 0

    async def load(self) -> Snapshot:
        return Snapshot([self.records[k] for k in sorted(self.records)])

    async def apply(self, plan: Sequence[Change]) -> None:
        self.writes += 1
        for change in plan:
            if isinstance(change, Put):
                r = change.record
                self.records[(r.api_id, r.kind, r.id)] = r
            elif isinstance(change, Drop):
                self.records.pop((change.api_id, change.kind, change.id), None)
            else:
                self.records = {k: v for k, v in self.records.items() if k[0] != change.api_id}


def _core() -> tuple[Core, ListStore]:
    store = ListStore()
    return Core(Account("us-east-1", "000000000000"), FakeClock(), store), store


def _api(api_id: str = "a1") -> Record:
    return Record(
        API,
        api_id,
        api_id,
        {"ApiId": api_id, "Name": "n", "ProtocolType": "HTTP", "RouteSelectionExpression": "x"},
    )


def _route(ident: str, key: str) -> Put:
    return put(ROUTE, "a1", ident, {"RouteId": ident, "RouteKey": key})


def _stage(name: str, auto: bool = True, **body: Any) -> Put:
    return put(STAGE, "a1", name, {"StageName": name, "AutoDeploy": auto, **body})


def test_a_plan_whose_stages_cannot_be_built_is_refused_with_nothing_written() -> None:
    core, store = _core()
    asyncio.run(core.write([Put(_api()), _route("r1", "GET /a")]))
    before = dict(store.records)
    writes = store.writes
    # A deployment whose snapshot the front door cannot read (no routes member).
    broken = put(DEPLOYMENT, "a1", "d1", {"DeploymentId": "d1", "_snapshot": {"protocol": "HTTP"}})
    with pytest.raises(InternalFailure):
        asyncio.run(core.write([broken, _stage("s", auto=False, DeploymentId="d1")]))
    assert store.records == before and store.writes == writes
    assert "d1" not in core.apis["a1"].of(DEPLOYMENT) and core.stages["a1"] == {}


def test_a_start_with_a_record_that_cannot_be_served_keeps_the_api_and_serves_the_rest() -> None:
    core, _ = _core()
    good = _api("a2")
    bad_deployment = Record(DEPLOYMENT, "a1", "d1", {"_snapshot": {"protocol": "HTTP"}})
    stage = Record(STAGE, "a1", "s", {"StageName": "s", "DeploymentId": "d1"})
    core.load([_api(), bad_deployment, stage, good])
    assert set(core.apis) == {"a1", "a2"}
    assert core.stages["a1"] == {}


def test_auto_deploy_drops_the_auto_deployment_no_stage_uses_any_more() -> None:
    core, store = _core()
    asyncio.run(core.write([Put(_api()), _route("r1", "GET /a")]))
    asyncio.run(core.write(core.with_auto_deploy(core.apis["a1"], [_stage("s")])))
    for n in range(20):
        plan: list[Change] = [_route(f"n{n}", f"GET /n{n}")]
        asyncio.run(core.write(core.with_auto_deploy(core.apis["a1"], plan)))
    deployments = core.apis["a1"].of(DEPLOYMENT)
    assert list(deployments) == [core.apis["a1"].of(STAGE)["s"].body["DeploymentId"]]
    assert sum(1 for k in store.records if k[1] == DEPLOYMENT) == 1


def test_a_deployment_another_stage_or_a_caller_keeps_is_not_dropped() -> None:
    core, _ = _core()
    asyncio.run(core.write([Put(_api()), _route("r1", "GET /a")]))
    asyncio.run(core.write(core.with_auto_deploy(core.apis["a1"], [_stage("s")])))
    first = core.apis["a1"].of(STAGE)["s"].body["DeploymentId"]
    # A stage without AutoDeploy pinned to the same deployment keeps it.
    asyncio.run(core.write([_stage("pinned", auto=False, DeploymentId=first)]))
    manual = core.deploy(core.apis["a1"], [], auto=False)
    asyncio.run(core.write(manual))
    asyncio.run(core.write(core.with_auto_deploy(core.apis["a1"], [_route("r2", "GET /b")])))
    kept = core.apis["a1"].of(DEPLOYMENT)
    assert first in kept
    assert any(not r.body["AutoDeployed"] for r in kept.values())


def test_planning_leaves_memory_as_it_was() -> None:
    core, _ = _core()
    asyncio.run(core.write([Put(_api()), _route("r1", "GET /a")]))
    state: ApiState = core.apis["a1"]
    after = state.after([_route("r2", "GET /b"), Drop(ROUTE, "a1", "r1")])
    assert set(state.of(ROUTE)) == {"r1"} and set(after.of(ROUTE)) == {"r2"}
    core.with_auto_deploy(state, [_stage("s")])
    assert state.of(STAGE) == {} and state.of(DEPLOYMENT) == {}


def test_the_disabled_endpoint_is_the_deployment_s_not_the_api_s() -> None:
    core, _ = _core()
    asyncio.run(core.write([Put(_api()), _route("r1", "GET /a")]))
    asyncio.run(core.write(core.deploy(core.apis["a1"], [], auto=False)))
    deployment = next(iter(core.apis["a1"].of(DEPLOYMENT).values()))
    asyncio.run(core.write([_stage("s", auto=False, DeploymentId=deployment.id)]))
    disabled = Record(API, "a1", "a1", {**_api().body, "DisableExecuteApiEndpoint": True})
    asyncio.run(core.write([Put(disabled)]))
    assert core.stages["a1"]["s"].endpoint_disabled is False
    assert snapshots.capture(core.apis["a1"])["endpoint_disabled"] is True
