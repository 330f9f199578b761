"""Tags (TagResource, UntagResource, GetTags) of APIs and stages, by their ARNs:
``arn:aws:apigateway:<region>::/apis/<id>`` and ``.../apis/<id>/stages/<name>``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from altus.api.spec import Call, Members
from altus.apigatewayv2.errors import BadRequest, NotFound
from altus.apigatewayv2.model import API, STAGE, Record, put

if TYPE_CHECKING:
    from altus.apigatewayv2.component import ApiGatewayV2

_ARN = re.compile(r"arn:[a-z-]+:apigateway:([a-z0-9-]+)::/apis/([a-z0-9]+)(?:/stages/([^/]+))?")


def _record(gateway: ApiGatewayV2, arn: str) -> Record:
    found = _ARN.fullmatch(arn)
    if found is None or found.group(1) != gateway.account.region:
        raise BadRequest(f"Invalid resource ARN for tagging: {arn}")
    state = gateway.core.api(found.group(2))
    stage = found.group(3)
    if stage is None:
        return state.api
    record = state.of(STAGE).get(stage)
    if record is None:
        raise NotFound(f"Invalid resource specified {arn}", ResourceType="Stage")
    return record


async def _retag(
    gateway: ApiGatewayV2, arn: str, edit: Callable[[dict[str, str]], dict[str, str]]
) -> None:
    core = gateway.core
    async with core.lock:
        record = _record(gateway, arn)
        tags = edit(dict(record.body.get("Tags") or {}))
        if len(tags) > 50:
            raise BadRequest("A resource has at most 50 tags.")
        kind = API if record.kind == API else STAGE
        await core.write([put(kind, record.api_id, record.id, {**record.body, "Tags": tags})])


async def tag_resource(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    added = dict(input.get("Tags") or {})
    await _retag(gateway, str(input["ResourceArn"]), lambda tags: {**tags, **added})
    return {}


async def untag_resource(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    gone = set(input["TagKeys"])
    await _retag(
        gateway,
        str(input["ResourceArn"]),
        lambda tags: {k: v for k, v in tags.items() if k not in gone},
    )
    return {}


async def get_tags(gateway: ApiGatewayV2, call: Call, input: Members) -> Members:
    return {"Tags": dict(_record(gateway, str(input["ResourceArn"])).body.get("Tags") or {})}
