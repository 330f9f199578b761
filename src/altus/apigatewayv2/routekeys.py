"""Route keys, checked as API Gateway takes them.

HTTP APIs: ``$default``, or ``<METHOD> <path>`` with METHOD one of the HTTP methods or
``ANY``, and a path of ``/``-separated segments, each literal or one ``{name}``
variable, the last of which may be greedy (``{name+}``). WebSocket APIs: ``$connect``,
``$disconnect``, ``$default`` or a custom key (any text not starting with ``$``: that
prefix is API Gateway's own).
"""

from __future__ import annotations

import re

from altus.apigatewayv2.errors import BadRequest
from altus.gateway.deployed import DEFAULT_ROUTE, HTTP

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
WEBSOCKET_KEYS = frozenset({"$connect", "$disconnect", DEFAULT_ROUTE})

_LITERAL = re.compile(r"[A-Za-z0-9._~!$&'()*,;=:@%-]+")
_VARIABLE = re.compile(r"\{[A-Za-z0-9._-]+\+?\}")


def split(key: str) -> tuple[str, str]:
    """The method and path of an HTTP route key; ``("", "")`` for ``$default`` and
    WebSocket keys."""
    method, _, path = key.partition(" ")
    return (method, path) if path else ("", "")


def check(protocol: str, key: str) -> str:
    """``key`` if ``protocol``'s APIs take it; else BadRequest saying why."""
    if protocol != HTTP:
        if key.startswith("$") and key not in WEBSOCKET_KEYS:
            raise BadRequest(
                f"Route key '{key}' is not valid: keys starting with '$' are reserved "
                "($connect, $disconnect, $default)."
            )
        return key
    if key == DEFAULT_ROUTE:
        return key
    method, _, path = key.partition(" ")
    if method not in METHODS:
        raise BadRequest(
            f"Route key '{key}' is not valid: it must be '$default' or '<METHOD> <path>', "
            "with METHOD one of " + ", ".join(sorted(METHODS)) + "."
        )
    check_path(key, path)
    return key


def check_path(key: str, path: str) -> None:
    if not path.startswith("/"):
        raise BadRequest(f"Route key '{key}' is not valid: its path must start with '/'.")
    if path == "/":
        return
    segments = path[1:].split("/")
    names: set[str] = set()
    for index, segment in enumerate(segments):
        if _VARIABLE.fullmatch(segment):
            greedy = segment.endswith("+}")
            if greedy and index != len(segments) - 1:
                raise BadRequest(
                    f"Route key '{key}' is not valid: a greedy path variable "
                    f"({segment}) must be the last segment."
                )
            name = segment[1:-2] if greedy else segment[1:-1]
            if name in names:
                raise BadRequest(
                    f"Route key '{key}' is not valid: the path variable {name} is repeated."
                )
            names.add(name)
        elif not _LITERAL.fullmatch(segment):
            raise BadRequest(
                f"Route key '{key}' is not valid: its path segment '{segment}' is empty "
                "or holds characters a path cannot."
            )


def _variable(segment: str) -> str | None:
    """The name of a plain (not greedy) path variable segment; None for others."""
    if segment.startswith("{") and segment.endswith("}") and not segment.endswith("+}"):
        return segment[1:-1]
    return None


def conflicting(key: str, others: list[str]) -> str | None:
    """The first of ``others`` whose path names the variable at some level otherwise
    than ``key`` does, where the levels above are the same (API Gateway keeps one
    variable per level: ``/pets/{id}`` and ``/pets/{petId}/toys`` cannot both be)."""
    path = split(key)[1]
    if not path:
        return None
    mine = path.strip("/").split("/")
    for other in others:
        theirs = split(other)[1].strip("/").split("/")
        for a, b in zip(mine, theirs, strict=False):
            name_a, name_b = _variable(a), _variable(b)
            if name_a is not None and name_b is not None:
                if name_a != name_b:
                    return other
                continue
            if a != b:
                break
    return None
