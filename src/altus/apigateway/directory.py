"""What the front door reads of REST APIs (``gateway.deployed.ApiDirectory``): stages
as immutable ``Stage`` snapshots, API keys by value, the usage plan that lets a key
call a stage, and the counting of requests against quotas.

Everything is answered from memory. A stage's ``Stage`` is built when its API is
written (and at start), never on a request; a deployment's ``Deployment`` (its routes,
from the snapshot the deployment took, never from the API as edited since) is built
once and kept while the deployment exists. A stored value the front door cannot read
(a status that is not a number) is left out of what is built, never fails the stage.

Counts are per (plan, key, UTC day): the quota of a period is the sum of its days.
They are counted in memory and written at most once a second (``flush``, run by the
component, and on close): a crash loses at most the last second's counts — a request
is never refused for a count that was not kept, at worst one more is let through.
Days older than ``KEEP_DAYS`` are dropped by the flush (GetUsage answers at most 90
days, a MONTH quota needs at most 31).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Mapping
from typing import Any

from altus.apigateway import usage
from altus.apigateway.errors import InternalServer
from altus.apigateway.model import Count, Doc, Forget
from altus.apigateway.state import Core
from altus.gateway.deployed import (
    REST,
    ApiKey,
    Authorizer,
    Deployment,
    GatewayResponse,
    Integration,
    IntegrationResponse,
    Quota,
    Route,
    Stage,
    Throttle,
    UsagePlan,
)

log = logging.getLogger(__name__)

#: How many days of counts are kept (older ones are dropped by the flush).
KEEP_DAYS = 92


def _int(value: Any, default: int | None) -> int | None:
    """A stored number as the front door needs it; ``default`` where it is not one (a
    value stored before it was checked must not fail the stage it is in)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _status(value: Any) -> int | None:
    found = _int(value, None) if value else None
    return found if found is not None and 100 <= found <= 599 else None


def _integration(found: Mapping[str, Any] | None) -> Integration | None:
    if found is None:
        return None
    return Integration(
        type=str(found["type"]),
        uri=str(found.get("uri") or ""),
        method=str(found.get("httpMethod") or "POST"),
        payload_format="1.0",
        timeout_ms=_int(found.get("timeoutInMillis"), None) or 29_000,
        credentials=found.get("credentials"),
        request_parameters=dict(found.get("requestParameters") or {}),
        request_templates=dict(found.get("requestTemplates") or {}),
        responses=tuple(
            IntegrationResponse(
                status=str(response.get("statusCode") or status),
                selection_pattern=response.get("selectionPattern"),
                parameters=dict(response.get("responseParameters") or {}),
                templates=dict(response.get("responseTemplates") or {}),
            )
            for status, response in sorted((found.get("integrationResponses") or {}).items())
        ),
    )


def _authorizer(found: Mapping[str, Any]) -> Authorizer:
    source = str(found.get("identitySource") or "")
    return Authorizer(
        id=str(found["id"]),
        name=str(found["name"]),
        type=str(found["type"]),
        uri=str(found.get("authorizerUri") or ""),
        credentials=found.get("authorizerCredentials"),
        identity_sources=tuple(s.strip() for s in source.split(",") if s.strip()),
        identity_validation_expression=found.get("identityValidationExpression"),
        result_ttl=_int(found.get("authorizerResultTtlInSeconds", 300), 300) or 0,
        provider_arns=tuple(found.get("providerARNs") or ()),
    )


def deployment_of(api_id: str, deployment_id: str, kept: Mapping[str, Any]) -> Deployment:
    """The front door's ``Deployment`` of a deployment's snapshot."""
    routes = []
    for res in sorted((kept.get("resources") or {}).values(), key=lambda r: str(r["path"])):
        for name, method in sorted((res.get("resourceMethods") or {}).items()):
            routes.append(
                Route(
                    id=str(res["id"]),
                    key=f"{name} {res['path']}",
                    method=name,
                    path=str(res["path"]),
                    integration=_integration(method.get("methodIntegration")),
                    authorization_type=str(method.get("authorizationType") or "NONE"),
                    authorizer_id=method.get("authorizerId"),
                    authorization_scopes=tuple(method.get("authorizationScopes") or ()),
                    api_key_required=bool(method.get("apiKeyRequired")),
                    operation_name=method.get("operationName"),
                )
            )
    responses = {
        kind: GatewayResponse(
            status=_status(found.get("statusCode")),
            headers=dict(found.get("responseParameters") or {}),
            templates=dict(found.get("responseTemplates") or {}),
        )
        for kind, found in (kept.get("gatewayResponses") or {}).items()
    }
    return Deployment(
        id=deployment_id,
        api_id=api_id,
        protocol=REST,
        routes=tuple(routes),
        authorizers={k: _authorizer(a) for k, a in (kept.get("authorizers") or {}).items()},
        binary_media_types=tuple(kept.get("binaryMediaTypes") or ()),
        api_key_source=str(kept.get("apiKeySource") or "HEADER"),
        gateway_responses=responses,
    )


