"""API keys: CreateApiKey (a 40-character value generated unless given), GetApiKey
(the value only with includeValue), GetApiKeys (nameQuery is a name prefix, as AWS's
is; customerId; includeValues), UpdateApiKey by patch operations, DeleteApiKey (out of
every usage plan with it) and ImportApiKeys from CSV (AWS's columns: ``name``, ``key``,
``description``, ``enabled``, ``usageplanIds``; header names in any case)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from altus.api.spec import Call, Members
from altus.apigateway import checks, ids, patch
from altus.apigateway.errors import BadRequest, Conflict, key_not_found, plan_not_found
from altus.apigateway.model import KEY, PLAN, Change, Doc, Drop, Put
from altus.apigateway.paging import listing
from altus.apigateway.patch import ADD, REMOVE, REPLACE
from altus.apigateway.state import present

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway

#: The most an imported CSV may hold.
IMPORT_LIMIT = 1024 * 1024


def _check_value(value: str) -> None:
    if not 20 <= len(value) <= 128:
        raise BadRequest("API Key value should be at least 20 characters")


def _stage_keys(gateway: ApiGateway, given: Any) -> list[str]:
    found: list[str] = []
    for entry in given or ():
        api_id, stage_name = str(entry.get("restApiId") or ""), str(entry.get("stageName") or "")
        doc = gateway.core.api(api_id)
        if stage_name not in doc["stages"]:
            raise BadRequest(f"Invalid stage identifier specified: {api_id}/{stage_name}")
        found.append(f"{api_id}/{stage_name}")
    return found


def new_key(gateway: ApiGateway, fields: Members, now: float, taken: set[str]) -> Doc:
    core = gateway.core
    value = str(fields.get("value") or ids.key_value())
    _check_value(value)
    if value in taken or any(k["value"] == value for k in core.keys.values()):
        raise Conflict("API Key already exists")
    taken.add(value)
    key_id = ids.fresh(core.keys, ids.long_id)
    made: Doc = {
        "id": key_id,
        "value": value,
        "name": str(fields.get("name") or key_id),
        "enabled": bool(fields.get("enabled", False)),
        "createdDate": now,
        "lastUpdatedDate": now,
        "stageKeys": _stage_keys(gateway, fields.get("stageKeys")),
    }
    made |= present(fields, ("description", "customerId"))
    if fields.get("tags"):
        made["tags"] = checks.tags(fields["tags"])
    return made


def shown(key: Doc, with_value: bool) -> Doc:
    return {k: v for k, v in key.items() if with_value or k != "value"}


async def create_api_key(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    async with core.lock:
        made = new_key(gateway, input, core.now(), set())

        def applied() -> None:
            core.keys[made["id"]] = made
            gateway.directory.keys_changed()

        await core.write([Put(KEY, made["id"], made)], applied)
    return dict(made)


def key(gateway: ApiGateway, key_id: Any) -> Doc:
    found = gateway.core.keys.get(str(key_id))
    if found is None:
        raise key_not_found()
    return found


async def get_api_key(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return shown(key(gateway, input["apiKey"]), bool(input.get("includeValue")))


async def get_api_keys(gateway: ApiGateway, call: Call, input: Members) -> Members:
    prefix = input.get("nameQuery") or ""
    customer = input.get("customerId")
    found = [
        shown(k, bool(input.get("includeValues")))
        for k in sorted(gateway.core.keys.values(), key=lambda k: (k["name"], k["id"]))
        if k["name"].startswith(prefix) and (customer is None or k.get("customerId") == customer)
    ]
    return listing(found, input.get("position"), input.get("limit"))


async def update_api_key(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    now = core.now()

    def add_stage(doc: Doc, key: str, value: str) -> None:
        api_id, _, stage_name = (key or value).partition("/")
        entry = _stage_keys(gateway, [{"restApiId": api_id, "stageName": stage_name}])[0]
        if entry not in doc["stageKeys"]:
            doc["stageKeys"].append(entry)

    def drop_stage(doc: Doc, key: str) -> None:
        if key in doc["stageKeys"]:
            doc["stageKeys"].remove(key)

    rules = (
        patch.scalar("name"),
        patch.scalar("description", ops=(REPLACE, ADD, REMOVE)),
        patch.scalar("enabled", "bool"),
        patch.scalar("customerId", ops=(REPLACE, ADD, REMOVE)),
        patch.Rule(
            "/stages", r"/stages(?:/(.+))?", frozenset((ADD, REMOVE)), add_stage, drop_stage
        ),
    )

    def change(doc: Doc) -> None:
        operations = patch.removing_by_value(input.get("patchOperations"), "/stages")
        patch.apply(doc, operations, rules)
        doc["lastUpdatedDate"] = now

    updated = await core.edit_doc(KEY, core.keys, str(input["apiKey"]), change, key_not_found)
    gateway.directory.keys_changed()
    return shown(updated, False)


async def delete_api_key(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    key_id = str(input["apiKey"])
    async with core.lock:
        key(gateway, key_id)
        plan: list[Change] = [Drop(KEY, key_id)]
        plans: dict[str, Doc] = {}
        for plan_id, doc in core.plans.items():
            if key_id in doc.get("_keys", ()):
                changed = {**doc, "_keys": [k for k in doc["_keys"] if k != key_id]}
                plans[plan_id] = changed
                plan.append(Put(PLAN, plan_id, changed))

        def applied() -> None:
            core.keys.pop(key_id, None)
            core.plans.update(plans)
            gateway.directory.key_dropped(key_id)

        await core.write(plan, applied)
    return {}


async def import_api_keys(gateway: ApiGateway, call: Call, input: Members) -> Members:
    if str(input["format"]).lower() != "csv":
        raise BadRequest("Invalid format specified: only csv is supported")
    body = input["body"]
    raw = body if isinstance(body, bytes) else await body.read(IMPORT_LIMIT, "ImportApiKeys")
    try:
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as error:
        raise BadRequest(f"Invalid CSV: {error}") from None
    core = gateway.core
    warnings: list[str] = []
    async with core.lock:
        now = core.now()
        taken: set[str] = set()
        made: list[Doc] = []
        plans: dict[str, Doc] = {}
        for number, row in enumerate(rows, start=2):
            fields = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if not fields.get("key"):
                message = f"Missing key value on line {number}"
                if input.get("failOnWarnings"):
                    raise BadRequest(message)
                warnings.append(message)
                continue
            created = new_key(
                gateway,
                {
                    "name": fields.get("name"),
                    "value": fields["key"],
                    "description": fields.get("description"),
                    "enabled": fields.get("enabled", "true").lower() == "true",
                },
                now,
                taken,
            )
            made.append(created)
            for plan_id in filter(None, fields.get("usageplanids", "").split(":")):
                current = plans.get(plan_id) or core.plans.get(plan_id)
                if current is None:
                    raise plan_not_found(plan_id)
                plans[plan_id] = {**current, "_keys": [*current.get("_keys", ()), created["id"]]}
        changes: list[Change] = [Put(KEY, k["id"], k) for k in made]
        changes += [Put(PLAN, plan_id, doc) for plan_id, doc in plans.items()]

        def applied() -> None:
            for created in made:
                core.keys[created["id"]] = created
            core.plans.update(plans)
            gateway.directory.keys_changed()

        await core.write(changes, applied)
    output: Members = {"ids": [k["id"] for k in made]}
    if warnings:
        output["warnings"] = warnings
    return output
