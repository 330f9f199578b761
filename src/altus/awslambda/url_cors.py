"""CORS for function URLs, from the URL's ``Cors`` configuration. Pure: no I/O.

As Lambda documents it: with CORS configured, the platform answers preflight requests
(``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) itself, without
invoking the function, and adds the CORS headers to every response through the URL;
where the function sets the same headers, the configured ones win. Headers are only
given to an origin the configuration allows (``*`` allows any); a preflight from any
other origin, or for a method that is not allowed, is answered without them, so the
browser refuses the cross-origin request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def is_preflight(method: str, origin: str | None, requested_method: str | None) -> bool:
    return method == "OPTIONS" and bool(origin) and bool(requested_method)


def _listed(cors: Mapping[str, Any], key: str) -> list[str]:
    value = cors.get(key) or []
    return [str(item) for item in value] if isinstance(value, Sequence) else []


def allowed_origin(cors: Mapping[str, Any], origin: str | None) -> str | None:
    """The Access-Control-Allow-Origin value for ``origin``; None when it is not allowed."""
    if not origin:
        return None
    origins = _listed(cors, "AllowOrigins")
    if "*" in origins:
        # A wildcard cannot carry credentials: name the origin when they are allowed.
        return origin if cors.get("AllowCredentials") else "*"
    lowered = origin.lower()
    return origin if any(o.lower() == lowered for o in origins) else None


def response_headers(cors: Mapping[str, Any] | None, origin: str | None) -> list[tuple[str, str]]:
    """The CORS headers of an ordinary response to a request from ``origin``."""
    if not cors:
        return []
    allow = allowed_origin(cors, origin)
    if allow is None:
        return []
    headers = [("access-control-allow-origin", allow)]
    if cors.get("AllowCredentials"):
        headers.append(("access-control-allow-credentials", "true"))
    expose = _listed(cors, "ExposeHeaders")
    if expose:
        headers.append(("access-control-expose-headers", ",".join(expose)))
    if allow != "*":
        headers.append(("vary", "Origin"))
    return headers


def preflight_headers(
    cors: Mapping[str, Any],
    origin: str | None,
    requested_method: str | None,
    requested_headers: str | None,
) -> list[tuple[str, str]]:
    """The headers of the answer to a preflight; empty when it is refused."""
    allow = allowed_origin(cors, origin)
    if allow is None or not requested_method:
        return []
    methods = [m.upper() for m in _listed(cors, "AllowMethods")]
    if "*" not in methods and requested_method.upper() not in methods:
        return []
    allowed_headers = [h.lower() for h in _listed(cors, "AllowHeaders")]
    wanted = [h.strip().lower() for h in (requested_headers or "").split(",") if h.strip()]
    if "*" not in allowed_headers and any(h not in allowed_headers for h in wanted):
        return []
    headers = [
        ("access-control-allow-origin", allow),
        ("access-control-allow-methods", ",".join(methods)),
    ]
    if allowed_headers:
        headers.append(("access-control-allow-headers", ",".join(allowed_headers)))
    if cors.get("AllowCredentials"):
        headers.append(("access-control-allow-credentials", "true"))
    max_age = cors.get("MaxAge")
    if isinstance(max_age, int) and not isinstance(max_age, bool):
        headers.append(("access-control-max-age", str(max_age)))
    if allow != "*":
        headers.append(("vary", "Origin"))
    return headers
