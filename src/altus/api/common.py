"""What every Lambda REST operation module needs: the platform, the function a path
names, the checked body, and Marker/MaxItems paging."""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request

from altus.api.model import validate_body
from altus.api.responses import read_json
from altus.control.arns import FunctionRef, parse_function_ref, parse_unqualified
from altus.control.errors import InvalidParameterValue, ValidationFailed
from altus.control.functions import FunctionService
from altus.control.model import FunctionConfig
from altus.platform import Platform


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def functions_of(request: Request) -> FunctionService:
    return platform_of(request).functions


def ref_of(request: Request, *, qualified: bool = True) -> FunctionRef:
    account = platform_of(request).account
    name = request.path_params["name"]
    if not qualified:
        return FunctionRef(parse_unqualified(name, account), None)
    return parse_function_ref(name, account, request.query_params.get("Qualifier"))


def config_json(
    request: Request,
    config: FunctionConfig,
    arn_qualifier: str | None = None,
    with_state: bool = True,
) -> dict[str, Any]:
    return config.to_api(
        platform_of(request).account, with_state=with_state, arn_qualifier=arn_qualifier
    )


def page(
    request: Request, keys: list[str], default: int = 50, limit: int = 10000
) -> tuple[int, int]:
    """(start, end) of the page asked for with Marker / MaxItems over sorted ``keys``."""
    raw = request.query_params.get("MaxItems")
    try:
        max_items = int(raw) if raw is not None else default
    except ValueError:
        raise InvalidParameterValue(f"Invalid MaxItems: {raw}") from None
    for bad, bound in (
        (max_items < 1, "greater than or equal to 1"),
        (max_items > limit, f"less than or equal to {limit}"),
    ):
        if bad:
            raise ValidationFailed(
                f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to "
                f"satisfy constraint: Member must have value {bound}"
            )
    marker = request.query_params.get("Marker")
    start = 0
    if marker:
        try:
            after = base64.urlsafe_b64decode(marker.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raise InvalidParameterValue(f"Invalid Marker: {marker}") from None
        start = next((i for i, key in enumerate(keys) if key > after), len(keys))
    return start, min(start + max_items, len(keys))


def marker(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


async def body_of(request: Request, operation: str) -> dict[str, Any]:
    """The request body of ``operation``, read and checked against the API model."""
    return validate_body(operation, await read_json(request, operation))
