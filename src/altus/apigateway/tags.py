"""Tags (of REST APIs, stages, API keys and usage plans, by their ARNs:
``arn:aws:apigateway:<region>::/restapis/<id>[/stages/<name>]``, ``.../apikeys/<id>``,
``.../usageplans/<id>``) and the account's settings (GetAccount, UpdateAccount)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from altus.api.spec import Call, Members
from altus.apigateway import checks, patch
from altus.apigateway.errors import BadRequest, NotFound, key_not_found, plan_not_found
from altus.apigateway.model import ACCOUNT, KEY, PLAN, Doc, Put
from altus.apigateway.patch import ADD, REMOVE, REPLACE

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway

_ARN = re.compile(
    r"arn:[a-z\-]+:apigateway:([a-z0-9\-]+)::/"
    r"(?:restapis/([a-z0-9]+)(?:/stages/([A-Za-z0-9_\-]+))?|apikeys/([a-z0-9]+)|usageplans/([a-z0-9]+))"
)


async def _retag(
    gateway: ApiGateway, arn: str, edit: Callable[[dict[str, str]], dict[str, str]]
) -> None:
    found = _ARN.fullmatch(arn)
    core = gateway.core
    if found is None or found.group(1) != core.account.region:
        raise BadRequest(f"Invalid resource ARN specified: {arn}")
    _, api_id, stage_name, key_id, plan_id = found.groups()
    if api_id:

        def change(doc: Doc) -> None:
            if stage_name:
                target = doc["stages"].get(stage_name)
                if target is None:
                    raise NotFound("Invalid stage identifier specified")
            else:
                target = doc["restApi"]
            tags = edit(dict(target.get("tags") or {}))
            if tags:
                target["tags"] = tags
            else:
                target.pop("tags", None)

        await core.edit_api(api_id, change)
        return

    def change_doc(doc: Doc) -> None:
        tags = edit(dict(doc.get("tags") or {}))
        if tags:
            doc["tags"] = tags
        else:
            doc.pop("tags", None)

    if key_id:
        await core.edit_doc(KEY, core.keys, key_id, change_doc, key_not_found)
    else:
        await core.edit_doc(PLAN, core.plans, plan_id, change_doc, lambda: plan_not_found(plan_id))


def _tags_of(gateway: ApiGateway, arn: str) -> dict[str, str]:
    found = _ARN.fullmatch(arn)
    core = gateway.core
    if found is None or found.group(1) != core.account.region:
        raise BadRequest(f"Invalid resource ARN specified: {arn}")
    _, api_id, stage_name, key_id, plan_id = found.groups()
    target: Doc | None
    if api_id:
        doc = core.api(api_id)
        target = doc["stages"].get(stage_name) if stage_name else doc["restApi"]
        if target is None:
            raise NotFound("Invalid stage identifier specified")
    elif key_id:
        target = core.keys.get(key_id)
        if target is None:
            raise key_not_found()
    else:
        target = core.plans.get(plan_id)
        if target is None:
            raise plan_not_found(plan_id)
    return dict(target.get("tags") or {})


async def tag_resource(gateway: ApiGateway, call: Call, input: Members) -> Members:
    added = checks.tags(input["tags"])
    await _retag(gateway, str(input["resourceArn"]), lambda tags: {**tags, **added})
    return {}


async def untag_resource(gateway: ApiGateway, call: Call, input: Members) -> Members:
    gone = set(input["tagKeys"])
    await _retag(
        gateway,
        str(input["resourceArn"]),
        lambda tags: {k: v for k, v in tags.items() if k not in gone},
    )
    return {}


async def get_tags(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return {"tags": _tags_of(gateway, str(input["resourceArn"]))}


# --- the account ------------------------------------------------------------------------

#: What GetAccount answers before any UpdateAccount (AWS's account defaults).
DEFAULT_ACCOUNT: Doc = {
    "throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0},
    "features": ["UsagePlans"],
    "apiKeyVersion": "4",
}

_ACCOUNT_RULES = (patch.scalar("cloudwatchRoleArn", ops=(REPLACE, ADD, REMOVE)),)


def account(gateway: ApiGateway) -> Doc:
    return copy.deepcopy(gateway.core.account_doc or DEFAULT_ACCOUNT)


async def get_account(gateway: ApiGateway, call: Call, input: Members) -> Members:
    return account(gateway)


async def update_account(gateway: ApiGateway, call: Call, input: Members) -> Members:
    core = gateway.core
    async with core.lock:
        draft = account(gateway)
        patch.apply(draft, input.get("patchOperations"), _ACCOUNT_RULES)
        role = draft.get("cloudwatchRoleArn")
        if role is not None and not str(role).startswith("arn:"):
            raise BadRequest("The role ARN is not well formed")

        def applied() -> None:
            core.account_doc = draft

        await core.write([Put(ACCOUNT, "account", draft)], applied)
    return copy.deepcopy(draft)