def _throttle(setting: Mapping[str, Any]) -> Throttle:
    rate = setting.get("throttlingRateLimit", setting.get("rateLimit"))
    burst = setting.get("throttlingBurstLimit", setting.get("burstLimit"))
    try:
        rated = None if rate is None else float(rate)
    except (TypeError, ValueError):
        rated = None
    bursting = _int(burst, None)
    # A negative limit (method settings' -1) is the account's: no limit of its own.
    return Throttle(
        rate=None if rated is None or rated < 0 else rated,
        burst=None if bursting is None or bursting < 0 else bursting,
    )


def method_key(stored: str) -> str:
    """A method setting's key as the stage keeps it (as the patch path wrote it:
    ``~1pets~1{id}/GET``, or Terraform's ``pets/{id}/GET``) as route throttles name it
    (``/pets/{id}/GET``; the root's ``//GET``)."""
    path, _, method = stored.rpartition("/")
    path = path.replace("~1", "/").replace("~0", "~")
    return f"{path if path.startswith('/') else '/' + path}/{method}"


def stage_of(
    core: Core, api_id: str, found: Doc, deployment: Deployment, endpoint_disabled: bool
) -> Stage:
    """The stage ``found`` serving ``deployment`` (``endpoint_disabled`` as the
    deployment's snapshot recorded it: the setting takes effect when deployed)."""
    settings = found.get("methodSettings") or {}
    default = settings.get("*/*")
    return Stage(
        api_id=api_id,
        name=str(found["stageName"]),
        deployment=deployment,
        variables=dict(found.get("variables") or {}),
        throttle=_throttle(default) if default else Throttle(),
        route_throttles={method_key(k): _throttle(v) for k, v in settings.items() if k != "*/*"},
        endpoint_disabled=endpoint_disabled,
        account_id=core.account.account_id,
        authorizers_flushed=_int(found.get("_flushed", 0), 0) or 0,
    )


def _usage_plan(plan: Doc, entry: Doc) -> UsagePlan:
    """A plan as it applies to one of its API stages (``entry``)."""
    quota = plan.get("quota")
    return UsagePlan(
        id=plan["id"],
        throttle=_throttle(plan["throttle"]) if plan.get("throttle") else Throttle(),
        quota=(
            Quota(int(quota["limit"]), str(quota["period"]), int(quota.get("offset", 0)))
            if quota
            else None
        ),
        method_throttles={k: _throttle(v) for k, v in (entry.get("throttle") or {}).items()},
    )


