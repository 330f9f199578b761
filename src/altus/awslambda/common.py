"""What the Lambda operations share: the function a request names, a configuration as
the API renders it, Marker / MaxItems paging, and the JSON body of its own routes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.requests import Request

from altus.api import paging
from altus.api.protocols.common import parse_json, read_body
from altus.api.service import PRINCIPAL, request_context
from altus.api.spec import Call, Members
from altus.awslambda.component import Lambda
from altus.control.arns import FunctionRef, parse_function_ref, parse_unqualified
from altus.control.errors import InvalidParameterValue
from altus.control.model import FunctionConfig

T = TypeVar("T")


def ref_of(lam: Lambda, input: Members, *, qualified: bool = True) -> FunctionRef:
    """The function (and qualifier) ``FunctionName`` and ``Qualifier`` name."""
    name = input["FunctionName"]
    if not qualified:
        return FunctionRef(parse_unqualified(name, lam.account), None)
    return parse_function_ref(name, lam.account, input.get("Qualifier"))


def config_json(
    lam: Lambda, config: FunctionConfig, arn_qualifier: str | None = None, with_state: bool = True
) -> dict[str, Any]:
    return config.to_api(lam.account, with_state=with_state, arn_qualifier=arn_qualifier)


def code_location(lam: Lambda, call: Call, digest: str) -> str:
    """Where GetFunction and GetLayerVersion say a package can be downloaded: a URL
    that works without credentials for ten minutes (``code_urls``)."""
    return lam.code_urls.location(call.base_url, digest)


def page(
    input: Members, items: Sequence[T], keys: Sequence[str], default: int = 50
) -> paging.Page[T]:
    """A page of ``items`` (sorted by ``keys``) by the request's Marker and MaxItems."""
    return paging.page(
        items,
        keys,
        input.get("Marker"),
        input.get("MaxItems") or default,
        lambda marker: InvalidParameterValue(f"Invalid Marker: {marker}"),
    )


def paged(items_key: str, found: paging.Page[T], render: Callable[[T], Any]) -> Members:
    """A listing's output: the page's items rendered and, unless it is the last page,
    NextMarker."""
    out: Members = {items_key: [render(item) for item in found.items]}
    if found.next is not None:
        out["NextMarker"] = found.next
    return out


async def json_object(request: Request, limit: int, *, empty: bool = True) -> dict[str, Any]:
    """The JSON object a request to one of the service's own routes (``/_altus``) sends,
    read up to ``limit`` bytes; no body is ``{}`` where ``empty``, else refused too."""
    raw = await read_body(request, limit, "the request")
    try:
        body = parse_json(raw) if raw.strip() else ({} if empty else None)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InvalidParameterValue("The request body must be a JSON object")
    return body


def authorize_invoke(lam: Lambda, request: Request, ref: FunctionRef) -> None:
    """Where requests are authenticated, refuse unless the caller of one of the
    service's own routes that runs a function (a replay, a tuning) could Invoke it:
    ``altus:Admin`` lets a principal use the route, not run what its policies deny."""
    principal = request.scope.get(PRINCIPAL)
    if principal is None or not lam.identity.enforcing:
        return
    lam.identity.authorize(
        principal,
        "lambda:InvokeFunction",
        lam.account.function_arn(ref.name, ref.qualifier),
        lam.policies(ref),
        request_context(request.scope),
    )
