"""Function resource policy operations: AddPermission, GetPolicy, RemovePermission."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from altus.api.common import body_of, platform_of, ref_of
from altus.api.responses import empty_response, json_response
from altus.control import policies


async def add_permission(request: Request) -> Response:
    ref = ref_of(request)
    body = await body_of(request, "AddPermission")
    statement = await platform_of(request).permissions.add(ref.name, ref.qualifier, body)
    return json_response(request, {"Statement": policies.statement_json(statement)}, 201)


async def get_policy(request: Request) -> Response:
    ref = ref_of(request)
    document, revision = platform_of(request).permissions.get(ref.name, ref.qualifier)
    return json_response(request, {"Policy": document, "RevisionId": revision})


async def remove_permission(request: Request) -> Response:
    ref = ref_of(request)
    await platform_of(request).permissions.remove(
        ref.name, ref.qualifier, request.path_params["sid"], request.query_params.get("RevisionId")
    )
    return empty_response(request, 204)


_POLICY = "/2015-03-31/functions/{name}/policy"
routes = [
    Route(_POLICY, add_permission, methods=["POST"]),
    Route(_POLICY, get_policy, methods=["GET"]),
    Route(_POLICY + "/{sid}", remove_permission, methods=["DELETE"]),
]