class Directory:
    """The ``ApiDirectory`` of REST APIs, over the control plane's memory."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._stages: dict[tuple[str, str], Stage] = {}
        #: Built deployments: snapshots never change, so each is built once.
        self._deployments: dict[tuple[str, str], tuple[Deployment, bool]] = {}
        self._by_value: dict[str, ApiKey] | None = None
        self._plans: dict[tuple[str, str, str], UsagePlan] = {}
        self.counts: dict[tuple[str, str, str], int] = {}
        self._dirty: set[tuple[str, str, str]] = set()
        self._flushing = asyncio.Lock()
        core.on_api_changed = self.api_changed

    # --- the front door's questions ------------------------------------------------------

    def protocol(self, api_id: str) -> str | None:
        return REST if api_id in self.core.apis else None

    def stage(self, api_id: str, stage: str) -> Stage | None:
        return self._stages.get((api_id, stage))

    def api_key(self, value: str) -> ApiKey | None:
        if self._by_value is None:
            self._by_value = {
                k["value"]: ApiKey(k["id"], k["value"], bool(k["enabled"]))
                for k in self.core.keys.values()
            }
        return self._by_value.get(value)

    def usage_plan(self, api_id: str, stage: str, key_id: str) -> UsagePlan | None:
        key = (api_id, stage, key_id)
        cached = self._plans.get(key)
        if cached is not None:
            return cached
        for plan in self.core.plans.values():
            if key_id not in plan.get("_keys", ()):
                continue
            for entry in plan["apiStages"]:
                if (entry["apiId"], entry["stage"]) == (api_id, stage):
                    built = _usage_plan(plan, entry)
                    # Only keys in plans are kept: bounded by what was configured.
                    self._plans[key] = built
                    return built
        return None

    def count_request(self, plan_id: str, key_id: str, now: float) -> bool:
        plan = self.core.plans.get(plan_id)
        day = usage.day_of(now)
        if plan is not None and plan.get("quota") and self.remaining(plan, key_id, day) <= 0:
            return False
        key = (plan_id, key_id, day.isoformat())
        self.counts[key] = self.counts.get(key, 0) + 1
        self._dirty.add(key)
        return True

    # --- usage ---------------------------------------------------------------------------

    def used_on(self, plan_id: str, key_id: str, day: datetime.date) -> int:
        return self.counts.get((plan_id, key_id, day.isoformat()), 0)

    def remaining(self, plan: Doc, key_id: str, day: datetime.date) -> int:
        """What the plan's quota leaves ``key_id`` of the period ``day`` is in, counting
        up to that day (0 without a quota)."""
        quota = plan.get("quota")
        if not quota:
            return 0
        start = usage.period_start(day, str(quota["period"]), int(quota.get("offset", 0)))
        used = sum(self.used_on(plan["id"], key_id, d) for d in usage.days(start, day))
        return max(int(quota["limit"]) - used, 0)

    async def set_remaining(
        self, plan: Doc, key_id: str, day: datetime.date, remaining: int
    ) -> None:
        """UpdateUsage: make the period's remaining count ``remaining`` by changing the
        day's count (written before the answer)."""
        async with self._flushing:
            current = self.remaining(plan, key_id, day)
            key = (plan["id"], key_id, day.isoformat())
            before = self.counts.get(key, 0)
            count = max(before + current - remaining, 0)
            try:
                await self.core.store.apply([Count(*key, count)])
            except Exception:
                # Not written: memory is as it was (the request changed nothing).
                raise InternalServer("The usage could not be stored; try again.") from None
            # Requests counted while it was written still count (and are still dirty).
            self.counts[key] = self.counts.get(key, 0) + count - before
            if self.counts[key] == count:
                self._dirty.discard(key)
            else:
                self._dirty.add(key)

    async def flush(self) -> None:
        """Write the counts changed since the last flush (kept dirty if that fails).
        One flush at a time, each writing the counts as they are when it starts: a
        later flush never lands before an earlier one's older values."""
        async with self._flushing:
            before = (usage.day_of(self.core.now()) - datetime.timedelta(KEEP_DAYS)).isoformat()
            old = [key for key in self.counts if key[2] < before]
            if not self._dirty and not old:
                return
            taken, self._dirty = self._dirty, set()
            changes: list[Count | Forget] = [
                Count(*key, self.counts.get(key, 0)) for key in sorted(taken) if key[2] >= before
            ]
            if old:
                changes.append(Forget(before))
            try:
                await self.core.store.apply(changes)
            except Exception:
                self._dirty |= taken
                raise
            for key in old:
                self.counts.pop(key, None)

    # --- invalidation ----------------------------------------------------------------------

    def rebuild(self) -> None:
        """Build every stage (at start)."""
        self._stages.clear()
        self._deployments.clear()
        for api_id in list(self.core.apis):
            self.api_changed(api_id)

    def api_changed(self, api_id: str) -> None:
        """The API was written (or deleted): its stages are built again now, so that no
        request waits for it."""
        for key in [k for k in self._stages if k[0] == api_id]:
            del self._stages[key]
        doc = self.core.apis.get(api_id)
        deployments = doc["deployments"] if doc is not None else {}
        for key in [k for k in self._deployments if k[0] == api_id and k[1] not in deployments]:
            del self._deployments[key]
        for name, found in (doc["stages"] if doc is not None else {}).items():
            if found.get("deploymentId") not in deployments:
                continue
            try:
                deployment, disabled = self._deployment(api_id, str(found["deploymentId"]))
                self._stages[(api_id, name)] = stage_of(
                    self.core, api_id, found, deployment, disabled
                )
            except Exception:
                # A stored value nothing checked when it was stored: this stage serves
                # nothing, every other stage still does.
                log.exception("building stage %s of REST API %s failed", name, api_id)

    def _deployment(self, api_id: str, deployment_id: str) -> tuple[Deployment, bool]:
        key = (api_id, deployment_id)
        built = self._deployments.get(key)
        if built is None:
            kept = self.core.snapshot(api_id, deployment_id)
            built = (
                deployment_of(api_id, deployment_id, kept),
                bool(kept.get("disableExecuteApiEndpoint")),
            )
            self._deployments[key] = built
        return built

    def keys_changed(self) -> None:
        """An API key or usage plan changed: what was built of them is dropped."""
        self._by_value = None
        self._plans.clear()

    def key_dropped(self, key_id: str) -> None:
        for key in [k for k in self.counts if k[1] == key_id]:
            del self.counts[key]
            self._dirty.discard(key)
        self.keys_changed()

    def plan_dropped(self, plan_id: str) -> None:
        for key in [k for k in self.counts if k[0] == plan_id]:
            del self.counts[key]
            self._dirty.discard(key)
        self.keys_changed()
