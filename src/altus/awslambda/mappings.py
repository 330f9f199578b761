"""Event source mappings in Lambda's API: CreateEventSourceMapping and the rest, over
``altus.events.service.MappingService`` (the lifecycle and the pollers)."""

from __future__ import annotations

from altus.api.spec import Call, Members
from altus.awslambda.common import page, paged
from altus.awslambda.component import Lambda


async def create_event_source_mapping(lam: Lambda, call: Call, input: Members) -> Members:
    mapping = await lam.mappings.create(input)
    return mapping.to_api(lam.account)


async def get_event_source_mapping(lam: Lambda, call: Call, input: Members) -> Members:
    return lam.mappings.get(input["UUID"]).to_api(lam.account)


async def update_event_source_mapping(lam: Lambda, call: Call, input: Members) -> Members:
    mapping = await lam.mappings.update(input["UUID"], input)
    return mapping.to_api(lam.account)


async def delete_event_source_mapping(lam: Lambda, call: Call, input: Members) -> Members:
    mapping = await lam.mappings.delete(input["UUID"])
    return mapping.to_api(lam.account)


async def list_event_source_mappings(lam: Lambda, call: Call, input: Members) -> Members:
    found = lam.mappings.list(input.get("EventSourceArn"), input.get("FunctionName"))
    listed = page(input, found, [m.uuid for m in found], default=100)
    return paged("EventSourceMappings", listed, lambda m: m.to_api(lam.account))
