"""Tagging operations (REST JSON, /2017-03-31/tags/{ARN})."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from altus.api.common import body_of, platform_of
from altus.api.responses import empty_response, json_response
from altus.control.errors import ValidationFailed


async def tag_resource(request: Request) -> Response:
    body = await body_of(request, "TagResource")
    await platform_of(request).tags.tag(request.path_params["arn"], body["Tags"])
    return empty_response(request, 204)


async def untag_resource(request: Request) -> Response:
    keys = request.query_params.getlist("tagKeys")
    if not keys:
        raise ValidationFailed(
            "1 validation error detected: Value null at 'tagKeys' failed to satisfy "
            "constraint: Member must not be null"
        )
    await platform_of(request).tags.untag(request.path_params["arn"], keys)
    return empty_response(request, 204)


async def list_tags(request: Request) -> Response:
    tags = platform_of(request).tags.list(request.path_params["arn"])
    return json_response(request, {"Tags": tags})


routes = [
    Route("/2017-03-31/tags/{arn}", tag_resource, methods=["POST"]),
    Route("/2017-03-31/tags/{arn}", untag_resource, methods=["DELETE"]),
    Route("/2017-03-31/tags/{arn}", list_tags, methods=["GET"]),
]
