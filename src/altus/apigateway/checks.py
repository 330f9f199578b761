"""Values API Gateway checks wherever they are given (Create/Update calls and imports
alike): status codes, resource policies, method request parameter names, tag keys,
throttle limits, the minimum compression size. A value refused here is never stored,
so nothing built of a stored one can fail on it. AWS's texts where known."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from altus.apigateway.errors import BadRequest

_STATUS = re.compile(r"[1-5]\d\d")
#: ``method.request.<location>.<name>``: what a method's ``requestParameters`` name.
METHOD_PARAMETER = re.compile(
    r"method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.(.+)"
)
#: The largest minimumCompressionSize (10 MiB).
MAX_COMPRESSION_SIZE = 10_485_760


def status_code(given: Any) -> str:
    """A response's HTTP status (``[1-5]\\d\\d``), as text."""
    text = str(given)
    if not _STATUS.fullmatch(text):
        raise BadRequest(f"Invalid status code specified: {text}")
    return text


def policy(given: Any) -> None:
    """A resource policy: a JSON object (empty: none)."""
    if given is None or given == "":
        return
    try:
        parsed = json.loads(str(given))
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise BadRequest(
            "Invalid policy document. Please check the policy syntax and ensure that "
            "Principals are valid."
        )


def method_parameters(given: Mapping[str, Any] | None) -> None:
    """A method's ``requestParameters`` names."""
    for key in given or {}:
        if not METHOD_PARAMETER.fullmatch(str(key)):
            raise BadRequest(
                "Invalid mapping expression specified: Validation Result: warnings : [], "
                f"errors : [Invalid method request parameter specified: {key}]"
            )


def tags(given: Mapping[str, Any] | None) -> dict[str, str]:
    """Tags as given (``tags`` of a Create call, TagResource's): their keys checked."""
    found = {str(k): str(v) for k, v in (given or {}).items()}
    tag_keys(found)
    return found


def tag_keys(keys: Iterable[Any]) -> None:
    for key in keys:
        if str(key).lower().startswith("aws:"):
            raise BadRequest(
                "Invalid tag key. Tag keys cannot start with 'aws:' (case insensitive)"
            )


def throttle(given: Mapping[str, Any] | None) -> None:
    """A throttle's ``burstLimit`` and ``rateLimit`` (method settings'
    ``throttlingBurstLimit``, ``throttlingRateLimit``): numbers, not negative."""
    for member in ("burstLimit", "rateLimit", "throttlingBurstLimit", "throttlingRateLimit"):
        value = (given or {}).get(member)
        if value is None:
            continue
        if _number(value) < 0:
            raise BadRequest(f"Invalid {member}: {value}. Throttle limits must not be negative")


def _number(value: Any) -> float:
    """``value`` as a number (-1, which every check here refuses, where it is none)."""
    if isinstance(value, bool):
        return -1.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return -1.0


def compression_size(given: Any) -> None:
    if given is None:
        return
    size = _number(given)
    if not (size == int(size) and 0 <= size <= MAX_COMPRESSION_SIZE):
        raise BadRequest(
            f"Invalid minimum compression size: {given}. It must be between 0 and "
            f"{MAX_COMPRESSION_SIZE}"
        )
