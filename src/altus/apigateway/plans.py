"""Usage plans, their keys and their usage: CreateUsagePlan (API stages with
per-method throttles, a throttle, a quota), GetUsagePlan(s) (keyId: the plans with
that key), UpdateUsagePlan by patch operations, DeleteUsagePlan; CreateUsagePlanKey,
GetUsagePlanKey(s), DeleteUsagePlanKey; GetUsage (per key, per day, ``[used,
remaining]``: remaining is what the quota leaves of the day's period, 0 without a
quota) and UpdateUsage (``/remaining`` of the key's current period)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigateway import checks, ids, patch, usage
from altus.apigateway.errors import (
    BadRequest,
    Conflict,
    key_not_found,
    plan_key_not_found,
    plan_not_found,
)
from altus.apigateway.model import PLAN, Doc, Drop, Put
from altus.apigateway.paging import listing
from altus.apigateway.patch import ADD, REMOVE, REPLACE
from altus.apigateway.state import public

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway


def check_quota(quota: Any) -> None:
    if not quota:
        return
    period = quota.get("period")
    if period not in usage.PERIODS:
        raise BadRequest(f"Invalid quota period: {period}. Must be one of: DAY, WEEK, MONTH")
    if int(quota.get("limit") or 0) < 0:
        raise BadRequest("The quota limit must not be negative")
    offset = int(quota.get("offset") or 0)
    if not 0 <= offset <= usage.MAX_OFFSET[period]:
        raise BadRequest(
            f"Invalid quota offset for period {period}: {offset} (0 to {usage.MAX_OFFSET[period]})"
        )


def _api_stage(gateway: ApiGateway, given: Any) -> Doc:
    api_id, stage_name = str(given.get("apiId") or ""), str(given.get("stage") or "")
    doc = gateway.core.apis.get(api_id)
    if doc is None or stage_name not in doc["stages"]:
        raise BadRequest(f"Invalid API Stage specified: {api_id}:{stage_name}")
    made: Doc = {"apiId": api_id, "stage": stage_name}
    if given.get("throttle"):
        made["throttle"] = {str(k): dict(v) for k, v in given["throttle"].items()}
        for throttle in made["throttle"].values():
            checks.throttle(throttle)
    return made


async def create_usage_plan(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    check_quota(input.get("quota"))
    checks.throttle(input.get("throttle"))
    async with core.lock:
        plan_id = ids.fresh(core.plans)
        made: Doc = {
            "id": plan_id,
            "name": input["name"],
            "apiStages": [_api_stage(gateway, s) for s in input.get("apiStages") or ()],
            "_keys": [],
        }
        if input.get("tags"):
            checks.tags(input["tags"])
        for member in ("description", "throttle", "quota", "tags"):
            if input.get(member):
                made[member] = (
                    dict(input[member]) if isinstance(input[member], dict) else input[member]
                )
        if "quota" in made:
            made["quota"].setdefault("offset", 0)
        await core.write([Put(PLAN, plan_id, made)], lambda: core.plans.__setitem__(plan_id, made))
    gateway.directory.keys_changed()
    return public(made)


def plan(gateway: ApiGateway, plan_id: Any) -> Doc:
    found = gateway.core.plans.get(str(plan_id))
    if found is None:
        raise plan_not_found(str(plan_id))
    return found


async def get_usage_plan(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return public(plan(gateway, input["usagePlanId"]))


async def get_usage_plans(gateway: ApiGateway, call: Call, input: Members) -> Members:
    key_id = input.get("keyId")
    found = [
        public(p)
        for p in sorted(gateway.core.plans.values(), key=lambda p: (p["name"], p["id"]))
        if key_id is None or key_id in p.get("_keys", ())
    ]
    return listing(found, input.get("position"), input.get("limit"))


def _plan_rules(gateway: ApiGateway) -> tuple[patch.Rule, ...]:
    def add_stage(doc: Doc, key: str, value: str) -> None:
        api_id, _, stage_name = (key or value).partition(":")
        entry = _api_stage(gateway, {"apiId": api_id, "stage": stage_name})
        if not any((s["apiId"], s["stage"]) == (api_id, stage_name) for s in doc["apiStages"]):
            doc["apiStages"].append(entry)

    def drop_stage(doc: Doc, key: str) -> None:
        doc["apiStages"] = [s for s in doc["apiStages"] if f"{s['apiId']}:{s['stage']}" != key]

    def put_method_throttle(doc: Doc, path: str, value: str) -> None:
        # /apiStages/<api>:<stage>/throttle/<escaped resource path>/<METHOD>/<limit>
        parts = path.split("/")
        if len(parts) != 7 or parts[3] != "throttle" or parts[6] not in ("burstLimit", "rateLimit"):
            raise BadRequest(f"Invalid patch path '{path}'")
        stage_key, method_key = parts[2], f"{patch.unescape(parts[4])}/{parts[5]}"
        for entry in doc["apiStages"]:
            if f"{entry['apiId']}:{entry['stage']}" == stage_key:
                limits = entry.setdefault("throttle", {}).setdefault(method_key, {})
                limits[parts[6]] = (
                    patch.as_int(value, path)
                    if parts[6] == "burstLimit"
                    else patch.as_float(value, path)
                )
                checks.throttle(limits)
                return
        raise BadRequest(f"Invalid API Stage specified: {stage_key}")

    def drop_method_throttle(doc: Doc, path: str) -> None:
        parts = path.split("/")
        if len(parts) < 6:
            raise BadRequest(f"Invalid patch path '{path}'")
        stage_key, method_key = parts[2], f"{patch.unescape(parts[4])}/{parts[5]}"
        for entry in doc["apiStages"]:
            if f"{entry['apiId']}:{entry['stage']}" == stage_key:
                (entry.get("throttle") or {}).pop(method_key, None)
                if not entry.get("throttle"):
                    entry.pop("throttle", None)

    def check_period(doc: Doc, _: str, value: str) -> None:
        doc.setdefault("quota", {"limit": 0, "offset": 0})["period"] = value

    return (
        patch.scalar("name"),
        patch.scalar("description", ops=(REPLACE, ADD, REMOVE)),
        patch.scalar("productCode", ops=(REPLACE, ADD, REMOVE)),
        patch.nested(
            "/throttle/burstLimit", ("throttle", "burstLimit"), "int", ops=(REPLACE, ADD, REMOVE)
        ),
        patch.nested(
            "/throttle/rateLimit", ("throttle", "rateLimit"), "float", ops=(REPLACE, ADD, REMOVE)
        ),
        patch.Rule(
            "/throttle",
            "/throttle",
            frozenset((REMOVE,)),
            drop=lambda d, _: d.pop("throttle", None),
        ),
        patch.nested("/quota/limit", ("quota", "limit"), "int", ops=(REPLACE, ADD)),
        patch.nested("/quota/offset", ("quota", "offset"), "int", ops=(REPLACE, ADD)),
        patch.Rule("/quota/period", "/quota/period", frozenset((REPLACE, ADD)), check_period),
        patch.Rule(
            "/quota", "/quota", frozenset((REMOVE,)), drop=lambda d, _: d.pop("quota", None)
        ),
        patch.Rule(
            "/apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/{limit}",
            r"(/apiStages/[^/]+/throttle/.+)",
            frozenset((ADD, REPLACE, REMOVE)),
            put_method_throttle,
            drop_method_throttle,
            raw=True,
        ),
        patch.Rule(
            "/apiStages",
            r"/apiStages(?:/([^/]+))?",
            frozenset((ADD, REMOVE)),
            add_stage,
            drop_stage,
        ),
    )


async def update_usage_plan(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    rules = _plan_rules(gateway)

    def change(doc: Doc) -> None:
        operations = patch.removing_by_value(input.get("patchOperations"), "/apiStages")
        patch.apply(doc, operations, rules)
        if "quota" in doc:
            doc["quota"].setdefault("offset", 0)
            doc["quota"].setdefault("limit", 0)
        check_quota(doc.get("quota"))
        checks.throttle(doc.get("throttle"))

    plan_id = str(input["usagePlanId"])
    updated = await core.edit_doc(
        PLAN, core.plans, plan_id, change, lambda: plan_not_found(plan_id)
    )
    gateway.directory.keys_changed()
    return public(updated)


async def delete_usage_plan(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    plan_id = str(input["usagePlanId"])
    async with core.lock:
        found = plan(gateway, plan_id)
        if found["apiStages"]:
            first = found["apiStages"][0]
            raise BadRequest(
                f"Cannot delete Usage Plan {plan_id} because there are API Stages associated "
                f"with it, including {first['apiId']}:{first['stage']}"
            )

        def applied() -> None:
            core.plans.pop(plan_id, None)
            gateway.directory.plan_dropped(plan_id)

        await core.write([Drop(PLAN, plan_id)], applied)
    return {}


# --- usage plan keys --------------------------------------------------------------------


def _plan_key(key: Doc) -> Doc:
    return {"id": key["id"], "type": "API_KEY", "value": key["value"], "name": key["name"]}


async def create_usage_plan_key(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    plan_id, key_id = str(input["usagePlanId"]), str(input["keyId"])
    if input["keyType"] != "API_KEY":
        raise BadRequest(f"Invalid key type: {input['keyType']}. Must be API_KEY")

    def change(doc: Doc) -> None:
        if key_id not in core.keys:
            raise key_not_found()
        if key_id in doc["_keys"]:
            raise Conflict(f"Usage Plan {plan_id} already has API Key {key_id}")
        stages = {(s["apiId"], s["stage"]) for s in doc["apiStages"]}
        for other in core.plans.values():
            if (
                other["id"] != plan_id
                and key_id in other.get("_keys", ())
                and stages & {(s["apiId"], s["stage"]) for s in other["apiStages"]}
            ):
                raise Conflict(
                    f"Usage Plan {plan_id} cannot be added because API Key {key_id} cannot "
                    "reference multiple Usage Plans with the same API Stage"
                )
        doc["_keys"].append(key_id)

    await core.edit_doc(PLAN, core.plans, plan_id, change, lambda: plan_not_found(plan_id))
    gateway.directory.keys_changed()
    return _plan_key(core.keys[key_id])


def _key_in_plan(gateway: ApiGateway, input: Members) -> Doc:
    found = plan(gateway, input["usagePlanId"])
    key_id = str(input["keyId"])
    if key_id not in found["_keys"] or key_id not in gateway.core.keys:
        raise plan_key_not_found()
    return gateway.core.keys[key_id]


async def get_usage_plan_key(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return _plan_key(_key_in_plan(gateway, input))


async def get_usage_plan_keys(gateway: ApiGateway, call: Call, input: Members) -> Members:
    found = plan(gateway, input["usagePlanId"])
    prefix = input.get("nameQuery") or ""
    keys = [gateway.core.keys[k] for k in found["_keys"] if k in gateway.core.keys]
    shown = [
        _plan_key(k) for k in sorted(keys, key=lambda k: k["name"]) if k["name"].startswith(prefix)
    ]
    return listing(shown, input.get("position"), input.get("limit"))


async def delete_usage_plan_key(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    plan_id, key_id = str(input["usagePlanId"]), str(input["keyId"])

    def change(doc: Doc) -> None:
        if key_id not in doc["_keys"]:
            raise plan_key_not_found()
        doc["_keys"].remove(key_id)

    await core.edit_doc(PLAN, core.plans, plan_id, change, lambda: plan_not_found(plan_id))
    gateway.directory.keys_changed()
    return {}


# --- usage ------------------------------------------------------------------------------


def _date(text: Any, member: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        raise BadRequest(f"Invalid {member}: {text} (expected YYYY-MM-DD)") from None


async def get_usage(gateway: ApiGateway, call: Call, input: Members) -> Members:
    found = plan(gateway, input["usagePlanId"])
    start, end = _date(input["startDate"], "startDate"), _date(input["endDate"], "endDate")
    if end < start:
        raise BadRequest("The end date must not be before the start date")
    if (end - start).days > 90:
        raise BadRequest("The usage may be asked for at most 90 days at a time")
    key_ids = [str(input["keyId"])] if input.get("keyId") else list(found["_keys"])
    if input.get("keyId") and input["keyId"] not in found["_keys"]:
        raise plan_key_not_found()
    counts = gateway.directory
    items: dict[str, list[list[int]]] = {}
    for key_id in sorted(key_ids):
        rows = []
        for day in usage.days(start, end):
            used = counts.used_on(found["id"], key_id, day)
            rows.append([used, counts.remaining(found, key_id, day)])
        items[key_id] = rows
    output: Members = {
        "usagePlanId": found["id"],
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
        "items": items,
    }
    return output


async def update_usage(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    found = _key_in_plan(gateway, input)
    the_plan = plan(gateway, input["usagePlanId"])
    operations = list(input.get("patchOperations") or ())
    remaining: int | None = None

    def put_remaining(doc: Doc, _: str, value: str) -> None:
        nonlocal remaining
        remaining = patch.as_int(value, "/remaining")

    patch.apply(
        {},
        operations,
        (patch.Rule("/remaining", "/remaining", frozenset((REPLACE,)), put_remaining),),
    )
    today = usage.day_of(core.now())
    if remaining is not None:
        if "quota" not in the_plan:
            raise BadRequest("The usage plan has no quota: there is no remaining count to set")
        await gateway.directory.set_remaining(the_plan, found["id"], today, remaining)
    counts = gateway.directory
    return {
        "usagePlanId": the_plan["id"],
        "startDate": today.isoformat(),
        "endDate": today.isoformat(),
        "items": {
            found["id"]: [
                [
                    counts.used_on(the_plan["id"], found["id"], today),
                    counts.remaining(the_plan, found["id"], today),
                ]
            ]
        },
    }
