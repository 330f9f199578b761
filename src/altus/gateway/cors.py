"""HTTP APIs' CORS: with a CORS configuration the gateway answers preflight requests
itself (``204 No Content``, without calling the route) and adds the CORS headers to every
other answer, in place of any the integration sent. Pure: no I/O.

A request from an origin the configuration does not allow, or a preflight for a method
or headers it does not allow, gets no CORS headers at all: the browser then refuses the
answer, which is how CORS says no.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from altus.gateway.deployed import Cors

#: The status of the gateway's answer to a preflight.
PREFLIGHT_STATUS = 204
#: The headers the gateway owns when CORS is configured (the integration's are dropped).
CORS_HEADERS = frozenset(
    {
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-expose-headers",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-max-age",
    }
)


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    """An ``OPTIONS`` request with ``Origin`` and ``Access-Control-Request-Method``."""
    if method.upper() != "OPTIONS":
        return False
    names = {name.lower() for name in headers}
    return "origin" in names and "access-control-request-method" in names


def _allowed_origin(cors: Cors, origin: str | None) -> str | None:
    """The ``Access-Control-Allow-Origin`` value for ``origin``; None: not allowed."""
    if not origin:
        return None
    lowered = origin.lower()
    for allowed in cors.allow_origins:
        if allowed == "*":
            return origin if cors.allow_credentials else "*"
        if allowed.lower() == lowered or (
            "*" in allowed and fnmatch.fnmatchcase(lowered, allowed.lower())
        ):
            return origin
    return None


def _listed(allowed: tuple[str, ...], wanted: str) -> bool:
    return "*" in allowed or wanted.lower() in {item.lower() for item in allowed}


def cors_headers(cors: Cors, origin: str | None) -> list[tuple[str, str]]:
    """The CORS headers added to an answer (not a preflight's)."""
    allow = _allowed_origin(cors, origin)
    if allow is None:
        return []
    headers = [("access-control-allow-origin", allow)]
    if cors.allow_credentials:
        headers.append(("access-control-allow-credentials", "true"))
    if cors.expose_headers:
        headers.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
    return headers


def preflight_headers(
    cors: Cors, origin: str | None, method: str | None, request_headers: str | None
) -> list[tuple[str, str]]:
    """The headers of the gateway's answer (``PREFLIGHT_STATUS``) to a preflight."""
    allow = _allowed_origin(cors, origin)
    if allow is None or not method or not _listed(cors.allow_methods, method.strip()):
        return []
    asked = [name.strip() for name in (request_headers or "").split(",") if name.strip()]
    if not all(_listed(cors.allow_headers, name) for name in asked):
        return []
    headers = [("access-control-allow-origin", allow)]
    if cors.allow_credentials:
        headers.append(("access-control-allow-credentials", "true"))
    headers.append(("access-control-allow-methods", ",".join(cors.allow_methods)))
    if cors.allow_headers:
        headers.append(("access-control-allow-headers", ",".join(cors.allow_headers)))
    if cors.expose_headers:
        headers.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
    if cors.max_age is not None:
        headers.append(("access-control-max-age", str(cors.max_age)))
    return headers
