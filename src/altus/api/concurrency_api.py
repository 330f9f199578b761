"""Reserved and provisioned concurrency operations (REST JSON)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from altus.api.common import body_of, marker, page, platform_of, ref_of
from altus.api.responses import empty_response, json_response
from altus.control.errors import ValidationFailed


def _name(request: Request) -> str:
    return ref_of(request, qualified=False).name


def _qualifier(request: Request) -> tuple[str, str]:
    """(function, qualifier) for the provisioned-concurrency operations, where the
    qualifier is required (in the name or the query)."""
    ref = ref_of(request)
    if not ref.qualifier:
        raise ValidationFailed(
            "1 validation error detected: Value null at 'qualifier' failed to satisfy "
            "constraint: Member must not be null"
        )
    return ref.name, ref.qualifier


async def put_function_concurrency(request: Request) -> Response:
    name = _name(request)
    body = await body_of(request, "PutFunctionConcurrency")
    reserved = await platform_of(request).concurrency.put_reserved(
        name, body["ReservedConcurrentExecutions"]
    )
    return json_response(request, {"ReservedConcurrentExecutions": reserved})


async def get_function_concurrency(request: Request) -> Response:
    reserved = platform_of(request).concurrency.reserved(_name(request))
    body = {} if reserved is None else {"ReservedConcurrentExecutions": reserved}
    return json_response(request, body)


async def delete_function_concurrency(request: Request) -> Response:
    await platform_of(request).concurrency.delete_reserved(_name(request))
    return empty_response(request, 204)


def _provisioned_json(
    request: Request, name: str, qualifier: str, document: dict[str, Any], with_arn: bool = False
) -> dict[str, Any]:
    platform = platform_of(request)
    status = platform.provisioner.status(name, qualifier)
    out: dict[str, Any] = {}
    if with_arn:
        out["FunctionArn"] = platform.account.function_arn(name, qualifier)
    out.update(
        {
            "RequestedProvisionedConcurrentExecutions": status.requested,
            "AvailableProvisionedConcurrentExecutions": status.allocated,
            "AllocatedProvisionedConcurrentExecutions": status.allocated,
            "Status": status.status,
            "LastModified": document["last_modified"],
        }
    )
    if status.reason:
        out["StatusReason"] = status.reason
    return out


async def put_provisioned_concurrency(request: Request) -> Response:
    name, qualifier = _qualifier(request)
    body = await body_of(request, "PutProvisionedConcurrencyConfig")
    platform = platform_of(request)
    platform.provisioner.forget_failures(name)
    document = await platform.concurrency.put_provisioned(
        name, qualifier, body["ProvisionedConcurrentExecutions"]
    )
    return json_response(request, _provisioned_json(request, name, qualifier, document), 202)


async def get_provisioned_concurrency(request: Request) -> Response:
    if request.query_params.get("List") == "ALL":
        return _list_provisioned(request)
    name, qualifier = _qualifier(request)
    document = platform_of(request).concurrency.provisioned(name, qualifier)
    return json_response(request, _provisioned_json(request, name, qualifier, document))


def _list_provisioned(request: Request) -> Response:
    name = _name(request)
    configs = platform_of(request).concurrency.provisioned_configs(name)
    keys = [qualifier for qualifier, _ in configs]
    start, end = page(request, keys, limit=50)
    body: dict[str, Any] = {
        "ProvisionedConcurrencyConfigs": [
            _provisioned_json(request, name, qualifier, document, with_arn=True)
            for qualifier, document in configs[start:end]
        ]
    }
    if end < len(configs):
        body["NextMarker"] = marker(keys[end - 1])
    return json_response(request, body)


async def delete_provisioned_concurrency(request: Request) -> Response:
    name, qualifier = _qualifier(request)
    await platform_of(request).concurrency.delete_provisioned(name, qualifier)
    return empty_response(request, 204)


_FN = "/functions/{name}"
routes = [
    Route("/2017-10-31" + _FN + "/concurrency", put_function_concurrency, methods=["PUT"]),
    Route("/2019-09-30" + _FN + "/concurrency", get_function_concurrency, methods=["GET"]),
    Route("/2017-10-31" + _FN + "/concurrency", delete_function_concurrency, methods=["DELETE"]),
    Route(
        "/2019-09-30" + _FN + "/provisioned-concurrency",
        put_provisioned_concurrency,
        methods=["PUT"],
    ),
    Route(
        "/2019-09-30" + _FN + "/provisioned-concurrency",
        get_provisioned_concurrency,
        methods=["GET"],
    ),
    Route(
        "/2019-09-30" + _FN + "/provisioned-concurrency",
        delete_provisioned_concurrency,
        methods=["DELETE"],
    ),
]
