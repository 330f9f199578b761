"""API Gateway V2's state: every API and what is under it, in memory (mirroring the
store), the stages as the front door sees them (rebuilt whenever their API changes, so
a request reads a ready ``Stage``), and the one lock every change takes.

Every change is a plan: computed from memory under the lock, then what memory and the
front door will hold is built from it (``planned``, ``serve``: a plan that cannot be
served is refused here, unwritten), then it is written, then swapped in (``write``). A
change to what a deployment captures (routes, integrations, authorizers, CORS, the
selection expressions, the default endpoint's switch) also deploys to each stage with
AutoDeploy on, in the same plan (``with_auto_deploy``), as API Gateway does; the
auto-deployment a stage so leaves goes in that plan too, when no stage uses it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
from collections.abc import Iterable, Sequence
from typing import Any

from altus.apigatewayv2 import snapshots
from altus.apigatewayv2.errors import InternalFailure, not_found
from altus.apigatewayv2.model import (
    API,
    DEPLOYMENT,
    ROUTE,
    STAGE,
    ApiState,
    Change,
    Drop,
    DropApi,
    Put,
    Record,
    put,
)
from altus.apigatewayv2.store import RecordStore
from altus.arns import Account
from altus.clock import Clock
from altus.errors import AltusError
from altus.gateway import deployed as d

log = logging.getLogger(__name__)

_ALPHABET = string.ascii_lowercase + string.digits


class Core:
    def __init__(self, account: Account, clock: Clock, store: RecordStore) -> None:
        self.account = account
        self.clock = clock
        self.store = store
        self.apis: dict[str, ApiState] = {}
        #: What the front door reads: API -> stage name -> the stage as it serves now.
        self.stages: dict[str, dict[str, d.Stage]] = {}
        self.lock = asyncio.Lock()

    # --- reading ---------------------------------------------------------------------

    def now(self) -> float:
        return round(self.clock.now(), 3)

    def api(self, api_id: str) -> ApiState:
        state = self.apis.get(api_id)
        if state is None:
            raise not_found(API, self.account.account_id, api_id)
        return state

    def child(self, state: ApiState, kind: str, ident: str) -> Record:
        record = state.of(kind).get(ident)
        if record is None:
            raise not_found(kind, self.account.account_id, ident)
        return record

    def new_id(self, taken: Iterable[str], length: int = 7) -> str:
        """A fresh id as API Gateway's look: ``length`` of [a-z0-9]."""
        used = set(taken)
        while True:
            ident = "".join(secrets.choice(_ALPHABET) for _ in range(length))
            if ident not in used:
                return ident

    def arn(self, path: str) -> str:
        """The control plane's ARN of a resource path (``/apis/<id>``)."""
        return f"arn:{self.account.partition}:apigateway:{self.account.region}::{path}"

    # --- planning --------------------------------------------------------------------

    def with_auto_deploy(self, state: ApiState, plan: list[Change]) -> list[Change]:
        """``plan``, and a deployment of what it leaves, pointed at by every stage with
        AutoDeploy on (none where there is no such stage, or no route to serve)."""
        after = state.after(plan)
        stages = [s for s in after.of(STAGE).values() if s.body.get("AutoDeploy")]
        if not stages or not after.of(ROUTE):
            return plan
        return [*plan, *self.deploy(after, stages, auto=True)]

    def deploy(
        self,
        state: ApiState,
        stages: Sequence[Record],
        *,
        auto: bool,
        description: str | None = None,
    ) -> list[Change]:
        """A new deployment of ``state`` and ``stages`` pointed at it.

        An auto-deployment a moved stage leaves, that no other stage points at, is
        dropped in the same plan: auto-deploy makes one per change, and keeping each
        would grow the API (and its store) by a whole snapshot per change, for
        deployments nobody chose. Deployments made by CreateDeployment are kept until
        DeleteDeployment, as on AWS."""
        api_id = state.api.api_id
        ident = self.new_id(state.of(DEPLOYMENT))
        now = self.now()
        body: dict[str, Any] = {
            "DeploymentId": ident,
            "AutoDeployed": auto,
            "CreatedDate": now,
            "DeploymentStatus": "DEPLOYED",
            "_snapshot": snapshots.capture(state),
        }
        if description is not None:
            body["Description"] = description
        changes: list[Change] = [put(DEPLOYMENT, api_id, ident, body)]
        moved = {stage.id for stage in stages}
        left: set[str] = set()
        for stage in stages:
            changes.append(
                put(
                    STAGE,
                    api_id,
                    stage.id,
                    {**stage.body, "DeploymentId": ident, "LastUpdatedDate": now},
                )
            )
            if stage.body.get("DeploymentId"):
                left.add(str(stage.body["DeploymentId"]))
        still = {
            str(s.body.get("DeploymentId")) for s in state.of(STAGE).values() if s.id not in moved
        }
        for old in sorted(left - still):
            record = state.of(DEPLOYMENT).get(old)
            if record is not None and record.body.get("AutoDeployed"):
                changes.append(Drop(DEPLOYMENT, api_id, old))
        return changes

    # --- writing ---------------------------------------------------------------------

    async def write(self, plan: Sequence[Change]) -> None:
        """Write ``plan``, then let memory (and the stages served) follow. What memory
        and the front door will hold is made first, so nothing can fail once the store
        has the plan: a plan whose stages cannot be built is refused unwritten. Raises
        InternalFailure when the store fails: then nothing of it was kept."""
        if not plan:
            return
        after = self.planned(plan)
        try:
            served = {api_id: self.serve(state) for api_id, state in after.items()}
        except AltusError:
            raise
        except Exception:
            log.exception("building the stages of an API Gateway V2 change failed")
            raise InternalFailure("The change could not be served; nothing was changed.") from None
        try:
            await self.store.apply(plan)
        except Exception:
            log.exception("writing an API Gateway V2 change failed")
            raise InternalFailure("The change could not be stored; nothing was changed.") from None
        self.swap(after, served)

    def planned(self, plan: Sequence[Change]) -> dict[str, ApiState | None]:
        """Each API ``plan`` touches, as it will be once the plan is applied (None: gone);
        the states in memory are not changed (a touched kind is copied, not edited)."""
        by_api: dict[str, list[Change]] = {}
        for change in plan:
            api_id = change.record.api_id if isinstance(change, Put) else change.api_id
            by_api.setdefault(api_id, []).append(change)
        out: dict[str, ApiState | None] = {}
        for api_id, changes in by_api.items():
            state = self.apis.get(api_id)
            pending: list[Change] = []
            for change in changes:
                if isinstance(change, DropApi):
                    state, pending = None, []
                elif state is None:
                    if isinstance(change, Put) and change.record.kind == API:
                        state = ApiState(change.record)
                        pending.append(change)
                else:
                    pending.append(change)
            out[api_id] = state.after(pending) if state is not None else None
        return out

    def swap(
        self, after: dict[str, ApiState | None], served: dict[str, dict[str, d.Stage]]
    ) -> None:
        """Memory becomes ``after`` (a reader sees an API's old state or its new one)."""
        for api_id, state in after.items():
            if state is None:
                self.apis.pop(api_id, None)
                self.stages.pop(api_id, None)
            else:
                self.apis[api_id] = state
                self.stages[api_id] = served[api_id]

    def load(self, records: Iterable[Record]) -> None:
        """Memory holds ``records`` (read from the store at start). An API whose stages
        cannot be built (written by an older Altus that let a bad value in) is kept, and
        its stages are not served, so the server still starts."""
        after = self.planned([Put(r) for r in records])
        served: dict[str, dict[str, d.Stage]] = {}
        for api_id, state in after.items():
            try:
                served[api_id] = self.serve(state)
            except Exception:
                log.exception("API Gateway V2 API %s cannot be served; its stages are off", api_id)
                served[api_id] = {}
        self.swap(after, served)

    def serve(self, state: ApiState | None) -> dict[str, d.Stage]:
        """The stages of ``state`` as they serve (none for an API gone)."""
        if state is None:
            return {}
        api_id = state.api.api_id
        made: dict[str, d.Deployment] = {}
        served: dict[str, d.Stage] = {}
        for stage in state.of(STAGE).values():
            ident = stage.body.get("DeploymentId")
            record = state.of(DEPLOYMENT).get(str(ident)) if ident else None
            if record is None:
                continue
            if record.id not in made:
                made[record.id] = snapshots.deployment(api_id, record)
            served[stage.id] = snapshots.stage(
                state.api, stage, record, made[record.id], self.account.account_id
            )
        return served
